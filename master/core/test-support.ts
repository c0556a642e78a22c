/**
 * Drives a MasterCore in unit tests: no NATS, no SQLite, no timers — time is a number the test moves, and
 * effects are inspected as data. `outcome` feeds the result of a SEND_COMMAND back, as the shell would.
 */
import {
  FrameworkIdSchema,
  FrameworkInfoSchema,
  Resources,
  SchedulerCallSchema,
  TaskInfoSchema,
  type AgentId,
  type AgentTask,
  type FrameworkId,
  type SchedulerCall,
  type SchedulerCallInput,
  type TaskInfo,
  type TaskStatus,
} from '../../sdk';
import { HierarchicalDrfAllocator } from '../allocator/drf-allocator';
import { DEFAULT_MASTER_CONFIG } from '../config';
import type { OfferRecord } from '../offer-book';
import { MasterCore, type CoreConfig } from './core';
import type { Effect, Result } from './effects';

export const T0 = 1_700_000_000_000;
export const fid = (id: string): FrameworkId => FrameworkIdSchema.parse(id);

export class CoreHarness {
  core: MasterCore;
  now = T0;
  /** Every effect returned so far, in order. */
  readonly effects: Effect[] = [];

  constructor(config: Partial<CoreConfig> = {}, core?: MasterCore) {
    this.core =
      core ?? new MasterCore('m-test', { ...DEFAULT_MASTER_CONFIG, ...config }, new HierarchicalDrfAllocator());
  }

  /** Records a transition's effects and returns its reply (throws its error). */
  take<R>(r: Result<R>): R {
    this.effects.push(...r.effects);
    if (r.error) throw r.error;
    return r.reply;
  }
  advance(ms: number): void {
    this.now += ms;
    this.take(this.core.tick(this.now));
  }

  register(id: AgentId, resources: string, tasks: AgentTask[] = []) {
    return this.take(
      this.core.agentRegistered(
        id,
        {
          type: 'REGISTER',
          tasks,
          agent: {
            id,
            hostname: `${id}.local`,
            resources: Resources.parse(resources).toWire(),
            attributes: [],
            containerizers: ['native'],
            version: 'test',
          },
        },
        this.now,
      ),
    );
  }
  subscribe(id: string, opts: { roles?: string[]; failoverTimeoutMs?: number } = {}) {
    return this.take(
      this.core.subscribe(
        id,
        FrameworkInfoSchema.parse({
          id,
          name: id,
          roles: opts.roles ?? ['*'],
          failoverTimeoutMs: opts.failoverTimeoutMs,
        }),
        this.now,
      ),
    );
  }
  call(id: string, input: SchedulerCallInput): object {
    const call: SchedulerCall = SchedulerCallSchema.parse(input);
    const f = fid(id);
    switch (call.type) {
      case 'ACCEPT':
        return this.take(this.core.accept(id, f, call, this.now));
      case 'DECLINE':
        return this.take(this.core.decline(id, f, call, this.now));
      case 'KILL':
        return this.take(this.core.kill(id, f, call, this.now));
      case 'RECONCILE':
        return this.take(this.core.reconcile(id, f, call, this.now));
      case 'REVIVE':
        return this.take(this.core.revive(id, f, call, this.now));
      case 'SUPPRESS':
        return this.take(this.core.suppress(id, f, call, this.now));
      case 'TEARDOWN':
        return this.take(this.core.teardown(id, f, this.now));
      case 'HEARTBEAT':
        return this.take(this.core.heartbeat(id, f, this.now));
      case 'SUBSCRIBE':
        return this.take(this.core.subscribe(id, call.framework, this.now));
      case 'USAGE':
        return this.take(this.core.usage(id, f, call, this.now));
      case 'DESTROY_VOLUMES':
        this.core.checkDestroyVolumes(id, f, call);
        return {};
    }
  }
  /** One allocation cycle; the framework's outstanding offers. */
  offers(id: string): OfferRecord[] {
    this.take(this.core.allocate(this.now));
    return this.core.offers.forFramework(fid(id));
  }
  offered(id: string): string {
    return this.offers(id)
      .reduce((acc, o) => acc.add(o.resources), Resources.EMPTY)
      .format();
  }
  /** Accepts all the framework's offers for these tasks. */
  launch(id: string, ...tasks: TaskInfo[]): { launched: string[]; errors: string[] } {
    const offers = this.offers(id);
    return this.call(id, {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [{ type: 'LAUNCH', tasks }],
    }) as { launched: string[]; errors: string[] };
  }
  /** An update from the task's agent, made at `producedAt` on the agent's clock (default: now). */
  status(id: string, taskId: string, agentId: AgentId, state: TaskStatus['state'], producedAt = this.now): void {
    this.take(
      this.core.statusUpdate(
        {
          taskId: TaskInfoSchema.shape.taskId.parse(taskId),
          frameworkId: fid(id),
          agentId,
          state,
          source: 'AGENT',
          timestamp: producedAt,
          uuid: `${taskId}-${state}-${producedAt}`,
        },
        this.now,
      ),
    );
  }
  of<T extends Effect['type']>(type: T): Extract<Effect, { type: T }>[] {
    return this.effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
  }
  appended(): [string, string, string | undefined][] {
    return this.of('APPEND_UPDATE').map((e) => [e.status.taskId, e.status.state, e.status.reason]);
  }
  commands(type?: string) {
    return this.of('SEND_COMMAND').filter((e) => !type || e.command.type === type);
  }
  events(id: string) {
    return this.of('SEND_EVENT')
      .filter((e) => e.frameworkId === id)
      .map((e) => e.event);
  }
  clear(): void {
    this.effects.length = 0;
  }
}

export function task(taskId: string, agentId: AgentId, resources: string): TaskInfo {
  return TaskInfoSchema.parse({
    taskId,
    name: taskId,
    agentId,
    resources: Resources.parse(resources).toWire(),
    command: { value: 'sleep 60' },
  });
}
