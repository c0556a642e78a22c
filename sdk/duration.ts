/**
 * Durations as people type them: `500ms`, `15s`, `10m`, `1.5h`, `7d`; a bare number is in `defaultUnit`.
 * Returns milliseconds, or undefined when the text is not a duration (callers name the field in their error).
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

export function parseDurationMs(text: string, defaultUnit: DurationUnit = 's'): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[(m[2] as DurationUnit | undefined) ?? defaultUnit]);
}
