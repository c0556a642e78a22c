/** The in-process rotating writer (Docker's log pump) and the rotated-stream reader, on a temp directory. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeTempSandboxes, tempSandbox } from '../testing/fixtures';
import { readRotatedLog } from './read-log';
import { RotatingLogWriter } from './rotating-log-writer';
afterAll(removeTempSandboxes);

const lines = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(4, '0')}\n`).join('');

it('keeps at most maxBytes × maxFiles, and reads the newest output by logical offset', async () => {
  const dir = tempSandbox();
  const w = new RotatingLogWriter(dir, 'stdout', { maxBytes: 100, maxFiles: 3 });
  const all = lines(0, 100); // 1000 bytes
  for (let i = 0; i < all.length; i += 37) w.write(Buffer.from(all.slice(i, i + 37)));
  w.close();
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('stdout'))
    .sort();
  expect(files).toEqual(['stdout', 'stdout.1', 'stdout.2']);
  expect(files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)).toBeLessThanOrEqual(300);
  const tail = await readRotatedLog(dir, 'stdout', -1, 250);
  expect(tail).toMatchObject({ offset: 750, size: 1000, first: 700, eof: true, data: all.slice(750) });
  expect(await readRotatedLog(dir, 'stdout', 0, 50)).toMatchObject({
    offset: 700,
    data: all.slice(700, 750),
    eof: false,
  });
});

it('a follower reading by offset gets every byte, in order, across rotations', async () => {
  const dir = tempSandbox();
  const w = new RotatingLogWriter(dir, 'stdout', { maxBytes: 64, maxFiles: 2 });
  let offset = 0;
  let seen = '';
  let expected = '';
  for (let round = 0; round < 20; round++) {
    const chunk = lines(round * 5, round * 5 + 5); // 50 bytes: a rotation every other round
    w.write(Buffer.from(chunk));
    expected += chunk;
    const r = (await readRotatedLog(dir, 'stdout', offset, 4096))!;
    expect(r.offset).toBe(offset); // nothing was rotated away under the follower
    seen += r.data;
    offset = r.offset + Buffer.byteLength(r.data);
  }
  expect(seen).toBe(expected);
});

it('continues the stream after a restart: written counts what is already there', () => {
  const dir = tempSandbox();
  const a = new RotatingLogWriter(dir, 'stderr', { maxBytes: 10, maxFiles: 2 });
  a.write(Buffer.from('0123456789abcdef'));
  a.close();
  const b = new RotatingLogWriter(dir, 'stderr', { maxBytes: 10, maxFiles: 2 });
  expect(b.written).toBe(16);
  b.close();
});

it('leaves a stream without state to plain reads', async () => {
  const dir = tempSandbox();
  fs.writeFileSync(path.join(dir, 'stdout'), 'plain');
  expect(await readRotatedLog(dir, 'stdout', 0, 10)).toBeUndefined();
});
