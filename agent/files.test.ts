/**
 * The sandbox file API against a real directory a "task" filled with traps: links to files and directories
 * outside the sandbox, a FIFO, `..`. What must come back is a refusal, never the outside file's bytes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ApiError } from '../sdk';
import { RotatingLogWriter } from '../isolation/logs/rotating-log-writer';
import { listSandbox, readSandboxFile } from './files';

const made: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-files-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const SECRET = 'root-only secret\n';
function world(): { sandbox: string; outside: string } {
  const outside = tmp();
  fs.writeFileSync(path.join(outside, 'shadow'), SECRET, { mode: 0o600 });
  const sandbox = tmp();
  fs.writeFileSync(path.join(sandbox, 'stdout'), 'hello\n');
  fs.mkdirSync(path.join(sandbox, 'sub'));
  fs.writeFileSync(path.join(sandbox, 'sub', 'ok'), 'inside\n');
  return { sandbox, outside };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

it('reads plain files, by offset and from the end', async () => {
  const { sandbox } = world();
  expect(await readSandboxFile(sandbox, 'stdout', 0, 100)).toEqual({
    path: 'stdout',
    offset: 0,
    size: 6,
    data: 'hello\n',
    eof: true,
  });
  expect(await readSandboxFile(sandbox, 'sub/ok', -1, 3)).toMatchObject({ offset: 4, data: 'de\n', eof: true });
  expect(await readSandboxFile(sandbox, 'stdout', 2, 2)).toMatchObject({ offset: 2, data: 'll', eof: false });
});

it('never follows a symlink planted as the file read (ln -s /etc/shadow x)', async () => {
  const { sandbox, outside } = world();
  fs.symlinkSync(path.join(outside, 'shadow'), path.join(sandbox, 'x'));
  const err = await refusal(readSandboxFile(sandbox, 'x', 0, 100));
  expect(err).toMatchObject({ code: 'INVALID', field: 'path' });
  expect(err.message).toMatch(/symbolic link/);
  expect(err.message).not.toContain('secret');
});

it('never follows a symlinked directory component out of the sandbox', async () => {
  const { sandbox, outside } = world();
  fs.symlinkSync(outside, path.join(sandbox, 'd'));
  const err = await refusal(readSandboxFile(sandbox, 'd/shadow', 0, 100));
  expect(err).toMatchObject({ code: 'INVALID' });
  expect(err.message).toMatch(/outside the sandbox/);
});

it('refuses stdout replaced by a link, with or without a forged rotation state', async () => {
  const { sandbox, outside } = world();
  fs.rmSync(path.join(sandbox, 'stdout'));
  fs.symlinkSync(path.join(outside, 'shadow'), path.join(sandbox, 'stdout'));
  await refusal(readSandboxFile(sandbox, 'stdout', 0, 100));
  const ino = fs.statSync(path.join(outside, 'shadow')).ino;
  fs.writeFileSync(path.join(sandbox, '.agora-log-stdout.json'), JSON.stringify({ files: [{ ino, start: 0 }] }));
  await refusal(readSandboxFile(sandbox, 'stdout', 0, 100));
  fs.rmSync(path.join(sandbox, '.agora-log-stdout.json'));
  fs.symlinkSync(path.join(outside, 'shadow'), path.join(sandbox, '.agora-log-stdout.json'));
  await refusal(readSandboxFile(sandbox, 'stdout', 0, 100));
});

it('refuses .. and absolute paths, FIFOs and directories, without blocking', async () => {
  const { sandbox } = world();
  expect(await refusal(readSandboxFile(sandbox, '../x', 0, 1))).toMatchObject({ code: 'INVALID' });
  expect(await refusal(readSandboxFile(sandbox, '/etc/passwd', 0, 1))).toMatchObject({ code: 'INVALID' });
  execFileSync('mkfifo', [path.join(sandbox, 'fifo')]);
  expect(await refusal(readSandboxFile(sandbox, 'fifo', 0, 1))).toMatchObject({ code: 'NOT_FOUND' });
  expect(await refusal(readSandboxFile(sandbox, 'sub', 0, 1))).toMatchObject({ code: 'NOT_FOUND' });
  expect(await refusal(readSandboxFile(sandbox, 'nope', 0, 1))).toMatchObject({ code: 'NOT_FOUND' });
});

it('lists regular files only: links (to files or directories) are not listed nor walked', () => {
  const { sandbox, outside } = world();
  fs.symlinkSync(path.join(outside, 'shadow'), path.join(sandbox, 'x'));
  fs.symlinkSync(outside, path.join(sandbox, 'd'));
  expect(listSandbox(sandbox).map((e) => e.path)).toEqual(['stdout', 'sub/ok']);
});

it('the log writer never writes through a link the task planted as its output file', () => {
  const { sandbox, outside } = world();
  fs.rmSync(path.join(sandbox, 'stdout'));
  fs.symlinkSync(path.join(outside, 'shadow'), path.join(sandbox, 'stdout'));
  expect(() => new RotatingLogWriter(sandbox, 'stdout', undefined)).toThrow(/ELOOP/);
  expect(() => new RotatingLogWriter(sandbox, 'stdout', { maxBytes: 10, maxFiles: 2 })).toThrow(/ELOOP/);
  expect(fs.readFileSync(path.join(outside, 'shadow'), 'utf8')).toBe(SECRET);
});

it('without rotation the writer appends to one file, keeps no state, and continues after a restart', async () => {
  const { sandbox } = world();
  const a = new RotatingLogWriter(sandbox, 'stderr', undefined);
  a.write(Buffer.from('one\n'));
  a.close();
  const b = new RotatingLogWriter(sandbox, 'stderr', undefined);
  expect(b.written).toBe(4);
  b.write(Buffer.from('two\n'));
  b.close();
  expect(fs.existsSync(path.join(sandbox, '.agora-log-stderr.json'))).toBe(false);
  expect(await readSandboxFile(sandbox, 'stderr', 0, 100)).toMatchObject({ data: 'one\ntwo\n' });
});
