/**
 * The core's transitions driven by time and by the outcome of its own effects: `tick(now)` (agent liveness,
 * framework failover, offer expiry, drain deadlines, pending kills, framework heartbeats), `allocate(now)` (one
 * allocation cycle → offers), `commandSettled` (what an agent answered to a command), and `setRole`.
 */
import { ApiError, Resources, isValidRole, type AgentId, type FrameworkId, type Offer } from '../../sdk';
import type { MasterCore } from './core';
import type { CommandOutcome, CommandPurpose, Result, StoredRole } from './effects';
import { markUnreachable, removeAgent } from './agent-calls';
import { launchesChecked, requestLaunchCheck, sendLaunchChecks, sweepLaunchChecks } from './launch-checks';
import { Tx } from './tx';

/** At most this many offers in one OFFERS event (~300 KB at a few hundred bytes each, well under 1 MiB). */
export const MAX_OFFERS_PER_EVENT = 500;

export function tick(c: MasterCore, now: number): Result {
  const tx = new Tx(now);
  const cfg = c.config;
  // While the master's own connection is down it hears nobody: no agent or framework is judged silent.
  for (const a of c.busDownSince === undefined ? c.state.agents.values() : []) {
    if (a.state === 'ACTIVE' && now - a.lastPingAt > cfg.agentPingTimeoutMs * cfg.maxAgentPingTimeouts)
      markUnreachable(c, tx, a);
    else if (a.state === 'UNREACHABLE' && now - (a.unreachableSince ?? now) > cfg.agentRemovalTimeoutMs)
      removeAgent(c, tx, a);
  }
  for (const fw of c.busDownSince === undefined ? [...c.state.frameworks.values()] : []) {
    if (fw.connected && now - fw.lastSeenAt > cfg.frameworkHeartbeatIntervalMs * cfg.maxMissedFrameworkHeartbeats)
      c.disconnect(tx, fw);
    else if (!fw.connected && now - (fw.disconnectedAt ?? now) >= fw.info.failoverTimeoutMs) {
      c.counters.frameworksFailoverExpired++;
      c.removeFramework(tx, fw, 'failover timeout expired');
    }
  }
  for (const o of [...c.offers.all()])
    if (o.expiresAt !== undefined && o.expiresAt <= now) c.rescind(tx, o, 'offer timed out');
  sweepDrains(c, tx);
  c.sendPendingKills(tx);
  if (c.busDownSince === undefined) sweepLaunchChecks(c, tx);
  let next: number | undefined;
  for (const o of c.offers.all())
    if (o.expiresAt !== undefined && (next === undefined || o.expiresAt < next)) next = o.expiresAt;
  if (next !== undefined) tx.push({ type: 'WAKE_AT', at: next });
  if (now - c.lastHeartbeatAt >= cfg.frameworkHeartbeatIntervalMs) {
    c.lastHeartbeatAt = now;
    for (const fw of c.state.frameworks.values())
      if (fw.connected) tx.event(fw.info.id, { type: 'HEARTBEAT', masterId: c.masterId });
  }
  return tx.done({});
}

/**
 * The master's NATS connection dropped. Agents keep running their tasks and frameworks keep their state; what
 * failed may be only the master's own link (or the NATS server it uses), so nobody is marked UNREACHABLE or
 * disconnected for what the master cannot hear (Mesos rate-limits agent removal for the same reason: a master
 * that loses many agents at once is more likely the one partitioned).
 */
export function busDown(c: MasterCore, now: number): Result {
  const tx = new Tx(now);
  if (c.busDownSince === undefined) {
    c.busDownSince = now;
    tx.log('warn', {}, 'NATS connection lost: agent and framework liveness paused until it is back');
  }
  return tx.done({});
}

/** The connection is back: every liveness clock moves on by the outage's length (silence is measured while connected). */
export function busUp(c: MasterCore, now: number): Result {
  const tx = new Tx(now);
  const since = c.busDownSince;
  if (since === undefined) return tx.done({});
  c.busDownSince = undefined;
  const outage = Math.max(0, now - since);
  for (const a of c.state.agents.values()) {
    a.lastPingAt += outage;
    if (a.unreachableSince !== undefined) a.unreachableSince += outage;
  }
  for (const fw of c.state.frameworks.values()) {
    fw.lastSeenAt += outage;
    if (fw.disconnectedAt !== undefined) fw.disconnectedAt += outage;
  }
  tx.log('info', { outageMs: outage }, 'NATS connection back: liveness resumed, the outage not counted as silence');
  return tx.done({});
}

