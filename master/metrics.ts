/**
 * The master's Prometheus metrics (`GET /metrics`). Gauges are computed from the master's state when scraped
 * (no bookkeeping on the hot path); counters mirror `Master.counters`; the allocation cycle and status update
 * latency are observed as they happen through `allocation.onCycle` and the cluster event stream.
 *
 * One prom-client Registry per master (never the global one), so several masters can live in one process.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Master } from './master';
import { healthGauges } from './metrics-health';
import { taskKey } from './state';

export interface MasterMetrics {
  registry: Registry;
  stop(): void;
}

const AGENT_STATES = ['ACTIVE', 'DRAINING', 'DRAINED', 'UNREACHABLE'] as const;

export function createMasterMetrics(m: Master): MasterMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ master: m.id });
  const stops: (() => void)[] = [];

  stateGauges(m, registry);
  healthGauges(m, registry);
  counterMirrors(m, registry);

  const offersMade = new Counter({
    name: 'agora_offers_made_total',
    help: 'Offers sent to frameworks',
    registers: [registry],
  });
  const cycle = new Histogram({
    name: 'agora_allocation_cycle_seconds',
    help: 'Duration of allocation cycles',
    registers: [registry],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const statusLatency = new Histogram({
    name: 'agora_status_update_latency_seconds',
    help: 'From an agent producing a task status to the master applying it',
    registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const reconnects = new Counter({
    name: 'agora_nats_reconnects_total',
    help: 'Reconnections of the master to NATS',
    registers: [registry],
  });

  const previous = m.allocation.onCycle;
  m.allocation.onCycle = (ms, offers) => {
    previous?.(ms, offers);
    cycle.observe(ms / 1000);
  };
  stops.push(() => {
    m.allocation.onCycle = previous;
  });

  stops.push(
    m.events.subscribe((e) => {
      if (e.type === 'OFFERS_MADE') offersMade.inc(e.count);
      if (e.type !== 'TASK_UPDATED') return;
      const t = m.state.tasks.get(taskKey(e.task.frameworkId, e.task.id)) ?? m.state.completed.at(-1);
      const last = t?.info.taskId === e.task.id ? t.last : undefined;
      if (last?.source === 'AGENT') statusLatency.observe(Math.max(0, Date.now() - last.timestamp) / 1000);
    }),
  );

  let watching = true;
  void (async () => {
    for await (const s of m.nc.status()) {
      if (!watching) break;
      if (s.type === 'reconnect') reconnects.inc();
    }
  })().catch((e: Error) => m.log.warn({ err: e.message }, 'metrics: NATS status watch ended'));
  stops.push(() => {
    watching = false;
  });

  return {
    registry,
    stop: () => {
      for (const s of stops) s();
    },
  };
}

function stateGauges(m: Master, registry: Registry): void {
  new Gauge({
    name: 'agora_agents',
    help: 'Agents by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<string, number>;
      for (const a of m.state.agents.values()) {
        if (a.state === 'REMOVED') continue;
        const s =
          a.state === 'UNREACHABLE' ? 'UNREACHABLE' : a.drain ? (a.drain.drained ? 'DRAINED' : 'DRAINING') : 'ACTIVE';
        counts[s]++;
      }
      this.reset();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'agora_tasks',
    help: 'Live tasks by state, plus the completed ones the master remembers',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>();
      for (const t of m.state.tasks.values()) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
      for (const t of m.state.completed) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
      this.reset();
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'agora_frameworks',
    help: 'Frameworks by connection',
    labelNames: ['connected'],
    registers: [registry],
    collect() {
      let up = 0;
      for (const f of m.state.frameworks.values()) if (f.connected) up++;
      this.set({ connected: 'true' }, up);
      this.set({ connected: 'false' }, m.state.frameworks.size - up);
    },
  });
  new Gauge({
    name: 'agora_offers_outstanding',
    help: 'Offers made and not yet answered',
    registers: [registry],
    collect() {
      this.set(m.offers.size);
    },
  });
  new Gauge({
    name: 'agora_resources_capacity',
    help: 'Resources of reachable agents (cpus; mem and disk in MB; ports as a count)',
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      const total = new Map<string, number>();
      for (const a of m.state.agents.values()) {
        if (a.state !== 'ACTIVE') continue;
        for (const [name, v] of a.total.scalars()) total.set(name, (total.get(name) ?? 0) + v);
      }
      this.reset();
      for (const [resource, v] of total) this.set({ resource }, v);
    },
  });
  new Gauge({
    name: 'agora_resources_used',
    help: 'Resources held by live tasks, per role',
    labelNames: ['resource', 'role'],
    registers: [registry],
    collect() {
      const used = new Map<string, number>();
      for (const t of m.state.tasks.values()) {
        if (!t.holdsResources) continue;
        for (const [name, v] of t.resources.scalars())
          used.set(`${name}\0${t.role}`, (used.get(`${name}\0${t.role}`) ?? 0) + v);
      }
      this.reset();
      for (const [k, v] of used) {
        const [resource, role] = k.split('\0');
        this.set({ resource, role }, v);
      }
    },
  });
  new Gauge({
    name: 'agora_resources_allocated',
    help: 'Resources allocated (offered or used) per role, from the allocator',
    labelNames: ['resource', 'role'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of m.allocator.roles())
        for (const [resource, v] of r.allocated.scalars()) this.set({ resource, role: r.role }, v);
    },
  });
}

/** Counters kept by the master as plain numbers, exposed as Prometheus counters. */
function counterMirrors(m: Master, registry: Registry): void {
  const mirrors: [string, string, keyof Master['counters']][] = [
    ['agora_offers_declined_total', 'Offers declined by frameworks', 'offersDeclined'],
    ['agora_offers_rescinded_total', 'Offers taken back by the master', 'offersRescinded'],
    ['agora_offers_accepted_total', 'Offers accepted by frameworks', 'offersAccepted'],
    ['agora_tasks_launched_total', 'Tasks launched', 'tasksLaunched'],
    ['agora_bad_messages_total', 'Messages refused as invalid', 'badMessages'],
    [
      'agora_stale_updates_total',
      'Redelivered status updates dropped because the master already had newer news of the task',
      'staleUpdates',
    ],
    [
      'agora_frameworks_failover_expired_total',
      'Frameworks removed because they stayed disconnected past their failover timeout',
      'frameworksFailoverExpired',
    ],
    [
      'agora_launches_lost_total',
      'Tasks dropped because their agent never received the LAUNCH (RECONCILE_LAUNCHES answered it unknown)',
      'launchesLost',
    ],
  ];
  for (const [name, help, field] of mirrors) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(m.counters[field]);
      },
    });
  }
}
