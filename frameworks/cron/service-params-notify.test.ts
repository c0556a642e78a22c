/**
 * Run parameters and outcome notifications through the whole service (API → ledger → launch → status), against
 * a fake driver and a fake clock.
 */
import { type ApiError } from 'agora/sdk';
import { offer, setup } from './service-harness';

const err = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('no error');
};

describe('run parameters', () => {
  it('passes given values and defaults as environment, records them on the run and its retries', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({
      name: 'p',
      retries: 1,
      backoff: { initial: 'PT1S' },
      env: { MODE: 'from-env' },
      parameters: [
        { name: 'DATE', required: true },
        { name: 'MODE', default: 'full' },
      ],
    });
    h.call({ type: 'run', name: 'p', parameters: { DATE: '2026-12-01' } });
    await h.service.onOffers([offer()]);
    expect(h.driver.launched[0]!.command.env).toMatchObject({ DATE: '2026-12-01', MODE: 'full', AGORA_RUN_ID: '1' });
    h.status('cron.p.1', 'TASK_FAILED', { exitCode: 1 });
    h.clock.advance(1000);
    await h.service.onOffers([offer()]);
    expect(h.driver.launched[1]!.command.env).toMatchObject({ DATE: '2026-12-01', MODE: 'full', AGORA_ATTEMPT: '2' });
    expect(h.history('p').map((r) => [r.trigger, r.parameters])).toEqual([
      ['manual', { DATE: '2026-12-01', MODE: 'full' }],
      ['retry', { DATE: '2026-12-01', MODE: 'full' }],
    ]);
  });

  it('refuses an unknown parameter and a missing required one by name, and starts nothing', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'p', parameters: [{ name: 'DATE', required: true }] });
    const unknown = err(() => h.call({ type: 'run', name: 'p', parameters: { DATE: 'd', DAET: 'x' } }));
    expect(unknown).toMatchObject({
      code: 'INVALID',
      field: 'parameters.DAET',
      message: expect.stringMatching(/unknown parameter 'DAET': the job declares DATE/),
    });
    expect(err(() => h.call({ type: 'run', name: 'p' }))).toMatchObject({ code: 'INVALID', field: 'parameters.DATE' });
    expect(h.history('p')).toEqual([]);
  });

  it('gives scheduled runs the defaults', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 's', schedule: '*/2 * * * * *', parameters: [{ name: 'MODE', default: 'quick' }] });
    h.clock.advance(2000);
    await h.service.onOffers([offer()]);
    expect(h.driver.launched[0]!.command.env).toMatchObject({ MODE: 'quick' });
    expect(h.history('s')[0]).toMatchObject({ trigger: 'schedule', parameters: { MODE: 'quick' } });
  });
});

describe('notifications', () => {
  it('stores a notification with the final failure (not with a failed attempt a retry follows) and with a MISSED slot, and says so', async () => {
    let queued = 0;
    const h = setup(undefined, undefined, {
      onNotificationsQueued: () => {
        queued++;
      },
    });
    await h.service.attach(h.driver);
    h.submit({
      name: 'n',
      retries: 1,
      backoff: { initial: 'PT1S' },
      notify: [{ on: ['FAILED', 'MISSED'], webhook: 'http://127.0.0.1:9/hook' }],
    });
    h.call({ type: 'run', name: 'n' });
    await h.service.onOffers([offer()]);
    h.status('cron.n.1', 'TASK_FAILED', { exitCode: 3 });
    expect(queued).toBe(0);
    h.clock.advance(1000);
    await h.service.onOffers([offer()]);
    h.status('cron.n.2', 'TASK_FAILED', { exitCode: 3 });
    expect(queued).toBe(1);
    const [retry, first] = h.call({ type: 'history', name: 'n' }).runs;
    expect(first.notifications).toBeUndefined();
    expect(retry.notifications).toEqual([
      {
        id: 1,
        event: 'FAILED',
        target: { webhook: 'http://127.0.0.1:9/hook' },
        state: 'PENDING',
        nextAt: h.clock.now(),
        attempts: [],
      },
    ]);
    expect(h.store.pendingNotifications()[0]!.body).toMatchObject({
      job: 'n',
      runId: 2,
      state: 'FAILED',
      attempt: 2,
      retries: 1,
      exitCode: 3,
    });

    h.submit({
      name: 'late',
      schedule: '*/2 * * * * *',
      epsilon: 'PT1S',
      mem: 1e6,
      notify: [{ on: ['MISSED'], subject: 'ops.jobs' }],
    });
    h.clock.advance(4000); // the slot at +2 s finds no offer big enough and expires
    expect(h.call({ type: 'getRun', name: 'late' }).run).toBeDefined();
    const missed = h.history('late').find((r) => r.state === 'MISSED');
    expect(missed.notifications).toMatchObject([
      { event: 'MISSED', target: { subject: 'ops.jobs' }, state: 'PENDING' },
    ]);
    expect(queued).toBe(2);
  });
});
