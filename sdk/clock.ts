/**
 * Time is injected: pure cores take a `Clock`, shells pass `systemClock`, tests pass a `FakeClock`
 * and advance it, so failover, timeouts and backoff are tested in milliseconds without sleeping.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
export type TimerHandle = { readonly id: number } | NodeJS.Timeout;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A clock that moves only when told. Timers fire in due order inside `advance`. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(h: TimerHandle): void {
    this.timers.delete((h as { id: number }).id);
  }
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  pending(): number {
    return this.timers.size;
  }
}

/** Resolves after `ms` on `clock` (a FakeClock resolves it inside `advance`). */
export function sleep(clock: Clock, ms: number, opts: { keepAlive?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const h = clock.setTimeout(resolve, ms);
    // The system clock's timers do not keep the process alive; a wait that is all the process has left to do
    // (connecting at start) must, or Node exits with status 0 in the middle of it.
    if (opts.keepAlive) (h as { ref?: () => void }).ref?.();
  });
}

/** Calls `fn` every `ms` (> 0) on `clock` until `stop()`: setInterval on an injected clock. */
export function every(clock: Clock, ms: number, fn: () => void): { stop(): void } {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    handle = clock.setTimeout(tick, ms);
    fn();
  };
  handle = clock.setTimeout(tick, ms);
  return {
    stop: () => {
      stopped = true;
      if (handle) clock.clearTimeout(handle);
    },
  };
}
