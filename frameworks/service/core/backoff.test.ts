import { launchAllowed, recordFailure, resetIfStable } from './backoff';
import { def, instance } from './fixtures';
import { NO_BACKOFF } from './types';

describe('backoff', () => {
  const d = def({ backoff: { backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 5, resetAfterSeconds: 30 } });

  it('grows by the factor up to the maximum', () => {
    let s = NO_BACKOFF;
    const delays: number[] = [];
    for (let k = 0; k < 5; k++) {
      s = recordFailure(s, d, 1000);
      delays.push(s.delayMs);
    }
    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(s.failures).toBe(5);
    expect(launchAllowed(s, 5999)).toBe(false);
    expect(launchAllowed(s, 6000)).toBe(true);
  });

  it('resets once an instance has been ready long enough', () => {
    const s = recordFailure(NO_BACKOFF, d, 0);
    expect(resetIfStable(s, d, [instance({ readySince: 10_000 })], 39_999)).toBe(s);
    expect(resetIfStable(s, d, [instance({ readySince: 10_000 })], 40_000)).toBe(NO_BACKOFF);
    expect(resetIfStable(s, d, [instance({ state: 'STAGING' })], 1e9)).toBe(s);
  });
});
