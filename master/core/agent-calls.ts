/**
 * The core's agent transitions. REGISTER admits an agent (or re-admits it after an agent or master restart) and
 * rebuilds the master's view of its tasks from what the agent reports, as Mesos does; PING is its heartbeat;
 * USAGE its tasks' resource usage. `agentSilent` (from tick) moves an agent ACTIVE → UNREACHABLE → REMOVED.
 */
import {
  ApiError,
  Resources,
  isTerminal,
  type AgentCall,
  type AgentId,
  type AgentTask,
  type FrameworkId,
} from '../../sdk';
import { newAgentRecord, taskKey, withReservations, type AgentRecord, type TaskRecord } from '../state';
import type { MasterCore } from './core';
import type { Result } from './effects';
import { Tx } from './tx';
import { requestLaunchCheck, sendLaunchChecks } from './launch-checks';

/** A STAGING task younger than this that a re-registering agent does not report may still be in flight. */
export const LAUNCH_IN_FLIGHT_MS = 10_000;

type Register = Extract<AgentCall, { type: 'REGISTER' }>;
type TaskRef = { frameworkId: FrameworkId; taskId: string };

export function agentRegistered(
  c: MasterCore,
  caller: AgentId,
  call: Register,
  now: number,
): Result<{ masterId: string; pingIntervalMs: number; killTasks: TaskRef[] }> {
  const info = call.agent;
  if (info.id !== caller)
    throw new ApiError('FORBIDDEN', `agent.id '${info.id}' does not match the caller '${caller}'`, 'agent.id');
  let declared: Resources;
  try {
    declared = Resources.fromWire(info.resources);
  } catch (e) {
    throw new ApiError('INVALID', `agent.resources: ${(e as Error).message}`, 'agent.resources');
  }
  const reported = call.tasks.map((t, i) => {
    try {
      return { t, resources: Resources.fromWire(t.task.resources) };
    } catch (e) {
      throw new ApiError(
        'INVALID',
        `tasks[${i}].task.resources: ${(e as Error).message}`,
        `tasks[${i}].task.resources`,
      );
    }
  });
  const previous = c.state.agents.get(info.id);
  const stored = c.awaitingAgents.get(info.id);
  const wasRemoved = previous ? previous.state === 'REMOVED' : stored?.removedAt !== undefined;
  const reservations = wasRemoved
    ? Resources.EMPTY
    : (previous?.reservations ?? Resources.parse(stored?.reservations ?? ''));
  if (!wasRemoved) checkTasksFit(c, info.id, withReservations(declared, reservations), reported, now);
  const tx = new Tx(now);
  if (previous && previous.state !== 'REMOVED') {
    for (const o of c.offers.forAgent(info.id)) c.rescind(tx, o, 'agent re-registered');
    c.allocator.removeAgent(info.id);
  }
  c.awaitingAgents.delete(info.id);
  if (wasRemoved) tx.persist({ type: 'SET_RESERVATIONS', agentId: info.id, reservations: '' });
  tx.persist({ type: 'UPSERT_AGENT', info, at: now });
  const agent = newAgentRecord({
    info,
    declared,
    reservations,
    state: 'ACTIVE',
    registeredAt: previous?.registeredAt ?? stored?.registeredAt ?? now,
    lastPingAt: now,
    tasks: new Set(),
    drain: wasRemoved ? undefined : (previous?.drain ?? stored?.drain),
  });
  c.state.agents.set(info.id, agent);
  const killTasks = wasRemoved
    ? call.tasks.filter((t) => !isTerminal(t.state)).map((t) => ({ frameworkId: t.frameworkId, taskId: t.task.taskId }))
    : adoptTasks(c, tx, agent, reported);
  // Before the allocator learns what is used: a launch still in flight counts as used, a lost task does not.
  settleMissingTasks(c, tx, agent, new Set(call.tasks.map((t) => taskKey(t.frameworkId, t.task.taskId))));
  const used = [...agent.tasks]
    .map((k) => c.state.tasks.get(k)!)
    .filter((t) => t.holdsResources && c.state.frameworks.has(t.frameworkId))
    .map((t) => ({ frameworkId: t.frameworkId, role: t.role, resources: t.resources }));
  c.allocator.addAgent({ id: info.id, hostname: info.hostname, total: agent.total, attributes: info.attributes }, used);
  if (agent.drain) c.allocator.deactivateAgent(info.id);
  c.sendPendingKills(tx);
  sendLaunchChecks(c, tx);
  c.settleDrain(tx, info.id);
  tx.cluster({ type: previous ? 'AGENT_REACTIVATED' : 'AGENT_ADDED', agent: { id: info.id, hostname: info.hostname } });
  tx.log(
    'info',
    {
      agentId: info.id,
      hostname: info.hostname,
      resources: agent.total.format(),
      tasks: call.tasks.length,
      reregistered: !!previous,
      killTasks: killTasks.length,
    },
    previous ? 'agent re-registered' : 'agent registered',
  );
  tx.soon();
  return tx.done({
    masterId: c.masterId,
    pingIntervalMs: Math.max(200, Math.floor(c.config.agentPingTimeoutMs / 3)),
    killTasks,
  });
}

