/**
 * What the page's overview needs without shipping every task: `GET /api/v1/summary` (counts, resource
 * totals, allocation timing) and `GET /api/v1/utilization` (the last hour, sampled by the master).
 */
import type { FastifyInstance } from 'fastify';
import type { Master } from '../master';
import { clusterTotals, type UtilizationSampler } from '../utilization';

export function registerOverviewRoutes(app: FastifyInstance, m: Master, sampler: UtilizationSampler): void {
  app.get('/api/v1/summary', async () => summaryView(m));
  app.get('/api/v1/utilization', async () => ({ intervalMs: sampler.intervalMs, samples: sampler.samples }));
}

export function summaryView(m: Master): object {
  const agents = { ACTIVE: 0, DRAINING: 0, DRAINED: 0, UNREACHABLE: 0 };
  for (const a of m.state.agents.values()) {
    if (a.state === 'REMOVED') continue;
    agents[
      a.state === 'UNREACHABLE' ? 'UNREACHABLE' : a.drain ? (a.drain.drained ? 'DRAINED' : 'DRAINING') : 'ACTIVE'
    ]++;
  }
  const tasks: Record<string, number> = {};
  for (const t of m.state.tasks.values()) tasks[t.state] = (tasks[t.state] ?? 0) + 1;
  for (const t of m.state.completed) tasks[t.state] = (tasks[t.state] ?? 0) + 1;
  let connected = 0;
  for (const f of m.state.frameworks.values()) if (f.connected) connected++;
  const cycles = m.allocation.recentCycleMs;
  const sorted = [...cycles].sort((a, b) => a - b);
  return {
    masterId: m.id,
    startedAt: m.startedAt,
    now: m.clock.now(),
    agents,
    tasks,
    frameworks: { total: m.state.frameworks.size, connected },
    resources: clusterTotals(m),
    outstandingOffers: m.offers.size,
    allocation: {
      intervalMs: m.config.allocationIntervalMs,
      cycles: m.allocation.cycles,
      lastMs: cycles.at(-1) ?? null,
      meanMs: cycles.length ? cycles.reduce((a, b) => a + b, 0) / cycles.length : null,
      p99Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : null,
    },
    counters: { ...m.counters },
  };
}
