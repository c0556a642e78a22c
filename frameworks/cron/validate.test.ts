import { findCycle } from './dag';
import { renderJobGraph } from 'agora/sdk/cron';
import { validateJob, type Problem } from './validate';

const graph = new Map<string, string[]>([
  ['extract', []],
  ['load', []],
  ['transform', ['extract', 'load']],
  ['report', ['transform']],
]);
const problemsOf = (input: unknown, g = graph): Problem[] => {
  const r = validateJob(input, g);
  return r.ok ? [] : r.problems;
};
const fields = (ps: Problem[]) => ps.map((p) => p.field).sort();

describe('validateJob', () => {
  it('accepts a minimal job and fills defaults', () => {
    const r = validateJob(
      { name: 'nightly', schedule: '0 2 * * *', timezone: 'Europe/Paris', cmd: './backup.sh' },
      graph,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec).toMatchObject({
      cpus: 0.1,
      mem: 64,
      retries: 0,
      epsilon: 'PT1M',
      concurrencyPolicy: 'Allow',
      parents: [],
      disabled: false,
    });
    expect(r.schedule?.kind).toBe('cron');
  });

  it('accepts an ISO 8601 repeating schedule and a job without schedule', () => {
    expect(validateJob({ name: 'r', schedule: 'R/2026-01-01T00:00:00Z/PT2S', cmd: 'true' }, graph).ok).toBe(true);
    const onDemand = validateJob({ name: 'adhoc', args: ['echo', 'hi'] }, graph);
    expect(onDemand.ok && onDemand.schedule).toBeNull();
  });

  it('lists every problem by field path, not only the first', () => {
    const ps = problemsOf({
      name: 'Bad Name',
      schedule: '61 * * * *',
      cpus: -1,
      mem: 'lots',
      retries: 1.5,
      backoff: { initial: '10s' },
      concurrencyPolicy: 'Sometimes',
      colour: 'red',
    });
    expect(fields(ps)).toEqual([
      '(job)',
      'backoff.initial',
      'cmd',
      'concurrencyPolicy',
      'cpus',
      'mem',
      'name',
      'retries',
      'schedule',
    ]);
    expect(ps.find((p) => p.field === '(job)')?.message).toMatch(/unknown field\(s\): colour/);
  });

  it('names a malformed schedule and shows a valid example', () => {
    const [p] = problemsOf({ name: 'x', schedule: '* * *', cmd: 'true' });
    expect(p!.field).toBe('schedule');
    expect(p!.message).toMatch(/not a valid cron expression.*for example '0 2 \* \* \*'/);
    const [q] = problemsOf({ name: 'x', schedule: 'R/2026-01-01T00:00:00Z/every-hour', cmd: 'true' });
    expect(q!.message).toMatch(/for example 'R\/2026-01-01T00:00:00Z\/PT1H'/);
  });

  it('blames the timezone field for an unknown zone', () => {
    expect(problemsOf({ name: 'x', schedule: '0 2 * * *', timezone: 'Europe/Atlantis', cmd: 'true' })).toEqual([
      { field: 'timezone', message: expect.stringMatching(/unknown time zone 'Europe\/Atlantis'.*Europe\/Paris/) },
    ]);
  });

  it('checks durations, command, and calendar units in exact durations', () => {
    const ps = problemsOf({ name: 'x', epsilon: 'P1M', timeout: 'five minutes', backoff: { max: 'PT0S' } });
    expect(fields(ps)).toEqual(['backoff.max', 'cmd', 'epsilon', 'timeout']);
    expect(fields(problemsOf({ name: 'x', cmd: 'a', args: ['b'] }))).toEqual(['cmd']);
    expect(problemsOf({ name: 'x', timeout: 'PT0.5S', cmd: 'a' })).toEqual([
      { field: 'timeout', message: 'must be at least PT1S' },
    ]);
  });

  it('checks parents: existing, not itself, not twice, not with a schedule', () => {
    const ps = problemsOf({
      name: 'child',
      cmd: 'true',
      schedule: '@daily',
      parents: ['extract', 'ghost', 'child', 'extract'],
    });
    expect(ps.map((p) => `${p.field}: ${p.message}`)).toEqual([
      expect.stringMatching(/^parents: .*schedule or after its parents/),
      "parents[1]: no job named 'ghost'; submit it first",
      'parents[2]: a job cannot be its own parent',
      "parents[3]: 'extract' is listed twice",
    ]);
  });

  it('refuses a dependency cycle, naming it', () => {
    // extract would come after report, which comes (through transform) after extract.
    const ps = problemsOf({ name: 'extract', cmd: 'true', parents: ['report'] });
    expect(ps).toEqual([
      { field: 'parents', message: 'would make a dependency cycle: extract → report → transform → extract' },
    ]);
  });
});

describe('dag', () => {
  it('finds no cycle in a diamond and renders it as a tree', () => {
    expect(findCycle(graph, 'audit', ['report', 'extract'])).toBeNull();
    expect(renderJobGraph([...graph].map(([name, parents]) => ({ name, parents })))).toEqual([
      'extract',
      '└─ transform  (also after load)',
      '  └─ report',
      'load',
      '└─ transform  (also after extract)',
      '  └─ report',
    ]);
  });
});
