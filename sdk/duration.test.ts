import { parseDurationMs } from './duration';

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    ['7d', 604_800_000],
    [' 2m ', 120_000],
  ])('%s → %d', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
  it('reads a bare number in the default unit', () => {
    expect(parseDurationMs('3')).toBe(3000);
    expect(parseDurationMs('3', 'ms')).toBe(3);
  });
  it.each(['', 'ten minutes', '-1s', '5w', '1e3s'])('refuses %p', (text) =>
    expect(parseDurationMs(text)).toBeUndefined(),
  );
});
