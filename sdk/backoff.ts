/**
 * Retrying a call until it is answered, with doubling delays on an injected clock (200 ms, 400 ms, … at most
 * 5 s by default): how the agent registers and the SDK driver subscribes while the master is away.
 *
 *   const reply = await retryWithBackoff({ clock, attempt: () => call(), stopped: () => this.stopped,
 *     onFailure: (err, retryInMs) => { if (refused(err)) throw err; log.warn({ err, retryInMs }, 'retrying'); } });
 */
import { sleep, type Clock } from './clock';

export interface RetryOptions<T> {
  clock: Clock;
  attempt(): Promise<T>;
  /** Called after each failure with the wait before the next attempt; throwing gives up with that error. */
  onFailure(err: unknown, retryInMs: number): void;
  /** Checked before each attempt and after each failure; once true, retrying ends and resolves to undefined. */
  stopped(): boolean;
  initialMs?: number;
  maxMs?: number;
}

export const BACKOFF_INITIAL_MS = 200;
export const BACKOFF_MAX_MS = 5000;

/** Resolves to the first answer, or undefined once `stopped()`; rejects only when `onFailure` throws. */
export async function retryWithBackoff<T>(o: RetryOptions<T>): Promise<T | undefined> {
  let delay = o.initialMs ?? BACKOFF_INITIAL_MS;
  while (!o.stopped()) {
    try {
      return await o.attempt();
    } catch (err) {
      if (o.stopped()) return undefined;
      o.onFailure(err, delay);
      await sleep(o.clock, delay);
      delay = Math.min(delay * 2, o.maxMs ?? BACKOFF_MAX_MS);
    }
  }
  return undefined;
}
