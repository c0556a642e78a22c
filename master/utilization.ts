/**
 * Cluster utilization over the last hour, sampled by the master for the page's chart: every `intervalMs`
 * the used and total cpus/mem/disk of reachable agents and the number of running tasks, in a ring of
 * `hour / intervalMs` samples.
 */
import type { Master } from './master';

export interface UtilizationSample {
  t: number;
  cpus: [used: number, total: number];
  mem: [used: number, total: number];
  disk: [used: number, total: number];
  running: number;
}

export interface Totals {
  used: Record<string, number>;
  total: Record<string, number>;
}

/** Used and total scalars across ACTIVE (reachable) agents, including draining ones. */
export function clusterTotals(m: Master): Totals {
  const used: Record<string, number> = {};
  const total: Record<string, number> = {};
  for (const a of m.state.agents.values()) {
    if (a.state !== 'ACTIVE') continue;
    for (const [k, v] of a.total.scalars()) total[k] = (total[k] ?? 0) + v;
  }
  for (const t of m.state.tasks.values()) {
    if (!t.holdsResources || m.state.agents.get(t.agentId)?.state !== 'ACTIVE') continue;
    for (const [k, v] of t.resources.scalars()) used[k] = (used[k] ?? 0) + v;
  }
  return { used, total };
}

export class UtilizationSampler {
  readonly samples: UtilizationSample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly keep: number;

  constructor(
    private readonly m: Master,
    readonly intervalMs = 10_000,
    windowMs = 3_600_000,
  ) {
    this.keep = Math.max(1, Math.ceil(windowMs / intervalMs));
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(): UtilizationSample {
    const { used, total } = clusterTotals(this.m);
    let running = 0;
    for (const t of this.m.state.tasks.values()) if (t.state === 'TASK_RUNNING') running++;
    const pair = (k: string): [number, number] => [round(used[k] ?? 0), round(total[k] ?? 0)];
    const s: UtilizationSample = {
      t: this.m.clock.now(),
      cpus: pair('cpus'),
      mem: pair('mem'),
      disk: pair('disk'),
      running,
    };
    this.samples.push(s);
    if (this.samples.length > this.keep) this.samples.splice(0, this.samples.length - this.keep);
    return s;
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
