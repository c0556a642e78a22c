/**
 * The core's transitions for framework calls other than ACCEPT (accept.ts): SUBSCRIBE, DECLINE, KILL, RECONCILE,
 * REVIVE, SUPPRESS, TEARDOWN, HEARTBEAT. Each: validate (caller, framework, call) → change state → effects.
 */
import {
  ApiError,
  isTerminal,
  type TaskUsageReply,
  type AgentId,
  type FrameworkId,
  type FrameworkInfo,
  type OfferId,
  type TaskState,
  type TaskStatus,
} from '../../sdk';
import type { OfferRecord } from '../offer-book';
import { taskKey, type FrameworkRecord, type TaskRecord } from '../state';
import type { Call, MasterCore } from './core';
import type { Result } from './effects';
import { Tx } from './tx';

/** SUBSCRIBE: registers a framework, or re-registers it after a failover (its offers rescinded, its info replaced). */
export function subscribe(
  c: MasterCore,
  caller: string,
  info: FrameworkInfo,
  now: number,
  checkOnly = false,
): Result<{ frameworkId: FrameworkId; masterId: string; reregistered: boolean }> {
  if (caller !== info.id)
    throw new ApiError('FORBIDDEN', `framework.id '${info.id}' does not match the caller '${caller}'`, 'framework.id');
  const removedAt = c.removedFrameworks.get(info.id)?.removedAt;
  if (removedAt !== undefined)
    throw new ApiError(
      'FORBIDDEN',
      `framework '${info.id}' was removed at ${new Date(removedAt).toISOString()}; subscribe with a new id`,
      'framework.id',
    );
  const tx = new Tx(now);
  if (checkOnly) return tx.done({ frameworkId: info.id, masterId: c.masterId, reregistered: false });
  tx.persist({ type: 'UPSERT_FRAMEWORK', info, at: now });
  let fw = c.state.frameworks.get(info.id);
  const reregistered = fw !== undefined;
  if (fw) {
    for (const o of c.offers.forFramework(fw.info.id)) c.rescind(tx, o, 'framework re-subscribed');
    fw.info = info;
    if (!fw.connected) c.reconnect(tx, fw);
  } else {
    fw = { info, connected: true, registeredAt: now, lastSeenAt: now, tasks: new Set() };
    c.state.frameworks.set(info.id, fw);
    c.allocator.addFramework({ id: info.id, roles: info.roles });
    for (const t of c.state.tasks.values()) {
      if (t.frameworkId !== info.id) continue;
      c.state.link(t);
      if (t.holdsResources) c.allocator.addAllocated(t.frameworkId, t.agentId, t.role, t.resources);
    }
    tx.cluster({ type: 'FRAMEWORK_ADDED', framework: { id: info.id, name: info.name } });
  }
  fw.lastSeenAt = now;
  tx.log(
    'info',
    { frameworkId: info.id, name: info.name, roles: info.roles, reregistered },
    reregistered ? 'framework re-subscribed' : 'framework subscribed',
  );
  tx.event(info.id, {
    type: 'SUBSCRIBED',
    frameworkId: info.id,
    masterId: c.masterId,
    heartbeatIntervalMs: c.config.frameworkHeartbeatIntervalMs,
    reregistered,
  });
  tx.soon();
  return tx.done({ frameworkId: info.id, masterId: c.masterId, reregistered });
}

export function frameworkHeartbeat(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  now: number,
): Result<{ masterId: string }> {
  const fw = c.framework(caller, frameworkId);
  const tx = new Tx(now);
  c.seen(tx, fw);
  return tx.done({ masterId: c.masterId });
}

/**
 * Every id must be an outstanding offer made to this framework (and, for ACCEPT, all on one agent and role).
 * Only checks: the caller takes them out of the book once everything else is validated too.
 */
export function checkOffers(
  c: MasterCore,
  fw: FrameworkRecord,
  offerIds: OfferId[],
  opts: { sameAgent: boolean },
): OfferRecord[] {
  const seen = new Set<string>();
  const found: OfferRecord[] = [];
  offerIds.forEach((id, i) => {
    if (seen.has(id)) throw new ApiError('INVALID', `offer '${id}' is listed twice`, `offerIds[${i}]`);
    seen.add(id);
    const o = c.offers.get(id);
    if (!o)
      throw new ApiError(
        'NOT_FOUND',
        `offer '${id}' is not outstanding (never made, already used, declined or rescinded)`,
        `offerIds[${i}]`,
      );
    if (o.frameworkId !== fw.info.id)
      throw new ApiError('FORBIDDEN', `offer '${id}' was not made to this framework`, `offerIds[${i}]`);
    if (opts.sameAgent && found.length > 0 && o.agentId !== found[0].agentId) {
      throw new ApiError(
        'INVALID',
        `offer '${id}' is on agent ${o.agentId}, but offers accepted together must be on one agent (${found[0].agentId})`,
        `offerIds[${i}]`,
      );
    }
    if (opts.sameAgent && found.length > 0 && o.role !== found[0].role) {
      throw new ApiError(
        'INVALID',
        `offer '${id}' is for role ${o.role}, but offers accepted together must share a role (${found[0].role})`,
        `offerIds[${i}]`,
      );
    }
    found.push(o);
  });
  return found;
}

