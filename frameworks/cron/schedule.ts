/**
 * Schedules: when a job's slots fall. Two syntaxes.
 *  - cron, through croner: 5 fields (`30 2 * * *`), 6 with seconds first (`*\/2 * * * * *`), or a macro
 *    (`@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`), read in an IANA zone.
 *    Daylight saving behaves as cron users expect: a fixed-time job (`30 2 * * *`) in a spring-forward gap runs
 *    once at the first valid time after it, and once (the first pass) on a fall-back day; interval jobs
 *    (`*\/30 * * * *`) skip the missing wall times and run on both passes of repeated ones.
 *  - ISO 8601 repeating intervals as Chronos writes them, `R[n]/<start>/<period>`: n occurrences (no n: for
 *    ever; R0: none) at start, start+period, start+2·period… Calendar parts of the period (years, months,
 *    weeks, days) are added to the start's wall time in the job's zone; hours, minutes, seconds as elapsed time.
 *    A start without an offset is read in the job's zone.
 */
import { Cron } from 'croner';
import { DurationError, fixedMs, parsePeriod, type Period } from './duration';
import { addCalendar, instantOf, isValidTimeZone, wallTimeOf, type WallTime } from './zoned-time';

export type Schedule =
  | { kind: 'cron'; text: string; timezone: string; cron: Cron }
  | { kind: 'repeating'; text: string; timezone: string; startMs: number; count: number | null; period: Period };

export const CRON_EXAMPLE = "'0 2 * * *' (02:00 daily), '*/10 * * * * *' (every 10 s), '@hourly'";
export const REPEATING_EXAMPLE =
  "'R/2026-01-01T00:00:00Z/PT1H' (hourly for ever) or 'R5/2026-01-01T02:00:00+01:00/P1D'";

export class ScheduleError extends Error {
  constructor(
    message: string,
    readonly example: string,
  ) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** True when the text is meant as an ISO 8601 repeating interval rather than a cron expression. */
export const looksRepeating = (text: string): boolean => /^R\d*\//.test(text.trim());

/** Parses a schedule. Throws ScheduleError with a message and a valid example. */
export function parseSchedule(text: string, timezone = 'UTC'): Schedule {
  if (!isValidTimeZone(timezone)) {
    throw new ScheduleError(
      `unknown time zone '${timezone}'`,
      "an IANA zone such as 'UTC', 'Europe/Paris', 'America/New_York'",
    );
  }
  return looksRepeating(text) ? parseRepeating(text.trim(), timezone) : parseCron(text.trim(), timezone);
}

function parseCron(text: string, timezone: string): Schedule {
  if (text === '@reboot') throw new ScheduleError("'@reboot' has no meaning for a cluster job", CRON_EXAMPLE);
  let cron: Cron;
  try {
    cron = new Cron(text, { timezone, mode: '5-or-6-parts', paused: true });
  } catch (err) {
    const why = (err as Error).message
      .replace(/^CronPattern: /, '')
      .replace(
        /exactly five, six, or seven space separated parts are required\.?/,
        'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first',
      )
      .replace(/\.$/, '');
    throw new ScheduleError(`'${text}' is not a valid cron expression: ${why}`, CRON_EXAMPLE);
  }
  if (cron.nextRun(new Date(0)) === null) throw new ScheduleError(`'${text}' never fires`, CRON_EXAMPLE);
  return { kind: 'cron', text, timezone, cron };
}

const START_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function parseStart(text: string, timezone: string): number {
  const m = START_RE.exec(text);
  if (!m) throw new ScheduleError(`start '${text}' is not an ISO 8601 date-time`, REPEATING_EXAMPLE);
  const w: WallTime = {
    year: +m[1]!,
    month: +m[2]!,
    day: +m[3]!,
    hour: +(m[4] ?? 0),
    minute: +(m[5] ?? 0),
    second: +(m[6] ?? 0),
    ms: m[7] ? +m[7].padEnd(3, '0') : 0,
  };
  const probe = new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second));
  if (w.month < 1 || w.month > 12 || probe.getUTCDate() !== w.day || w.hour > 23 || w.minute > 59 || w.second > 59) {
    throw new ScheduleError(`start '${text}' is not a real date-time`, REPEATING_EXAMPLE);
  }
  if (m[8] === undefined) return instantOf(w, timezone);
  const utc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);
  if (m[8] === 'Z') return utc;
  const sign = m[8][0] === '-' ? -1 : 1;
  const digits = m[8].slice(1).replace(':', '');
  return utc - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

