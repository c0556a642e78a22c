/**
 * Launch benchmark (`npm run bench:launch`): how fast tasks start and go away on one agent.
 *
 *   1. native, on one NativeContainerizer:
 *      a. latency: S tasks (default 100) launched one at a time: launch() call → resolved (the agent could
 *         report TASK_RUNNING) and → the command itself running, p50/p99;
 *      b. throughput, R rounds (default 1): N tasks (`sleep 600`, default 1,000) launched as one batch until
 *         every command runs, then kill (SIGTERM, grace 3 s) + destroy of all N; and, in the same round, the
 *         naive floor (bench/native-baseline.ts: N × `unshare … -- sh -c 'exec sleep 600'` from a bash loop)
 *         until all run, then killed. Prints the ratio Agora / floor. Rounds alternate which goes first.
 *   2. docker: M tasks (default 50) through DockerContainerizer, then M plain `docker run -d` of the same
 *      image and command, sequentially; per-launch latency and totals, and the ratio.
 *
 * Options: --native N  --sample S  --rounds R  --docker M  (0 skips a part). Cleans up everything it made,
 * even on failure.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Container, ContainerSpec } from '../isolation/containerizer';
import { DockerContainerizer } from '../isolation/docker/docker-containerizer';
import { NativeContainerizer } from '../isolation/native/native-containerizer';
import { findExecutable } from '../isolation/native/tools';
import { sweepCgroups } from '../isolation/testing/fixtures';
import { ProgramCounter, runBaseline, until, type BaselineResult } from './native-baseline';

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

function median(xs: number[]): number {
  const v = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;
const s = (n: number): string => `${(n / 1000).toFixed(2)} s`;

function spec(root: string, i: number, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  const sandboxDir = path.join(root, `t${i}`);
  fs.mkdirSync(sandboxDir);
  return {
    taskId: `bench-${i}`,
    frameworkId: 'bench',
    agentId: 'bench-agent',
    sandboxDir,
    command: { shell: false, value: 'sleep', arguments: ['600'] },
    env: {},
    cpus: 0.01,
    memMb: 16,
    hostPorts: [],
    labels: { [BENCH_LABEL]: '1' },
    ...extra,
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

/** The processes of a task's cgroup (freezer on v1: the hierarchy the kill path uses). */
function taskPids(host: NativeHost, cgroupPath: string): number[] {
  const dir = host.version === 1 ? `${host.mounts.freezer}/${cgroupPath}` : `${host.mount}/${cgroupPath}`;
  try {
    return fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // the task's init has not made it yet
    throw err;
  }
}

async function destroyAll(containers: Container[]): Promise<number> {
  const d0 = performance.now();
  await Promise.all(
    containers.map(async (k) => {
      await k.kill(3_000);
      await k.destroy();
    }),
  );
  return performance.now() - d0;
}

