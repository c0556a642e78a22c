/**
 * The Perl launch server with real processes and namespaces (as root; no cgroups needed: a plain file
 * stands in for cgroup.procs, and receives what the init writes to join).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger } from '../../sdk/log';
import { removeTempSandboxes, tempSandbox } from '../testing/fixtures';
import { LaunchServer, type LaunchRequest } from './launch-server';
import { findExecutable } from './tools';
afterAll(removeTempSandboxes);

const perl = findExecutable('perl')!;
const server = new LaunchServer(perl, createLogger('test', { level: 'silent' }));
afterAll(() => server.close());

function request(dir: string, argv: string[], env: Record<string, string> = {}): LaunchRequest {
  return {
    argv,
    cwd: dir,
    env,
    stdoutFile: path.join(dir, 'stdout'),
    stderrFile: path.join(dir, 'stderr'),
    statusFile: path.join(dir, '.agora-exit'),
    join: [path.join(dir, 'procs')],
  };
}

const read = (dir: string, name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
const hostNs = (kind: string): string => fs.readlinkSync(`/proc/self/ns/${kind}`);

it('runs the command as pid 2 of fresh pid, mount, ipc and uts namespaces, joined before it runs, in its sandbox', async () => {
  const dir = tempSandbox();
  const script = [
    'echo "$GREETING from $(pwd) as pid $$"',
    'for ns in pid mnt ipc uts; do readlink /proc/self/ns/$ns; done',
    'ls /proc | grep -c "^[0-9]"', // only this namespace's processes: the init, this shell, ls (+ grep)
    'grep NoNewPrivs /proc/self/status >&2',
    'exit 3',
  ].join('; ');
  const pid = await server.launch(request(dir, ['sh', '-c', script], { GREETING: 'hi there', PATH: '/usr/bin:/bin' }));
  expect(await server.exited(pid)).toEqual({ code: 3, signal: null });
  expect(read(dir, 'procs')).toBe('0\n'); // "the writing process", whatever pid namespace it is in
  expect(read(dir, '.agora-exit')).toBe('3\n');
  const [greeting, pidNs, mntNs, ipcNs, utsNs, count] = read(dir, 'stdout').trim().split('\n');
  expect(greeting).toBe(`hi there from ${dir} as pid 2`);
  expect([pidNs, mntNs, ipcNs, utsNs]).toEqual([
    expect.stringMatching(/^pid:/),
    expect.stringMatching(/^mnt:/),
    expect.stringMatching(/^ipc:/),
    expect.stringMatching(/^uts:/),
  ]);
  expect(pidNs).not.toBe(hostNs('pid'));
  expect(mntNs).not.toBe(hostNs('mnt'));
  expect(ipcNs).not.toBe(hostNs('ipc'));
  expect(utsNs).not.toBe(hostNs('uts'));
  expect(Number(count)).toBeLessThanOrEqual(4);
  expect(read(dir, 'stderr')).toMatch(/^NoNewPrivs:\s+1$/m);
});

it('drops to the task user with no supplementary groups, and gives it the output and status files', async () => {
  const dir = tempSandbox();
  fs.chownSync(dir, 65534, 65534);
  const pid = await server.launch({
    ...request(dir, ['/bin/grep', '-E', '^(Uid|Gid|Groups):', '/proc/self/status']),
    user: { uid: 65534, gid: 65534 },
  });
  expect(await server.exited(pid)).toEqual({ code: 0, signal: null });
  expect(
    read(dir, 'stdout')
      .split('\n')
      .map((l) => l.split(/\s+/).filter(Boolean).slice(1)),
  ).toEqual([['65534', '65534', '65534', '65534'], ['65534', '65534', '65534', '65534'], [], []]);
  for (const f of ['stdout', 'stderr', '.agora-exit']) expect(fs.statSync(path.join(dir, f)).uid).toBe(65534);
});

it('reports a signalled command as 128+n, and an exec failure as 127 with the reason on stderr', async () => {
  const dir = tempSandbox();
  const pid = await server.launch(request(dir, ['/bin/sh', '-c', 'kill -TERM $$']));
  expect(await server.exited(pid)).toEqual({ code: 143, signal: null });
  expect(read(dir, '.agora-exit')).toBe('143\n');
  const bad = await server.launch(request(dir, ['/no/such/program']));
  expect(await server.exited(bad)).toEqual({ code: 127, signal: null });
  expect(read(dir, 'stderr')).toBe('agora: cannot exec /no/such/program: No such file or directory\n');
  expect(read(dir, '.agora-exit')).toBe('127\n');
});

it('lets SIGTERM to the init pass (pid 1 ignores it) while the command gets its own', async () => {
  const dir = tempSandbox();
  const pid = await server.launch(request(dir, ['/bin/sleep', '30']));
  const exited = server.exited(pid);
  const command = await childOf(pid);
  process.kill(pid, 'SIGTERM');
  expect(fs.existsSync(`/proc/${command}`)).toBe(true);
  process.kill(command, 'SIGTERM');
  expect(await exited).toEqual({ code: 143, signal: null });
});

it('makes the planned cgroup directories and writes its limits before joining', async () => {
  const dir = tempSandbox();
  const cg = path.join(dir, 'hierarchy', 'agora', 'task');
  const pid = await server.launch({
    ...request(dir, ['/bin/true']),
    cgroupOps: [
      ['m', cg],
      ['w', path.join(cg, 'pids.max'), '100'],
    ],
    join: [path.join(cg, 'cgroup.procs')],
  });
  expect(await server.exited(pid)).toEqual({ code: 0, signal: null });
  expect(read(cg, 'pids.max')).toBe('100');
  expect(read(cg, 'cgroup.procs')).toBe('0\n');
  const bad = await server.launch({
    ...request(dir, ['/bin/true']),
    cgroupOps: [['w', path.join(dir, 'nowhere', 'pids.max'), '1']],
  });
  expect(await server.exited(bad)).toEqual({ code: 125, signal: null });
  expect(read(dir, 'stderr')).toMatch(
    /^agora: cannot set up the task cgroup: cannot write 1 to .*nowhere\/pids.max: No such file or directory$/m,
  );
});

it('fails the task (125, no status) when it cannot join its cgroup', async () => {
  const dir = tempSandbox();
  const pid = await server.launch({
    ...request(dir, ['/bin/true']),
    join: [path.join(dir, 'missing-dir', 'cgroup.procs')],
  });
  expect(await server.exited(pid)).toEqual({ code: 125, signal: null });
  expect(read(dir, 'stderr')).toMatch(/^agora: cannot join cgroup .*missing-dir/);
  expect(fs.existsSync(path.join(dir, '.agora-exit'))).toBe(false);
});

it('enters a sandbox below a directory closed to the task user, and fails (126) without one', async () => {
  const dir = tempSandbox(); // 0700, root's
  const sandbox = path.join(dir, 'sandbox');
  fs.mkdirSync(sandbox);
  fs.chownSync(sandbox, 65534, 65534);
  const pid = await server.launch({ ...request(sandbox, ['/bin/pwd']), user: { uid: 65534, gid: 65534 } });
  expect(await server.exited(pid)).toEqual({ code: 0, signal: null });
  expect(read(sandbox, 'stdout')).toBe(`${sandbox}\n`);
  const gone = await server.launch({ ...request(sandbox, ['/bin/true']), cwd: path.join(dir, 'missing') });
  expect(await server.exited(gone)).toEqual({ code: 126, signal: null });
  expect(read(sandbox, 'stderr')).toMatch(/^agora: cannot enter .*missing: No such file or directory$/m);
});

it('never follows a symlink planted in place of an output file', async () => {
  const dir = tempSandbox();
  fs.chownSync(dir, 65534, 65534);
  const target = path.join(dir, 'precious');
  fs.writeFileSync(target, 'keep');
  fs.symlinkSync(target, path.join(dir, 'stdout'));
  const bad = await server.launch({ ...request(dir, ['/bin/echo', 'overwritten']), user: { uid: 65534, gid: 65534 } });
  expect(await server.exited(bad)).toEqual({ code: 126, signal: null });
  expect(fs.readFileSync(target, 'utf8')).toBe('keep');
  expect(fs.statSync(target).uid).toBe(0);
});

it('takes many launches at once, each its own task with its own status', async () => {
  const dirs = Array.from({ length: 40 }, () => tempSandbox());
  const pids = await Promise.all(dirs.map((d, i) => server.launch(request(d, ['/bin/sh', '-c', `exit ${i}`]))));
  expect(new Set(pids).size).toBe(dirs.length);
  expect(await Promise.all(pids.map((p) => server.exited(p)))).toEqual(dirs.map((_, i) => ({ code: i, signal: null })));
  expect(dirs.map((d) => read(d, '.agora-exit'))).toEqual(dirs.map((_, i) => `${i}\n`));
});

it('fails launches in flight when the helper dies, and starts a new helper for the next one', async () => {
  const own = new LaunchServer(perl, createLogger('test', { level: 'silent' }));
  const dir = tempSandbox();
  const first = await own.launch(request(dir, ['/bin/sleep', '5']));
  const firstExit = own.exited(first);
  process.kill(own.pid!, 'SIGKILL');
  expect(await firstExit).toBeUndefined(); // the caller falls back to watching the pid
  process.kill(first, 'SIGKILL'); // the init: the kernel then ends its whole pid namespace
  const second = await own.launch(request(dir, ['/bin/true']));
  expect(await own.exited(second)).toEqual({ code: 0, signal: null });
  own.close();
});

/** The host pid of the init's child (the command), once it is forked and has exec'd. */
async function childOf(init: number): Promise<number> {
  for (;;) {
    const children = fs.readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim();
    if (children) {
      const pid = Number(children.split(' ')[0]);
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'agora-init') return pid;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
