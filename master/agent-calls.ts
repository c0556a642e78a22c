/**
 * Agent calls. REGISTER admits an agent (or re-admits it after an agent or master restart) and rebuilds the
 * master's view of its tasks from what the agent reports, as Mesos does. PING is the agent's heartbeat.
 */
import {
  ApiError, Resources, isTerminal, type AgentCall, type AgentId, type AgentTask,
} from '../sdk';
import type { Master } from './master';
import { taskKey, type AgentRecord, type TaskRecord } from './state';

export async function handleAgentCall(m: Master, agentId: AgentId, call: AgentCall): Promise<object> {
  switch (call.type) {
    case 'REGISTER':
      if (call.agent.id !== agentId) throw new ApiError('FORBIDDEN', `agent.id '${call.agent.id}' does not match the subject's agent '${agentId}'`, 'agent.id');
      return register(m, call);
    case 'PING': {
      const a = m.state.agents.get(agentId);
      if (!a || a.state !== 'ACTIVE') return { masterId: m.id, reregister: true };
      a.lastPingAt = m.clock.now();
      return { masterId: m.id, reregister: false };
    }
    case 'USAGE': {
      for (const u of call.usage) {
        const t = m.state.tasks.get(taskKey(u.frameworkId, u.taskId));
        if (t && t.agentId === agentId) t.usage = u.usage;
      }
      return {};
    }
  }
}

function register(m: Master, call: Extract<AgentCall, { type: 'REGISTER' }>): object {
  const now = m.clock.now();
  const info = call.agent;
  let declared: Resources;
  try {
    declared = Resources.fromWire(info.resources);
  } catch (e) {
    throw new ApiError('INVALID', `agent.resources: ${(e as Error).message}`, 'agent.resources');
  }
  const stored = m.registry.agent(info.id);
  const wasRemoved = stored?.removedAt !== undefined || m.state.agents.get(info.id)?.state === 'REMOVED';
  const total = withReservations(declared, wasRemoved ? '' : stored?.reservations ?? '');
  const previous = m.state.agents.get(info.id);
  if (previous && previous.state !== 'REMOVED') m.liveness.forgetAgent(previous);
  if (wasRemoved) m.registry.setReservations(info.id, '');
  m.registry.upsertAgent(info, now);
  const agent: AgentRecord = {
    info, total, state: 'ACTIVE', registeredAt: previous?.registeredAt ?? now, lastPingAt: now, tasks: new Set(),
    drain: wasRemoved ? undefined : stored?.drain,
  };
  m.state.agents.set(info.id, agent);
  const killTasks = wasRemoved ? call.tasks.filter((t) => !isTerminal(t.state)).map((t) => ({ frameworkId: t.frameworkId, taskId: t.task.taskId })) : adoptTasks(m, agent, call.tasks);
  const used = [...agent.tasks].map((k) => m.state.tasks.get(k)!).filter((t) => t.holdsResources && m.state.frameworks.has(t.frameworkId))
    .map((t) => ({ frameworkId: t.frameworkId, role: t.role, resources: t.resources }));
  m.allocator.addAgent({ id: info.id, hostname: info.hostname, total, attributes: info.attributes }, used);
  if (agent.drain) m.allocator.deactivateAgent(info.id);
  m.liveness.settleMissingTasks(agent, new Set(call.tasks.map((t) => taskKey(t.frameworkId, t.task.taskId))));
  m.events.emit({ type: previous ? 'AGENT_REACTIVATED' : 'AGENT_ADDED', agent: { id: info.id, hostname: info.hostname } });
  m.log.info({ agentId: info.id, hostname: info.hostname, resources: total.format(), tasks: call.tasks.length, reregistered: !!previous, killTasks: killTasks.length }, previous ? 'agent re-registered' : 'agent registered');
  m.allocation.soon();
  return { masterId: m.id, pingIntervalMs: Math.max(200, Math.floor(m.config.agentPingTimeoutMs / 3)), killTasks };
}

function withReservations(declared: Resources, dynamicText: string): Resources {
  const dynamic = Resources.parse(dynamicText);
  const base = dynamic.withRole('*');
  return declared.contains(base) ? declared.subtract(base).add(dynamic) : declared;
}

/** Takes the agent's report of its tasks as the truth; returns the tasks of removed frameworks, which the agent must kill. */
function adoptTasks(m: Master, agent: AgentRecord, reported: AgentTask[]): { frameworkId: string; taskId: string }[] {
  const kill: { frameworkId: string; taskId: string }[] = [];
  for (const r of reported) {
    const key = taskKey(r.frameworkId, r.task.taskId);
    const removed = m.registry.framework(r.frameworkId)?.removedAt !== undefined;
    if (removed || (!m.state.frameworks.has(r.frameworkId) && !m.registry.framework(r.frameworkId))) {
      if (!isTerminal(r.state)) kill.push({ frameworkId: r.frameworkId, taskId: r.task.taskId });
      continue;
    }
    const known = m.state.tasks.get(key);
    if (isTerminal(r.state)) {
      // Ended while the master was not looking (its final update is still on its way through the stream). The
      // agent is re-added to the allocator below with only its live tasks as used, so this task's resources are
      // free again from now on: it no longer holds them, and its final update must not give them back twice.
      if (known && known.agentId === agent.info.id) known.holdsResources = false;
      continue;
    }
    if (known) {
      agent.tasks.add(key);
      const wasUnreachable = known.state === 'TASK_UNREACHABLE';
      known.agentId = agent.info.id;
      if (wasUnreachable) {
        m.reportUpdate(known, { taskId: r.task.taskId, frameworkId: r.frameworkId, agentId: agent.info.id, state: r.state, reason: 'RECONCILIATION', message: 'agent re-registered', hostname: agent.info.hostname, ports: known.last?.ports });
      }
      continue;
    }
    const now = m.clock.now();
    const rec: TaskRecord = {
      key, info: r.task, frameworkId: r.frameworkId as never, agentId: agent.info.id, role: r.role, resources: Resources.fromWire(r.task.resources),
      state: r.state, holdsResources: true, createdAt: now, updatedAt: now, statuses: [{ state: r.state, timestamp: now, reason: 'RECONCILIATION' }],
    };
    m.state.addTask(rec);
    if (m.state.frameworks.has(r.frameworkId as never)) m.state.frameworks.get(r.frameworkId as never)!.tasks.add(key);
  }
  return kill;
}
