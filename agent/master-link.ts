/**
 * The agent's link to the master, on an injected clock:
 *
 *   register ──(no answer: retry 200 ms, 400 ms, … 5 s)──▶ registered ──every pingIntervalMs──▶ PING
 *   PING answered "reregister", or by another master ──▶ register again
 *   PING unanswered ──▶ logged; the next ping is still scheduled
 *
 * What REGISTER carries and what its reply does are the agent's (`register`, `registered` below).
 */
import { retryWithBackoff } from '../sdk/backoff';
import type { Clock, TimerHandle } from '../sdk/clock';
import { ApiError } from '../sdk/errors';
import type { Logger } from '../sdk/log';

export interface RegisterReply {
  masterId: string;
  pingIntervalMs: number;
  killTasks: { frameworkId: string; taskId: string }[];
}
export interface PingReply {
  masterId: string;
  reregister: boolean;
}

export interface MasterLinkDeps {
  clock: Clock;
  log: Logger;
  /** Sends REGISTER with the agent's current tasks. */
  register(): Promise<RegisterReply>;
  /** Sends PING, waiting at most `timeoutMs`. */
  ping(timeoutMs: number): Promise<PingReply>;
  /** The master accepted the registration. */
  registered(reply: RegisterReply): void;
}

export class MasterLink {
  masterId?: string;
  registered = false;
  private stopped = false;
  private pingTimer?: TimerHandle;

  constructor(private readonly deps: MasterLinkDeps) {}

  /** Registers, retrying until the master answers (or the link is stopped); then pings. */
  async register(): Promise<void> {
    this.registered = false;
    const reply = await retryWithBackoff({
      clock: this.deps.clock,
      stopped: () => this.stopped,
      attempt: () => this.deps.register(),
      onFailure: (e, retryInMs) => {
        if (e instanceof ApiError && e.code !== 'UNAVAILABLE')
          this.deps.log.error({ err: e.message, retryInMs }, 'master refused registration');
        else if (retryInMs === 200 || retryInMs >= 5000)
          this.deps.log.warn(
            { err: (e as Error).message, retryInMs },
            'master not answering registration yet; retrying',
          );
      },
    });
    if (!reply || this.stopped) return;
    this.masterId = reply.masterId;
    this.registered = true;
    this.deps.registered(reply);
    this.schedulePing(reply.pingIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.pingTimer) this.deps.clock.clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
  }

  private schedulePing(intervalMs: number): void {
    if (this.pingTimer) this.deps.clock.clearTimeout(this.pingTimer);
    this.pingTimer = this.deps.clock.setTimeout(() => {
      this.ping(intervalMs).catch((err: unknown) => {
        // Only `registered` can throw here; the link keeps pinging so the master can ask for registration again.
        this.deps.log.error({ err }, "handling the master's answer failed");
        if (!this.stopped) this.schedulePing(intervalMs);
      });
    }, intervalMs);
  }

  private async ping(intervalMs: number): Promise<void> {
    if (this.stopped) return;
    try {
      const r = await this.deps.ping(Math.max(1000, intervalMs));
      if (r.reregister || r.masterId !== this.masterId) {
        this.deps.log.info({ masterId: r.masterId, was: this.masterId }, 'master asks for re-registration');
        await this.register();
        return;
      }
    } catch (e) {
      this.deps.log.warn({ err: (e as Error).message }, 'master did not answer ping');
    }
    if (!this.stopped) this.schedulePing(intervalMs);
  }
}
