import { parseByteSize, planLogRead, rotatedState, type LogState } from './log-state';

// Three files: stdout.2 holds logical [100, 200), stdout.1 [200, 300), stdout [300, 300 + size).
const state: LogState = {
  files: [
    { ino: 3, start: 300 },
    { ino: 2, start: 200 },
    { ino: 1, start: 100 },
  ],
};

describe('planLogRead', () => {
  it('reads across rotated files, oldest first, by logical offset', () => {
    expect(planLogRead(state, 50, 150, 200)).toEqual({
      offset: 150,
      end: 350,
      first: 100,
      pieces: [
        { index: 2, position: 50, length: 50 },
        { index: 1, position: 0, length: 100 },
        { index: 0, position: 0, length: 50 },
      ],
    });
  });

  it('answers an offset older than what is kept from the oldest byte kept', () => {
    expect(planLogRead(state, 50, 10, 20)).toMatchObject({
      offset: 100,
      pieces: [{ index: 2, position: 0, length: 20 }],
    });
  });

  it('reads the tail with offset -1, and nothing past the end', () => {
    expect(planLogRead(state, 50, -1, 80)).toMatchObject({
      offset: 270,
      pieces: [
        { index: 1, position: 70, length: 30 },
        { index: 0, position: 0, length: 50 },
      ],
    });
    expect(planLogRead(state, 50, -1, 10_000)).toMatchObject({ offset: 100 });
    expect(planLogRead(state, 50, 999, 10)).toEqual({ offset: 350, end: 350, first: 100, pieces: [] });
  });

  it('keeps an offset a follower had before a rotation pointing at the same byte after it', () => {
    const before: LogState = { files: [{ ino: 1, start: 0 }] };
    const follower = planLogRead(before, 90, 0, 1000).end; // read everything: next offset 90
    const after = rotatedState(before, 2, 100, 5); // 10 more bytes, then a rotation, then 25 in the new file
    expect(planLogRead(after, 25, follower, 1000)).toMatchObject({
      offset: 90,
      end: 125,
      pieces: [
        { index: 1, position: 90, length: 10 },
        { index: 0, position: 0, length: 25 },
      ],
    });
  });
});

it('rotatedState puts the new file first and keeps maxFiles', () => {
  expect(rotatedState(state, 4, 400, 3).files).toEqual([
    { ino: 4, start: 400 },
    { ino: 3, start: 300 },
    { ino: 2, start: 200 },
  ]);
  expect(rotatedState(state, 4, 400, 1).files).toEqual([{ ino: 4, start: 400 }]);
});

it('parseByteSize reads sizes with units and refuses the rest', () => {
  expect(parseByteSize('10MB')).toBe(10 * 1024 * 1024);
  expect(parseByteSize('512kb')).toBe(512 * 1024);
  expect(parseByteSize('1GiB')).toBe(1024 ** 3);
  expect(parseByteSize('2048')).toBe(2048);
  expect(parseByteSize('0')).toBe(0);
  expect(parseByteSize('1.5M')).toBe(1.5 * 1024 * 1024);
  for (const bad of ['', 'ten', '-1MB', '5TB', '10 M B']) expect(parseByteSize(bad)).toBeUndefined();
});
