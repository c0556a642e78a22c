/**
 * The timer around the core's allocation cycle: `core.allocate(now)` every `allocationIntervalMs` and soon after
 * events that free resources (ALLOCATE_SOON effects; bursts coalesce into one cycle). Keeps cycle statistics.
 */
import type { TimerHandle } from '../sdk';
import type { Master } from './master';

const SOON_MS = 10;

export class AllocationLoop {
  private timer?: TimerHandle;
  private soonTimer?: TimerHandle;
  private running = false;
  /** Durations (ms) of recent cycles, newest last; read by metrics and the page. */
  readonly recentCycleMs: number[] = [];
  cycles = 0;
  onCycle?: (durationMs: number, offers: number) => void;

  constructor(private readonly m: Master) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.m.clock.clearTimeout(this.timer);
    if (this.soonTimer) this.m.clock.clearTimeout(this.soonTimer);
  }

  /** Asks for a cycle shortly; many calls in a burst make one cycle. */
  soon(): void {
    if (!this.running || this.soonTimer) return;
    this.soonTimer = this.m.clock.setTimeout(() => {
      this.soonTimer = undefined;
      this.guardedCycle();
    }, SOON_MS);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.m.clock.setTimeout(() => {
      this.guardedCycle();
      this.schedule();
    }, this.m.config.allocationIntervalMs);
  }

  private guardedCycle(): void {
    try {
      this.cycle();
    } catch (err) {
      this.m.log.error({ err: (err as Error).stack }, 'allocation cycle failed');
    }
  }

  /** One allocation cycle: allocator → offers, one OFFERS event per framework. */
  cycle(): void {
    const started = performance.now();
    const { offers } = this.m.run(this.m.core.allocate(this.m.clock.now()));
    const ms = performance.now() - started;
    this.cycles++;
    this.recentCycleMs.push(ms);
    if (this.recentCycleMs.length > 100) this.recentCycleMs.shift();
    this.onCycle?.(ms, offers);
  }
}