/** DECLINE: the offers return to the pool, kept from this framework for `filters.refuseSeconds` (default 5). */
export function decline(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'DECLINE'>,
  now: number,
): Result<{ declined: number }> {
  const fw = c.framework(caller, frameworkId);
  const offers = checkOffers(c, fw, call.offerIds, { sameAgent: false });
  const tx = new Tx(now);
  c.seen(tx, fw);
  const refuseSeconds = call.filters?.refuseSeconds ?? 5;
  for (const o of offers) {
    c.offers.take(o.id);
    c.allocator.recoverResources(fw.info.id, o.agentId, o.role, o.resources, { refuseSeconds, now });
  }
  c.counters.offersDeclined += offers.length;
  if (refuseSeconds === 0) tx.soon();
  return tx.done({ declined: offers.length });
}

/**
 * KILL: kept as a pending kill until the task's agent confirms it (sent now when the agent is reachable, else
 * at its re-registration; retried on every tick). An unknown task is answered with TASK_UNKNOWN.
 */
/**
 * An operator's kill (HTTP `POST /api/v1/tasks/:id/kill`, Mesos's operator KILL): the same pending kill as the
 * framework's, but it says nothing about the framework being alive. `_operator`: the token's name (the HTTP
 * layer has authorized it; an ACL on frameworks an operator may touch goes here).
 */
export function operatorKill(
  c: MasterCore,
  _operator: string,
  frameworkId: FrameworkId,
  taskId: string,
  now: number,
): Result<{ known: boolean; pending?: boolean }> {
  const task = c.state.tasks.get(taskKey(frameworkId, taskId));
  if (!task || isTerminal(task.state))
    throw new ApiError('NOT_FOUND', `no live task '${taskId}' of framework '${frameworkId}'`, 'taskId');
  const tx = new Tx(now);
  c.addPendingKill(tx, task, { frameworkId, taskId: task.info.taskId, gracePeriodMs: task.info.killGracePeriodMs });
  const reachable = c.state.agents.get(task.agentId)?.state === 'ACTIVE';
  return tx.done(reachable ? { known: true } : { known: true, pending: true });
}

/**
 * USAGE: the latest usage the agents reported for the caller's own live tasks (all, or those named). Reads the
 * state; the call counts as hearing from the framework.
 */
export function usage(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'USAGE'>,
  now: number,
): Result<TaskUsageReply> {
  const fw = c.framework(caller, frameworkId);
  const tx = new Tx(now);
  c.seen(tx, fw);
  const keys =
    call.taskIds.length > 0
      ? call.taskIds.map((id) => taskKey(fw.info.id, id)).filter((k) => fw.tasks.has(k))
      : [...fw.tasks];
  const out: TaskUsageReply['usage'] = [];
  for (const k of keys) {
    const t = c.state.tasks.get(k);
    if (t?.usage) out.push({ taskId: t.info.taskId, agentId: t.agentId, usage: t.usage });
  }
  return tx.done({ usage: out });
}

/**
 * DESTROY_VOLUMES, validated: the shell then asks the agent, which deletes the framework's persistent volumes
 * named (refusing while a running task uses one, or when they are another framework's). The agent must be
 * ACTIVE: a volume on an unreachable agent cannot be destroyed now (UNAVAILABLE: retry later).
 */
export function checkDestroyVolumes(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'DESTROY_VOLUMES'>,
): void {
  c.framework(caller, frameworkId);
  const agent = c.state.agents.get(call.agentId);
  if (!agent) throw new ApiError('NOT_FOUND', `agentId: no agent '${call.agentId}'`, 'agentId');
  if (agent.state !== 'ACTIVE')
    throw new ApiError(
      'UNAVAILABLE',
      `agentId: agent '${call.agentId}' is ${agent.state}; retry when it is back`,
      'agentId',
    );
}