/** Draining agents: DRAINED once empty; past the deadline each remaining task gets a KILL (reason AGENT_DRAINED), once. */
function sweepDrains(c: MasterCore, tx: Tx): void {
  for (const a of c.state.agents.values()) {
    if (!a.drain || a.drain.drained || a.state !== 'ACTIVE') continue;
    if (a.tasks.size === 0) {
      c.settleDrain(tx, a.info.id);
      continue;
    }
    if (a.drain.deadline > tx.now) continue;
    for (const key of a.tasks) {
      const t = c.state.tasks.get(key);
      if (!t || c.drainKills.has(key)) continue;
      c.drainKills.add(key);
      if (!c.pendingKills.has(key))
        c.addPendingKill(tx, t, { frameworkId: t.frameworkId, taskId: t.info.taskId, reason: 'AGENT_DRAINED' });
    }
  }
}

/** One allocation cycle: the allocator's decisions become offers, one OFFERS event per framework. */
export function allocate(c: MasterCore, now: number): Result<{ offers: number }> {
  const tx = new Tx(now);
  const allocations = c.allocator.allocate(now);
  const byFramework = new Map<FrameworkId, Offer[]>();
  const expiresAt = c.config.offerTimeoutMs > 0 ? now + c.config.offerTimeoutMs : undefined;
  for (const a of allocations) {
    const agent = c.state.agents.get(a.agentId);
    const fw = c.state.frameworks.get(a.frameworkId);
    if (!agent || !fw) {
      c.allocator.recoverResources(a.frameworkId, a.agentId, a.role, a.resources);
      continue;
    }
    const rec = c.offers.create(a.frameworkId, a.agentId, a.role, a.resources, now, expiresAt);
    const offer: Offer = {
      id: rec.id,
      frameworkId: a.frameworkId,
      agentId: a.agentId,
      hostname: agent.info.hostname,
      role: a.role,
      resources: a.resources.toWire(),
      attributes: agent.info.attributes,
      containerizers: agent.info.containerizers,
    };
    byFramework.set(a.frameworkId, [...(byFramework.get(a.frameworkId) ?? []), offer]);
  }
  for (const [fid, offers] of byFramework) {
    // Several events when there are many: one event of every offer to a framework at thousands of agents
    // outgrew NATS's 1 MiB message limit, and the whole cycle's offers to it were lost (bench:scale, 5,000 agents).
    for (let i = 0; i < offers.length; i += MAX_OFFERS_PER_EVENT)
      tx.event(fid, { type: 'OFFERS', offers: offers.slice(i, i + MAX_OFFERS_PER_EVENT) });
    tx.cluster({ type: 'OFFERS_MADE', frameworkId: fid, count: offers.length });
  }
  if (expiresAt !== undefined && byFramework.size > 0) tx.push({ type: 'WAKE_AT', at: expiresAt });
  return tx.done({ offers: allocations.length });
}

