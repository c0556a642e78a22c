/** Secret files in a sandbox: written 0400 (parents 0700), never through a link, recognised for reads, removed. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskInfoSchema } from '../sdk';
import { isSecretFile, removeSecretFiles, writeSecretFiles } from './secret-files';

const root = mkdtempSync(join(tmpdir(), 'agora-secret-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('writes each file 0400 in 0700 parents, and removes them', () => {
  const sandbox = join(root, 's1');
  mkdirSync(sandbox);
  writeSecretFiles(sandbox, { 'conf/db.pass': 'v1', key: 'v2' }, undefined);
  expect(readFileSync(join(sandbox, 'conf/db.pass'), 'utf8')).toBe('v1');
  expect(statSync(join(sandbox, 'conf/db.pass')).mode & 0o777).toBe(0o400);
  expect(statSync(join(sandbox, 'conf')).mode & 0o777).toBe(0o700);
  expect(statSync(join(sandbox, 'key')).mode & 0o777).toBe(0o400);
  expect(removeSecretFiles(sandbox, ['conf/db.pass', 'key', 'never-written'])).toEqual([]);
  expect(existsSync(join(sandbox, 'key'))).toBe(false);
});

it('never writes through a link or over a file already there', () => {
  const sandbox = join(root, 's2');
  mkdirSync(sandbox);
  symlinkSync('/tmp', join(sandbox, 'conf'));
  expect(() => writeSecretFiles(sandbox, { 'conf/x': 'v' }, undefined)).toThrow(/conf exists and is not a directory/);
  symlinkSync('/etc/hostname', join(sandbox, 'key'));
  expect(() => writeSecretFiles(sandbox, { key: 'v' }, undefined)).toThrow(/EEXIST/);
});

it('recognises a read of a secret file however the path is written', () => {
  const info = { secretFiles: { 'conf/db.pass': 'db-pass' } };
  expect(isSecretFile(info, 'conf/db.pass')).toBe(true);
  expect(isSecretFile(info, './conf//db.pass')).toBe(true);
  expect(isSecretFile(info, 'conf/other')).toBe(false);
  expect(isSecretFile(undefined, 'conf/db.pass')).toBe(false);
});

it('the schema refuses paths outside the sandbox or over the agent’s own files, naming the field', () => {
  const parse = (secretFiles: Record<string, string>) =>
    TaskInfoSchema.safeParse({
      taskId: 't',
      name: 't',
      agentId: 'a',
      resources: [],
      command: { value: 'true' },
      secretFiles,
    });
  expect(parse({ 'conf/db.pass': 'db-pass' }).success).toBe(true);
  for (const bad of ['/etc/x', '../x', 'a/../../x', 'stdout', 'stderr.1', '.agora-exit', 'a//b'])
    expect([bad, parse({ [bad]: 'db-pass' }).error?.issues[0]?.path]).toEqual([bad, ['secretFiles', bad]]);
  expect(parse({ x: 'Bad/Name' }).error?.issues[0]?.path).toEqual(['secretFiles', 'x']);
});
