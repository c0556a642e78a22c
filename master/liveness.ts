/**
 * Who is still there: agent heartbeats (ACTIVE → UNREACHABLE → REMOVED, Mesos's partition-aware lifecycle),
 * framework heartbeats and failover timeouts, and recovery of frameworks and roles from the registry after a
 * master restart. Driven by the injected clock, so every timeout is tested without sleeping.
 */
import { frameworkConsumerName, frameworkUpdatesStreamName, isTerminal, streams, subjects, type FrameworkId, type TimerHandle } from '../sdk';
import { Resources } from '../sdk';
import type { Master } from './master';
import { PendingKills } from './pending-kills';
import type { AgentRecord, FrameworkRecord } from './state';

/** A STAGING task younger than this that a re-registering agent does not report may still be in flight. */
const LAUNCH_IN_FLIGHT_MS = 10_000;

export class Liveness {
  private timer?: TimerHandle;
  private lastFrameworkHeartbeat = 0;
  /** Kills that wait for their agent to be reachable again (sent at re-registration, retried every check). */
  readonly pendingKills: PendingKills;

  constructor(private readonly m: Master) { this.pendingKills = new PendingKills(m); }

  start(): void { this.tick(); }
  stop(): void { if (this.timer) this.m.clock.clearTimeout(this.timer); this.timer = undefined; }

  private tick(): void {
    const c = this.m.config;
    const period = Math.max(50, Math.min(c.agentPingTimeoutMs, c.frameworkHeartbeatIntervalMs) / 2);
    this.timer = this.m.clock.setTimeout(() => { this.check(); this.tick(); }, period);
  }

  /** One pass over every agent and framework. */
  check(): void {
    const m = this.m;
    const now = m.clock.now();
    const c = m.config;
    for (const a of m.state.agents.values()) {
      if (a.state === 'ACTIVE' && now - a.lastPingAt > c.agentPingTimeoutMs * c.maxAgentPingTimeouts) this.markUnreachable(a);
      else if (a.state === 'UNREACHABLE' && now - (a.unreachableSince ?? now) > c.agentRemovalTimeoutMs) this.removeAgent(a);
    }
    for (const fw of [...m.state.frameworks.values()]) {
      if (fw.connected && now - fw.lastSeenAt > c.frameworkHeartbeatIntervalMs * c.maxMissedFrameworkHeartbeats) this.disconnectFramework(fw);
      else if (!fw.connected && now - (fw.disconnectedAt ?? now) >= fw.info.failoverTimeoutMs) {
        m.counters.frameworksFailoverExpired++;
        this.removeFrameworkLogged(fw, 'failover timeout expired');
      }
    }
    this.pendingKills.sendDue();
    if (now - this.lastFrameworkHeartbeat >= c.frameworkHeartbeatIntervalMs) {
      this.lastFrameworkHeartbeat = now;
      for (const fw of m.state.frameworks.values()) if (fw.connected) m.sendEvent(fw.info.id, { type: 'HEARTBEAT', masterId: m.id });
    }
  }

  /** After a master restart: frameworks come back disconnected (their failover clocks start now), roles with their settings. */
  recoverFromRegistry(): void {
    const m = this.m;
    const now = m.clock.now();
    for (const r of m.registry.roles()) {
      m.allocator.setWeight(r.role, r.weight);
      m.allocator.setQuota(r.role, { guarantee: r.guarantee ? Resources.parse(r.guarantee) : undefined, limit: r.limit ? Resources.parse(r.limit) : undefined });
    }
    for (const f of m.registry.frameworks()) {
      if (f.removedAt !== undefined) continue;
      m.state.frameworks.set(f.info.id, { info: f.info, connected: false, registeredAt: f.registeredAt, lastSeenAt: now, disconnectedAt: now, tasks: new Set() });
      m.allocator.addFramework({ id: f.info.id, roles: f.info.roles });
      m.allocator.deactivateFramework(f.info.id);
    }
    m.log.info({ frameworks: m.state.frameworks.size, roles: m.registry.roles().length }, 'recovered registry');
  }