/**
 * Refuses, changing nothing, a re-registration whose live tasks (those it reports, and launches still in flight)
 * use more than the agent now declares — e.g. restarted with a smaller --resources while its tasks kept running.
 * The allocator could not take the agent back, and the master would hold an agent it never offers.
 */
function checkTasksFit(
  c: MasterCore,
  agentId: AgentId,
  total: Resources,
  reported: { t: AgentTask; resources: Resources }[],
  now: number,
): void {
  const used = new Map<string, Resources>();
  for (const { t, resources } of reported) {
    if (isTerminal(t.state) || !c.state.frameworks.has(t.frameworkId)) continue;
    const key = taskKey(t.frameworkId, t.task.taskId);
    const known = c.state.tasks.get(key);
    if (!known || known.holdsResources) used.set(key, known?.resources ?? resources);
  }
  const reportedKeys = new Set(reported.map(({ t }) => taskKey(t.frameworkId, t.task.taskId)));
  for (const t of c.state.tasks.values()) {
    if (t.agentId !== agentId || reportedKeys.has(t.key) || !t.holdsResources || !c.state.frameworks.has(t.frameworkId))
      continue;
    if (t.state === 'TASK_STAGING' && now - t.createdAt < LAUNCH_IN_FLIGHT_MS) used.set(t.key, t.resources);
  }
  const short = total.missing([...used.values()].reduce((sum, r) => sum.add(r), Resources.EMPTY));
  if (short)
    throw new ApiError(
      'INVALID',
      `agent.resources: its ${used.size} live task(s) use more than it declares (${short}); restart it with resources that hold them, or stop them first`,
      'agent.resources',
    );
}

/** Takes the agent's report of its tasks as the truth; returns the tasks of removed frameworks, which the agent must kill. */
function adoptTasks(
  c: MasterCore,
  tx: Tx,
  agent: AgentRecord,
  reported: { t: AgentTask; resources: Resources }[],
): TaskRef[] {
  const kill: TaskRef[] = [];
  for (const { t: r, resources } of reported) {
    const key = taskKey(r.frameworkId, r.task.taskId);
    if (!c.state.frameworks.has(r.frameworkId)) {
      if (!isTerminal(r.state)) kill.push({ frameworkId: r.frameworkId, taskId: r.task.taskId });
      continue;
    }
    const known = c.state.tasks.get(key);
    if (isTerminal(r.state)) {
      // Ended while the master was not looking (its final update is still on its way through the stream). The
      // agent is re-added to the allocator with only its live tasks as used, so this task's resources are free
      // again from now on: it no longer holds them, and its final update must not give them back twice.
      if (known && known.agentId === agent.info.id) known.holdsResources = false;
      continue;
    }
    if (known) {
      const wasUnreachable = known.state === 'TASK_UNREACHABLE';
      c.state.moveTask(known, agent.info.id);
      if (wasUnreachable) {
        c.masterStatusUpdate(tx, known, {
          taskId: r.task.taskId,
          frameworkId: r.frameworkId,
          agentId: agent.info.id,
          state: r.state,
          reason: 'RECONCILIATION',
          message: 'agent re-registered',
          hostname: agent.info.hostname,
          ...(known.last?.ports ? { ports: known.last.ports } : {}),
        });
      }
      continue;
    }
    // A task the master declared GONE when it removed this agent stays over, however often the agent registers:
    // a second registration (the first's reply lost, or a ping asking again) must not adopt it as new.
    const done = c.state.findTask(r.task.taskId, r.frameworkId);
    if (
      done &&
      done.agentId === agent.info.id &&
      (done.state === 'TASK_GONE' || done.state === 'TASK_GONE_BY_OPERATOR')
    ) {
      kill.push({ frameworkId: r.frameworkId, taskId: r.task.taskId });
      continue;
    }
    const rec: TaskRecord = {
      key,
      info: r.task,
      frameworkId: r.frameworkId,
      agentId: agent.info.id,
      role: r.role,
      resources,
      state: r.state,
      holdsResources: true,
      createdAt: tx.now,
      updatedAt: tx.now,
      statuses: [{ state: r.state, timestamp: tx.now, reason: 'RECONCILIATION' }],
    };
    c.state.addTask(rec);
  }
  return kill;
}