export function kill(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'KILL'>,
  now: number,
): Result<{ known: boolean; pending?: boolean }> {
  const fw = c.framework(caller, frameworkId);
  const tx = new Tx(now);
  c.seen(tx, fw);
  const task = c.state.tasks.get(taskKey(fw.info.id, call.taskId));
  if (!task) {
    tx.event(fw.info.id, {
      type: 'UPDATE',
      status: {
        taskId: call.taskId,
        frameworkId: fw.info.id,
        ...(call.agentId ? { agentId: call.agentId } : {}),
        state: 'TASK_UNKNOWN',
        reason: 'TASK_UNKNOWN',
        source: 'MASTER',
        timestamp: now,
        message: 'no live task with this id',
      },
    });
    return tx.done({ known: false });
  }
  const gracePeriodMs = call.gracePeriodMs ?? task.info.killGracePeriodMs;
  c.addPendingKill(tx, task, { frameworkId: fw.info.id, taskId: call.taskId, gracePeriodMs });
  const reachable = c.state.agents.get(task.agentId)?.state === 'ACTIVE';
  return tx.done(reachable ? { known: true } : { known: true, pending: true });
}

/**
 * RECONCILE, with Mesos's partition-aware answers. Explicit (tasks named): each known task's latest state;
 * an unknown task on an unreachable agent → TASK_UNREACHABLE, on a removed or registered agent → TASK_GONE
 * (the agent would have reported it), agent unknown → TASK_UNKNOWN. Implicit (none named): the latest state of
 * every live task of the framework. Answers are UPDATE events (not acknowledged).
 */
export function reconcile(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'RECONCILE'>,
  now: number,
): Result<{ answered: number }> {
  const fw = c.framework(caller, frameworkId);
  const tx = new Tx(now);
  c.seen(tx, fw);
  const fid = fw.info.id;
  const answers: TaskStatus[] = [];
  if (call.tasks.length === 0) {
    for (const k of fw.tasks) {
      const t = c.state.tasks.get(k);
      if (t) answers.push(latest(c, t, now));
    }
  } else {
    for (const { taskId, agentId } of call.tasks) {
      const t = c.state.tasks.get(taskKey(fid, taskId)) ?? c.state.findTask(taskId, fid);
      if (t) {
        answers.push(latest(c, t, now));
        continue;
      }
      answers.push({
        taskId,
        frameworkId: fid,
        ...(agentId ? { agentId } : {}),
        state: unknownTaskState(c, agentId),
        reason: 'RECONCILIATION',
        source: 'MASTER',
        timestamp: now,
      });
    }
  }
  for (const status of answers) tx.event(fid, { type: 'UPDATE', status });
  return tx.done({ answered: answers.length });
}

function latest(c: MasterCore, t: TaskRecord, now: number): TaskStatus {
  const base = t.last ?? {
    taskId: t.info.taskId,
    frameworkId: t.frameworkId,
    agentId: t.agentId,
    state: t.state,
    source: 'MASTER' as const,
    timestamp: t.updatedAt,
  };
  const agentState = c.state.agents.get(t.agentId)?.state;
  const state: TaskState = agentState === 'UNREACHABLE' && !isTerminal(t.state) ? 'TASK_UNREACHABLE' : t.state;
  const { uuid: _uuid, ...rest } = base;
  return { ...rest, state, reason: 'RECONCILIATION', source: 'MASTER', timestamp: now };
}

function unknownTaskState(c: MasterCore, agentId: AgentId | undefined): TaskState {
  if (!agentId) return 'TASK_UNKNOWN';
  const agent = c.state.agents.get(agentId);
  if (agent?.state === 'UNREACHABLE') return 'TASK_UNREACHABLE';
  if (agent || c.awaitingAgents.get(agentId)?.removedAt !== undefined) return 'TASK_GONE';
  return 'TASK_UNKNOWN';
}

function checkRoles(fw: FrameworkRecord, roles: string[] | undefined): void {
  roles?.forEach((r, i) => {
    if (!fw.info.roles.includes(r))
      throw new ApiError(
        'INVALID',
        `role '${r}' is not one of the framework's roles (${fw.info.roles.join(', ')})`,
        `roles[${i}]`,
      );
  });
}

/** REVIVE clears the framework's decline filters and resumes offers (per role, or all). */
export function revive(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'REVIVE'>,
  now: number,
): Result {
  const fw = c.framework(caller, frameworkId);
  checkRoles(fw, call.roles);
  const tx = new Tx(now);
  c.seen(tx, fw);
  c.allocator.revive(fw.info.id, call.roles);
  tx.soon();
  return tx.done({});
}

/** SUPPRESS stops offers (per role, or all) until REVIVE. */
export function suppress(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'SUPPRESS'>,
  now: number,
): Result {
  const fw = c.framework(caller, frameworkId);
  checkRoles(fw, call.roles);
  const tx = new Tx(now);
  c.seen(tx, fw);
  c.allocator.suppress(fw.info.id, call.roles);
  return tx.done({});
}

/** TEARDOWN: the framework leaves for good; its tasks are killed and its offers rescinded. */
export function teardown(c: MasterCore, caller: string, frameworkId: FrameworkId, now: number): Result {
  const fw = c.framework(caller, frameworkId);
  const tx = new Tx(now);
  c.removeFramework(tx, fw, 'framework tore itself down');
  return tx.done({});
}
