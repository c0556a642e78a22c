/** The native containerizer's isolation, against the real kernel: limits, namespaces, user, recovery. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Container } from '../containerizer';
import {
  TEST_CGROUP_PREFIX,
  cgroupsUnder,
  processesUnder,
  readSandboxFile,
  removeTempSandboxes,
  shellSpec,
  sweepCgroups,
  uniqueId,
} from '../testing/fixtures';
import { NativeContainerizer, STATUS_FILE } from './native-containerizer';
import { findNamespaceInit } from './proc';
import { DEADLINE_SCALE } from '../../test/harness/deadline';
afterAll(removeTempSandboxes);

jest.setTimeout(180_000);
const root = `${TEST_CGROUP_PREFIX}/${uniqueId('limits')}`;
const make = (): NativeContainerizer =>
  new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 });
const c = make();
/** Polls `fn` until it returns a truthy value; throws naming `what` after `timeoutMs` (scaled). */
async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs * DEADLINE_SCALE;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
afterAll(() => sweepCgroups(root));

async function finish(k: Container): Promise<void> {
  await k.kill(0);
  await k.destroy();
}

it('ends a memory hog over its limit as OOM, with the limit and the peak', async () => {
  const k = await c.launch(shellSpec('dd if=/dev/zero of=/dev/null bs=96M count=1', { memMb: 32 }));
  const exit = await k.wait();
  expect(exit).toMatchObject({
    reason: 'OOM',
    exitCode: null,
    signal: 'SIGKILL',
    oom: { limitBytes: 32 * 1024 * 1024 },
  });
  expect(exit.oom!.peakBytes).toBeGreaterThan(30 * 1024 * 1024);
  expect(exit.message).toMatch(/^OOM: limit 32 MiB, peak 3\d MiB$/);
  await k.destroy();
});

it('holds a fork bomb at the pids limit and kills it cleanly', async () => {
  const spec = shellSpec(`perl -e 'while (1) { fork }'`, { pidsLimit: 40, memMb: 512, cpus: 0.5, cpuHardCap: true });
  const k = await c.launch(spec);
  await k.usage(); // the task's init makes its cgroup after launch() resolves; usage() waits until it has joined it
  const pidsDir = `/sys/fs/cgroup/pids/${root}/${spec.taskId}`;
  // Until forks were refused at the limit (the bomb pressed against it), sampling that it was held there.
  let most = 0;
  const refusals = () => Number(/^max (\d+)$/m.exec(fs.readFileSync(`${pidsDir}/pids.events`, 'utf8'))![1]);
  await until(() => {
    most = Math.max(most, Number(fs.readFileSync(`${pidsDir}/pids.current`, 'utf8')));
    return refusals() >= 10;
  }, 'forks refused at the pids limit');
  expect(most).toBeLessThanOrEqual(40);
  await k.kill(200);
  expect(await k.wait()).toMatchObject({ reason: 'KILLED' });
  await k.destroy();
  expect(cgroupsUnder(`${root}/${spec.taskId}`)).toEqual([]);
});

it('caps a cpu hog at 0.5 cpu with a hard cap: throttled, and never above the quota', async () => {
  // A busy machine can only give the hog *less* than its quota, never more: the upper bound is the property,
  // and the kernel's own throttling counters show that the quota (not contention) is what held it back.
  const spec = shellSpec('while :; do :; done', { cpus: 0.5, cpuHardCap: true });
  const k = await c.launch(spec);
  await k.usage(); // its cgroup exists once the init has joined it
  const cpuDir = `/sys/fs/cgroup/cpu/${root}/${spec.taskId}`;
  expect(fs.readFileSync(`${cpuDir}/cpu.cfs_quota_us`, 'utf8').trim()).toBe(
    String(Number(fs.readFileSync(`${cpuDir}/cpu.cfs_period_us`, 'utf8')) / 2),
  );
  const cpuSeconds = (u: { cpuUserSeconds: number; cpuSystemSeconds: number }) => u.cpuUserSeconds + u.cpuSystemSeconds;
  const throttled = () => Number(/^nr_throttled (\d+)$/m.exec(fs.readFileSync(`${cpuDir}/cpu.stat`, 'utf8'))![1]);
  const before = await k.usage();
  // A window of 1 cpu-second of the hog's work (not of wall time): on a busy machine it only takes longer, and
  // a period's burst (50 ms of quota) cannot lift the average over the bound in a window of at least 2 s.
  const after = await until(
    async () => {
      const u = await k.usage();
      return cpuSeconds(u) - cpuSeconds(before) >= 1 && throttled() > 0 ? u : undefined;
    },
    '1 cpu-second of work, held back by the quota at least once',
    120_000,
  );
  const cpus = (cpuSeconds(after) - cpuSeconds(before)) / ((after.timestamp - before.timestamp) / 1000);
  expect(after.cpusLimit).toBe(0.5);
  expect(cpus).toBeLessThan(0.6);
  await finish(k);
});

