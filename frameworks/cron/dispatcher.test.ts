import { backoffMs, dispatch, MAX_SLOTS_PER_TICK, type ActiveRun, type JobState } from './dispatcher';
import { durationMs } from './duration';
import { JobSpecSchema, type JobSpecInput } from 'agora/sdk/cron';
import { parseSchedule } from './schedule';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (n: number) => T0 + n * 1000;

function job(input: Partial<JobSpecInput> & { name: string }, state: Partial<JobState> = {}): JobState {
  const spec = JobSpecSchema.parse({ cmd: 'true', ...input });
  return {
    spec,
    schedule: spec.schedule ? parseSchedule(spec.schedule, spec.timezone) : null,
    epsilonMs: durationMs(spec.epsilon),
    timeoutMs: spec.timeout ? durationMs(spec.timeout) : null,
    cursorMs: T0,
    depWatermarkMs: T0,
    lastSuccessMs: null,
    ...state,
  };
}
const run = (r: Partial<ActiveRun> & { id: number; job: string }): ActiveRun => ({
  state: 'RUNNING',
  scheduledAt: T0,
  dueAt: T0,
  startedAt: T0,
  attempt: 1,
  killReason: null,
  ...r,
});

describe('dispatch: schedule slots', () => {
  const every10 = job({ name: 'tick', schedule: '*/10 * * * * *', epsilon: 'PT5S' });

  it('claims a slot that is due and wakes for the next one', () => {
    const t = dispatch([every10], [], s(12));
    expect(t.actions).toEqual([{ type: 'claim', job: 'tick', slotMs: s(10), trigger: 'schedule', dueAt: s(10) }]);
    expect(t.wakeAt).toBe(s(20));
  });

  it('trusts a memoised first slot after the cursor', () => {
    expect(dispatch([{ ...every10, nextSlotMs: s(10) }], [], s(9))).toEqual({ actions: [], wakeAt: s(10) });
    expect(dispatch([{ ...every10, nextSlotMs: s(10) }], [], s(10)).actions.map((a) => a.type)).toEqual(['claim']);
    expect(dispatch([{ ...every10, nextSlotMs: null }], [], s(30)).actions).toEqual([]); // a schedule with no slots left
  });

  it('claims nothing before the first slot, and only slots after the cursor', () => {
    expect(dispatch([every10], [], s(9)).actions).toEqual([]);
    expect(dispatch([{ ...every10, cursorMs: s(10) }], [], s(12)).actions).toEqual([]);
  });

  it('records a slot past epsilon as MISSED and claims the ones within it', () => {
    const t = dispatch([every10], [], s(33));
    expect(t.actions.map((a) => [a.type, (a as { slotMs: number }).slotMs, (a as { reason?: string }).reason])).toEqual(
      [
        ['miss', s(10), 'EPSILON_EXCEEDED'],
        ['miss', s(20), 'EPSILON_EXCEEDED'],
        ['claim', s(30), undefined],
      ],
    );
  });

  it('records a long outage as at most MAX_SLOTS_PER_TICK slots, the newest, saying older ones were left out', () => {
    const t = dispatch([job({ name: 'sec', schedule: '* * * * * *', epsilon: 'PT1S' })], [], s(500));
    const misses = t.actions.filter((a) => a.type === 'miss');
    expect(misses).toHaveLength(MAX_SLOTS_PER_TICK - 2);
    expect(misses[0]).toMatchObject({
      slotMs: s(401),
      message: expect.stringMatching(/older slots of the same outage/),
    });
    expect(t.actions.filter((a) => a.type === 'claim').map((a) => (a as { slotMs: number }).slotMs)).toEqual([
      s(499),
      s(500),
    ]);
  });

  it('does nothing for a disabled job but still enforces deadlines of its runs', () => {
    const off = job({ name: 'tick', schedule: '*/10 * * * * *', disabled: true, timeout: 'PT5S' });
    expect(dispatch([off], [run({ id: 1, job: 'tick', startedAt: s(0) })], s(12)).actions).toEqual([
      { type: 'kill', runId: 1, reason: 'TIMEOUT', message: expect.any(String) },
    ]);
  });
});

