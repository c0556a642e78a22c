/**
 * The cron service against a fake driver and a fake clock, for the service's unit tests: submit through the
 * real API handlers, feed offers and task statuses by hand, read history back.
 */
import { createLogger, FakeClock, type Offer, type TaskInfoInput, type TaskStatus } from 'agora/sdk';
import { CronRequestSchema, type CronRequestParsed, type JobSpecInput } from 'agora/sdk/cron';
import { cronApi } from './api';
import { CronService, type DriverPort, type ServiceOptions } from './service';
import { CronStore } from './store';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

export class FakeDriver implements DriverPort {
  launched: TaskInfoInput[] = [];
  declined: { ids: string[]; refuseSeconds?: number }[] = [];
  killed: string[] = [];
  reconciled: string[][] = [];
  interest: ('revive' | 'suppress')[] = [];
  async launch(_ids: string[], tasks: TaskInfoInput[]) {
    this.launched.push(...tasks);
  }
  async decline(ids: string[], f?: { refuseSeconds: number }) {
    this.declined.push({ ids, refuseSeconds: f?.refuseSeconds });
  }
  async kill(taskId: string) {
    this.killed.push(taskId);
  }
  async reconcile(tasks: { taskId: string }[] = []) {
    this.reconciled.push(tasks.map((t) => t.taskId));
  }
  async revive() {
    this.interest.push('revive');
  }
  async suppress() {
    this.interest.push('suppress');
  }
  get wantsOffers() {
    return this.interest.at(-1) === 'revive';
  }
}

let offerSeq = 0;
export const offer = (): Offer =>
  ({
    id: `o${++offerSeq}`,
    frameworkId: 'fw',
    agentId: 'agent-1',
    hostname: 'h',
    role: '*',
    attributes: [],
    containerizers: ['native'],
    resources: [
      { name: 'cpus', scalar: 8 },
      { name: 'mem', scalar: 8192 },
    ],
  }) as unknown as Offer;

export function setup(
  store = new CronStore(':memory:'),
  clock = new FakeClock(T0),
  extra: Partial<ServiceOptions> = {},
) {
  const log = createLogger('cron-test', { level: 'silent' });
  const service = new CronService({ store, clock, log, ...extra });
  const driver = new FakeDriver();
  const api = cronApi(service, () => clock.now());
  const call = (req: unknown) => api(CronRequestSchema.parse(req) as CronRequestParsed) as Record<string, any>;
  const submit = (job: Partial<JobSpecInput>) => call({ type: 'submit', job: { cmd: 'true', ...job } });
  const status = (taskId: string, state: TaskStatus['state'], extra: Partial<TaskStatus> = {}) =>
    service.onStatus({
      taskId,
      frameworkId: 'fw',
      state,
      source: 'AGENT',
      timestamp: clock.now(),
      agentId: 'agent-1',
      ...extra,
    } as TaskStatus);
  const history = (name: string) => (call({ type: 'history', name }).runs as any[]).slice().reverse();
  return { store, clock, service, driver, call, submit, status, history };
}

export const settle = () => new Promise((r) => setImmediate(r));
