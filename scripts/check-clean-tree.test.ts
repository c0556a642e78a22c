/** scripts/check-clean-tree.sh, the last step of .ci/run: a run that changes the work tree must fail CI. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, 'check-clean-tree.sh');
let repo: string;

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'agora-clean-tree-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  git('init', '-q');
  writeFileSync(join(repo, 'package-lock.json'), '{}\n');
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

const check = () => spawnSync('bash', [script, repo], { encoding: 'utf8' });

it('passes on a tree equal to its commit, ignored files aside', () => {
  mkdirSync(join(repo, 'node_modules'));
  writeFileSync(join(repo, 'node_modules', 'x.js'), 'ignored');
  expect(check().status).toBe(0);
});

it('fails naming a tracked file the run rewrote', () => {
  writeFileSync(join(repo, 'package-lock.json'), '{"changed":true}\n');
  const r = check();
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/changed the work tree/);
  expect(r.stderr).toMatch(/M package-lock.json/);
});

it('fails naming a file the run left behind that nothing ignores', () => {
  writeFileSync(join(repo, 'leftover.txt'), 'x');
  const r = check();
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/\?\? leftover.txt/);
});
