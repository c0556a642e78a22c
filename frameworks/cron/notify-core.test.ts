import { JobSpecSchema, type JobNotificationBody, type RunView } from 'agora/sdk/cron';
import {
  afterAttempt,
  deliveryBackoffMs,
  dueDeliveries,
  notificationsFor,
  type DeliveryPolicy,
  type NotificationRecord,
} from './notify-core';

const T0 = Date.parse('2026-12-01T02:00:00Z');
const spec = JobSpecSchema.parse({
  name: 'nightly',
  cmd: 'true',
  retries: 2,
  notify: [
    { on: ['FAILED', 'MISSED'], webhook: 'http://127.0.0.1:9/hook' },
    { on: ['SUCCEEDED', 'FAILED'], subject: 'ops.jobs' },
  ],
});
const run = (over: Partial<RunView> = {}): RunView => ({
  id: 7,
  job: 'nightly',
  scheduledAt: T0,
  trigger: 'schedule',
  attempt: 3,
  state: 'FAILED',
  dueAt: T0,
  startedAt: T0 + 10,
  endedAt: T0 + 2000,
  exitCode: 4,
  reason: 'EXITED',
  agentId: 'a1',
  taskId: 'cron.nightly.7',
  parameters: { DATE: '2026-12-01' },
  ...over,
});
const policy: DeliveryPolicy = { maxAttempts: 5, initialDelayMs: 100, factor: 2, maxDelayMs: 350, maxInFlight: 2 };

describe('notificationsFor', () => {
  it('makes one notification per target that listens for the outcome, with the JSON body', () => {
    const made = notificationsFor(spec, run(), { retryFollows: false });
    expect(made.map((n) => n.target)).toEqual([{ webhook: 'http://127.0.0.1:9/hook' }, { subject: 'ops.jobs' }]);
    expect(made[0]!.body).toEqual({
      job: 'nightly',
      runId: 7,
      slot: '2026-12-01T02:00:00.000Z',
      state: 'FAILED',
      event: 'FAILED',
      trigger: 'schedule',
      attempt: 3,
      retries: 2,
      exitCode: 4,
      reason: 'EXITED',
      parameters: { DATE: '2026-12-01' },
      startedAt: '2026-12-01T02:00:00.010Z',
      endedAt: '2026-12-01T02:00:02.000Z',
      agentId: 'a1',
      taskId: 'cron.nightly.7',
    });
  });

  it('says nothing of a failed attempt that a retry follows, nor of an outcome nobody listens for', () => {
    expect(notificationsFor(spec, run(), { retryFollows: true })).toEqual([]);
    expect(notificationsFor(spec, run({ state: 'KILLED' }), { retryFollows: false })).toEqual([]);
    expect(notificationsFor(spec, run({ state: 'MISSED' }), { retryFollows: false }).map((n) => n.target)).toEqual([
      { webhook: 'http://127.0.0.1:9/hook' },
    ]);
    expect(notificationsFor(spec, run({ state: 'SUCCEEDED' }), { retryFollows: false }).map((n) => n.target)).toEqual([
      { subject: 'ops.jobs' },
    ]);
  });
});

describe('delivery decisions', () => {
  const rec = (id: number, nextAt: number, state: NotificationRecord['state'] = 'PENDING'): NotificationRecord => ({
    id,
    runId: 1,
    event: 'FAILED',
    target: { subject: 's' },
    body,
    state,
    nextAt,
    attempts: [],
  });
  const body: JobNotificationBody = {
    job: 'nightly',
    runId: 1,
    slot: '2026-12-01T02:00:00.000Z',
    state: 'FAILED',
    event: 'FAILED',
    trigger: 'schedule',
    attempt: 1,
    retries: 0,
    parameters: {},
  };

  it('sends the due ones within maxInFlight and wakes for the next retry', () => {
    const pending = [rec(1, T0), rec(2, T0 - 5), rec(3, T0 + 500), rec(4, T0), rec(5, T0 + 200)];
    const d = dueDeliveries(pending, new Set([4]), T0, policy);
    expect(d.send.map((n) => n.id)).toEqual([2]); // 4 in flight takes one of the two places
    expect(d.wakeAt).toBe(T0 + 200);
    expect(dueDeliveries(pending, new Set(), T0 + 1000, policy).send.map((n) => n.id)).toEqual([2, 1]);
    expect(dueDeliveries([], new Set(), T0, policy)).toEqual({ send: [], wakeAt: null });
  });

  it('backs off exponentially up to the cap and gives up after maxAttempts', () => {
    expect([1, 2, 3, 4].map((n) => deliveryBackoffMs(policy, n))).toEqual([100, 200, 350, 350]);
    const failed = { ok: false as const, status: 503, error: 'HTTP 503' };
    let attempts: { at: number; ok: boolean }[] = [];
    const states: [string, number | null][] = [];
    for (let i = 0; i < 5; i++) {
      const next = afterAttempt(attempts, failed, T0 + i, policy);
      attempts = [...attempts, next.attempt];
      states.push([next.state, next.nextAt === null ? null : next.nextAt - (T0 + i)]);
    }
    expect(states).toEqual([
      ['PENDING', 100],
      ['PENDING', 200],
      ['PENDING', 350],
      ['PENDING', 350],
      ['FAILED', null],
    ]);
    expect(attempts[0]).toEqual({ at: T0, ok: false, status: 503, error: 'HTTP 503' });
  });

  it('delivers on success, and gives up at once on a 4xx that retrying cannot fix (but not on 408/429)', () => {
    expect(afterAttempt([], { ok: true, status: 204 }, T0, policy)).toEqual({
      attempt: { at: T0, ok: true, status: 204 },
      state: 'DELIVERED',
      nextAt: null,
    });
    expect(afterAttempt([], { ok: false, status: 404, error: 'x' }, T0, policy).state).toBe('FAILED');
    expect(afterAttempt([], { ok: false, status: 429, error: 'x' }, T0, policy).state).toBe('PENDING');
    expect(afterAttempt([], { ok: false, error: 'ECONNREFUSED' }, T0, policy)).toMatchObject({
      state: 'PENDING',
      nextAt: T0 + 100,
    });
  });
});
