/**
 * Allocator benchmark after Mesos's `HierarchicalAllocator_BENCHMARK_Test.DeclineOffers`: every framework has
 * its own role, every agent is `cpus:24;mem:96000;ports:[31000-32000]` with a slice already used by framework
 * (i mod F) as in Mesos's setup, and every framework declines every offer it gets with a refuse filter of
 * INT_MAX seconds. Each round first declines the previous round's offers (not timed), then times one full
 * allocation cycle. We report the median of rounds 1–5 and the heap in use afterwards.
 *
 *   npm run bench:allocator                        all four shapes
 *   npm run bench:allocator -- 1000                only shapes with that many agents
 *   npm run bench:allocator -- 1000 --quota       every role also has a guarantee of cpus:1;mem:512 (the quota
 *                                                  path: stage 1, headroom), as Mesos's quota benchmarks set
 *   npm run bench:allocator -- 1000 --saturate     then keep declining until every pair is filtered, printing
 *                                                  the cycle time as filters accumulate (Mesos ran 2·F rounds)
 */
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Resources } from '../sdk/resources';
import type { AgentId, FrameworkId } from '../sdk/protocol/common';
import type { Allocation } from '../master/allocator/allocator';
import { HierarchicalDrfAllocator } from '../master/allocator/drf-allocator';

const SHAPES = [
  [1_000, 100],
  [5_000, 500],
  [10_000, 1_000],
  [20_000, 2_000],
] as const;
const MESOS_1_8_MS: Record<number, number> = { 1_000: 70, 5_000: 400, 10_000: 1_100, 20_000: 3_800 };
const TIMED_ROUNDS = 5;
const AGENT = Resources.parse('cpus:24;mem:96000;ports:[31000-32000]');
const USED = Resources.parse('cpus:16;mem:48000;ports:[31000-31015]');
const INT_MAX_SECONDS = 2_147_483_647;
const NOW_MS = 1_700_000_000_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Row {
  agents: number;
  frameworks: number;
  medianMs: number;
  medianCpuMs: number;
  roundsMs: number[];
  offersPerRound: number[];
  heapMb: number;
}

const GUARANTEE = Resources.parse('cpus:1;mem:512');

function setUp(agentCount: number, frameworkCount: number): HierarchicalDrfAllocator {
  const allocator = new HierarchicalDrfAllocator();
  const frameworks: FrameworkId[] = [];
  for (let i = 0; i < frameworkCount; i++) {
    if (process.argv.includes('--quota')) allocator.setQuota(`role-${i}`, { guarantee: GUARANTEE });
    const id = `framework-${i}` as FrameworkId;
    allocator.addFramework({ id, roles: [`role-${i}`] });
    frameworks.push(id);
  }
  for (let i = 0; i < agentCount; i++) {
    const used = [{ frameworkId: frameworks[i % frameworkCount], role: `role-${i % frameworkCount}`, resources: USED }];
    allocator.addAgent({ id: `agent-${i}` as AgentId, hostname: `agent-${i}`, total: AGENT, attributes: [] }, used);
  }
  return allocator;
}

function declineAll(allocator: HierarchicalDrfAllocator, offers: Allocation[]): void {
  for (const o of offers)
    allocator.recoverResources(o.frameworkId, o.agentId, o.role, o.resources, {
      refuseSeconds: INT_MAX_SECONDS,
      now: NOW_MS,
    });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(agentCount: number, frameworkCount: number): Row {
  gc();
  const allocator = setUp(agentCount, frameworkCount);
  let offers = allocator.allocate(NOW_MS); // round 0: nothing filtered yet
  const roundsMs: number[] = [];
  const roundsCpuMs: number[] = [];
  const offersPerRound: number[] = [];
  for (let round = 1; round <= TIMED_ROUNDS; round++) {
    declineAll(allocator, offers);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    offers = allocator.allocate(NOW_MS + round);
    roundsMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    const cpu = process.cpuUsage(cpuBefore);
    roundsCpuMs.push((cpu.user + cpu.system) / 1000);
    offersPerRound.push(offers.length);
  }
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  return {
    agents: agentCount,
    frameworks: frameworkCount,
    medianMs: median(roundsMs),
    medianCpuMs: median(roundsCpuMs),
    roundsMs,
    offersPerRound,
    heapMb,
  };
}

function printTable(rows: Row[]): void {
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
  console.log(
    '| agents | frameworks | ms per cycle (median of 5) | CPU ms (median) | rounds 1–5 (ms) | offers per round | heap MB | Mesos 1.8 ms |',
  );
  console.log(
    '|-------:|-----------:|---------------------------:|----------------:|-----------------|-----------------:|--------:|-------------:|',
  );
  for (const r of rows) {
    const rounds = r.roundsMs.map((ms) => ms.toFixed(0)).join(' / ');
    console.log(
      `| ${r.agents} | ${r.frameworks} | ${r.medianMs.toFixed(1)} | ${r.medianCpuMs.toFixed(1)} | ${rounds} | ${median(r.offersPerRound)} | ${r.heapMb.toFixed(0)} | ~${MESOS_1_8_MS[r.agents]} |`,
    );
  }
}

/** Declines every offer round after round until nothing is offered; prints the cycle time every tenth of the way. */
function saturate(agentCount: number, frameworkCount: number): void {
  gc();
  const allocator = setUp(agentCount, frameworkCount);
  let offers = allocator.allocate(NOW_MS);
  const every = Math.max(1, Math.floor(frameworkCount / 10));
  for (let round = 1; offers.length > 0; round++) {
    declineAll(allocator, offers);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    offers = allocator.allocate(NOW_MS + round);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (round % every === 0 || offers.length === 0)
      console.log(
        `${agentCount}/${frameworkCount} round ${round}: ${ms.toFixed(1)} ms (CPU ${cpuMs.toFixed(1)} ms), ${offers.length} offers`,
      );
  }
}

function main(): void {
  const only = process.argv[2] ? Number(process.argv[2]) : undefined;
  const rows: Row[] = [];
  for (const [agents, frameworks] of SHAPES) {
    if (only !== undefined && agents !== only) continue;
    if (process.argv.includes('--saturate')) {
      saturate(agents, frameworks);
      continue;
    }
    rows.push(measure(agents, frameworks));
    console.error(`measured ${agents} agents / ${frameworks} frameworks`);
  }
  if (rows.length > 0) printTable(rows);
}

main();
