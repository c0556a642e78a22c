/**
 * Launch benchmark (`npm run bench:launch`): how fast tasks start and go away on one agent.
 *
 *   1. native: N tasks (`sleep 600`, default 1,000) launched one after another on one NativeContainerizer:
 *      launch latency (launch() call → resolved, i.e. the agent could report TASK_RUNNING) p50/p99,
 *      total launch time, time until every task's command is running in its cgroup, then time to
 *      kill (SIGTERM, grace 3 s) and destroy all of them (cgroups removed).
 *   2. docker: M tasks (default 50) through DockerContainerizer, then M plain `docker run -d` of the same
 *      image and command, sequentially; per-launch latency and totals, and the ratio.
 *
 * Options: --native N  --docker M  (0 skips a part). Cleans up everything it made, even on failure.
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

async function benchNative(n: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bench-'));
  const c = new NativeContainerizer({ agentId: 'bench-agent', cgroupRoot: `agora-bench/${process.pid}` });
  const avail = await c.available();
  if (!avail.ok) throw new Error(`native containerizer unavailable: ${avail.reason}`);
  const specs = Array.from({ length: n }, (_, i) => spec(root, i));
  let containers: Container[] = [];
  try {
    const t0 = performance.now();
    const l = await launchAll(c, specs);
    containers = l.containers;
    const host = c.host;
    if (!host.ok) throw new Error(host.reason);
    // Running = the command is up as pid 2 under its namespace's pid 1 (not just the launcher spawned).
    const pending = new Set(c.containers());
    while (pending.size > 0) {
      for (const k of pending) {
        const cgDir = host.version === 1 ? `${host.mounts.freezer}/${k.checkpoint.cgroupPath}` : `${host.mount}/${k.checkpoint.cgroupPath}`;
        const pids = fs.readFileSync(`${cgDir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
        if (pids.length >= 3 && findNamespaceInit(pids) !== undefined) pending.delete(k);
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
    }
    const allRunningMs = performance.now() - t0;
    const d0 = performance.now();
    await Promise.all(containers.map(async (k) => { await k.kill(3_000); await k.destroy(); }));
    const destroyMs = performance.now() - d0;
    const exits = await Promise.all(containers.map((k) => k.wait()));
    const killed = exits.filter((e) => e.reason === 'KILLED').length;
    console.log(`\n## native: ${n} × sleep 600 (cgroup v${host.version})`);
    console.log(`launch latency p50 ${ms(pct(l.latencies, 50))}, p99 ${ms(pct(l.latencies, 99))}, max ${ms(l.latencies.at(-1)!)}`);
    console.log(`launch all: ${s(l.totalMs)} (launch() resolved for every task); all commands running: ${s(allRunningMs)}`);
    console.log(`kill + destroy all: ${s(destroyMs)} (${killed}/${n} ended as KILLED)`);
    containers = [];
  } finally {
    await Promise.all(containers.map(async (k) => { await k.kill(0); await k.destroy(); }));
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
    const o0 = performance.now();
    await Promise.all(ours.containers.map(async (k) => { await k.kill(3_000); await k.destroy(); }));
    const oursDestroyMs = performance.now() - o0;

    const plain: number[] = [];
    const p0 = performance.now();
    for (let i = 0; i < m; i++) {
      const a = performance.now();
      await run('docker', ['run', '-d', '--label', `${BENCH_LABEL}=plain`, IMAGE, 'sleep', '600']);
      plain.push(performance.now() - a);
    }
    const plainMs = performance.now() - p0;
    plain.sort((x, y) => x - y);
    console.log(`\n## docker: ${m} × sleep 600 (${IMAGE})`);
    console.log(`agora launch latency p50 ${ms(pct(ours.latencies, 50))}, p99 ${ms(pct(ours.latencies, 99))}; all: ${s(ours.totalMs)}; kill + destroy all: ${s(oursDestroyMs)}`);
    console.log(`plain docker run -d  p50 ${ms(pct(plain, 50))}, p99 ${ms(pct(plain, 99))}; all: ${s(plainMs)}`);
    console.log(`ratio agora / plain (total): ${(ours.totalMs / plainMs).toFixed(2)}×; p50: ${(pct(ours.latencies, 50) / pct(plain, 50)).toFixed(2)}×`);
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
  if (n > 0) await benchNative(n);
  if (m > 0) await benchDocker(m);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
