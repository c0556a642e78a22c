import { JobSpecSchema } from 'agora/sdk/cron';
import { defaultParameters, resolveParameters } from './parameters';
import { validateJob, type Problem } from './validate';

const declared = JobSpecSchema.parse({
  name: 'p',
  cmd: 'true',
  parameters: [
    { name: 'DATE', required: true, description: 'the day to process' },
    { name: 'MODE', default: 'full' },
    { name: 'EXTRA' },
  ],
}).parameters;

describe('resolveParameters', () => {
  it('overlays given values on the defaults and leaves out a parameter with neither', () => {
    expect(resolveParameters(declared, { DATE: '2026-12-01' })).toEqual({
      ok: true,
      values: { DATE: '2026-12-01', MODE: 'full' },
    });
    expect(resolveParameters(declared, { DATE: 'd', MODE: 'quick', EXTRA: '' })).toEqual({
      ok: true,
      values: { DATE: 'd', MODE: 'quick', EXTRA: '' },
    });
  });

  it('refuses an unknown parameter by name, listing the declared ones', () => {
    const r = resolveParameters(declared, { DATE: 'd', DAET: 'x' });
    expect(r).toEqual({
      ok: false,
      problems: [{ field: 'parameters.DAET', message: "unknown parameter 'DAET': the job declares DATE, MODE, EXTRA" }],
    });
    expect(resolveParameters([], { X: '1' })).toMatchObject({
      ok: false,
      problems: [{ message: /declares no parameters/ }],
    });
  });

  it('refuses a manual run without a required parameter that has no default', () => {
    const r = resolveParameters(declared, {});
    expect(r).toEqual({
      ok: false,
      problems: [
        { field: 'parameters.DATE', message: "parameter 'DATE' is required (the day to process): give --param DATE=…" },
      ],
    });
  });

  it('gives scheduled runs the defaults', () => {
    expect(defaultParameters(declared)).toEqual({ MODE: 'full' });
  });
});

describe('validateJob: parameters and notify', () => {
  const problemsOf = (job: object): Problem[] => {
    const r = validateJob({ name: 'j', cmd: 'true', ...job }, new Map());
    return r.ok ? [] : r.problems;
  };

  it('accepts declared parameters and notification targets', () => {
    const r = validateJob(
      {
        name: 'j',
        cmd: 'true',
        schedule: '@daily',
        parameters: [{ name: 'DATE', default: 'today', required: true }],
        notify: [{ on: ['FAILED', 'MISSED'], webhook: 'https://ops.example/hook' }, { subject: 'ops.jobs' }],
      },
      new Map(),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.notify[1]).toEqual({ on: ['FAILED', 'MISSED'], subject: 'ops.jobs' });
  });

  it('refuses bad, duplicate and reserved parameter names', () => {
    const ps = problemsOf({
      parameters: [
        { name: '1DATE' },
        { name: 'DATE' },
        { name: 'DATE' },
        { name: 'AGORA_RUN_ID' },
        { name: 'X', colour: 1 },
      ],
    });
    expect(ps.map((p) => p.field)).toEqual([
      'parameters[0].name',
      'parameters[4]',
      'parameters[2].name',
      'parameters[3].name',
    ]);
    expect(ps[0]!.message).toMatch(/environment variable name/);
    expect(ps[2]!.message).toBe("'DATE' is declared twice");
    expect(ps[3]!.message).toMatch(/AGORA_ are the run's identity/);
  });

  it('refuses a required parameter without default on a job with a schedule or parents', () => {
    const ps = problemsOf({ schedule: '@daily', parameters: [{ name: 'DATE', required: true }] });
    expect(ps).toEqual([
      {
        field: 'parameters[0]',
        message:
          "'DATE' is required and has no default, but the job has a schedule: those runs could not supply it; give it a default",
      },
    ]);
    expect(problemsOf({ parameters: [{ name: 'DATE', required: true }] })).toEqual([]); // on demand only: fine
  });

  it('refuses a notification without exactly one target, a non-http URL, a wildcard subject, an unknown event', () => {
    const ps = problemsOf({
      notify: [
        { on: ['FAILED'] },
        { webhook: 'http://a/', subject: 'x' },
        { webhook: 'ftp://host/x' },
        { webhook: 'not a url' },
        { subject: 'ops.*' },
        { on: ['EXPLODED'], subject: 'a' },
        { on: ['FAILED', 'FAILED'], subject: 'a' },
      ],
    });
    expect(ps.map((p) => p.field)).toEqual([
      'notify[5].on[0]',
      'notify[0]',
      'notify[1]',
      'notify[2].webhook',
      'notify[3].webhook',
      'notify[4].subject',
      'notify[6].on[1]',
    ]);
    expect(ps.find((p) => p.field === 'notify[2].webhook')!.message).toBe(
      "'ftp://host/x' is not an http:// or https:// URL",
    );
  });
});
