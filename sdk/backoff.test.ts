import { retryWithBackoff } from './backoff';
import { FakeClock } from './clock';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Advances the fake clock in 100 ms steps, letting each attempt's promise settle. */
async function run(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    await flush();
  }
}

describe('retryWithBackoff', () => {
  it('retries at 200, 400, 800 … 5000 ms apart until answered', async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const waits: number[] = [];
    const done = retryWithBackoff({
      clock,
      stopped: () => false,
      onFailure: (_e, ms) => waits.push(ms),
      attempt: async () => {
        at.push(clock.now());
        if (at.length < 8) throw new Error('no reply');
        return 'answered';
      },
    });
    await flush();
    await run(clock, 20_000);
    expect(await done).toBe('answered');
    expect(waits).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(at).toEqual([0, 200, 600, 1400, 3000, 6200, 11_200, 16_200]);
  });

  it('gives up with the error onFailure throws, and stops quietly once stopped', async () => {
    const clock = new FakeClock(0);
    const refused = retryWithBackoff({
      clock,
      stopped: () => false,
      attempt: () => Promise.reject(new Error('refused')),
      onFailure: (e) => {
        throw e;
      },
    });
    await expect(refused).rejects.toThrow('refused');

    let stopped = false;
    let attempts = 0;
    const ended = retryWithBackoff({
      clock,
      stopped: () => stopped,
      onFailure: () => undefined,
      attempt: () => {
        attempts++;
        return Promise.reject(new Error('no reply'));
      },
    });
    await run(clock, 700);
    stopped = true;
    await run(clock, 10_000);
    expect(await ended).toBeUndefined();
    expect(attempts).toBe(3);
  });
});
