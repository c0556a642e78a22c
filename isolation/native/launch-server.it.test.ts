/** The Perl launch server with real processes (no cgroups needed: a plain file stands in for cgroup.procs). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '../../sdk/log';
import { removeTempSandboxes, tempSandbox } from '../testing/fixtures';
import { LaunchServer } from './launch-server';
import { prctlSyscall } from './launcher';
import { findExecutable } from './tools';
afterAll(removeTempSandboxes);

const server = new LaunchServer(findExecutable('perl')!, createLogger('test', { level: 'silent' }));
afterAll(() => server.close());

function request(dir: string, argv: string[], env: Record<string, string> = {}) {
  return { argv, cwd: dir, env, stdoutFile: path.join(dir, 'stdout'), stderrFile: path.join(dir, 'stderr'), join: [path.join(dir, 'procs')], prctlSyscall: prctlSyscall() };
}

it('forks a process in its sandbox, joined before exec, and reports its exit', async () => {
  const dir = tempSandbox();
  const pid = await server.launch(request(dir, ['/bin/sh', '-c', 'echo "$GREETING from $(pwd)"; grep NoNewPrivs /proc/self/status >&2; exit 3'], { GREETING: 'hi there' }));
  expect(await server.exited(pid)).toEqual({ code: 3, signal: null });
  expect(fs.readFileSync(path.join(dir, 'procs'), 'utf8')).toBe(`${pid}\n`);
  expect(fs.readFileSync(path.join(dir, 'stdout'), 'utf8')).toBe(`hi there from ${dir}\n`);
  expect(fs.readFileSync(path.join(dir, 'stderr'), 'utf8')).toMatch(/^NoNewPrivs:\s+1$/m);
  fs.rmSync(dir, { recursive: true });
});

it('reports a signal, and an exec failure as 127 with the reason on stderr', async () => {
  const dir = tempSandbox();
  const pid = await server.launch(request(dir, ['/bin/sh', '-c', 'kill -TERM $$']));
  expect(await server.exited(pid)).toEqual({ code: null, signal: 'SIGTERM' });
  const bad = await server.launch(request(dir, ['/no/such/program']));
  expect(await server.exited(bad)).toEqual({ code: 127, signal: null });
  expect(fs.readFileSync(path.join(dir, 'stderr'), 'utf8')).toBe('agora: cannot exec /no/such/program: No such file or directory\n');
  fs.rmSync(dir, { recursive: true });
});

it('fails the task (125) when it cannot join its cgroup', async () => {
  const dir = tempSandbox();
  const pid = await server.launch({ ...request(dir, ['/bin/true']), join: [path.join(dir, 'missing-dir', 'cgroup.procs')] });
  expect(await server.exited(pid)).toEqual({ code: 125, signal: null });
  expect(fs.readFileSync(path.join(dir, 'stderr'), 'utf8')).toMatch(/^agora: cannot join cgroup .*missing-dir/);
  fs.rmSync(dir, { recursive: true });
});

it('gives the output files to the task user and never follows a planted symlink', async () => {
  const dir = tempSandbox();
  const pid = await server.launch({ ...request(dir, ['/bin/true']), owner: { uid: 65534, gid: 65534 } });
  expect(await server.exited(pid)).toEqual({ code: 0, signal: null });
  expect(fs.statSync(path.join(dir, 'stdout')).uid).toBe(65534);
  const target = path.join(dir, 'precious');
  fs.writeFileSync(target, 'keep');
  fs.rmSync(path.join(dir, 'stdout'));
  fs.symlinkSync(target, path.join(dir, 'stdout'));
  const bad = await server.launch({ ...request(dir, ['/bin/echo', 'overwritten']), owner: { uid: 65534, gid: 65534 } });
  expect(await server.exited(bad)).toEqual({ code: 126, signal: null });
  expect(fs.readFileSync(target, 'utf8')).toBe('keep');
  expect(fs.statSync(target).uid).toBe(0);
  fs.rmSync(dir, { recursive: true });
});

it('fails launches in flight when the helper dies, and starts a new helper for the next one', async () => {
  const own = new LaunchServer(findExecutable('perl')!, createLogger('test', { level: 'silent' }));
  const dir = tempSandbox();
  const first = await own.launch(request(dir, ['/bin/sleep', '5']));
  const firstExit = own.exited(first);
  process.kill(own.pid!, 'SIGKILL');
  expect(await firstExit).toBeUndefined(); // the caller falls back to watching the pid
  process.kill(first, 'SIGKILL');
  const second = await own.launch(request(dir, ['/bin/true']));
  expect(await own.exited(second)).toEqual({ code: 0, signal: null });
  own.close();
});