/**
 * Tasks the master had on this agent that the agent did not report: lost, or never started. A task still STAGING
 * under a LAUNCH of this master is not declared dropped here but checked with the agent (launch-checks.ts): only
 * its answer makes the agent refuse that LAUNCH should it still arrive.
 */
function settleMissingTasks(c: MasterCore, tx: Tx, agent: AgentRecord, reported: Set<string>): void {
  for (const t of [...c.state.tasks.values()]) {
    if (t.agentId !== agent.info.id) continue;
    if (reported.has(t.key) || (t.state === 'TASK_STAGING' && tx.now - t.createdAt < LAUNCH_IN_FLIGHT_MS)) {
      c.state.link(t);
      continue;
    }
    if (t.state === 'TASK_STAGING' && t.launchId !== undefined) {
      agent.tasks.add(t.key);
      requestLaunchCheck(c, tx, t);
      continue;
    }
    const state = t.state === 'TASK_STAGING' ? 'TASK_DROPPED' : 'TASK_LOST';
    t.holdsResources = false; // the agent is re-added to the allocator without it: nothing to give back
    c.masterStatusUpdate(tx, t, {
      taskId: t.info.taskId,
      frameworkId: t.frameworkId,
      agentId: agent.info.id,
      state,
      reason: 'AGENT_RESTART',
      message: 'the agent re-registered without this task',
    });
  }
}

export function agentPing(
  c: MasterCore,
  caller: AgentId,
  now: number,
): Result<{ masterId: string; reregister: boolean }> {
  const tx = new Tx(now);
  const a = c.state.agents.get(caller);
  if (!a || a.state !== 'ACTIVE') return tx.done({ masterId: c.masterId, reregister: true });
  a.lastPingAt = now;
  return tx.done({ masterId: c.masterId, reregister: false });
}

export function agentUsage(c: MasterCore, caller: AgentId, call: Extract<AgentCall, { type: 'USAGE' }>): Result {
  for (const u of call.usage) {
    const t = c.state.tasks.get(taskKey(u.frameworkId, u.taskId));
    if (t && t.agentId === caller) t.usage = u.usage;
  }
  return { reply: {}, effects: [] };
}

/** The agent stopped answering: UNREACHABLE, its offers rescinded, its tasks TASK_UNREACHABLE. */
export function markUnreachable(c: MasterCore, tx: Tx, a: AgentRecord): void {
  a.state = 'UNREACHABLE';
  a.unreachableSince = tx.now;
  c.allocator.deactivateAgent(a.info.id);
  for (const o of c.offers.forAgent(a.info.id)) c.rescind(tx, o, 'agent unreachable');
  for (const k of a.tasks) {
    const t = c.state.tasks.get(k);
    if (!t || t.state === 'TASK_UNREACHABLE') continue;
    c.masterStatusUpdate(tx, t, {
      taskId: t.info.taskId,
      frameworkId: t.frameworkId,
      agentId: a.info.id,
      state: 'TASK_UNREACHABLE',
      reason: 'AGENT_UNREACHABLE',
      message: `agent ${a.info.hostname} stopped answering`,
    });
  }
  tx.cluster({ type: 'AGENT_UNREACHABLE', agent: { id: a.info.id, hostname: a.info.hostname } });
  tx.log('warn', { agentId: a.info.id, hostname: a.info.hostname, tasks: a.tasks.size }, 'agent unreachable');
}

/** Unreachable too long: REMOVED, its tasks GONE, their frameworks told. */
export function removeAgent(c: MasterCore, tx: Tx, a: AgentRecord): void {
  a.state = 'REMOVED';
  a.removedAt = tx.now;
  tx.persist({ type: 'REMOVE_AGENT', agentId: a.info.id, at: tx.now });
  c.allocator.removeAgent(a.info.id);
  const frameworks = new Set<FrameworkId>();
  for (const k of [...a.tasks]) {
    const t = c.state.tasks.get(k);
    if (!t) continue;
    t.holdsResources = false; // the allocator dropped the agent with its allocations
    frameworks.add(t.frameworkId);
    c.masterStatusUpdate(tx, t, {
      taskId: t.info.taskId,
      frameworkId: t.frameworkId,
      agentId: a.info.id,
      state: 'TASK_GONE',
      reason: 'AGENT_REMOVED',
      message: `agent ${a.info.hostname} was removed`,
    });
  }
  for (const fid of frameworks) tx.event(fid, { type: 'FAILURE', agentId: a.info.id });
  tx.cluster({ type: 'AGENT_REMOVED', agent: { id: a.info.id, hostname: a.info.hostname } });
  tx.log('warn', { agentId: a.info.id, hostname: a.info.hostname }, 'agent removed');
}