function parseRepeating(text: string, timezone: string): Schedule {
  const parts = text.split('/');
  if (parts.length !== 3)
    throw new ScheduleError(`'${text}' must have three parts R[n]/<start>/<period>`, REPEATING_EXAMPLE);
  const [r, start, periodText] = parts as [string, string, string];
  const count = r === 'R' ? null : Number(r.slice(1));
  const startMs = parseStart(start, timezone);
  let period: Period;
  try {
    period = parsePeriod(periodText);
  } catch (err) {
    if (err instanceof DurationError) throw new ScheduleError(`period ${err.message}`, REPEATING_EXAMPLE);
    throw err;
  }
  if (
    fixedMs(period) > 0 &&
    fixedMs(period) < 1000 &&
    period.years + period.months + period.weeks + period.days === 0
  ) {
    throw new ScheduleError(`period '${periodText}' is shorter than one second`, REPEATING_EXAMPLE);
  }
  return { kind: 'repeating', text, timezone, startMs, count, period };
}

/** The k-th occurrence (k ≥ 0) of a repeating interval: calendar parts on the wall clock, the rest elapsed. */
export function occurrence(s: Extract<Schedule, { kind: 'repeating' }>, k: number): number {
  const p = s.period;
  let base = s.startMs;
  if (p.years || p.months || p.weeks || p.days) {
    const wall = addCalendar(wallTimeOf(s.startMs, s.timezone), p.years * k, p.months * k, (p.weeks * 7 + p.days) * k);
    base = instantOf(wall, s.timezone);
  }
  const elapsed = ((p.hours * 60 + p.minutes) * 60 + p.seconds) * 1000 * k;
  return base + Math.round(elapsed);
}

const AVG_MONTH_MS = 30.436875 * 86_400_000;
const approxPeriodMs = (p: Period) => (p.years * 12 + p.months) * AVG_MONTH_MS + fixedMs(p);

type Repeating = Extract<Schedule, { kind: 'repeating' }>;

/** The index of the first occurrence strictly after `afterMs` (may be ≥ count: none left). */
function firstIndexAfter(s: Repeating, afterMs: number): number {
  let k = Math.max(0, Math.floor((afterMs - s.startMs) / approxPeriodMs(s.period)) - 2);
  while (occurrence(s, k) <= afterMs) k++; // the estimate is at most a few periods short
  return k;
}

/** The first slot strictly after `afterMs`, or null when the schedule has no more. */
export function nextAfter(s: Schedule, afterMs: number): number | null {
  if (s.kind === 'cron') {
    // croner strips milliseconds and returns runs strictly after the second it is given.
    const next = s.cron.nextRun(new Date(Math.floor(afterMs / 1000) * 1000));
    return next ? next.getTime() : null;
  }
  const k = firstIndexAfter(s, afterMs);
  return s.count !== null && k >= s.count ? null : occurrence(s, k);
}

/**
 * Slots in (fromExclusive, toInclusive], oldest first: the newest `limit` of them, found without walking the
 * whole window (a day-long outage of a per-second job is 86 400 slots). `more` says older ones were left out.
 */
export function slotsBetween(
  s: Schedule,
  fromExclusive: number,
  toInclusive: number,
  limit = 1000,
): { slots: number[]; more: boolean } {
  if (toInclusive <= fromExclusive) return { slots: [], more: false };
  if (s.kind === 'cron') {
    // Walk forward at most limit+1 slots; a window holding more is read backwards from its end instead
    // (previousRuns includes a run in the reference's own second when the reference is past it: +1 ms keeps `to` inclusive).
    const walked: number[] = [];
    for (
      let t = nextAfter(s, fromExclusive);
      t !== null && t <= toInclusive && walked.length <= limit;
      t = nextAfter(s, t)
    )
      walked.push(t);
    if (walked.length <= limit) return { slots: walked, more: false };
    const newest = s.cron
      .previousRuns(limit, new Date(toInclusive + 1))
      .map((d) => d.getTime())
      .filter((t) => t <= toInclusive);
    return { slots: newest.reverse(), more: true };
  }
  const first = firstIndexAfter(s, fromExclusive);
  let last = firstIndexAfter(s, toInclusive) - 1;
  if (s.count !== null) last = Math.min(last, s.count - 1);
  const from = Math.max(first, last - limit + 1);
  const slots: number[] = [];
  for (let k = from; k <= last; k++) slots.push(occurrence(s, k));
  return { slots, more: from > first };
}

/** The next `n` slots after `afterMs`. */
export function nextSlots(s: Schedule, afterMs: number, n: number): number[] {
  const out: number[] = [];
  for (let t = nextAfter(s, afterMs); t !== null && out.length < n; t = nextAfter(s, t)) out.push(t);
  return out;
}
