/** JSON views of the master's state for the operator API, the CLI and the page (shapes in sdk/protocol/operator.ts). */
import { Resources, type AgentView, type FrameworkView, type TaskView } from '../../sdk';
import type { Master } from '../master';
import type { AgentRecord, FrameworkRecord, TaskRecord } from '../state';

const obj = (m: Map<string, number>) => Object.fromEntries(m);

export function agentView(m: Master, a: AgentRecord): AgentView {
  const used = m.state.usedOn(a.info.id);
  const offered = m.offers.forAgent(a.info.id).reduce((acc, o) => acc.add(o.resources), Resources.EMPTY);
  const available = a.total.contains(used.add(offered)) ? a.total.subtract(used).subtract(offered) : Resources.EMPTY;
  const state =
    a.state === 'ACTIVE'
      ? a.drain
        ? a.drain.drained
          ? 'DRAINED'
          : 'DRAINING'
        : 'ACTIVE'
      : a.state === 'UNREACHABLE'
        ? 'UNREACHABLE'
        : 'UNREACHABLE';
  return {
    id: a.info.id,
    hostname: a.info.hostname,
    state,
    attributes: a.info.attributes,
    containerizers: a.info.containerizers,
    resources: {
      total: a.total.format(),
      used: used.format(),
      offered: offered.format(),
      available: available.format(),
    },
    totalScalars: obj(a.total.scalars()),
    usedScalars: obj(used.scalars()),
    taskCount: a.tasks.size,
    registeredAt: a.registeredAt,
    lastHeartbeatAt: a.lastPingAt,
    httpUrl: a.info.httpUrl,
  };
}

export function frameworkView(m: Master, f: FrameworkRecord): FrameworkView {
  let allocated = Resources.EMPTY;
  for (const k of f.tasks) {
    const t = m.state.tasks.get(k);
    if (t?.holdsResources) allocated = allocated.add(t.resources);
  }
  const offered = m.offers.forFramework(f.info.id).reduce((acc, o) => acc.add(o.resources), Resources.EMPTY);
  return {
    id: f.info.id,
    name: f.info.name,
    roles: f.info.roles,
    principal: f.info.principal,
    connected: f.connected,
    active: f.connected,
    failoverTimeoutMs: f.info.failoverTimeoutMs,
    disconnectedAt: f.disconnectedAt,
    failoverDeadline: f.disconnectedAt !== undefined ? f.disconnectedAt + f.info.failoverTimeoutMs : undefined,
    registeredAt: f.registeredAt,
    allocated: allocated.format(),
    allocatedScalars: obj(allocated.scalars()),
    offered: offered.format(),
    taskCount: f.tasks.size,
    apiSubject: f.info.apiSubject,
    webuiUrl: f.info.webuiUrl,
  };
}

export function taskView(m: Master, t: TaskRecord): TaskView {
  const c = t.info.command;
  return {
    id: t.info.taskId,
    name: t.info.name,
    frameworkId: t.frameworkId,
    agentId: t.agentId,
    hostname: m.state.agents.get(t.agentId)?.info.hostname,
    state: t.state,
    role: t.role,
    resources: t.resources.format(),
    reason: t.last?.reason,
    message: t.last?.message,
    exitCode: t.last?.exitCode,
    healthy: t.last?.healthy,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    ports: t.last?.ports ?? t.resources.rangesOf('ports').flatMap(([a, b]) => range(a, b)),
    statuses: t.statuses,
    usage: t.usage,
    container: t.info.container.type === 'DOCKER' ? `docker:${t.info.container.image}` : 'native',
    command: c.value ?? (c.arguments ?? []).join(' '),
  };
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b && out.length < 100; i++) out.push(i);
  return out;
}

/** Live tasks first (newest first), then completed ones (newest first). */
export function allTasks(m: Master): TaskRecord[] {
  const live = [...m.state.tasks.values()].sort((a, b) => b.createdAt - a.createdAt);
  return live.concat([...m.state.completed].reverse());
}

export function stateView(m: Master): object {
  return {
    masterId: m.id,
    startedAt: m.startedAt,
    version: '0.1.0',
    agents: [...m.state.agents.values()].filter((a) => a.state !== 'REMOVED').map((a) => agentView(m, a)),
    frameworks: [...m.state.frameworks.values()].map((f) => frameworkView(m, f)),
    tasks: allTasks(m).map((t) => taskView(m, t)),
    outstandingOffers: m.offers.size,
    allocation: {
      intervalMs: m.config.allocationIntervalMs,
      cycles: m.allocation.cycles,
      lastCycleMs: m.allocation.recentCycleMs.at(-1) ?? null,
    },
  };
}