it('shows a task only its own processes, as the task user, in a sandbox it owns', async () => {
  const spec = shellSpec('ps -e -o pid=,user=,comm=; id -un; hostname >/dev/null');
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  const lines = readSandboxFile(spec, 'stdout').trim().split('\n');
  const ps = lines.slice(0, -1).map((l) => l.trim().split(/\s+/));
  expect(ps.map((p) => p[0])).toEqual(expect.arrayContaining(['1']));
  expect(ps.length).toBeLessThanOrEqual(3); // init shell, task shell, ps
  expect(ps.every((p) => p[1] === 'nobody')).toBe(true);
  expect(lines.at(-1)).toBe('nobody');
  expect(fs.statSync(spec.sandboxDir).uid).toBe(65534);
  await k.destroy();
});

it('runs a COMMAND check inside the task (its namespaces and user)', async () => {
  const spec = shellSpec('sleep 60');
  const k = await c.launch(spec);
  expect((await k.exec('pwd', 5_000)).output).toBe(`${spec.sandboxDir}\n`);
  const r = await k.exec('ps -e -o comm= | grep -c . ; id -un', 5_000);
  expect(r.exitCode).toBe(0);
  expect(r.output.trim().split('\n')).toEqual([expect.stringMatching(/^[3-6]$/), 'nobody']);
  expect((await k.exec('exit 4', 5_000)).exitCode).toBe(4);
  expect(await k.exec('sleep 5', 200)).toMatchObject({ exitCode: 124 });
  await finish(k);
});

it('gives SIGTERM a grace period before SIGKILL', async () => {
  const spec = shellSpec('trap "echo bye; exit 7" TERM; touch trapped; while :; do sleep 0.05; done');
  const k = await c.launch(spec);
  await until(() => fs.existsSync(path.join(spec.sandboxDir, 'trapped')), 'the trap set');
  await k.kill(3_000);
  expect(await k.wait()).toMatchObject({ reason: 'KILLED', exitCode: 7 });
  expect(readSandboxFile(spec, 'stdout')).toBe('bye\n');
  await k.destroy();
});

it('fails the launch of a missing executable, and of an unknown user', async () => {
  const missing = await c.launch(shellSpec('', { command: { shell: false, value: 'no-such-program-x' } }));
  expect(await missing.wait()).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: 'command not found: no-such-program-x',
  });
  const user = await c.launch(shellSpec('true', { user: 'no-such-user-x' }));
  expect(await user.wait()).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: expect.stringContaining('unknown user no-such-user-x'),
  });
});

it('fails the launch into a missing sandbox and leaves no cgroup behind', async () => {
  const spec = shellSpec('true', { sandboxDir: '/nonexistent/agora-sandbox' });
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: expect.stringMatching(/^cannot prepare sandbox \/nonexistent\/agora-sandbox: ENOENT/),
  });
  expect(cgroupsUnder(`${root}/${spec.taskId}`)).toEqual([]);
});

it('recovers a task whose status is unknown (pid 1 killed while the agent was away) as AGENT_RESTART', async () => {
  const spec = shellSpec('sleep 60');
  const k = await c.launch(spec);
  const init = await until(() => findNamespaceInit(processesUnder(`${root}/${spec.taskId}`)), 'the init in its cgroup');
  process.kill(init, 'SIGKILL');
  await k.wait();
  expect(fs.existsSync(path.join(spec.sandboxDir, STATUS_FILE))).toBe(false);
  const exit = await make().recover(JSON.parse(JSON.stringify(k.checkpoint)));
  expect(exit).toMatchObject({ reason: 'AGENT_RESTART', exitCode: null });
  expect(cgroupsUnder(`${root}/${spec.taskId}`)).toEqual([]);
});

it('keeps a recovered task observable: usage, then its exit status when it ends', async () => {
  const spec = shellSpec('sleep 0.5; exit 9');
  const k = await c.launch(spec);
  const again = await make().recover(JSON.parse(JSON.stringify(k.checkpoint)));
  if (!('usage' in again)) throw new Error('expected a live container');
  expect((await again.usage()).memLimitBytes).toBe(64 * 1024 * 1024);
  expect(await again.wait()).toMatchObject({ reason: 'EXITED', exitCode: 9 });
  await again.destroy();
  await k.destroy();
});
