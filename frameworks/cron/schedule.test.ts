import { nextAfter, nextSlots, occurrence, parseSchedule, ScheduleError, slotsBetween } from './schedule';
import { durationMs, formatMs, parsePeriod } from './duration';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (text: string) => Date.parse(text);
const fires = (schedule: string, tz: string, after: string, n: number) =>
  nextSlots(parseSchedule(schedule, tz), at(after), n).map(iso);

describe('cron schedules: expected fire times', () => {
  const table: [string, string, string, string[]][] = [
    [
      '*/15 * * * * *',
      'UTC',
      '2026-01-01T00:00:00Z',
      ['2026-01-01T00:00:15.000Z', '2026-01-01T00:00:30.000Z', '2026-01-01T00:00:45.000Z'],
    ],
    ['0 2 * * *', 'UTC', '2026-01-01T03:00:00Z', ['2026-01-02T02:00:00.000Z', '2026-01-03T02:00:00.000Z']],
    ['0 2 * * *', 'Europe/Paris', '2026-01-01T00:00:00Z', ['2026-01-01T01:00:00.000Z', '2026-01-02T01:00:00.000Z']],
    [
      '0 9 * * 1-5',
      'America/New_York',
      '2026-01-02T00:00:00Z',
      ['2026-01-02T14:00:00.000Z', '2026-01-05T14:00:00.000Z'],
    ],
    ['@hourly', 'UTC', '2026-01-01T00:30:00Z', ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']],
    ['@daily', 'Asia/Tokyo', '2026-01-01T00:00:00Z', ['2026-01-01T15:00:00.000Z', '2026-01-02T15:00:00.000Z']],
    ['@midnight', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-02T00:00:00.000Z']],
    ['@weekly', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']],
    ['@monthly', 'UTC', '2026-01-15T00:00:00Z', ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']],
    ['@yearly', 'UTC', '2026-01-01T00:00:00Z', ['2027-01-01T00:00:00.000Z']],
    ['@annually', 'UTC', '2026-06-01T00:00:00Z', ['2027-01-01T00:00:00.000Z']],
    // Spring forward in Paris (2026-03-29 02:00 → 03:00): a 02:30 job runs once, right after the gap.
    [
      '30 2 * * *',
      'Europe/Paris',
      '2026-03-28T00:00:00Z',
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    ],
    // Fall back in Paris (2026-10-25 03:00 → 02:00): a 02:30 job runs once, on the first pass.
    [
      '30 2 * * *',
      'Europe/Paris',
      '2026-10-24T00:00:00Z',
      ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    ],
    // An interval job keeps its elapsed rhythm through fall back: 02:00 and 02:30 happen twice.
    [
      '*/30 * * * *',
      'Europe/Paris',
      '2026-10-25T00:00:00Z',
      ['2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z'],
    ],
    // New York spring forward (2026-03-08 02:00 → 03:00).
    [
      '30 2 * * *',
      'America/New_York',
      '2026-03-07T12:00:00Z',
      ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
    ],
  ];
  it.each(table)('%s in %s after %s', (schedule, tz, after, expected) => {
    expect(fires(schedule, tz, after, expected.length)).toEqual(expected);
  });

  it('is strictly after the reference, also within the same second', () => {
    const s = parseSchedule('* * * * * *', 'UTC');
    expect(nextAfter(s, at('2026-01-01T00:00:00Z'))).toBe(at('2026-01-01T00:00:01Z'));
    expect(nextAfter(s, at('2026-01-01T00:00:00.400Z'))).toBe(at('2026-01-01T00:00:01Z'));
  });
});

describe('ISO 8601 repeating intervals: expected fire times', () => {
  const table: [string, string, string, number, string[]][] = [
    [
      'R/2026-01-01T00:00:00Z/PT1H',
      'UTC',
      '2025-12-31T00:00:00Z',
      3,
      ['2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z'],
    ],
    [
      'R/2026-01-01T00:00:00Z/PT1H',
      'UTC',
      '2026-03-10T10:30:00Z',
      2,
      ['2026-03-10T11:00:00.000Z', '2026-03-10T12:00:00.000Z'],
    ],
    [
      'R3/2026-01-01T00:00:00Z/PT2S',
      'UTC',
      '2025-01-01T00:00:00Z',
      5,
      ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:04.000Z'],
    ],
    ['R3/2026-01-01T00:00:00Z/PT2S', 'UTC', '2026-01-01T00:00:02Z', 5, ['2026-01-01T00:00:04.000Z']],
    ['R0/2026-01-01T00:00:00Z/PT2S', 'UTC', '2025-01-01T00:00:00Z', 5, []],
    [
      'R5/2026-01-01T02:00:00+01:00/P1D',
      'UTC',
      '2025-12-31T00:00:00Z',
      2,
      ['2026-01-01T01:00:00.000Z', '2026-01-02T01:00:00.000Z'],
    ],
    // Calendar months clamp to the month's end and do not drift: Jan 31, Feb 28, Mar 31.
    [
      'R/2026-01-31T00:00:00Z/P1M',
      'UTC',
      '2026-01-01T00:00:00Z',
      3,
      ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
    ],
    [
      'R/2024-02-29T12:00:00Z/P1Y',
      'UTC',
      '2024-03-01T00:00:00Z',
      4,
      ['2025-02-28T12:00:00.000Z', '2026-02-28T12:00:00.000Z', '2027-02-28T12:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    ],
    // Days are calendar days in the job's zone: 02:00 Paris wall time on both sides of spring forward.
    [
      'R/2026-03-28T02:00:00/P1D',
      'Europe/Paris',
      '2026-03-27T00:00:00Z',
      3,
      ['2026-03-28T01:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z'],
    ],
    // Hours are elapsed time: PT24H across spring forward lands an hour later on the wall.
    [
      'R/2026-03-28T12:00:00+01:00/PT24H',
      'Europe/Paris',
      '2026-03-28T00:00:00Z',
      2,
      ['2026-03-28T11:00:00.000Z', '2026-03-29T11:00:00.000Z'],
    ],
    [
      'R/2026-01-01T00:00:00Z/P1W',
      'UTC',
      '2026-01-01T00:00:00Z',
      2,
      ['2026-01-08T00:00:00.000Z', '2026-01-15T00:00:00.000Z'],
    ],
    [
      'R/2026-01-01T00:00:00Z/P1DT12H',
      'UTC',
      '2026-01-01T00:00:00Z',
      2,
      ['2026-01-02T12:00:00.000Z', '2026-01-04T00:00:00.000Z'],
    ],
    ['R/2026-01-01/PT30M', 'UTC', '2026-01-01T00:10:00Z', 1, ['2026-01-01T00:30:00.000Z']],
  ];
  it.each(table)('%s (%s) after %s', (schedule, tz, after, n, expected) => {
    expect(fires(schedule, tz, after, n)).toEqual(expected);
  });

  it('finds the next occurrence far from the start without walking from it', () => {
    const s = parseSchedule('R/2000-01-01T00:00:00Z/PT1S', 'UTC');
    expect(nextAfter(s, at('2026-06-01T12:00:00.500Z'))).toBe(at('2026-06-01T12:00:01Z'));
    if (s.kind !== 'repeating') throw new Error('kind');
    expect(occurrence(s, 10)).toBe(at('2000-01-01T00:00:10Z'));
  });
});

describe('slotsBetween', () => {
  it('lists slots in (from, to], keeping the newest when capped', () => {
    const s = parseSchedule('*/10 * * * * *', 'UTC');
    expect(slotsBetween(s, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:30Z')).slots.map(iso)).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:30.000Z',
    ]);
    const capped = slotsBetween(s, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:00Z'), 2);
    expect(capped).toEqual({ slots: [at('2026-01-01T00:00:50Z'), at('2026-01-01T00:01:00Z')], more: true });
    expect(slotsBetween(s, at('2026-01-01T00:00:40Z'), at('2026-01-01T00:01:00Z'), 2)).toEqual({
      slots: [at('2026-01-01T00:00:50Z'), at('2026-01-01T00:01:00Z')],
      more: false,
    });
    expect(slotsBetween(s, at('2026-01-01T00:00:40Z'), at('2026-01-01T00:00:59.999Z'), 5).slots).toEqual([
      at('2026-01-01T00:00:50Z'),
    ]);
  });

  it('agrees with walking nextAfter, for cron and repeating schedules, and is fast over a day-long outage', () => {
    for (const [text, tz] of [
      ['*/7 * * * * *', 'UTC'],
      ['*/20 1-3 * * *', 'Europe/Paris'],
      ['R/2026-10-24T00:00:00/PT25M', 'Europe/Paris'],
      ['R40/2026-10-25T00:00:00Z/PT3M', 'UTC'],
    ] as const) {
      const sch = parseSchedule(text, tz);
      const from = at('2026-10-25T00:10:00.250Z');
      const to = at('2026-10-25T03:10:00Z');
      const walked: number[] = [];
      for (let t = nextAfter(sch, from); t !== null && t <= to; t = nextAfter(sch, t)) walked.push(t);
      expect(slotsBetween(sch, from, to, 10_000)).toEqual({ slots: walked, more: false });
      expect(slotsBetween(sch, from, to, 3)).toEqual({ slots: walked.slice(-3), more: walked.length > 3 });
    }
    // A day of per-second slots capped at 100: the newest 100, and word that there were more.
    const perSecond = slotsBetween(
      parseSchedule('* * * * * *', 'UTC'),
      at('2026-01-01T00:00:00Z'),
      at('2026-01-02T00:00:00Z'),
      100,
    );
    expect(perSecond.slots).toHaveLength(100);
    expect(perSecond.more).toBe(true);
    expect(perSecond.slots.at(-1)).toBe(at('2026-01-02T00:00:00Z'));
  });
});

describe('malformed schedules', () => {
  const bad: [string, string, RegExp][] = [
    ['* * *', 'UTC', /has 5 fields \(minute hour day month weekday\), or 6 with seconds first/],
    ['61 * * * *', 'UTC', /minute/],
    ['0 0 * * * * *', 'UTC', /5 or 6/],
    ['0 0 30 2 *', 'UTC', /never fires/],
    ['@reboot', 'UTC', /@reboot/],
    ['0 2 * * *', 'Mars/Olympus', /unknown time zone/],
    ['R/2026-13-01T00:00:00Z/PT1H', 'UTC', /not a real date-time/],
    ['R/2026-01-01T00:00:00Z/1H', 'UTC', /not an ISO 8601 duration/],
    ['R/2026-01-01T00:00:00Z', 'UTC', /three parts/],
    ['R/yesterday/PT1H', 'UTC', /not an ISO 8601 date-time/],
    ['R/2026-01-01T00:00:00Z/PT0S', 'UTC', /zero duration/],
  ];
  it.each(bad)('%s (%s) is refused with an example', (schedule, tz, message) => {
    let caught: unknown;
    try {
      parseSchedule(schedule, tz);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScheduleError);
    expect((caught as ScheduleError).message).toMatch(message);
    expect((caught as ScheduleError).example.length).toBeGreaterThan(5);
  });
});

describe('durations', () => {
  it.each([
    ['PT30S', 30_000],
    ['PT5M', 300_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['PT1.5S', 1500],
    ['P1DT2H', 93_600_000],
  ])('%s = %d ms', (text, ms) => expect(durationMs(text)).toBe(ms));
  it('refuses calendar parts in exact durations and zero or garbage', () => {
    expect(() => durationMs('P1M')).toThrow(/no fixed length/);
    expect(() => durationMs('P')).toThrow(/not an ISO 8601/);
    expect(() => durationMs('PT')).toThrow(/not an ISO 8601/);
    expect(() => durationMs('5m')).toThrow(/not an ISO 8601/);
    expect(parsePeriod('P1Y2M3W4DT5H6M7S')).toEqual({
      years: 1,
      months: 2,
      weeks: 3,
      days: 4,
      hours: 5,
      minutes: 6,
      seconds: 7,
    });
  });
  it('formats for people', () => {
    expect([950, 42_000, 200_000, 7_500_000, 3 * 86_400_000 + 4 * 3_600_000].map(formatMs)).toEqual([
      '950ms',
      '42s',
      '3m20s',
      '2h05m',
      '3d4h',
    ]);
  });
});
