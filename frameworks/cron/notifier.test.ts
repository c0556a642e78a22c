import { createLogger, FakeClock } from 'agora/sdk';
import { JobSpecSchema } from 'agora/sdk/cron';
import { notificationsFor, type DeliveryPolicy } from './notify-core';
import { Notifier, type NotifyTransport } from './notifier';
import { CronStore } from './store';

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
const policy: DeliveryPolicy = { maxAttempts: 5, initialDelayMs: 100, factor: 2, maxDelayMs: 350, maxInFlight: 2 };

describe('Notifier (the shell, with a fake transport and a fake clock)', () => {
  const log = createLogger('notify-test', { level: 'silent' });
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  function setup(store = new CronStore(':memory:'), clock = new FakeClock(T0)) {
    const sent: { to: string; body: string; at: number }[] = [];
    const answers: boolean[] = [];
    const transport: NotifyTransport = {
      async webhook(url, body) {
        sent.push({ to: url, body, at: clock.now() });
        return (answers.shift() ?? true) ? { ok: true, status: 200 } : { ok: false, status: 500, error: 'HTTP 500' };
      },
      async publish(subject, body) {
        sent.push({ to: subject, body, at: clock.now() });
        return { ok: true };
      },
    };
    const notifier = new Notifier({ store, clock, log, transport, policy });
    return { store, clock, sent, answers, notifier };
  }
  const finishFailed = (store: CronStore) => {
    store.putJob(spec, T0);
    const r = store.claimManual('nightly', T0, { DATE: 'x' });
    store.finishRun(r.id, { state: 'FAILED', reason: 'EXITED', exitCode: 1 }, T0, (ended) =>
      notificationsFor(spec, ended, { retryFollows: false }),
    );
    return r.id;
  };

  it('retries a failing webhook after its backoff, records every attempt, and never blocks', async () => {
    const h = setup();
    const runId = finishFailed(h.store);
    h.answers.push(false, false); // two failures, then success
    h.notifier.kick();
    await settle();
    expect(h.sent.map((s) => [s.to, s.at - T0])).toEqual([
      ['http://127.0.0.1:9/hook', 0],
      ['ops.jobs', 0],
    ]);
    h.clock.advance(99);
    await settle();
    expect(h.sent).toHaveLength(2);
    h.clock.advance(1);
    await settle();
    h.clock.advance(200);
    await settle();
    expect(h.sent.map((s) => s.at - T0)).toEqual([0, 0, 100, 300]);
    const [hook, nats] = h.store.notificationsOf([runId]).get(runId)!;
    expect(hook).toMatchObject({
      state: 'DELIVERED',
      attempts: [
        { ok: false, status: 500 },
        { ok: false, status: 500 },
        { ok: true, status: 200 },
      ],
    });
    expect(nats).toMatchObject({ state: 'DELIVERED', attempts: [{ ok: true }] });
    expect(JSON.parse(h.sent[0]!.body)).toMatchObject({
      job: 'nightly',
      runId,
      state: 'FAILED',
      exitCode: 1,
      parameters: { DATE: 'x' },
    });
    await h.notifier.stop();
  });

  it('sends after a restart what the previous process still owed', async () => {
    const first = setup();
    finishFailed(first.store);
    first.answers.push(false); // the webhook fails once; then the process stops before the retry
    first.notifier.kick();
    await settle();
    await first.notifier.stop();
    expect(first.store.pendingNotifications().map((n) => n.attempts.length)).toEqual([1]);
    const second = setup(first.store, first.clock);
    second.clock.advance(100);
    second.notifier.kick();
    await settle();
    expect(second.sent.map((s) => s.to)).toEqual(['http://127.0.0.1:9/hook']);
    expect(first.store.pendingNotifications()).toEqual([]);
    await second.notifier.stop();
  });
});
