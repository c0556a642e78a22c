/**
 * The core's durable facts, and rebuilding a core from them. A snapshot holds what the registry holds —
 * frameworks (live and removed), admitted agents with their dynamic reservations and drains, roles — which is
 * everything that cannot be learned again: tasks, agents' resources and liveness come back with the agents'
 * re-registration, frameworks reconnect (their failover clocks start at the rebuild). A standby master replays
 * the same: `MasterCore.fromSnapshot(registry.load())`.
 */
import { Resources, type AgentInfo, type FrameworkInfo } from '../../sdk';
import type { MasterCore } from './core';
import type { DrainState, StoredRole } from './effects';

export interface StoredFramework {
  info: FrameworkInfo;
  registeredAt: number;
  removedAt?: number;
}
export interface StoredAgent {
  info: AgentInfo;
  registeredAt: number;
  removedAt?: number;
  reservations: string;
  drain?: DrainState;
}
export interface CoreSnapshot {
  frameworks: StoredFramework[];
  agents: StoredAgent[];
  roles: StoredRole[];
}

export function snapshot(c: MasterCore): CoreSnapshot {
  const frameworks: StoredFramework[] = [...c.state.frameworks.values()].map((f) => ({
    info: f.info,
    registeredAt: f.registeredAt,
  }));
  frameworks.push(...c.removedFrameworks.values());
  const agents: StoredAgent[] = [...c.state.agents.values()].map((a) => ({
    info: a.info,
    registeredAt: a.registeredAt,
    reservations: a.reservations.format(),
    ...(a.removedAt !== undefined ? { removedAt: a.removedAt } : {}),
    ...(a.drain ? { drain: { ...a.drain } } : {}),
  }));
  agents.push(...c.awaitingAgents.values());
  return { frameworks, agents, roles: [...c.roles.values()] };
}

/** Frameworks come back disconnected (failing over from `now`), agents as awaited, roles applied to the allocator. */
export function restore(c: MasterCore, snap: CoreSnapshot, now: number): void {
  for (const r of snap.roles) {
    c.roles.set(r.role, r);
    c.allocator.setWeight(r.role, r.weight);
    c.allocator.setQuota(r.role, {
      guarantee: r.guarantee ? Resources.parse(r.guarantee) : undefined,
      limit: r.limit ? Resources.parse(r.limit) : undefined,
    });
  }
  for (const f of snap.frameworks) {
    if (f.removedAt !== undefined) {
      c.removedFrameworks.set(f.info.id, f);
      continue;
    }
    c.state.frameworks.set(f.info.id, {
      info: f.info,
      connected: false,
      registeredAt: f.registeredAt,
      lastSeenAt: now,
      disconnectedAt: now,
      tasks: new Set(),
    });
    c.allocator.addFramework({ id: f.info.id, roles: f.info.roles });
    c.allocator.deactivateFramework(f.info.id);
  }
  for (const a of snap.agents) c.awaitingAgents.set(a.info.id, a);
}
