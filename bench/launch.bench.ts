/**
 * Launch benchmark (`npm run bench:launch`): how fast tasks start and go away on one agent.
 *
 *   1. native, on one NativeContainerizer:
 *      a. latency: S tasks (default 100) launched one at a time: launch() call → resolved (the agent could
 *         report TASK_RUNNING) and → the command running in its namespace, p50/p99;
 *      b. throughput: N tasks (`sleep 600`, default 1,000) launched as one batch: time until every launch()
 *         resolved and until every command runs; then kill (SIGTERM, grace 3 s) + destroy of all N.
 *   2. docker: M tasks (default 50) through DockerContainerizer, then M plain `docker run -d` of the same
 *      image and command, sequentially; per-launch latency and totals, and the ratio.
 *
 * Options: --native N  --sample S  --docker M  (0 skips a part). Cleans up everything it made, even on failure.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Container, ContainerSpec } from '../isolation/containerizer';
import { DockerContainerizer } from '../isolation/docker/docker-containerizer';
import { NativeContainerizer } from '../isolation/native/native-containerizer';
import { findNamespaceInit } from '../isolation/native/proc';
import { sweepCgroups } from '../isolation/testing/fixtures';

const run = promisify(execFile);
const IMAGE = 'agora-busybox:latest';
const BENCH_LABEL = 'agora.bench';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;
const s = (n: number): string => `${(n / 1000).toFixed(2)} s`;

function spec(root: string, i: number, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  const sandboxDir = path.join(root, `t${i}`);
  fs.mkdirSync(sandboxDir);
  return {
    taskId: `bench-${i}`, frameworkId: 'bench', agentId: 'bench-agent', sandboxDir,
    command: { shell: false, value: 'sleep', arguments: ['600'] }, env: {}, cpus: 0.01, memMb: 16, hostPorts: [],
    labels: { [BENCH_LABEL]: '1' }, ...extra,
  };
}

async function launchAll(c: { launch(s: ContainerSpec): Promise<Container> }, specs: ContainerSpec[]) {
  const latencies: number[] = [];
  const containers: Container[] = [];
  const t0 = performance.now();
  for (const sp of specs) {
    const a = performance.now();
    containers.push(await c.launch(sp));
    latencies.push(performance.now() - a);
  }
  return { containers, latencies: latencies.sort((x, y) => x - y), totalMs: performance.now() - t0 };
}

type NativeHost = Extract<NativeContainerizer['host'], { ok: true }>;

/** Whether the task's command is up: launcher, pid 1 and the command in the cgroup, pid 1 found. */
function commandRunning(host: NativeHost, cgroupPath: string): boolean {
  const dir = host.version === 1 ? `${host.mounts.freezer}/${cgroupPath}` : `${host.mount}/${cgroupPath}`;
  const pids = fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  return pids.length >= 3 && findNamespaceInit(pids) !== undefined;
}

async function until(pred: () => boolean, stepMs: number): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, stepMs));
}

async function destroyAll(containers: Container[]): Promise<number> {
  const d0 = performance.now();
  await Promise.all(containers.map(async (k) => { await k.kill(3_000); await k.destroy(); }));
  return performance.now() - d0;
}

