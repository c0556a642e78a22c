/**
 * Maintenance: draining an agent. An operator drains an agent before taking it down:
 *
 *   drain(agent, deadline) ──▶ allocator.deactivateAgent, its outstanding offers rescinded, persisted
 *        │                      (frameworks may move their tasks themselves until the deadline)
 *        ▼ deadline passed (swept every second, so a restarted master picks up a stored drain)
 *   KILL (reason AGENT_DRAINED) for each task still there ──▶ last task ends ──▶ DRAINED (liveness.onTaskEnded)
 *   undrain ──▶ allocator.activateAgent, offers flow again
 *
 * The drain itself is stored on the AgentRecord (`drain: { deadline, drained }`) and in the registry.
 */
import { parseDurationMs, type AgentId, type TimerHandle } from '../sdk';
import type { Master } from './master';
import type { AgentRecord } from './state';

const SWEEP_MS = 1000;

export class DrainError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'INVALID', message: string) { super(message); this.name = 'DrainError'; }
}

export class DrainController {
  private timer?: TimerHandle;
  /** Tasks a KILL was already sent for (key), so a sweep does not repeat it every second. */
  private readonly killed = new Set<string>();

  constructor(private readonly m: Master) {}

  start(): void {
    const tick = () => { this.sweep(); this.timer = this.m.clock.setTimeout(tick, SWEEP_MS); };
    this.timer = this.m.clock.setTimeout(tick, SWEEP_MS);
  }

  stop(): void { if (this.timer) this.m.clock.clearTimeout(this.timer); }

  /** Starts (or re-times) draining: no more offers now, tasks killed once `deadlineMs` from now has passed. */
  drain(agentId: string, deadlineMs: number): AgentRecord {
    const a = this.agent(agentId);
    const m = this.m;
    const now = m.clock.now();
    const drained = a.drain?.drained === true || a.tasks.size === 0;
    a.drain = { deadline: now + deadlineMs, drained };
    m.registry.setDrain(a.info.id, a.drain);
    m.allocator.deactivateAgent(a.info.id);
    for (const o of m.offers.forAgent(a.info.id)) m.allocation.rescind(o, 'agent draining');
    const ref = { id: a.info.id, hostname: a.info.hostname };
    m.events.emit({ type: 'AGENT_DRAINING', agent: ref });
    if (drained) m.events.emit({ type: 'AGENT_DRAINED', agent: ref });
    m.log.info({ agentId: a.info.id, deadlineMs }, 'agent draining');
    if (deadlineMs === 0) this.sweep();
    return a;
  }

  /** Ends maintenance: the agent's resources are offered again. Undraining an agent that is not draining is a no-op. */
  undrain(agentId: string): AgentRecord {
    const a = this.agent(agentId);
    if (!a.drain) return a;
    a.drain = undefined;
    this.m.registry.setDrain(a.info.id, undefined);
    if (a.state === 'ACTIVE') this.m.allocator.activateAgent(a.info.id);
    this.m.events.emit({ type: 'AGENT_UNDRAINED', agent: { id: a.info.id, hostname: a.info.hostname } });
    this.m.allocation.soon();
    this.m.log.info({ agentId: a.info.id }, 'agent undrained');
    return a;
  }

  /** Kills the tasks of every agent whose drain deadline has passed. */
  sweep(): void {
    const now = this.m.clock.now();
    for (const a of this.m.state.agents.values()) {
      if (!a.drain || a.drain.drained || a.state !== 'ACTIVE') continue;
      if (a.tasks.size === 0) { this.markDrained(a); continue; }
      if (a.drain.deadline > now) continue;
      for (const key of a.tasks) this.kill(a, key);
    }
    for (const key of this.killed) if (!this.m.state.tasks.has(key)) this.killed.delete(key);
  }

  private markDrained(a: AgentRecord): void {
    a.drain = { deadline: a.drain?.deadline ?? this.m.clock.now(), drained: true };
    this.m.registry.setDrain(a.info.id, a.drain);
    this.m.events.emit({ type: 'AGENT_DRAINED', agent: { id: a.info.id, hostname: a.info.hostname } });
  }

  private kill(a: AgentRecord, key: string): void {
    const t = this.m.state.tasks.get(key);
    if (!t || this.killed.has(key)) return;
    this.killed.add(key);
    this.m.sendToAgent(a.info.id, { type: 'KILL', frameworkId: t.frameworkId, taskId: t.info.taskId, reason: 'AGENT_DRAINED' })
      .catch((err) => {
        this.killed.delete(key); // the next sweep tries again
        this.m.log.warn({ agentId: a.info.id, taskId: t.info.taskId, err: (err as Error).message }, 'drain: kill not delivered');
      });
  }

  private agent(agentId: string): AgentRecord {
    const a = this.m.state.agents.get(agentId as AgentId);
    if (!a || a.state === 'REMOVED') throw new DrainError('NOT_FOUND', `no agent '${agentId}'`);
    return a;
  }
}

/** `10m`, `30s`, `1h`, `500ms`, `0` or a number of milliseconds → milliseconds; undefined when not a duration. */
export function parseDeadline(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 30 * 86_400_000 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  // A string needs its unit (`10m`), except a plain `0`.
  const ms = /[a-z]$/.test(text) || text === '0' ? parseDurationMs(text, 'ms') : undefined;
  return ms !== undefined && ms <= 30 * 86_400_000 ? ms : undefined;
}
