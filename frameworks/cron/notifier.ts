/**
 * The thin shell around notify-core: reads pending notifications from the store, sends the due ones (HTTP POST
 * for a webhook, a NATS publish for a subject) without ever blocking the dispatcher, records each attempt, and
 * sets one timer (on the injected clock) for the next retry. Pending notifications live in SQLite, so a
 * restarted framework sends what it still owed (at least once: a delivery cut short by a crash is repeated;
 * receivers can drop repeats by the `X-Agora-Notification-Id` header or the body's runId and event).
 *
 *   const notifier = new Notifier({ store, clock, log, transport: httpAndNats(nc) });
 *   notifier.kick();       // after a run's end stored notifications, and once at start
 *   await notifier.stop(); // waits for deliveries in flight
 */
import type { Clock, Logger, NatsConnection, TimerHandle } from 'agora/sdk';
import {
  afterAttempt,
  DEFAULT_DELIVERY_POLICY,
  dueDeliveries,
  type AttemptResult,
  type DeliveryPolicy,
  type NotificationRecord,
} from './notify-core';
import type { CronStore } from './store';

/** How a notification leaves the process. Errors are results, not throws: `{ ok: false, error }`. */
export interface NotifyTransport {
  webhook(url: string, body: string, headers: Record<string, string>): Promise<AttemptResult>;
  publish(subject: string, body: string): Promise<AttemptResult>;
}

const errorText = (err: unknown) =>
  err instanceof Error
    ? err.cause instanceof Error
      ? `${err.message}: ${err.cause.message}`
      : err.message
    : String(err);

/** The production transport: fetch with a timeout; NATS publish confirmed by a flush (the server has it). */
export function httpAndNats(nc: NatsConnection, timeoutMs = 10_000): NotifyTransport {
  return {
    async webhook(url, body, headers) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...headers },
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined); // drain the answer; its body does not matter
        return res.ok
          ? { ok: true, status: res.status }
          : { ok: false, status: res.status, error: `HTTP ${res.status} ${res.statusText}`.trim() };
      } catch (err) {
        return { ok: false, error: errorText(err) };
      }
    },
    async publish(subject, body) {
      try {
        nc.publish(subject, new TextEncoder().encode(body));
        await nc.flush();
        return { ok: true };
      } catch (err) {
        return { ok: false, error: errorText(err) };
      }
    },
  };
}

export interface NotifierOptions {
  store: CronStore;
  clock: Clock;
  log: Logger;
  transport: NotifyTransport;
  policy?: DeliveryPolicy;
}

export class Notifier {
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: TimerHandle | null = null;
  private timerAt: number | null = null;
  private stopped = false;
  private readonly policy: DeliveryPolicy;

  constructor(private readonly opts: NotifierOptions) {
    this.policy = opts.policy ?? DEFAULT_DELIVERY_POLICY;
  }

  /** Sends what is due now and sets the timer for the next retry. Returns at once; deliveries run on their own. */
  kick(): void {
    if (this.stopped) return;
    const now = this.opts.clock.now();
    const { send, wakeAt } = dueDeliveries(
      this.opts.store.pendingNotifications(),
      new Set(this.inFlight.keys()),
      now,
      this.policy,
    );
    for (const n of send) this.inFlight.set(n.id, this.deliver(n));
    this.arm(wakeAt);
  }

  /** No new attempts; waits for the ones in flight to be recorded (the store must stay open until then). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await Promise.all(this.inFlight.values());
  }

  private async deliver(n: NotificationRecord): Promise<void> {
    const { transport, store, clock, log } = this.opts;
    const body = JSON.stringify(n.body);
    let result: AttemptResult;
    try {
      result =
        n.target.webhook !== undefined
          ? await transport.webhook(n.target.webhook, body, {
              'x-agora-notification-id': String(n.id),
              'x-agora-event': n.event,
            })
          : await transport.publish(n.target.subject!, body);
    } catch (err) {
      result = { ok: false, error: errorText(err) }; // a transport that throws is treated as a failed attempt
    }
    try {
      const next = afterAttempt(n.attempts, result, clock.now(), this.policy);
      store.recordDelivery(n.id, next.attempt, next.state, next.nextAt);
      const line = {
        notification: n.id,
        job: n.body.job,
        run: n.runId,
        event: n.event,
        target: n.target.webhook ?? n.target.subject,
        attempt: n.attempts.length + 1,
        status: result.status,
        state: next.state,
      };
      if (result.ok) log.info(line, 'notification delivered');
      else
        log.warn(
          {
            ...line,
            err: result.error,
            nextAt: next.nextAt === null ? undefined : new Date(next.nextAt).toISOString(),
          },
          next.state === 'FAILED' ? 'notification given up' : 'notification failed; will retry',
        );
    } catch (err) {
      // The store was closed under us (a stop without waiting): the notification stays PENDING and is sent again.
      log.error({ notification: n.id, err: errorText(err) }, 'could not record a delivery attempt');
    } finally {
      this.inFlight.delete(n.id);
    }
    try {
      this.kick(); // a slot in flight is free: the next due one may go
    } catch (err) {
      log.error({ err: errorText(err) }, 'could not look for further notifications; the next kick or timer retries');
    }
  }

  private arm(at: number | null): void {
    if (at === this.timerAt && this.timer) return;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null || this.stopped) return;
    this.timer = this.opts.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = null;
        this.kick();
      },
      Math.max(0, at - this.opts.clock.now()),
    );
  }
}
