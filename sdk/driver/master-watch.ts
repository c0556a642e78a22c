/**
 * The driver's watch on the master, on an injected clock. Every heartbeat interval (the master's, from
 * SUBSCRIBED) it sends HEARTBEAT; it asks the driver to re-subscribe when
 *   - the master answers NOT_SUBSCRIBED (a new master that does not know the framework yet), or
 *   - the call fails and nothing was heard from the master (no HEARTBEAT event, no answer) for 3 intervals.
 *
 *   const watch = new MasterWatch({ clock, log, beat: () => call({ type: 'HEARTBEAT' }), lost: (why) => resubscribe(why) });
 *   watch.start(ev.heartbeatIntervalMs);   // on SUBSCRIBED
 *   watch.heard();                         // on every event from the master
 */
import type { Clock, TimerHandle } from '../clock';
import { ApiError } from '../errors';
import type { Logger } from '../log';

/** Why the driver should subscribe again. */
export type MasterLoss = 'NOT_SUBSCRIBED' | 'SILENT';

export interface MasterWatchOptions {
  clock: Clock;
  log: Logger;
  /** Sends one HEARTBEAT call. */
  beat(): Promise<unknown>;
  /** The master lost the framework or went silent. Checks go on (skipped while `paused`): a refused re-subscription is tried again. */
  lost(why: MasterLoss, err: Error): Promise<void>;
  /** While true (a re-subscription in progress) checks are skipped. */
  paused(): boolean;
}

/** Silence longer than this many heartbeat intervals means the master is gone. */
export const SILENT_INTERVALS = 3;

export class MasterWatch {
  private lastHeard: number;
  private intervalMs = 5000;
  private timer?: TimerHandle;
  private running = false;

  constructor(private readonly o: MasterWatchOptions) {
    this.lastHeard = o.clock.now();
  }

  /** (Re)starts checking every `intervalMs`, counting silence from now. */
  start(intervalMs: number): void {
    this.stop();
    this.intervalMs = intervalMs;
    this.running = true;
    this.lastHeard = this.o.clock.now();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something came from the master. */
  heard(): void {
    this.lastHeard = this.o.clock.now();
  }

  /** One check now (also after a NATS reconnect); never rejects: a failure is handled by asking for re-subscription. */
  async check(): Promise<void> {
    if (!this.running || this.o.paused()) return;
    try {
      await this.o.beat();
      this.heard();
    } catch (e) {
      const err = e as Error;
      if (e instanceof ApiError && e.code === 'NOT_SUBSCRIBED') return this.lose('NOT_SUBSCRIBED', err);
      const silentMs = this.o.clock.now() - this.lastHeard;
      if (silentMs > this.intervalMs * SILENT_INTERVALS) return this.lose('SILENT', err);
      this.o.log.debug({ err: err.message, silentMs }, 'heartbeat unanswered');
    }
  }

  private schedule(): void {
    this.timer = this.o.clock.setTimeout(() => {
      if (!this.running) return;
      this.schedule();
      this.check().catch((err: unknown) => this.o.log.error({ err }, 'master watch failed'));
    }, this.intervalMs);
  }

  private async lose(why: MasterLoss, err: Error): Promise<void> {
    if (why === 'SILENT') this.o.log.warn({ err: err.message }, 'master unreachable');
    await this.o.lost(why, err);
  }
}
