/**
 * Job validation: every problem in a submitted job, each named by its field path, in one answer
 * (`schedule: '61 * * * *' is not a valid cron expression: …; e.g. '0 2 * * *' …`), not the first one only.
 */
import { JobSpecSchema, NOTIFY_SUBJECT_RE, type JobSpec } from 'agora/sdk/cron';
import { findCycle, type ParentsOf } from './dag';
import { DurationError, durationMs } from './duration';
import { parseSchedule, ScheduleError, type Schedule } from './schedule';

export interface Problem {
  field: string;
  message: string;
}

export type Validated = { ok: true; spec: JobSpec; schedule: Schedule | null } | { ok: false; problems: Problem[] };

/** `['backoff', 'initial']` → `backoff.initial`; `['parents', 1]` → `parents[1]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/**
 * Validates a submitted job against the shape and the meaning (schedule, durations, command, parents, DAG).
 * `graph` holds every other job's parents (the job itself, if it exists, is replaced).
 */
export function validateJob(input: unknown, graph: ParentsOf): Validated {
  const parsed = JobSpecSchema.safeParse(input);
  const raw = (parsed.success ? parsed.data : input && typeof input === 'object' ? input : {}) as Partial<
    Record<keyof JobSpec, unknown>
  >;
  const shape: Problem[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({
        field: fieldPath(i.path) || '(job)',
        message: i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
      }));
  // The meaning is checked even when the shape is wrong, so a bad schedule is reported next to a bad cpus;
  // a field the shape check already blamed is not blamed twice.
  const schedule =
    typeof raw.schedule === 'string'
      ? scheduleProblems(raw.schedule, typeof raw.timezone === 'string' ? raw.timezone : 'UTC')
      : { schedule: null, problems: [] };
  const meaning = [
    ...schedule.problems,
    ...durationProblems(raw),
    ...commandProblems(raw),
    ...parentProblems(raw, graph),
    ...parameterProblems(raw),
    ...notifyProblems(raw),
  ];
  const blamed = new Set(shape.map((p) => p.field));
  const problems = [...shape, ...meaning.filter((p) => !blamed.has(p.field))];
  if (parsed.success && problems.length === 0) return { ok: true, spec: parsed.data, schedule: schedule.schedule };
  return { ok: false, problems };
}

type RawJob = Partial<Record<keyof JobSpec, unknown>>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function scheduleProblems(text: string, timezone: string): { schedule: Schedule | null; problems: Problem[] } {
  try {
    return { schedule: parseSchedule(text, timezone), problems: [] };
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    const field = err.message.startsWith('unknown time zone') ? 'timezone' : 'schedule';
    return {
      schedule: null,
      problems: [{ field, message: `${err.message.replace(/\.$/, '')}; for example ${err.example}` }],
    };
  }
}

function durationProblems(raw: RawJob): Problem[] {
  const backoff = (raw.backoff && typeof raw.backoff === 'object' ? raw.backoff : {}) as Record<string, unknown>;
  const fields: [string, string | undefined][] = [
    ['epsilon', str(raw.epsilon)],
    ['timeout', str(raw.timeout)],
    ['backoff.initial', str(backoff.initial)],
    ['backoff.max', str(backoff.max)],
  ];
  const problems: Problem[] = [];
  for (const [field, text] of fields) {
    if (text === undefined) continue;
    try {
      const ms = durationMs(text);
      if (field === 'timeout' && ms < 1000) problems.push({ field, message: 'must be at least PT1S' });
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      problems.push({ field, message: err.message });
    }
  }
  return problems;
}

function commandProblems(spec: RawJob): Problem[] {
  if (spec.cmd !== undefined && spec.args !== undefined)
    return [
      { field: 'cmd', message: 'give cmd (a shell command) or args (an executable and its arguments), not both' },
    ];
  if (spec.cmd === undefined && spec.args === undefined) {
    const inImage = spec.container ? ' (it runs inside the container image)' : '';
    return [
      {
        field: 'cmd',
        message: `required: a shell command such as "./backup.sh --full", or args ["./backup.sh", "--full"]${inImage}`,
      },
    ];
  }
  return [];
}

