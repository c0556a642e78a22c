/**
 * Scale benchmark (issue 15): a real nats-server, a real master process, `agora sim` processes hosting N simulated
 * agents, and a framework on the SDK (bench/scale/framework.ts) launching M tasks as offers arrive, then killing
 * them all. Figures per size: registration, master RSS/heap idle and with every task running, CPU of master,
 * nats-server and the simulators, tasks launched per second (first ACCEPT → last TASK_RUNNING at the framework),
 * offer → TASK_RUNNING p50/p99/max, status updates per second end to end during the kill of all tasks (agent
 * outbox → JetStream → master → framework stream → ack) with the backlog, allocation cycle time, and the read API.
 *
 *   npm run bench:scale                                       1,000 agents / 10,000 tasks
 *   npm run bench:scale -- --agents 10000 --tasks 50000 --sims 2 --json
 *   npm run bench:scale -- --agents 5000 --tasks 5000 --cpu-prof /tmp/prof   # the master's CPU profile (--cpu-prof)
 *   npm run bench:scale -- … --logs /tmp/logs                                  # keep master and simulator stderr
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, createLogger } from 'agora/sdk';
import { streams } from 'agora/sdk/internal';
import { NatsServer, freePort } from '../test/harness/nats-server';
import { ScaleFramework } from './scale/framework';
import { cpuSeconds, cpuShare, metric, rssMb, runBin, timedGet, type Child } from './scale/procs';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const AGENTS = opt('agents', 1000);
const TASKS = opt('tasks', 10_000);
const SIMS = Math.max(1, opt('sims', 1));
/**
 * Frameworks sharing the tasks. The master sends one framework all its offers of a cycle in one OFFERS event, and
 * above ~3,500 offers that event exceeds NATS's 1 MB max_payload (the master then dies: docs/performance.md), so
 * by default one framework per 2,000 agents; DRF spreads the agents' offers among them.
 */
const FRAMEWORKS = Math.max(1, opt('frameworks', Math.ceil(AGENTS / 2000)));
const json = args.includes('--json');
const profIdx = args.indexOf('--cpu-prof');
const PROF_DIR = profIdx >= 0 ? args[profIdx + 1] : undefined;
const TIMEOUT_S = opt('timeout', 600);
const STALL_S = opt('stall', 60);
const logIdx = args.indexOf('--logs');
/** Where the master's and simulators' logs go (kept after the run); default: the run's temp dir (removed; a process that dies shows its last lines). */
const LOG_DIR = logIdx >= 0 ? args[logIdx + 1] : undefined;

const progress = (msg: string) =>
  process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const r1 = (x: number) => Math.round(x * 10) / 10;
const pct = (xs: number[], p: number) =>
  xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN;