describe('dispatch: concurrency policies', () => {
  const mk = (policy: 'Allow' | 'Forbid' | 'Replace') =>
    job({ name: 'j', schedule: '*/10 * * * * *', concurrencyPolicy: policy });
  const busy = [run({ id: 7, job: 'j' })];

  it('Allow claims alongside an active run', () => {
    expect(dispatch([mk('Allow')], busy, s(10)).actions.map((a) => a.type)).toEqual(['claim']);
  });
  it('Forbid skips the slot and records why', () => {
    expect(dispatch([mk('Forbid')], busy, s(10)).actions).toEqual([
      {
        type: 'miss',
        job: 'j',
        slotMs: s(10),
        trigger: 'schedule',
        reason: 'FORBID_OVERLAP',
        message: expect.stringMatching(/run 7 still active/),
      },
    ]);
  });
  it('Forbid does not count a run already being killed', () => {
    expect(
      dispatch([mk('Forbid')], [run({ id: 7, job: 'j', killReason: 'TIMEOUT' })], s(10)).actions.map((a) => a.type),
    ).toEqual(['claim']);
  });
  it('Replace kills the active run and claims', () => {
    expect(dispatch([mk('Replace')], busy, s(10)).actions).toEqual([
      { type: 'kill', runId: 7, reason: 'REPLACED', message: expect.any(String) },
      { type: 'claim', job: 'j', slotMs: s(10), trigger: 'schedule', dueAt: s(10) },
    ]);
  });
  it('Forbid claims only the first of several due slots; Replace only the newest', () => {
    const wide = { epsilonMs: 60_000 };
    const forbid = dispatch([{ ...mk('Forbid'), ...wide }], [], s(30)).actions;
    expect(forbid.map((a) => `${a.type}:${(a as { reason?: string }).reason ?? ''}`)).toEqual([
      'claim:',
      'miss:FORBID_OVERLAP',
      'miss:FORBID_OVERLAP',
    ]);
    const replace = dispatch([{ ...mk('Replace'), ...wide }], busy, s(30)).actions;
    expect(replace.map((a) => `${a.type}:${(a as { reason?: string }).reason ?? ''}`)).toEqual([
      'miss:REPLACED',
      'miss:REPLACED',
      'kill:REPLACED',
      'claim:',
    ]);
  });
});

describe('dispatch: deadlines', () => {
  const j = job({ name: 'd', epsilon: 'PT30S', timeout: 'PT1M' });
  it('expires a queued run not started within epsilon of its due time, else wakes at the deadline', () => {
    const q = run({ id: 1, job: 'd', state: 'QUEUED', startedAt: null, dueAt: s(0) });
    expect(dispatch([j], [q], s(31)).actions).toEqual([
      { type: 'expire', runId: 1, message: expect.stringMatching(/epsilon PT30S/) },
    ]);
    expect(dispatch([j], [q], s(10))).toEqual({ actions: [], wakeAt: s(30) + 1 });
  });
  it('wakes when a retry becomes due', () => {
    const retry = run({ id: 2, job: 'd', state: 'QUEUED', startedAt: null, dueAt: s(20), attempt: 2 });
    expect(dispatch([j], [retry], s(10)).wakeAt).toBe(s(20));
  });
  it('kills a run past its timeout, else wakes at it', () => {
    const r = run({ id: 3, job: 'd', startedAt: s(0) });
    expect(dispatch([j], [r], s(60)).actions).toEqual([
      { type: 'kill', runId: 3, reason: 'TIMEOUT', message: 'still running after timeout PT1M' },
    ]);
    expect(dispatch([j], [r], s(59)).wakeAt).toBe(s(60));
  });
});

describe('dispatch: dependencies', () => {
  const a = job({ name: 'a' }, { lastSuccessMs: s(10) });
  const b = job({ name: 'b' }, { lastSuccessMs: null });
  const child = job({ name: 'c', parents: ['a', 'b'] });

  it('waits until every parent has succeeded since its watermark', () => {
    expect(dispatch([a, b, child], [], s(20)).actions).toEqual([]);
    expect(dispatch([a, { ...b, lastSuccessMs: s(15) }, child], [], s(20)).actions).toEqual([
      { type: 'claim', job: 'c', slotMs: s(15), trigger: 'dependency', dueAt: s(20) },
    ]);
  });
  it('does not run again for the same successes', () => {
    expect(
      dispatch([a, { ...b, lastSuccessMs: s(15) }, { ...child, depWatermarkMs: s(15) }], [], s(30)).actions,
    ).toEqual([]);
    // a succeeds again, b has not: still waiting.
    expect(
      dispatch(
        [
          { ...a, lastSuccessMs: s(25) },
          { ...b, lastSuccessMs: s(15) },
          { ...child, depWatermarkMs: s(15) },
        ],
        [],
        s(30),
      ).actions,
    ).toEqual([]);
  });
  it('ignores parent successes from before the child existed', () => {
    expect(
      dispatch([a, { ...b, lastSuccessMs: s(15) }, { ...child, depWatermarkMs: s(16) }], [], s(20)).actions,
    ).toEqual([]);
  });
});

describe('backoffMs', () => {
  it('grows by the factor and is capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(1000, 2, 10_000, n))).toEqual([1000, 2000, 4000, 8000, 10_000]);
  });
});
