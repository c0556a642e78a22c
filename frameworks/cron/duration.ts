/**
 * ISO 8601 durations. Two kinds:
 *  - exact durations (`PT30S`, `P1DT2H`, `P2W`): weeks, days (24 h), hours, minutes, seconds → milliseconds.
 *    Used for epsilon, timeout and backoff.
 *  - periods of repeating intervals, which may also carry calendar years and months (`P1M`, `P1Y2M10DT2H`).
 *    Years, months, weeks and days are added on the calendar; hours, minutes and seconds as elapsed time.
 */

export interface Period {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const PERIOD_RE =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** Parses any ISO 8601 duration (`P1Y2M3W4DT5H6M7.5S`). Throws DurationError. */
export function parsePeriod(text: string): Period {
  const m = PERIOD_RE.exec(text);
  if (!m) throw new DurationError(`'${text}' is not an ISO 8601 duration (e.g. PT30S, PT5M, P1D, P1M)`);
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
  const p = { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
  if (Object.values(p).every((v) => v === 0)) throw new DurationError(`'${text}' is a zero duration`);
  return p;
}

export const hasCalendarPart = (p: Period): boolean => p.years > 0 || p.months > 0;

/** The fixed part of a period (weeks, days as 24 h, hours, minutes, seconds) in ms. */
export function fixedMs(p: Period): number {
  return Math.round(((((p.weeks * 7 + p.days) * 24 + p.hours) * 60 + p.minutes) * 60 + p.seconds) * 1000);
}

/** Parses an exact duration to milliseconds; years and months are refused (their length varies). */
export function durationMs(text: string): number {
  const p = parsePeriod(text);
  if (hasCalendarPart(p))
    throw new DurationError(
      `'${text}': years and months have no fixed length; use weeks, days, hours, minutes or seconds`,
    );
  return fixedMs(p);
}

/** Formats milliseconds as a short human string: `950ms`, `42s`, `3m20s`, `2h05m`, `3d4h`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