/** CPU seconds (user + system) of a process and of all its reaped descendants, from /proc/<pid>/stat. */
function cpuOfTree(pid: number): { self: number; children: number } {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
  const tick = 100; // USER_HZ
  return { self: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
}

async function benchNative(n: number, sample: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bench-'));
  const c = new NativeContainerizer({ agentId: 'bench-agent', cgroupRoot: `agora-bench/${process.pid}` });
  const avail = await c.available();
  const host = c.host;
  if (!avail.ok || !host.ok) throw new Error(`native containerizer unavailable: ${avail.ok ? '' : avail.reason}`);
  let containers: Container[] = [];
  try {
    // A. Latency: one task at a time, launch() call → resolved, and → its command running.
    const resolved: number[] = [];
    const running: number[] = [];
    for (let i = 0; i < sample; i++) {
      const a = performance.now();
      const k = await c.launch(spec(root, i));
      containers.push(k);
      resolved.push(performance.now() - a);
      await until(() => commandRunning(host, String(k.checkpoint.cgroupPath)), 1);
      running.push(performance.now() - a);
    }
    await destroyAll(containers);
    containers = [];
    resolved.sort((x, y) => x - y);
    running.sort((x, y) => x - y);

    // B. Throughput: n tasks launched as one batch (as an agent does for a batch of launches).
    const specs = Array.from({ length: n }, (_, i) => spec(root, sample + i));
    const serverPid = c.launchServerPid()!;
    const cpu0 = { agent: process.cpuUsage(), tree: cpuOfTree(serverPid) };
    const t0 = performance.now();
    containers = await Promise.all(specs.map((sp) => c.launch(sp)));
    const launchedMs = performance.now() - t0;
    const agentLaunchCpu = process.cpuUsage(cpu0.agent);
    const pending = new Set(containers);
    await until(() => {
      for (const k of pending) if (commandRunning(host, String(k.checkpoint.cgroupPath))) pending.delete(k);
      return pending.size === 0;
    }, 100);
    const allRunningMs = performance.now() - t0;
    const destroyMs = await destroyAll(containers);
    const exits = await Promise.all(containers.map((k) => k.wait()));
    const killed = exits.filter((e) => e.reason === 'KILLED').length;
    const agentCpu = process.cpuUsage(cpu0.agent);
    const tree = cpuOfTree(serverPid);
    const agentS = (agentCpu.user + agentCpu.system) / 1e6;
    const tasksS = tree.children - cpu0.tree.children;
    const serverS = tree.self - cpu0.tree.self;
    containers = [];
    console.log(`\n## native (cgroup v${host.version})`);
    console.log(`latency, ${sample} tasks one at a time: launch() p50 ${ms(pct(resolved, 50))} p99 ${ms(pct(resolved, 99))}; to command running p50 ${ms(pct(running, 50))} p99 ${ms(pct(running, 99))}`);
    console.log(`${n} × sleep 600 as one batch: all launch() resolved ${s(launchedMs)}; all commands running ${s(allRunningMs)}`);
    console.log(`kill (SIGTERM, grace 3 s) + destroy all ${n}: ${s(destroyMs)} (${killed}/${n} ended as KILLED, cgroups removed)`);
    console.log(`agent cpu until every launch() resolved: ${((agentLaunchCpu.user + agentLaunchCpu.system) / 1e6).toFixed(2)} s`);
    console.log(`cpu for the batch (launch → destroy): agent ${agentS.toFixed(2)} s, launch server ${serverS.toFixed(2)} s, task processes ${tasksS.toFixed(2)} s = ${(agentS + serverS + tasksS).toFixed(2)} cpu-s`);
  } finally {
    await Promise.all(containers.map(async (k) => { await k.kill(0); await k.destroy(); }));
    c.close();
    await sweepCgroups(c.cgroupRoot);
    await sweepCgroups('agora-bench');
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function removeLabelled(d: DockerContainerizer, label: string): Promise<void> {
  const list = await d.docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((x) => d.docker.getContainer(x.Id).remove({ force: true })));
}

async function benchDocker(m: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bench-docker-'));
  const d = new DockerContainerizer({ agentId: 'bench-agent' });
  const avail = await d.available();
  if (!avail.ok) throw new Error(avail.reason);
  const docker = { image: IMAGE, pullPolicy: 'ifNotPresent' as const, portMappings: [], network: 'bridge' as const, readOnlyRootfs: false };
  try {
    const specs = Array.from({ length: m }, (_, i) => spec(root, i, { docker }));
    const ours = await launchAll(d, specs);
    const oursDestroyMs = await destroyAll(ours.containers);

    const plain: number[] = [];
    const p0 = performance.now();
    for (let i = 0; i < m; i++) {
      const a = performance.now();
      await run('docker', ['run', '-d', '--label', `${BENCH_LABEL}=plain`, IMAGE, 'sleep', '600']);
      plain.push(performance.now() - a);
    }
    const plainMs = performance.now() - p0;
    plain.sort((x, y) => x - y);
    await removeLabelled(d, `${BENCH_LABEL}=plain`);

    // The same image and command through the engine API with no options at all: our overhead floor.
    const bare: number[] = [];
    const b0 = performance.now();
    for (let i = 0; i < m; i++) {
      const a = performance.now();
      const k = await d.docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '600'], Labels: { [BENCH_LABEL]: 'plain' } });
      await k.start();
      bare.push(performance.now() - a);
    }
    const bareMs = performance.now() - b0;
    bare.sort((x, y) => x - y);
    console.log(`\n## docker: ${m} × sleep 600 (${IMAGE})`);
    console.log(`agora launch latency p50 ${ms(pct(ours.latencies, 50))}, p99 ${ms(pct(ours.latencies, 99))}; all: ${s(ours.totalMs)}; kill + destroy all: ${s(oursDestroyMs)}`);
    console.log(`plain docker run -d  p50 ${ms(pct(plain, 50))}, p99 ${ms(pct(plain, 99))}; all: ${s(plainMs)}`);
    console.log(`bare API create+start p50 ${ms(pct(bare, 50))}, p99 ${ms(pct(bare, 99))}; all: ${s(bareMs)}`);
    console.log(`ratio agora / plain docker run (total): ${(ours.totalMs / plainMs).toFixed(2)}×; p50: ${(pct(ours.latencies, 50) / pct(plain, 50)).toFixed(2)}×`);
    console.log(`ratio agora / bare API (total): ${(ours.totalMs / bareMs).toFixed(2)}×`);
  } finally {
    await removeLabelled(d, `${BENCH_LABEL}=1`);
    await removeLabelled(d, `${BENCH_LABEL}=plain`);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.env.AGORA_LOG_LEVEL ??= 'warn';
  const n = arg('native', 1_000);
  const m = arg('docker', 50);
  console.log(`# launch benchmark — ${os.cpus().length} cpus, ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}`);
  if (n > 0) await benchNative(n, arg('sample', 100));
  if (m > 0) await benchDocker(m);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