async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  report: () => string,
  timeoutS = TIMEOUT_S,
): Promise<number> {
  const t0 = performance.now();
  let last = 0;
  while (!(await cond())) {
    if (performance.now() - t0 > timeoutS * 1000) throw new Error(`timed out waiting for ${what}: ${report()}`);
    if (performance.now() - last > 3000) {
      last = performance.now();
      progress(`${what}: ${report()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  process.env.AGORA_LOG_LEVEL ??= 'warn';
  const loadAtStart = Math.round(loadavg()[0]! * 10) / 10;
  const dir = mkdtempSync(join(tmpdir(), 'agora-scale-'));
  const nats = await NatsServer.start();
  const natsPid = Number((nats as unknown as { proc: { pid: number } }).proc.pid);
  const httpPort = await freePort();
  const http = `http://127.0.0.1:${httpPort}`;
  const logs = LOG_DIR ?? dir;
  mkdirSync(logs, { recursive: true });
  const master = runBin(
    'agora-master',
    [
      '--nats',
      nats.url,
      '--http-host',
      '127.0.0.1',
      '--http-port',
      String(httpPort),
      '--data-dir',
      join(dir, 'master'),
    ],
    { logFile: join(logs, 'master.log'), nodeArgs: PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : [] },
  );
  const masterPid = master.proc.pid!;
  const sims: Child[] = [];
  let fws: ScaleFramework[] = [];
  try {
    await until(
      'master HTTP',
      () =>
        fetch(`${http}/metrics`).then(
          (r) => r.ok,
          () => false,
        ),
      () => `see ${master.logFile}`,
      60,
    );
    const activeAgents = async () => (await metric(http, 'agora_agents').catch(() => [0]))[0] ?? 0;

    // 1. Register N agents from SIMS simulator processes; the clock starts when the first simulator begins.
    const simStats = new Map<string, { cpu: number; loopDelayMaxMs: number; outboxBacklog: number; rssMb: number }>();
    const simPeak = { cpu: 0, loopDelayMaxMs: 0, backlog: 0 };
    let simStartedAt: number | undefined;
    for (let k = 0; k < SIMS; k++) {
      const n = Math.floor(AGENTS / SIMS) + (k < AGENTS % SIMS ? 1 : 0);
      const sim = runBin(
        'agora-sim',
        [
          '--nats',
          nats.url,
          '--agents',
          String(n),
          '--prefix',
          `s${k}`,
          '--connections',
          String(Math.max(1, Math.ceil(n / 2500))),
          '--stats-interval',
          '1s',
        ],
        { logFile: join(logs, `sim-${k}.log`), readStdout: true },
      );
      sim.onLine((l) => {
        if (!l.startsWith('{"kind":"sim-')) return;
        const o = JSON.parse(l) as Record<string, number | string>;
        if (o.kind === 'sim-starting') simStartedAt ??= performance.now();
        if (o.kind === 'sim-stats') {
          simStats.set(String(o.prefix), {
            cpu: Number(o.cpu),
            loopDelayMaxMs: Number(o.loopDelayMaxMs),
            outboxBacklog: Number(o.outboxBacklog),
            rssMb: Number(o.rssMb),
          });
          simPeak.cpu = Math.max(simPeak.cpu, Number(o.cpu));
          simPeak.loopDelayMaxMs = Math.max(simPeak.loopDelayMaxMs, Number(o.loopDelayMaxMs));
        }
      });
      sims.push(sim);
    }
    const simBacklog = () => [...simStats.values()].reduce((s, x) => s + Number(x.outboxBacklog), 0);
    await until(
      'simulators loaded',
      () => simStartedAt !== undefined,
      () => `see ${sims.map((s) => s.logFile).join(', ')}`,
      120,
    );
    let active = 0;
    await until(
      'agents registered',
      async () => (active = await activeAgents()) >= AGENTS,
      () => `${active}/${AGENTS}`,
    );
    const registerSeconds = (performance.now() - simStartedAt!) / 1000;
    progress(`${AGENTS} agents registered in ${r1(registerSeconds)} s`);

    // 2. Idle: heartbeats only.
    await new Promise((r) => setTimeout(r, 3000));
    const [masterIdleCpu, natsIdleCpu] = await cpuShare([masterPid, natsPid], 10_000);
    const idle = {
      rssMb: rssMb(masterPid),
      heapMb: Math.round(((await metric(http, 'nodejs_heap_size_used_bytes'))[0] ?? 0) / 1048576),
    };
    const idleApi = await timedGet(`${http}/api/v1/agents`, 1);
    progress(
      `idle: master ${idle.rssMb} MB RSS, ${idle.heapMb} MB heap, ${r1(masterIdleCpu! * 100)} % CPU; nats ${r1(natsIdleCpu! * 100)} %`,
    );

    // 3. Launch M tasks as offers arrive.
    const cyclesBefore = await metric(http, 'agora_allocation_cycle_seconds_sum');
    const cycleCountBefore = await metric(http, 'agora_allocation_cycle_seconds_count');
    const cpuBefore = [cpuSeconds(masterPid), cpuSeconds(natsPid), ...sims.map((s) => cpuSeconds(s.proc.pid!))];
    simPeak.cpu = 0;
    simPeak.loopDelayMaxMs = 0;
    const perOffer = Math.max(1, Math.ceil(TASKS / AGENTS));
    fws = Array.from(
      { length: FRAMEWORKS },
      (_, k) =>
        new ScaleFramework(nats.url, Math.floor(TASKS / FRAMEWORKS) + (k < TASKS % FRAMEWORKS ? 1 : 0), perOffer),
    );
    const sum = (f: (x: ScaleFramework) => number) => fws.reduce((s, x) => s + f(x), 0);
    const launchT0 = performance.now();
    await Promise.all(fws.map((x) => x.driver.start()));
    // All running, or no task started for STALL_S: a LAUNCH the agent never confirmed leaves its task STAGING at the
    // master for good (until that agent re-registers), so the run goes on and reports how many were left.
    let lastRunning = 0;
    let lastChange = performance.now();
    await until(
      'tasks running',
      () => {
        const n = sum((x) => x.running);
        if (n !== lastRunning) {
          lastRunning = n;
          lastChange = performance.now();
        }
        return n >= TASKS || (n > 0 && performance.now() - lastChange > STALL_S * 1000);
      },
      () =>
        `${sum((x) => x.running)}/${TASKS} running, ${sum((x) => x.times.size)} launched, sim backlog ${simBacklog()}`,
    );
    const running = sum((x) => x.running);
    if (running < TASKS) progress(`${TASKS - running} tasks never reached TASK_RUNNING (no progress for ${STALL_S} s)`);
    const launchS = (running < TASKS ? lastChange - launchT0 : performance.now() - launchT0) / 1000;
    const cpuAfter = [cpuSeconds(masterPid), cpuSeconds(natsPid), ...sims.map((s) => cpuSeconds(s.proc.pid!))];
    const launchCpu = cpuAfter.map((c, i) => Math.round(((c - cpuBefore[i]!) / launchS) * 1000) / 1000);
    // CPU time per task launched: steadier than wall time on a shared machine (it does not count waiting for a core).
    const cpuMsPerTask = cpuAfter.map((c, i) => Math.round((((c - cpuBefore[i]!) * 1000) / running) * 100) / 100);
    const firstAccept = Math.min(...fws.map((x) => x.firstAcceptAt ?? Infinity));
    const lastRunningAt = Math.max(...fws.map((x) => x.lastRunningAt ?? 0));
    const tasksPerSecond = running / ((lastRunningAt - firstAccept) / 1000);
    const lat = fws.flatMap((x) => x.latencies()).sort((a, b) => a - b);
    const cycles =
      ((await metric(http, 'agora_allocation_cycle_seconds_sum'))[0]! - (cyclesBefore[0] ?? 0)) /
      Math.max(1, (await metric(http, 'agora_allocation_cycle_seconds_count'))[0]! - (cycleCountBefore[0] ?? 0));
    const launchSimPeak = { ...simPeak };
    progress(
      `${TASKS} running: ${Math.round(tasksPerSecond)} tasks/s, offer→running p50 ${r1(pct(lat, 50))} ms p99 ${r1(pct(lat, 99))} ms`,
    );

    // 4. All running: memory and the read API.
    await new Promise((r) => setTimeout(r, 2000));
    const busy = {
      rssMb: rssMb(masterPid),
      heapMb: Math.round(((await metric(http, 'nodejs_heap_size_used_bytes'))[0] ?? 0) / 1048576),
    };
    const state = await timedGet(`${http}/api/v1/state`);
    const tasksPage = await timedGet(`${http}/api/v1/tasks?limit=100`);
    const agentsApi = await timedGet(`${http}/api/v1/agents`);
    progress(
      `all running: master ${busy.rssMb} MB RSS; state ${state.ms} ms (${state.bytes} B), tasks page ${tasksPage.ms} ms, agents ${agentsApi.ms} ms`,
    );

    // 5. Status updates end to end: kill every task (TASK_KILLING + TASK_KILLED each), backlog sampled meanwhile.
    const nc = await connectNats({
      servers: nats.url,
      name: 'bench-scale',
      log: createLogger('bench', { level: 'warn' }),
    });
    const jsm = await jetstreamManager(nc);
    // Where updates wait: agents' outboxes (not yet stored by JetStream), the master's consumer, the framework's.
    const backlog = async () => {
      const n = { outbox: simBacklog(), master: 0, framework: 0 };
      for await (const c of jsm.consumers.list(streams.agentUpdates.name))
        n.master += c.num_pending + c.num_ack_pending;
      for await (const c of jsm.consumers.list(streams.frameworkUpdates.name))
        n.framework += c.num_pending + c.num_ack_pending;
      return n;
    };
    const backlogs: { outbox: number; master: number; framework: number }[] = [];
    const updatesBefore = sum((x) => x.updates);
    simPeak.cpu = 0;
    simPeak.loopDelayMaxMs = 0;
    const killCpuBefore = [cpuSeconds(masterPid), cpuSeconds(natsPid), ...sims.map((s) => cpuSeconds(s.proc.pid!))];
    const killT0 = performance.now();
    const sampler = setInterval(() => {
      backlog().then(
        (b) => backlogs.push(b),
        (e: Error) => progress(`backlog sample failed: ${e.message}`),
      );
    }, 500);
    await Promise.all(fws.map((x) => x.killAll(Math.ceil(256 / FRAMEWORKS))));
    await until(
      'tasks killed',
      () => sum((x) => x.killed) >= running,
      () => `${sum((x) => x.killed)}/${TASKS} killed, backlog ${JSON.stringify(backlogs.at(-1) ?? {})}`,
    );
    const killS = (performance.now() - killT0) / 1000;
    clearInterval(sampler);
    const statusUpdates = sum((x) => x.updates) - updatesBefore;
    const killCpuAfter = [cpuSeconds(masterPid), cpuSeconds(natsPid), ...sims.map((s) => cpuSeconds(s.proc.pid!))];
    const cpuMsPerUpdate = killCpuAfter.map(
      (c, i) => Math.round((((c - killCpuBefore[i]!) * 1000) / Math.max(1, statusUpdates)) * 100) / 100,
    );
    const statusUpdatesPerSecond = statusUpdates / killS;
    const finalBacklog = await backlog();
    await nc.close();

    const row = {
      agents: AGENTS,
      tasks: TASKS,
      sims: SIMS,
      frameworks: FRAMEWORKS,
      loadAvg: [loadAtStart, Math.round(loadavg()[0]! * 10) / 10],
      registerSeconds: r1(registerSeconds),
      masterIdleRssMb: idle.rssMb,
      masterIdleHeapMb: idle.heapMb,
      masterIdleCpu,
      natsIdleCpu,
      // Idle master CPU per heartbeat (agents ping every 5 s: the default --agent-ping-timeout 15s / 3), in µs.
      masterUsPerHeartbeat: Math.round((masterIdleCpu! * 1e6) / (AGENTS / 5)),
      masterRssMb: busy.rssMb,
      masterHeapMb: busy.heapMb,
      tasksRunning: running,
      tasksPerSecond: Math.round(tasksPerSecond),
      launchSeconds: r1(launchS),
      offerToRunningP50Ms: r1(pct(lat, 50)),
      offerToRunningP99Ms: r1(pct(lat, 99)),
      offerToRunningMaxMs: r1(lat.at(-1) ?? NaN),
      launchCpu: { master: launchCpu[0], nats: launchCpu[1], sims: launchCpu.slice(2) },
      cpuMsPerTask: { master: cpuMsPerTask[0], nats: cpuMsPerTask[1], sims: cpuMsPerTask.slice(2) },
      cpuMsPerUpdate: { master: cpuMsPerUpdate[0], nats: cpuMsPerUpdate[1], sims: cpuMsPerUpdate.slice(2) },
      simPeakDuringLaunch: launchSimPeak,
      simPeakDuringKill: { ...simPeak },
      statusUpdatesPerSecond: Math.round(statusUpdatesPerSecond),
      statusUpdates,
      killSeconds: r1(killS),
      backlogMax: {
        outbox: Math.max(0, ...backlogs.map((b) => b.outbox)),
        master: Math.max(0, ...backlogs.map((b) => b.master)),
        framework: Math.max(0, ...backlogs.map((b) => b.framework)),
      },
      backlogFinal: finalBacklog,
      allocationCycleMs: r1(cycles * 1000),
      stateApiMs: state.ms,
      stateApiBytes: state.bytes,
      tasksPageMs: tasksPage.ms,
      tasksPageBytes: tasksPage.bytes,
      agentsApiMs: agentsApi.ms,
      agentsApiBytes: agentsApi.bytes,
      agentsApiIdleMs: idleApi.ms,
    };
    if (!json)
      console.table(
        Object.entries(row).map(([k, v]) => ({ figure: k, value: typeof v === 'object' ? JSON.stringify(v) : v })),
      );
    if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    await Promise.all(fws.map((x) => x.driver.stop().catch((e: Error) => progress(`framework stop: ${e.message}`))));
    await Promise.all(sims.map((s) => s.stop()));
    await master.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:scale failed: ${err.stack}\n`);
    process.exit(1);
  },
);