function parentProblems(raw: RawJob, graph: ParentsOf): Problem[] {
  if (!Array.isArray(raw.parents) || !raw.parents.every((p) => typeof p === 'string')) return [];
  const spec = { name: str(raw.name) ?? '', schedule: raw.schedule, parents: raw.parents as string[] };
  const problems: Problem[] = [];
  if (spec.parents.length > 0 && spec.schedule !== undefined) {
    problems.push({
      field: 'parents',
      message: 'a job runs on a schedule or after its parents, not both; drop schedule or parents',
    });
  }
  spec.parents.forEach((p, i) => {
    if (p === spec.name) problems.push({ field: `parents[${i}]`, message: 'a job cannot be its own parent' });
    else if (!graph.has(p)) problems.push({ field: `parents[${i}]`, message: `no job named '${p}'; submit it first` });
    else if (spec.parents.indexOf(p) !== i)
      problems.push({ field: `parents[${i}]`, message: `'${p}' is listed twice` });
  });
  if (problems.length === 0) {
    const cycle = findCycle(graph, spec.name, spec.parents);
    if (cycle) problems.push({ field: 'parents', message: `would make a dependency cycle: ${cycle.join(' → ')}` });
  }
  return problems;
}

/** Names a run's environment already uses: a parameter may not shadow them. */
const RESERVED_PREFIX = 'AGORA_';

/**
 * Parameters: unique names, not `AGORA_…` (the run identity). A required parameter without a default can only
 * come from a manual run, so a job with a schedule or parents may not have one (those runs would have no value).
 */
function parameterProblems(raw: RawJob): Problem[] {
  if (!Array.isArray(raw.parameters)) return [];
  const problems: Problem[] = [];
  const automatic =
    raw.schedule !== undefined ? 'a schedule' : Array.isArray(raw.parents) && raw.parents.length > 0 ? 'parents' : null;
  const seen = new Set<string>();
  raw.parameters.forEach((p: unknown, i) => {
    if (!p || typeof p !== 'object') return;
    const { name, default: dflt, required } = p as Record<string, unknown>;
    if (typeof name !== 'string') return;
    if (name.toUpperCase().startsWith(RESERVED_PREFIX))
      problems.push({
        field: `parameters[${i}].name`,
        message: `'${name}': names starting with ${RESERVED_PREFIX} are the run's identity`,
      });
    else if (seen.has(name)) problems.push({ field: `parameters[${i}].name`, message: `'${name}' is declared twice` });
    seen.add(name);
    if (required === true && dflt === undefined && automatic) {
      problems.push({
        field: `parameters[${i}]`,
        message: `'${name}' is required and has no default, but the job has ${automatic}: those runs could not supply it; give it a default`,
      });
    }
  });
  return problems;
}

/** Notifications: exactly one target each, an http(s) URL or a plain NATS subject, no event twice. */
function notifyProblems(raw: RawJob): Problem[] {
  if (!Array.isArray(raw.notify)) return [];
  const problems: Problem[] = [];
  raw.notify.forEach((n: unknown, i) => {
    if (!n || typeof n !== 'object') return;
    const { webhook, subject, on } = n as Record<string, unknown>;
    if ((webhook === undefined) === (subject === undefined)) {
      problems.push({
        field: `notify[${i}]`,
        message: 'give one target: webhook (an http:// or https:// URL) or subject (a NATS subject)',
      });
    }
    if (typeof webhook === 'string' && !isHttpUrl(webhook))
      problems.push({ field: `notify[${i}].webhook`, message: `'${webhook}' is not an http:// or https:// URL` });
    if (typeof subject === 'string' && !NOTIFY_SUBJECT_RE.test(subject)) {
      problems.push({
        field: `notify[${i}].subject`,
        message: `'${subject}' is not a NATS subject (dot-separated tokens of letters, digits, - and _; no wildcards)`,
      });
    }
    if (Array.isArray(on))
      on.forEach((e, j) => {
        if (on.indexOf(e) !== j)
          problems.push({ field: `notify[${i}].on[${j}]`, message: `'${String(e)}' is listed twice` });
      });
  });
  return problems;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false; // not a URL at all: reported by the caller
  }
}

/** One line per problem, for error messages: `schedule: …\ncpus: …`. */
export const formatProblems = (problems: readonly Problem[]): string =>
  problems.map((p) => `${p.field}: ${p.message}`).join('\n');