  markUnreachable(a: AgentRecord): void {
    const m = this.m;
    a.state = 'UNREACHABLE';
    a.unreachableSince = m.clock.now();
    m.allocator.deactivateAgent(a.info.id);
    for (const o of m.offers.forAgent(a.info.id)) m.allocation.rescind(o, 'agent unreachable');
    for (const k of a.tasks) {
      const t = m.state.tasks.get(k);
      if (!t || t.state === 'TASK_UNREACHABLE') continue;
      m.reportUpdate(t, { taskId: t.info.taskId, frameworkId: t.frameworkId, agentId: a.info.id, state: 'TASK_UNREACHABLE', reason: 'AGENT_UNREACHABLE', message: `agent ${a.info.hostname} stopped answering` });
    }
    m.events.emit({ type: 'AGENT_UNREACHABLE', agent: { id: a.info.id, hostname: a.info.hostname } });
    m.log.warn({ agentId: a.info.id, hostname: a.info.hostname, tasks: a.tasks.size }, 'agent unreachable');
  }

  /** Unreachable too long: REMOVED, its tasks GONE (applied now, their updates appended in the background). */
  removeAgent(a: AgentRecord): void {
    const m = this.m;
    a.state = 'REMOVED';
    m.registry.removeAgent(a.info.id, m.clock.now());
    m.allocator.removeAgent(a.info.id);
    const frameworks = new Set<FrameworkId>();
    for (const k of [...a.tasks]) {
      const t = m.state.tasks.get(k);
      if (!t) continue;
      t.holdsResources = false;
      frameworks.add(t.frameworkId);
      m.reportUpdate(t, { taskId: t.info.taskId, frameworkId: t.frameworkId, agentId: a.info.id, state: 'TASK_GONE', reason: 'AGENT_REMOVED', message: `agent ${a.info.hostname} was removed` });
    }
    for (const fid of frameworks) m.sendEvent(fid, { type: 'FAILURE', agentId: a.info.id });
    m.events.emit({ type: 'AGENT_REMOVED', agent: { id: a.info.id, hostname: a.info.hostname } });
    m.log.warn({ agentId: a.info.id, hostname: a.info.hostname }, 'agent removed');
  }

  /** Before a re-registering agent replaces its old record. */
  forgetAgent(prev: AgentRecord): void {
    for (const o of this.m.offers.forAgent(prev.info.id)) this.m.allocation.rescind(o, 'agent re-registered');
    this.m.allocator.removeAgent(prev.info.id);
  }

  /** Tasks the master had on this agent that the agent did not report: dropped or lost. Then sends pending kills. */
  settleMissingTasks(agent: AgentRecord, reported: Set<string>): void {
    const m = this.m;
    const now = m.clock.now();
    for (const t of [...m.state.tasks.values()]) {
      if (t.agentId !== agent.info.id) continue;
      if (reported.has(t.key)) {
        agent.tasks.add(t.key);
        continue;
      }
      if (t.state === 'TASK_STAGING' && now - t.createdAt < LAUNCH_IN_FLIGHT_MS) { agent.tasks.add(t.key); continue; }
      const state = t.state === 'TASK_STAGING' ? 'TASK_DROPPED' : 'TASK_LOST';
      m.reportUpdate(t, { taskId: t.info.taskId, frameworkId: t.frameworkId, agentId: agent.info.id, state, reason: 'AGENT_RESTART', message: 'the agent re-registered without this task' });
    }
    this.pendingKills.sendDue();
  }

  onTaskEnded(agentId: string): void {
    const a = this.m.state.agents.get(agentId as never);
    if (a?.drain && !a.drain.drained && a.tasks.size === 0) {
      a.drain.drained = true;
      this.m.registry.setDrain(a.info.id, a.drain);
      this.m.events.emit({ type: 'AGENT_DRAINED', agent: { id: a.info.id, hostname: a.info.hostname } });
    }
  }

