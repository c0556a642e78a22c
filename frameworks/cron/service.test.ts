/**
 * The cron framework's whole flow (dispatcher → ledger → offers → launches → statuses → retries) against a fake
 * driver and a fake clock: every behaviour of the issue, in milliseconds, without NATS.
 */
import { type ApiError, FakeClock } from 'agora/sdk';
import { CronStore } from './store';
import { offer, settle, setup, T0 } from './service-harness';

describe('CronService', () => {
  it('runs a job every 2 s: claims the slot, revives, launches with the run identity, records success, suppresses', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'tick', schedule: '*/2 * * * * *' });
    expect(h.driver.interest).toEqual(['suppress']);
    h.clock.advance(2000);
    expect(h.driver.wantsOffers).toBe(true);
    await h.service.onOffers([offer()]);
    expect(h.driver.launched).toHaveLength(1);
    const task = h.driver.launched[0]!;
    expect(task.taskId).toBe('cron.tick.1');
    expect(task.command.env).toMatchObject({
      AGORA_JOB: 'tick',
      AGORA_RUN_ID: '1',
      AGORA_ATTEMPT: '1',
      AGORA_SCHEDULED_TIME: '2026-01-01T00:00:02.000Z',
    });
    await settle();
    expect(h.driver.wantsOffers).toBe(false);
    h.status('cron.tick.1', 'TASK_RUNNING');
    h.clock.advance(500);
    h.status('cron.tick.1', 'TASK_FINISHED', { exitCode: 0 });
    h.status('cron.tick.1', 'TASK_FINISHED', { exitCode: 0 }); // a duplicate delivery changes nothing
    h.clock.advance(1500);
    await h.service.onOffers([offer()]);
    h.status('cron.tick.2', 'TASK_FINISHED', { exitCode: 0 });
    expect(h.history('tick').map((r) => [r.state, r.scheduledAt - T0, r.startedAt - T0])).toEqual([
      ['SUCCEEDED', 2000, 2000],
      ['SUCCEEDED', 4000, 4000],
    ]);
    expect(h.call({ type: 'list' }).jobs[0]).toMatchObject({
      name: 'tick',
      succeeded: 2,
      finished: 2,
      nextRunAt: T0 + 6000,
      lastRun: { state: 'SUCCEEDED' },
    });
  });

  it('retries a failing job N times with backoff, then records FAILED', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'flaky', retries: 2, backoff: { initial: 'PT1S', factor: 2 } });
    h.call({ type: 'run', name: 'flaky' });
    for (const [attempt, waitMs] of [
      [1, 0],
      [2, 1000],
      [3, 2000],
    ] as const) {
      h.clock.advance(waitMs);
      await h.service.onOffers([offer()]);
      const task = h.driver.launched.at(-1)!;
      expect(task.command.env).toMatchObject({ AGORA_ATTEMPT: String(attempt) });
      h.status(task.taskId, 'TASK_FAILED', { exitCode: 7 });
    }
    h.clock.advance(60_000);
    await h.service.onOffers([offer()]);
    expect(h.driver.launched).toHaveLength(3);
    expect(h.history('flaky').map((r) => [r.trigger, r.attempt, r.state, r.exitCode])).toEqual([
      ['manual', 1, 'FAILED', 7],
      ['retry', 2, 'FAILED', 7],
      ['retry', 3, 'FAILED', 7],
    ]);
    expect(new Set(h.history('flaky').map((r) => r.scheduledAt)).size).toBe(1);
  });

  it('Forbid skips an overlapping slot and records it; Replace kills the running one', async () => {
    for (const policy of ['Forbid', 'Replace'] as const) {
      const h = setup();
      await h.service.attach(h.driver);
      h.submit({ name: 'long', schedule: '*/2 * * * * *', concurrencyPolicy: policy });
      h.clock.advance(2000);
      await h.service.onOffers([offer()]);
      h.status('cron.long.1', 'TASK_RUNNING');
      h.clock.advance(2000);
      if (policy === 'Forbid') {
        expect(h.history('long').map((r) => [r.state, r.reason])).toEqual([
          ['RUNNING', undefined],
          ['MISSED', 'FORBID_OVERLAP'],
        ]);
        expect(() => h.call({ type: 'run', name: 'long' })).toThrow(/still active.*Forbid/);
      } else {
        expect(h.driver.killed).toEqual(['cron.long.1']);
        h.status('cron.long.1', 'TASK_KILLED');
        await h.service.onOffers([offer()]);
        expect(h.history('long').map((r) => [r.state, r.reason])).toEqual([
          ['KILLED', 'REPLACED'],
          ['RUNNING', undefined],
        ]);
      }
    }
  });

  it('runs a child only after both parents succeeded', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'extract' });
    h.submit({ name: 'load' });
    h.submit({ name: 'report', parents: ['extract', 'load'] });
    const runAndFinish = async (name: string, state: 'TASK_FINISHED' | 'TASK_FAILED') => {
      h.call({ type: 'run', name });
      h.clock.advance(10);
      await h.service.onOffers([offer()]);
      h.status(h.driver.launched.at(-1)!.taskId, state, { exitCode: state === 'TASK_FINISHED' ? 0 : 1 });
      h.clock.advance(10);
    };
    await runAndFinish('extract', 'TASK_FINISHED');
    await runAndFinish('load', 'TASK_FAILED');
    expect(h.history('report')).toEqual([]);
    await runAndFinish('load', 'TASK_FINISHED');
    expect(h.history('report').map((r) => [r.trigger, r.state])).toEqual([['dependency', 'QUEUED']]);
    await h.service.onOffers([offer()]);
    h.status('cron.report.5', 'TASK_FINISHED', { exitCode: 0 });
    await runAndFinish('extract', 'TASK_FINISHED');
    expect(h.history('report')).toHaveLength(1); // load has not succeeded again yet
  });

  it('records MISSED when no offer comes within epsilon, and kills a run past its timeout as FAILED', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'starved', schedule: '*/10 * * * * *', epsilon: 'PT3S' });
    h.submit({ name: 'slow', timeout: 'PT5S' });
    h.clock.advance(10_000);
    h.clock.advance(3001);
    expect(h.history('starved').map((r) => [r.state, r.reason])).toEqual([['MISSED', 'EPSILON_EXCEEDED']]);
    h.call({ type: 'run', name: 'slow' });
    await h.service.onOffers([offer()]);
    const slow = h.driver.launched.find((t) => t.taskId.startsWith('cron.slow'))!;
    h.status(slow.taskId, 'TASK_RUNNING');
    h.clock.advance(5000);
    expect(h.driver.killed).toEqual([slow.taskId]);
    h.status(slow.taskId, 'TASK_KILLED');
    expect(h.history('slow').map((r) => [r.state, r.reason])).toEqual([['FAILED', 'TIMEOUT']]);
  });

  it('after a crash: reconciles, re-sends nothing already launched, starts slots within epsilon, MISSED beyond', async () => {
    const store = new CronStore(':memory:');
    const a = setup(store);
    await a.service.attach(a.driver);
    a.submit({ name: 'tick', schedule: '*/2 * * * * *', epsilon: 'PT3S' });
    a.clock.advance(2000);
    await a.service.onOffers([offer()]);
    a.service.detach(); // the process dies here: cron.tick.1 is running on the agent
    const b = setup(store, new FakeClock(T0 + 7500)); // back 5.5 s later: slots 4 s (3.5 s late) and 6 s (1.5 s late)
    await b.service.attach(b.driver);
    expect(b.driver.reconciled).toEqual([['cron.tick.1']]);
    await b.service.onOffers([offer()]);
    expect(b.driver.launched.map((t) => t.taskId)).toEqual(['cron.tick.3']);
    b.status('cron.tick.1', 'TASK_FINISHED', { exitCode: 0 });
    expect(b.history('tick').map((r) => [r.scheduledAt - T0, r.state, r.reason])).toEqual([
      [2000, 'SUCCEEDED', 'EXITED'],
      [4000, 'MISSED', 'EPSILON_EXCEEDED'],
      [6000, 'RUNNING', undefined],
    ]);
  });

  it('refuses bad requests with the field at fault', async () => {
    const h = setup();
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as ApiError;
      }
      throw new Error('no error');
    };
    const invalid = err(() => h.submit({ name: 'x', schedule: '* * *', cpus: -1 }));
    expect(invalid).toMatchObject({ code: 'INVALID', field: 'cpus' });
    expect(invalid.message).toMatch(/2 problems\):\ncpus: .*\nschedule: .*for example '0 2 \* \* \*'/);
    expect(err(() => h.call({ type: 'show', name: 'ghost' }))).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/no job named 'ghost'/),
    });
    h.submit({ name: 'p' });
    h.submit({ name: 'c', parents: ['p'] });
    expect(err(() => h.call({ type: 'remove', name: 'p' }))).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/parent of c/),
    });
    expect(h.call({ type: 'remove', name: 'c' })).toEqual({ removed: 'c', killed: [] });
    expect(h.call({ type: 'submit', job: { name: 'p', cmd: 'echo again' } }).created).toBe(false);
  });

  it('disable stops new slots, enable resumes from now without back-filling; kill, logs and remove act on runs', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'j', schedule: '*/2 * * * * *' });
    h.clock.advance(2000);
    await h.service.onOffers([offer()]);
    expect(h.call({ type: 'disable', name: 'j' }).job.summary).toMatchObject({ disabled: true, activeRuns: 1 });
    expect(h.call({ type: 'show', name: 'j' }).job.nextRuns).toEqual([]);
    h.clock.advance(10_000);
    expect(h.history('j')).toHaveLength(1);
    h.call({ type: 'enable', name: 'j' });
    expect(h.call({ type: 'show', name: 'j' }).job.nextRuns[0]).toBe(T0 + 14_000);
    h.clock.advance(2000);
    expect(h.history('j').map((r) => r.scheduledAt - T0)).toEqual([2000, 14_000]);

    const logs = h.call({ type: 'logs', name: 'j' });
    expect(logs).toMatchObject({ run: { id: 1 }, taskId: 'cron.j.1', agentId: 'agent-1', files: ['stdout', 'stderr'] });
    expect(h.call({ type: 'kill', name: 'j', runId: 1 }).run.id).toBe(1);
    expect(h.driver.killed).toEqual(['cron.j.1']);
    h.status('cron.j.1', 'TASK_KILLED');
    expect(h.call({ type: 'getRun', name: 'j', runId: 1 }).run).toMatchObject({ state: 'KILLED', reason: 'KILLED' });
    expect(() => h.call({ type: 'kill', name: 'j', runId: 1 })).toThrow(/already ended/);

    expect(h.call({ type: 'remove', name: 'j' })).toEqual({ removed: 'j', killed: [2] });
    expect(h.store.getRun(2)).toMatchObject({ state: 'KILLED', reason: 'JOB_REMOVED' }); // queued: ended at once
    expect(() => h.call({ type: 'show', name: 'j' })).toThrow(/no job named 'j'/);
  });

  it('holds a reconciliation "gone" for a grace period: the task\'s own update wins, else the run is LOST and retried', async () => {
    const h = setup();
    await h.service.attach(h.driver);
    h.submit({ name: 'g', retries: 1, backoff: { initial: 'PT1S' } });
    for (const id of [1, 2]) {
      h.call({ type: 'run', name: 'g' });
      await h.service.onOffers([offer()]);
      expect(h.driver.launched.at(-1)!.taskId).toBe(`cron.g.${id}`);
    }
    h.status('cron.g.1', 'TASK_GONE', { reason: 'RECONCILIATION', source: 'MASTER' });
    h.status('cron.g.2', 'TASK_GONE', { reason: 'RECONCILIATION', source: 'MASTER' });
    h.clock.advance(1000);
    h.status('cron.g.1', 'TASK_FINISHED', { exitCode: 0 }); // the durable update, late
    expect(h.history('g').map((r) => r.state)).toEqual(['SUCCEEDED', 'RUNNING']);
    h.clock.advance(4000);
    expect(h.history('g').map((r) => [r.id, r.state, r.reason, r.attempt])).toEqual([
      [1, 'SUCCEEDED', 'EXITED', 1],
      [2, 'FAILED', 'LOST', 1],
      [3, 'QUEUED', undefined, 2],
    ]);
  });

  it.each([
    [
      'spring forward',
      '2026-03-28T00:00:00Z',
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    ],
    [
      'fall back',
      '2026-10-24T00:00:00Z',
      ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    ],
  ])('a 02:30 Europe/Paris job runs once a day across %s', async (_what, start, expected) => {
    const h = setup(new CronStore(':memory:'), new FakeClock(Date.parse(start)));
    await h.service.attach(h.driver);
    h.submit({ name: 'nightly', schedule: '30 2 * * *', timezone: 'Europe/Paris', epsilon: 'PT5M' });
    for (let i = 0; i < 3 * 96; i++) {
      h.clock.advance(15 * 60_000);
      await h.service.onOffers([offer()]);
      for (const r of h.store.activeRuns('nightly')) if (r.taskId) h.status(r.taskId, 'TASK_FINISHED', { exitCode: 0 });
    }
    expect(h.history('nightly').map((r) => [new Date(r.scheduledAt).toISOString(), r.state])).toEqual(
      expected.map((t) => [t, 'SUCCEEDED']),
    );
  });
});