/** What an agent answered to a command the core sent (SEND_COMMAND): the core decides what follows. */
export function commandSettled(
  c: MasterCore,
  agentId: AgentId,
  purpose: CommandPurpose,
  outcome: CommandOutcome,
  now: number,
): Result {
  const tx = new Tx(now);
  const err = outcome.ok ? undefined : outcome.message;
  switch (purpose.kind) {
    case 'LAUNCH': {
      const t = c.state.tasks.get(purpose.taskKey);
      // An outcome about an earlier launch of the same task id (ended, then launched again) is not this task's.
      if (outcome.ok || !t || t.launchId !== purpose.launchId) break;
      const base = { taskId: t.info.taskId, frameworkId: t.frameworkId, agentId: t.agentId };
      // No responder: the agent cannot have received it. A timeout: it may have, so the agent is asked
      // (RECONCILE_LAUNCHES, launch-checks.ts); only its answer that it does not know the launch drops the task.
      if (outcome.failure === 'NO_RESPONDERS')
        c.masterStatusUpdate(tx, t, {
          ...base,
          state: 'TASK_DROPPED',
          reason: 'AGENT_UNREACHABLE',
          message: `agent did not take the launch: ${outcome.message}`,
        });
      else if (outcome.failure === 'REFUSED')
        c.masterStatusUpdate(tx, t, { ...base, state: 'TASK_ERROR', reason: 'INVALID_TASK', message: outcome.message });
      else {
        tx.log('warn', { taskId: t.info.taskId, agentId, err }, 'launch not confirmed by agent; asking it');
        requestLaunchCheck(c, tx, t);
        sendLaunchChecks(c, tx);
      }
      break;
    }
    case 'LAUNCH_CHECK':
      launchesChecked(c, tx, agentId, purpose.taskKeys, outcome);
      break;
    case 'KILL': {
      const k = c.pendingKills.get(purpose.taskKey);
      if (!k) break;
      k.inFlight = false;
      const ctx = { agentId, taskId: k.taskId, frameworkId: k.frameworkId, attempts: k.attempts };
      if (outcome.ok) {
        c.pendingKills.delete(purpose.taskKey);
        tx.log(k.attempts > 1 ? 'info' : 'debug', ctx, 'kill delivered');
      } else if (outcome.failure === 'REFUSED') {
        // The agent answered and refused (e.g. it no longer has the task): sending again would not change that.
        c.pendingKills.delete(purpose.taskKey);
        tx.log('warn', { ...ctx, err }, 'agent refused a kill');
      } else tx.log('warn', { ...ctx, err }, 'kill not delivered; retrying at the next tick');
      break;
    }
    case 'CLEANUP':
      if (!outcome.ok) tx.log('warn', { agentId, err }, `could not ${purpose.what}`);
      break;
  }
  return tx.done({});
}

/** An operator's change to a role: weight, and guarantee/limit (null clears, absent keeps). */
export interface RoleUpdate {
  role: string;
  weight?: number;
  guarantee?: string | null;
  limit?: string | null;
}

/** `_caller`: the operator (not yet authenticated; an ACL check goes here). */
export function setRole(c: MasterCore, _caller: string, u: RoleUpdate): Result<StoredRole> {
  if (!isValidRole(u.role) || u.role === '*')
    throw new ApiError('INVALID', `role: '${u.role}' is not a valid role name (a path like eng/backend)`, 'role');
  if (u.weight !== undefined && !(Number.isFinite(u.weight) && u.weight > 0))
    throw new ApiError('INVALID', `weight: ${u.weight} must be a number > 0`, 'weight');
  const current = c.roles.get(u.role) ?? { role: u.role, weight: 1 };
  const pick = (v: string | null | undefined, keep: string | undefined) => (v === undefined ? keep : (v ?? undefined));
  const guarantee = quotaResources(pick(u.guarantee, current.guarantee), 'guarantee');
  const limit = quotaResources(pick(u.limit, current.limit), 'limit');
  if (guarantee && limit && !limit.contains(guarantee))
    throw new ApiError('INVALID', `guarantee ${guarantee.format()} exceeds limit ${limit.format()}`, 'guarantee');
  const next: StoredRole = {
    role: u.role,
    weight: u.weight ?? current.weight,
    ...(guarantee ? { guarantee: guarantee.format() } : {}),
    ...(limit ? { limit: limit.format() } : {}),
  };
  const tx = new Tx(0);
  c.roles.set(u.role, next);
  tx.persist({ type: 'SET_ROLE', role: next });
  c.allocator.setWeight(u.role, next.weight);
  c.allocator.setQuota(u.role, { guarantee, limit });
  tx.cluster({ type: 'ROLE_UPDATED', role: u.role });
  tx.soon();
  return tx.done(next);
}

function quotaResources(text: string | undefined, field: string): Resources | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let r: Resources;
  try {
    r = Resources.parse(text);
  } catch (e) {
    throw new ApiError('INVALID', `${field}: ${(e as Error).message}`, field);
  }
  if (r.roles().some((x) => x !== '*'))
    throw new ApiError('INVALID', `${field}: quota resources cannot carry a reservation role`, field);
  return r;
}
