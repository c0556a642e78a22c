/**
 * Property: whatever happens — time jumps, offers or none, tasks ending, the framework crashing and coming back
 * on the same store — every slot of a job's schedule is decided exactly once: one schedule run per slot, and no
 * slot between the job's creation and now left undecided.
 */
import fc from 'fast-check';
import { createLogger, FakeClock, type Offer, type TaskStatus } from 'agora/sdk';
import { JobSpecSchema } from 'agora/sdk/cron';
import { parseSchedule, slotsBetween } from './schedule';
import { CronService, type DriverPort } from './service';
import { CronStore } from './store';

const T0 = Date.parse('2026-03-29T00:59:00Z'); // a minute before Paris springs forward
const log = createLogger('prop', { level: 'silent' });

class Driver implements DriverPort {
  constructor(private readonly launched: string[]) {}
  async launch(_o: string[], tasks: { taskId: string }[]) {
    this.launched.push(...tasks.map((t) => t.taskId));
  }
  async decline() {}
  async kill() {}
  async reconcile() {}
  async revive() {}
  async suppress() {}
}

const offer = (n: number): Offer =>
  ({
    id: `o${n}`,
    frameworkId: 'fw',
    agentId: 'a1',
    hostname: 'h',
    role: '*',
    attributes: [],
    containerizers: ['native'],
    resources: [
      { name: 'cpus', scalar: 4 },
      { name: 'mem', scalar: 4096 },
    ],
  }) as unknown as Offer;

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'offers' }
  | { kind: 'end'; pick: number; state: 'TASK_FINISHED' | 'TASK_FAILED' | 'TASK_LOST' }
  | { kind: 'crash' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 7000 }) }),
  fc.record({ kind: fc.constant('offers' as const) }),
  fc.record({
    kind: fc.constant('end' as const),
    pick: fc.nat(),
    state: fc.constantFrom('TASK_FINISHED' as const, 'TASK_FAILED' as const, 'TASK_LOST' as const),
  }),
  fc.record({ kind: fc.constant('crash' as const) }),
);

it('decides every slot exactly once across crashes, offers and statuses', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('* * * * * *', '*/2 * * * * *', '*/5 * * * * *', 'R/2026-03-29T00:59:01Z/PT3S'),
      fc.constantFrom('Allow' as const, 'Forbid' as const, 'Replace' as const),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 0, max: 2 }),
      fc.array(step, { minLength: 5, maxLength: 40 }),
      async (schedule, policy, epsilonS, retries, steps) => {
        const store = new CronStore(':memory:');
        const clock = new FakeClock(T0);
        const spec = JobSpecSchema.parse({
          name: 'p',
          cmd: 'true',
          schedule,
          timezone: 'Europe/Paris',
          epsilon: `PT${epsilonS}S`,
          concurrencyPolicy: policy,
          retries,
          backoff: { initial: 'PT1S' },
        });
        store.putJob(spec, T0);
        const launched: string[] = [];
        let driver = new Driver(launched);
        let service = new CronService({ store, clock, log });
        await service.attach(driver);
        let offers = 0;
        for (const s of steps) {
          if (s.kind === 'advance') clock.advance(s.ms);
          else if (s.kind === 'offers') await service.onOffers([offer(++offers)]);
          else if (s.kind === 'crash') {
            service.detach();
            driver = new Driver(launched);
            service = new CronService({ store, clock, log });
            await service.attach(driver);
          } else {
            const running = store.activeRuns('p').filter((r) => r.taskId);
            const run = running[s.pick % Math.max(1, running.length)];
            if (run)
              service.onStatus({
                taskId: run.taskId!,
                frameworkId: 'fw',
                state: s.state,
                source: 'AGENT',
                timestamp: clock.now(),
              } as TaskStatus);
          }
        }
        service.tick();
        const runs = store.history('p', 100_000);
        const scheduled = runs
          .filter((r) => r.trigger === 'schedule')
          .map((r) => r.scheduledAt)
          .sort((a, b) => a - b);
        const expected = slotsBetween(parseSchedule(schedule, 'Europe/Paris'), T0, clock.now(), 100_000).slots;
        expect(scheduled).toEqual(expected);
        // Retries belong to a decided slot and never exceed the allowed attempts.
        for (const r of runs.filter((x) => x.trigger === 'retry')) {
          expect(scheduled).toContain(r.scheduledAt);
          expect(r.attempt).toBeLessThanOrEqual(retries + 1);
        }
        expect(new Set(launched).size).toBe(launched.length); // no task launched twice
        store.close();
      },
    ),
    { numRuns: 60 },
  );
});
