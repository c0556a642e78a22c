import { FakeClock } from '../../sdk/clock';
import { HealthCheckSchema } from '../../sdk/protocol/common';
import { HealthChecker } from './health-checker';
import type { ProbeResult } from './probes';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(results: (boolean | 'hang')[], over: object = {}) {
  const clock = new FakeClock(0);
  const check = HealthCheckSchema.parse({
    type: 'TCP',
    port: 1,
    gracePeriodSeconds: 5,
    intervalSeconds: 1,
    timeoutSeconds: 0.5,
    consecutiveFailures: 2,
    delaySeconds: 2,
    ...over,
  });
  const calls: number[] = [];
  const changes: [boolean, number][] = [];
  const probe = (): Promise<ProbeResult> => {
    calls.push(clock.now());
    const r = results.shift() ?? true;
    return r === 'hang' ? new Promise(() => {}) : Promise.resolve({ ok: r, message: r ? 'up' : 'down' });
  };
  const checker = new HealthChecker({
    check,
    probe,
    clock,
    onChange: (h) => changes.push([h, clock.now()]),
    onError: (err) => {
      throw err;
    },
  });
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await flush();
  };
  return { clock, checker, calls, changes, step };
}

it('probes after the delay, then every interval, and reports transitions', async () => {
  const t = setup([true, false, false, true]);
  t.checker.start();
  await t.step(1_999);
  expect(t.calls).toEqual([]);
  for (let i = 0; i < 4; i++) await t.step(i === 0 ? 1 : 1_000);
  expect(t.calls).toEqual([2_000, 3_000, 4_000, 5_000]);
  expect(t.changes).toEqual([
    [true, 2_000],
    [false, 4_000],
    [true, 5_000],
  ]);
  t.checker.stop();
  expect(t.clock.pending()).toBe(0);
});

it('counts a probe that does not answer within the timeout as a failure', async () => {
  const t = setup(['hang', 'hang', 'hang'], { gracePeriodSeconds: 0, delaySeconds: 0 });
  t.checker.start();
  await t.step(0);
  await t.step(500); // first times out
  await t.step(1_000); // second starts
  await t.step(500); // second times out → 2 consecutive failures
  expect(t.changes).toEqual([[false, 2_000]]);
  expect(t.checker.snapshot()).toMatchObject({
    healthy: false,
    consecutiveFailures: 2,
    lastMessage: 'timed out after 500 ms',
    probes: 2,
  });
  t.checker.stop();
});

it('grants the grace period from the task start, not the checker start (agent restart)', async () => {
  const clock = new FakeClock(100_000);
  const check = HealthCheckSchema.parse({
    type: 'TCP',
    port: 1,
    gracePeriodSeconds: 60,
    intervalSeconds: 1,
    consecutiveFailures: 1,
  });
  const changes: boolean[] = [];
  const checker = new HealthChecker({
    check,
    clock,
    startedAt: 0,
    probe: () => Promise.resolve({ ok: false, message: 'down' }),
    onChange: (h) => changes.push(h),
    onError: (err) => {
      throw err;
    },
  });
  checker.start();
  clock.advance(0);
  await flush();
  expect(changes).toEqual([false]);
  checker.stop();
});

it('counts a probe that throws as a failed probe and keeps checking', async () => {
  const clock = new FakeClock(100_000);
  const check = HealthCheckSchema.parse({
    type: 'TCP',
    port: 1,
    gracePeriodSeconds: 0,
    intervalSeconds: 1,
    consecutiveFailures: 1,
  });
  const changes: [boolean, string | undefined][] = [];
  let calls = 0;
  const probe = (): Promise<ProbeResult> =>
    ++calls === 1 ? Promise.reject(new Error('socket exploded')) : Promise.resolve({ ok: true, message: 'up' });
  const checker = new HealthChecker({
    check,
    clock,
    probe,
    onChange: (h, snap) => changes.push([h, snap.lastMessage]),
    onError: (err) => {
      throw err;
    },
  });
  checker.start();
  clock.advance(0);
  await flush();
  expect(changes).toEqual([[false, 'probe threw: socket exploded']]);
  clock.advance(1000);
  await flush();
  expect(changes.at(-1)?.[0]).toBe(true);
  checker.stop();
});

it('stops checking and reports when onChange throws', async () => {
  const clock = new FakeClock(0);
  const check = HealthCheckSchema.parse({
    type: 'TCP',
    port: 1,
    gracePeriodSeconds: 0,
    intervalSeconds: 1,
    consecutiveFailures: 1,
  });
  const errors: unknown[] = [];
  let calls = 0;
  const checker = new HealthChecker({
    check,
    clock,
    probe: () => {
      calls++;
      return Promise.resolve({ ok: false, message: 'down' });
    },
    onChange: () => {
      throw new Error('sink closed');
    },
    onError: (err) => errors.push(err),
  });
  checker.start();
  clock.advance(0);
  await flush();
  expect((errors[0] as Error).message).toBe('sink closed');
  clock.advance(5000);
  await flush();
  expect(calls).toBe(1);
});
