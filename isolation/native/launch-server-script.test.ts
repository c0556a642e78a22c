/** The Perl programs as files: the launch server's and the log rotator helper's compile; the syscall table matches the system's. */
import { execFileSync, spawnSync } from 'node:child_process';
import { LAUNCH_SERVER_SCRIPT, launchServerScriptPresent } from './launch-server';
import { LOG_ROTATOR_SCRIPT } from './log-rotator';
import { findExecutable } from './tools';

const perl = findExecutable('perl');

it('is where the code looks for it, and passes perl -c', () => {
  expect(perl).toBeDefined();
  expect(launchServerScriptPresent()).toEqual({ ok: true });
  const check = spawnSync(perl!, ['-c', LAUNCH_SERVER_SCRIPT], { encoding: 'utf8' });
  expect(check.stderr).toBe(`${LAUNCH_SERVER_SCRIPT} syntax OK\n`);
  expect(check.status).toBe(0);
});

it('the log rotator helper passes perl -c', () => {
  const check = spawnSync(perl!, ['-c', LOG_ROTATOR_SCRIPT], { encoding: 'utf8' });
  expect(check.stderr).toBe(`${LOG_ROTATOR_SCRIPT} syntax OK\n`);
  expect(check.status).toBe(0);
});

it('uses the syscall numbers the system headers give (syscall.ph) on this machine', () => {
  const lines = execFileSync(perl!, [LAUNCH_SERVER_SCRIPT, '--syscalls'], { encoding: 'utf8' }).trim().split('\n');
  const [machine, table, ph] = lines.map((l) => l.slice(l.indexOf(' ') + 1));
  expect(machine).toMatch(/^(x86_64|aarch64|riscv64)$/);
  expect(table).toMatch(/^clone=\d+ mount=\d+ prctl=\d+ setgroups=\d+ unshare=\d+$/);
  expect(ph).toBe(table);
});

it('says when a script is missing', () => {
  expect(launchServerScriptPresent('/nonexistent/launch-server.pl')).toEqual({
    ok: false,
    reason: expect.stringContaining('/nonexistent/launch-server.pl is missing'),
  });
});
