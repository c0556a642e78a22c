/**
 * Wall-clock arithmetic in an IANA time zone using only `Intl` (no tz database of our own):
 * an instant's wall time in a zone, and the instant a wall time names in a zone.
 */

export interface WallTime {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone name this Node knows (or `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function wallTimeOf(ms: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const msPart = ((ms % 1000) + 1000) % 1000;
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    ms: msPart,
  };
}

const asUtc = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);

/** The zone's offset from UTC at an instant, in ms (Paris in winter: +3 600 000). */
export function offsetAt(ms: number, timeZone: string): number {
  return asUtc(wallTimeOf(ms, timeZone)) - ms;
}

/**
 * The instant a wall time names in a zone. In a spring-forward gap the wall time does not exist and the
 * instant one offset later is returned (02:30 → 03:30); in a fall-back overlap the earlier instant.
 */
export function instantOf(w: WallTime, timeZone: string): number {
  const utc = asUtc(w);
  const before = utc - offsetAt(utc - 86_400_000, timeZone);
  const after = utc - offsetAt(utc + 86_400_000, timeZone);
  const candidates = [before, after].filter((t) => asUtc(wallTimeOf(t, timeZone)) === utc).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  return utc - offsetAt(utc - 86_400_000, timeZone); // in a gap: the earlier offset carries the wall time forward
}

/** Adds calendar years, months and days to a wall time; a day past the month's end is clamped (Jan 31 + 1 month → Feb 28). */
export function addCalendar(w: WallTime, years: number, months: number, days: number): WallTime {
  const totalMonths = w.year * 12 + (w.month - 1) + years * 12 + months;
  const year = Math.floor(totalMonths / 12);
  const month = (totalMonths % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const clamped = new Date(Date.UTC(year, month - 1, Math.min(w.day, lastDay) + days));
  return { ...w, year: clamped.getUTCFullYear(), month: clamped.getUTCMonth() + 1, day: clamped.getUTCDate() };
}
