/**
 * The master's gauges that the shipped alerting rules (deploy/prometheus/agora-rules.yml) are written against:
 * which agents are reachable, how long each disconnected framework has been away and how long it may be away,
 * and how old the oldest outstanding offer is. Computed from the master's state at scrape time, one series per
 * agent or framework, so an alert names the agent or framework it is about.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Master } from './master';

export function healthGauges(m: Master, registry: Registry): void {
  new Gauge({
    name: 'agora_agent_reachable',
    help: 'Per agent the master knows (not removed): 1 while it answers, 0 once marked UNREACHABLE',
    labelNames: ['agent', 'hostname'],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of m.state.agents.values()) {
        if (a.state === 'REMOVED') continue;
        this.set({ agent: a.info.id, hostname: a.info.hostname }, a.state === 'UNREACHABLE' ? 0 : 1);
      }
    },
  });
  new Gauge({
    name: 'agora_agent_last_ping_age_seconds',
    help: 'Per agent the master knows: time since its last ping',
    labelNames: ['agent', 'hostname'],
    registers: [registry],
    collect() {
      this.reset();
      const now = m.clock.now();
      for (const a of m.state.agents.values()) {
        if (a.state !== 'REMOVED')
          this.set({ agent: a.info.id, hostname: a.info.hostname }, Math.max(0, now - a.lastPingAt) / 1000);
      }
    },
  });
  frameworkGauges(m, registry);
  new Gauge({
    name: 'agora_offers_oldest_age_seconds',
    help: 'Age of the oldest offer made and not yet answered (0 when none)',
    registers: [registry],
    collect() {
      const now = m.clock.now();
      let oldest = now;
      for (const o of m.offers.all()) oldest = Math.min(oldest, o.createdAt);
      this.set(Math.max(0, now - oldest) / 1000);
    },
  });
}

function frameworkGauges(m: Master, registry: Registry): void {
  const labelNames = ['framework', 'name'] as const;
  new Gauge({
    name: 'agora_framework_connected',
    help: 'Per registered framework: 1 connected, 0 disconnected (its failover timer running)',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const f of m.state.frameworks.values())
        this.set({ framework: f.info.id, name: f.info.name }, f.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'agora_framework_disconnected_seconds',
    help: 'Per registered framework: time since it disconnected (0 while connected)',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      const now = m.clock.now();
      for (const f of m.state.frameworks.values()) {
        const away = f.connected || f.disconnectedAt === undefined ? 0 : Math.max(0, now - f.disconnectedAt);
        this.set({ framework: f.info.id, name: f.info.name }, away / 1000);
      }
    },
  });
  new Gauge({
    name: 'agora_framework_failover_timeout_seconds',
    help: 'Per registered framework: how long the master keeps its tasks while it is disconnected',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const f of m.state.frameworks.values())
        this.set({ framework: f.info.id, name: f.info.name }, f.info.failoverTimeoutMs / 1000);
    },
  });
}