  reconnectFramework(fw: FrameworkRecord): void {
    const wasDisconnected = !fw.connected;
    fw.connected = true;
    fw.disconnectedAt = undefined;
    fw.lastSeenAt = this.m.clock.now();
    this.m.allocator.activateFramework(fw.info.id);
    if (wasDisconnected) {
      this.m.events.emit({ type: 'FRAMEWORK_RECONNECTED', framework: { id: fw.info.id, name: fw.info.name } });
      this.m.log.info({ frameworkId: fw.info.id }, 'framework reconnected');
    }
  }

  disconnectFramework(fw: FrameworkRecord): void {
    const m = this.m;
    fw.connected = false;
    fw.disconnectedAt = m.clock.now();
    m.allocator.deactivateFramework(fw.info.id);
    for (const o of m.offers.forFramework(fw.info.id)) m.allocation.rescind(o, 'framework disconnected');
    m.events.emit({ type: 'FRAMEWORK_DISCONNECTED', framework: { id: fw.info.id, name: fw.info.name } });
    m.log.warn({ frameworkId: fw.info.id, failoverTimeoutMs: fw.info.failoverTimeoutMs }, 'framework disconnected; failover timer started');
    if (fw.info.failoverTimeoutMs === 0) this.removeFrameworkLogged(fw, 'disconnected with failoverTimeoutMs 0');
  }

  /** removeFramework from a timer: its state changes happen at once; a failure of the stream cleanup after them is logged. */
  private removeFrameworkLogged(fw: FrameworkRecord, why: string): void {
    this.removeFramework(fw, why).catch((e: Error) => this.m.log.error({ frameworkId: fw.info.id, why, err: e.stack }, 'removing the framework failed'));
  }

  /** Removes a framework for good: kills its tasks, rescinds its offers, deletes its update stream consumer. */
  async removeFramework(fw: FrameworkRecord, why: string): Promise<void> {
    const m = this.m;
    const fid = fw.info.id;
    if (!m.state.frameworks.has(fid)) return;
    for (const o of m.offers.forFramework(fid)) m.allocation.rescind(o, why);
    m.state.frameworks.delete(fid);
    m.registry.removeFramework(fid, m.clock.now());
    m.allocator.removeFramework(fid);
    const agents = new Set<string>();
    for (const t of [...m.state.tasks.values()]) {
      if (t.frameworkId !== fid) continue;
      agents.add(t.agentId);
      t.holdsResources = false;
      if (!isTerminal(t.state)) m.onTaskStatus(t, { taskId: t.info.taskId, frameworkId: fid, agentId: t.agentId, state: 'TASK_KILLED', reason: 'FRAMEWORK_REMOVED', source: 'MASTER', timestamp: m.clock.now(), message: why });
    }
    for (const agentId of agents) {
      void m.sendToAgent(agentId as never, { type: 'SHUTDOWN_FRAMEWORK', frameworkId: fid }).catch((e: Error) => m.log.warn({ agentId, err: e.message }, 'could not tell agent to shut the framework down'));
    }
    // Best effort: a consumer or updates left behind hold no resources; a failure is logged, not retried.
    await m.jsm.consumers.delete(frameworkUpdatesStreamName(m.principalOf(fid)), frameworkConsumerName(fid))
      .catch((e: Error) => m.log.warn({ frameworkId: fid, err: e.message }, 'could not delete the removed framework\'s update consumer'));
    await m.jsm.streams.purge(frameworkUpdatesStreamName(m.principalOf(fid)), { filter: subjects.frameworkUpdates(m.principalOf(fid), fid) })
      .catch((e: Error) => m.log.warn({ frameworkId: fid, err: e.message }, 'could not purge the removed framework\'s updates'));
    m.events.emit({ type: 'FRAMEWORK_REMOVED', framework: { id: fid, name: fw.info.name } });
    m.log.info({ frameworkId: fid, why, tasksKilled: agents.size > 0 }, 'framework removed');
    m.allocation.soon();
  }
}
