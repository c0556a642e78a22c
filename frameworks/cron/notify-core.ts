/**
 * Notifications of run outcomes, as pure functions of records and a clock: which notifications a finished run
 * makes, which pending ones are due to be sent now (and when to look again), and what an attempt's result
 * means — delivered, retried after a backoff, or given up. The shell (notifier.ts) does the HTTP and NATS.
 *
 *   const made = notificationsFor(spec, run, { retryFollows: false });       // rows to store with the run's end
 *   const { send, wakeAt } = dueDeliveries(store.pendingNotifications(), inFlight, now);
 *   const next = afterAttempt(record.attempts, { ok: false, status: 503 }, now, DEFAULT_DELIVERY_POLICY);
 */
import type { DeliveryAttempt, JobNotificationBody, JobSpec, NotifyEvent, RunView } from 'agora/sdk/cron';

export interface DeliveryPolicy {
  /** Attempts in all (the first included) before a notification is given up as FAILED. */
  maxAttempts: number;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** At most this many deliveries in flight at once (a dead endpoint must not open a connection per run). */
  maxInFlight: number;
}
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 1000,
  factor: 2,
  maxDelayMs: 60_000,
  maxInFlight: 16,
};

export interface NotificationTarget {
  webhook?: string;
  subject?: string;
}

/** A notification to store with the run's end, PENDING and due at once. */
export interface NewNotification {
  event: NotifyEvent;
  target: NotificationTarget;
  body: JobNotificationBody;
}

export interface NotificationRecord extends NewNotification {
  id: number;
  runId: number;
  state: 'PENDING' | 'DELIVERED' | 'FAILED';
  nextAt: number | null;
  attempts: DeliveryAttempt[];
}

const EVENTS: ReadonlySet<string> = new Set<NotifyEvent>(['SUCCEEDED', 'FAILED', 'MISSED', 'KILLED']);

/**
 * The notifications a run's end makes: one per `notify` entry that names its outcome. A FAILED attempt that
 * earns a retry notifies nobody (the slot is not over); its last attempt does.
 */
export function notificationsFor(spec: JobSpec, run: RunView, opts: { retryFollows: boolean }): NewNotification[] {
  if (!EVENTS.has(run.state)) return [];
  const event = run.state as NotifyEvent;
  if (event === 'FAILED' && opts.retryFollows) return [];
  const body = bodyOf(spec, run, event);
  return spec.notify
    .filter((n) => n.on.includes(event))
    .map((n) => ({ event, target: n.webhook !== undefined ? { webhook: n.webhook } : { subject: n.subject! }, body }));
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function bodyOf(spec: JobSpec, run: RunView, event: NotifyEvent): JobNotificationBody {
  const body: JobNotificationBody = {
    job: run.job,
    runId: run.id,
    slot: new Date(run.scheduledAt).toISOString(),
    state: run.state,
    event,
    trigger: run.trigger,
    attempt: run.attempt,
    retries: spec.retries,
    parameters: run.parameters ?? {},
  };
  const optional: Partial<JobNotificationBody> = {
    exitCode: run.exitCode,
    reason: run.reason,
    message: run.message,
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    agentId: run.agentId,
    taskId: run.taskId,
  };
  for (const [k, v] of Object.entries(optional))
    if (v !== undefined) (body as unknown as Record<string, unknown>)[k] = v;
  return body;
}

/** The pending notifications to send now (oldest due first, within maxInFlight), and when the next one falls due. */
export function dueDeliveries(
  pending: readonly NotificationRecord[],
  inFlight: ReadonlySet<number>,
  now: number,
  policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
): { send: NotificationRecord[]; wakeAt: number | null } {
  const waiting = pending
    .filter((n) => n.state === 'PENDING' && !inFlight.has(n.id))
    .sort((a, b) => (a.nextAt ?? 0) - (b.nextAt ?? 0) || a.id - b.id);
  const room = Math.max(0, policy.maxInFlight - inFlight.size);
  const send = waiting.filter((n) => (n.nextAt ?? 0) <= now).slice(0, room);
  const sending = new Set(send.map((n) => n.id));
  const later = waiting.filter((n) => !sending.has(n.id)).map((n) => Math.max(n.nextAt ?? 0, now));
  // Due ones beyond maxInFlight wait for a slot: a finishing delivery kicks the shell, so no timer is needed for them.
  const timed = later.filter((t) => t > now);
  return { send, wakeAt: timed.length > 0 ? Math.min(...timed) : null };
}

export type AttemptResult = { ok: true; status?: number } | { ok: false; status?: number; error: string };

/** A 4xx other than 408 (timeout) and 429 (too many requests) says the request itself is wrong: retrying cannot help. */
export const isPermanent = (status: number | undefined): boolean =>
  status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;

/** The delay after the n-th failed attempt (n ≥ 1): initial × factor^(n−1), capped. */
export const deliveryBackoffMs = (policy: DeliveryPolicy, failedAttempts: number): number =>
  Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, failedAttempts - 1));

/** What an attempt makes of a notification: its recorded attempt and the new state (with the next try's time when retried). */
export function afterAttempt(
  previous: readonly DeliveryAttempt[],
  result: AttemptResult,
  now: number,
  policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
): { attempt: DeliveryAttempt; state: NotificationRecord['state']; nextAt: number | null } {
  const attempt: DeliveryAttempt = { at: now, ok: result.ok };
  if (result.status !== undefined) attempt.status = result.status;
  if (!result.ok) attempt.error = result.error;
  if (result.ok) return { attempt, state: 'DELIVERED', nextAt: null };
  const made = previous.length + 1;
  if (made >= policy.maxAttempts || isPermanent(result.status)) return { attempt, state: 'FAILED', nextAt: null };
  return { attempt, state: 'PENDING', nextAt: now + deliveryBackoffMs(policy, made) };
}
