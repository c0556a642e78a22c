import { HealthMachine, policyOf } from './health-machine';
import { HealthCheckSchema } from '../../sdk/protocol/common';

const policy = { gracePeriodMs: 10_000, intervalMs: 1_000, timeoutMs: 500, consecutiveFailures: 3, delayMs: 0 };

it('converts the protocol check (seconds, schema defaults) to milliseconds', () => {
  const check = HealthCheckSchema.parse({ type: 'TCP', port: 80 });
  expect(policyOf(check)).toEqual({
    gracePeriodMs: 15_000,
    intervalMs: 10_000,
    timeoutMs: 5_000,
    consecutiveFailures: 3,
    delayMs: 0,
  });
});

it('ignores failures inside the grace period, then turns unhealthy after N consecutive failures', () => {
  const m = new HealthMachine(policy, 0);
  for (const t of [1_000, 5_000, 9_000]) expect(m.record(false, t)).toBeUndefined();
  expect(m.snapshot()).toMatchObject({ healthy: undefined, consecutiveFailures: 0 });
  expect(m.record(false, 10_000)).toBeUndefined();
  expect(m.record(false, 11_000)).toBeUndefined();
  expect(m.record(false, 12_000, 'refused')).toBe(false);
  expect(m.snapshot()).toEqual({ healthy: false, consecutiveFailures: 3, lastMessage: 'refused' });
  expect(m.record(false, 13_000)).toBeUndefined(); // no repeated transition
});

it('becomes healthy at the first success, which also ends the grace period', () => {
  const m = new HealthMachine(policy, 0);
  expect(m.record(true, 1_000)).toBe(true);
  expect(m.record(false, 2_000)).toBeUndefined();
  expect(m.record(false, 3_000)).toBeUndefined();
  expect(m.record(false, 4_000)).toBe(false);
});

it('recovers on a success and resets the failure count', () => {
  const m = new HealthMachine({ ...policy, gracePeriodMs: 0, consecutiveFailures: 2 }, 0);
  expect(m.record(false, 1)).toBeUndefined();
  expect(m.record(false, 2)).toBe(false);
  expect(m.record(true, 3)).toBe(true);
  expect(m.record(false, 4)).toBeUndefined();
  expect(m.record(true, 5)).toBeUndefined();
  expect(m.snapshot().consecutiveFailures).toBe(0);
});