/** CPU seconds (user + system) of a process and of all its reaped descendants, from /proc/<pid>/stat. */
function cpuOfTree(pid: number): { self: number; children: number } {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
  const tick = 100; // USER_HZ
  return { self: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
}

/** Throws once any of `containers` has ended (a launch that failed would otherwise be waited for forever). */
function endWatch(containers: Container[]): { check(): void } {
  const ended: string[] = [];
  for (const k of containers) {
    k.wait().then(
      (e) => ended.push(`${k.taskId}: ${e.reason} ${e.message}`),
      (err: unknown) => ended.push(`${k.taskId}: wait failed: ${String(err)}`),
    );
  }
  return {
    check: () => {
      if (ended.length > 0) throw new Error(`task ended before its command ran — ${ended[0]}`);
    },
  };
}

interface AgoraBatch {
  launchedMs: number;
  allRunningMs: number;
  destroyMs: number;
  killed: number;
  cpu: { agent: number; server: number; tasks: number };
}

/** N tasks launched as one batch (as an agent does for the tasks of one accept), until every command runs; then all killed. */
async function agoraBatch(
  c: NativeContainerizer,
  host: NativeHost,
  specs: ContainerSpec[],
  made: Container[],
): Promise<AgoraBatch> {
  const serverPid = c.launchServerPid()!;
  const cpu0 = { agent: process.cpuUsage(), tree: cpuOfTree(serverPid) };
  const t0 = performance.now();
  const containers = await Promise.all(specs.map((sp) => c.launch(sp)));
  made.push(...containers);
  const launchedMs = performance.now() - t0;
  const sleeps = new ProgramCounter('sleep');
  const pending = new Set(containers);
  const ended = endWatch(containers);
  await until(() => {
    ended.check();
    for (const k of pending) if (sleeps.scan(taskPids(host, String(k.checkpoint.cgroupPath)))) pending.delete(k);
    return pending.size === 0;
  }, 100);
  const allRunningMs = performance.now() - t0;
  const destroyMs = await destroyAll(containers);
  made.length = 0;
  const exits = await Promise.all(containers.map((k) => k.wait()));
  const agentCpu = process.cpuUsage(cpu0.agent);
  const tree = cpuOfTree(serverPid);
  return {
    launchedMs,
    allRunningMs,
    destroyMs,
    killed: exits.filter((e) => e.reason === 'KILLED').length,
    cpu: {
      agent: (agentCpu.user + agentCpu.system) / 1e6,
      server: tree.self - cpu0.tree.self,
      tasks: tree.children - cpu0.tree.children,
    },
  };
}

/** One at a time: launch() call → resolved, and → the command running. */
async function latencies(
  c: NativeContainerizer,
  host: NativeHost,
  specs: ContainerSpec[],
  made: Container[],
): Promise<{ resolved: number[]; running: number[] }> {
  const resolved: number[] = [];
  const running: number[] = [];
  for (const sp of specs) {
    const a = performance.now();
    const k = await c.launch(sp);
    made.push(k);
    resolved.push(performance.now() - a);
    const sleeps = new ProgramCounter('sleep');
    const ended = endWatch([k]);
    await until(() => ended.check() ?? sleeps.scan(taskPids(host, String(k.checkpoint.cgroupPath))), 1);
    running.push(performance.now() - a);
  }
  await destroyAll(made.splice(0));
  return { resolved: resolved.sort((x, y) => x - y), running: running.sort((x, y) => x - y) };
}

async function benchNative(n: number, sample: number, rounds: number): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bench-'));
  const c = new NativeContainerizer({ agentId: 'bench-agent', cgroupRoot: `agora-bench/${process.pid}/agora` });
  const avail = await c.available();
  const host = c.host;
  if (!avail.ok || !host.ok) throw new Error(`native containerizer unavailable: ${avail.ok ? '' : avail.reason}`);
  const unshareBin = findExecutable('unshare');
  if (!unshareBin) throw new Error('unshare (util-linux) is needed for the baseline');
  const made: Container[] = [];
  let next = 0;
  const specs = (count: number): ContainerSpec[] => Array.from({ length: count }, () => spec(root, next++));
  try {
    console.log(`\n## native (cgroup v${host.version})`);
    if (sample > 0) {
      const { resolved, running } = await latencies(c, host, specs(sample), made);
      console.log(
        `latency, ${sample} tasks one at a time: launch() p50 ${ms(pct(resolved, 50))} p99 ${ms(pct(resolved, 99))}; to command running p50 ${ms(pct(running, 50))} p99 ${ms(pct(running, 99))}`,
      );
    }
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const load = os.loadavg()[0]!.toFixed(2);
      const runBase = () => runBaseline(host, `agora-bench/${process.pid}/baseline-${r}`, n, unshareBin);
      const runOurs = async () => {
        const batch = specs(n); // sandboxes made before the clock starts, as the agent makes them before launch()
        if (!c.launchServerPid()) await latencies(c, host, specs(1), made); // start the launch server outside the clock
        return agoraBatch(c, host, batch, made);
      };
      let base: BaselineResult;
      let ours: AgoraBatch;
      if (r % 2 === 0) {
        base = await runBase();
        ours = await runOurs();
      } else {
        ours = await runOurs();
        base = await runBase();
      }
      const ratio = ours.allRunningMs / base.allRunningMs;
      ratios.push(ratio);
      const cpu = ours.cpu.agent + ours.cpu.server + ours.cpu.tasks;
      console.log(
        `round ${r + 1} (load ${load} → ${os.loadavg()[0]!.toFixed(2)}, ${r % 2 === 0 ? 'baseline first' : 'agora first'}):`,
      );
      console.log(
        `  agora    ${n} × sleep 600: all launch() resolved ${s(ours.launchedMs)}; all running ${s(ours.allRunningMs)}; kill (SIGTERM, grace 3 s) + destroy all ${s(ours.destroyMs)} (${ours.killed}/${n} KILLED); cpu: agent ${ours.cpu.agent.toFixed(2)} + launch server ${ours.cpu.server.toFixed(2)} + tasks ${ours.cpu.tasks.toFixed(2)} = ${cpu.toFixed(2)} s`,
      );
      console.log(
        `  baseline ${n} × unshare … sh -c 'exec sleep 600' from a bash loop: all running ${s(base.allRunningMs)}; SIGKILL all ${s(base.destroyMs)}; cpu ${base.cpuSeconds.toFixed(2)} s`,
      );
      console.log(`  ratio agora / baseline, launch until all running: ${ratio.toFixed(2)}×`);
    }
    if (rounds > 1)
      console.log(`ratios: ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}×`);
  } finally {
    await Promise.all(
      made.map(async (k) => {
        await k.kill(0);
        await k.destroy();
      }),
    );
    c.close();
    await sweepCgroups(`agora-bench/${process.pid}`);
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
  const docker = {
    image: IMAGE,
    pullPolicy: 'ifNotPresent' as const,
    portMappings: [],
    network: 'bridge' as const,
    readOnlyRootfs: false,
  };
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
      const k = await d.docker.createContainer({
        Image: IMAGE,
        Cmd: ['sleep', '600'],
        Labels: { [BENCH_LABEL]: 'plain' },
      });
      await k.start();
      bare.push(performance.now() - a);
    }
    const bareMs = performance.now() - b0;
    bare.sort((x, y) => x - y);
    console.log(`\n## docker: ${m} × sleep 600 (${IMAGE})`);
    console.log(
      `agora launch latency p50 ${ms(pct(ours.latencies, 50))}, p99 ${ms(pct(ours.latencies, 99))}; all: ${s(ours.totalMs)}; kill + destroy all: ${s(oursDestroyMs)}`,
    );
    console.log(`plain docker run -d  p50 ${ms(pct(plain, 50))}, p99 ${ms(pct(plain, 99))}; all: ${s(plainMs)}`);
    console.log(`bare API create+start p50 ${ms(pct(bare, 50))}, p99 ${ms(pct(bare, 99))}; all: ${s(bareMs)}`);
    console.log(
      `ratio agora / plain docker run (total): ${(ours.totalMs / plainMs).toFixed(2)}×; p50: ${(pct(ours.latencies, 50) / pct(plain, 50)).toFixed(2)}×`,
    );
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
  console.log(
    `# launch benchmark — ${os.cpus().length} cpus, ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}`,
  );
  if (n > 0) await benchNative(n, arg('sample', 100), arg('rounds', 1));
  if (m > 0) await benchDocker(m);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
