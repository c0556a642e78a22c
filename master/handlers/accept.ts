/**
 * ACCEPT: the framework uses offers (all on one agent) for LAUNCH, RESERVE and UNRESERVE operations, applied
 * in order against what the offers hold. A task asking for more than what is left gets TASK_ERROR naming the
 * resource; whatever is not used returns to the pool under the call's filters.
 *
 * Three phases, so a failure cannot leave resources held by nobody:
 *   1. plan   — validate every operation against a running "what is left" (no state changes);
 *   2. apply  — change the master's state at once, synchronously: reservations, new tasks, and the unused
 *               rest returned to the allocator;
 *   3. effects — send LAUNCH to the agent and append TASK_ERROR updates for refused tasks to the framework's
 *               stream. A failed effect never undoes phase 2: a failed append is retried until stored
 *               (Master.masterUpdate; the reply's `errors` already names every refusal), and a launch the
 *               agent did not take ends the task (TASK_DROPPED / TASK_ERROR, its resources recovered) or
 *               is settled by the agent's re-registration.
 */
import {
  ApiError, Resources, ResourceError, type Operation, type SchedulerCall, type TaskInfo, type TaskStatus,
} from '../../sdk';
import type { Master } from '../master';
import type { OfferRecord } from '../offer-book';
import { taskKey, type FrameworkRecord, type TaskRecord } from '../state';
import { takeOffers } from './offers';
import { authorizeOperations } from '../authz/checks';
import { applyReservations, checkReservation, dynamicReservations, type ReservationChange } from './reservations';

type AcceptCall = Extract<SchedulerCall, { type: 'ACCEPT' }>;
type MasterStatus = Omit<TaskStatus, 'source' | 'timestamp' | 'uuid'>;

interface AcceptPlan {
  launches: { task: TaskInfo; resources: Resources }[];
  reservations: ReservationChange[];
  /** The agent's dynamic reservations after the plan's reservation changes. */
  dynamic: Resources;
  /** What the offers hold that no operation uses. */
  unused: Resources;
  errors: string[];
  /** TASK_ERROR updates for the tasks refused. */
  refused: MasterStatus[];
}

export async function handleAccept(m: Master, fw: FrameworkRecord, call: AcceptCall): Promise<object> {
  authorizeOperations(m.authz, fw, call.operations, m.offers.get(call.offerIds[0] ?? '')?.role ?? '*');
  let offers: OfferRecord[];
  try {
    offers = takeOffers(m, fw, call.offerIds, { sameAgent: true });
  } catch (e) {
    await reportAll(m, droppedTasks(fw, call.operations, (e as Error).message));
    throw e;
  }
  const agentId = offers[0].agentId;
  const role = offers[0].role;
  const offered = offers.reduce((acc, o) => acc.add(o.resources), Resources.EMPTY);
  const refuse = { refuseSeconds: call.filters?.refuseSeconds ?? 5, now: m.clock.now() };
  let plan: AcceptPlan;
  try {
    plan = planAccept(m, fw, agentId, offered, call.operations);
    applyReservations(m, fw, agentId, role, plan.reservations, plan.dynamic);
  } catch (e) {
    // Nothing was applied: every offered resource goes back, every task is dropped.
    m.allocator.recoverResources(fw.info.id, agentId, role, offered, refuse);
    m.allocation.soon();
    m.log.error({ frameworkId: fw.info.id, agentId, err: (e as Error).message }, 'accept failed before it changed anything; offers returned');
    await reportAll(m, droppedTasks(fw, call.operations, `accept failed: ${(e as Error).message}`));
    throw e;
  }
  const records = plan.launches.map(({ task, resources }) => addTask(m, fw, task, role, resources));
  if (!plan.unused.isEmpty()) m.allocator.recoverResources(fw.info.id, agentId, role, plan.unused, refuse);
  m.counters.offersAccepted += offers.length;
  m.allocation.soon();
  for (const rec of records) sendLaunch(m, fw, rec, role);
  await reportAll(m, plan.refused);
  return { launched: plan.launches.map((l) => l.task.taskId), errors: plan.errors };
}

/** Phase 1: every operation checked in order against what the earlier ones left; nothing changes. */
function planAccept(m: Master, fw: FrameworkRecord, agentId: string, offered: Resources, operations: Operation[]): AcceptPlan {
  const plan: AcceptPlan = { launches: [], reservations: [], dynamic: dynamicReservations(m, agentId), unused: offered, errors: [], refused: [] };
  const taskIds = new Set<string>();
  for (const [i, op] of operations.entries()) {
    if (op.type === 'LAUNCH') {
      for (const [j, task] of op.tasks.entries()) {
        const field = `operations[${i}].tasks[${j}]`;
        const problem = taskIds.has(task.taskId) ? `${field}.taskId: '${task.taskId}' is launched twice in this call` : checkTask(m, fw, task, agentId, plan.unused, field);
        if (problem) {
          plan.errors.push(problem);
          plan.refused.push({ taskId: task.taskId, frameworkId: fw.info.id, agentId: agentId as never, state: 'TASK_ERROR', reason: 'INVALID_TASK', message: problem });
          continue;
        }
        const resources = Resources.fromWire(task.resources);
        taskIds.add(task.taskId);
        plan.unused = plan.unused.subtract(resources);
        plan.launches.push({ task, resources });
      }
      continue;
    }
    try {
      const { change, after } = checkReservation(fw, op, { remaining: plan.unused, dynamic: plan.dynamic }, `operations[${i}]`);
      plan.reservations.push(change);
      plan.unused = after.remaining;
      plan.dynamic = after.dynamic;
    } catch (e) {
      if (!(e instanceof ApiError || e instanceof ResourceError)) throw e;
      plan.errors.push(e.message);
    }
  }
  return plan;
}

/** Why this task cannot be launched from these resources, naming the field; undefined when it can. */
function checkTask(m: Master, fw: FrameworkRecord, task: TaskInfo, agentId: string, remaining: Resources, field: string): string | undefined {
  if (task.agentId !== agentId) return `${field}.agentId: '${task.agentId}' is not the offer's agent '${agentId}'`;
  if (m.state.tasks.has(taskKey(fw.info.id, task.taskId))) return `${field}.taskId: '${task.taskId}' is already in use by a live task`;
  let resources: Resources;
  try {
    resources = Resources.fromWire(task.resources);
  } catch (e) {
    return `${field}.resources: ${(e as Error).message}`;
  }
  if (resources.scalar('cpus') <= 0 && resources.scalar('mem') <= 0) return `${field}.resources: a task needs cpus or mem`;
  const missing = remaining.missing(resources);
  if (missing) return `${field}.resources: ${missing} offered`;
  const agent = m.state.agents.get(task.agentId);
  if (task.container.type === 'DOCKER' && !agent?.info.containerizers.includes('docker')) {
    return `${field}.container: agent '${agentId}' has no docker containerizer`;
  }
  if (task.container.type === 'DOCKER') {
    const ports = resources.rangesOf('ports').reduce((n, [a, b]) => n + b - a + 1, 0);
    const needed = task.container.portMappings.filter((p) => !p.hostPort).length;
    if (needed > ports) return `${field}.container.portMappings: ${needed} mappings need host ports but the task has ${ports} in its resources`;
  }
  return undefined;
}

/** Phase 2 for one task: the master's record of it, holding its resources. */
function addTask(m: Master, fw: FrameworkRecord, task: TaskInfo, role: string, resources: Resources): TaskRecord {
  const now = m.clock.now();
  const rec: TaskRecord = {
    key: taskKey(fw.info.id, task.taskId), info: task, frameworkId: fw.info.id, agentId: task.agentId, role, resources,
    state: 'TASK_STAGING', holdsResources: true, createdAt: now, updatedAt: now,
    statuses: [{ state: 'TASK_STAGING', timestamp: now }],
  };
  m.state.addTask(rec);
  m.counters.tasksLaunched++;
  m.events.emit({ type: 'TASK_UPDATED', task: { id: task.taskId, frameworkId: fw.info.id, agentId: task.agentId, state: 'TASK_STAGING' } });
  return rec;
}

/** Phase 3: LAUNCH to the agent. Not awaited (the reply does not wait for the agent); every outcome is handled. */
function sendLaunch(m: Master, fw: FrameworkRecord, rec: TaskRecord, role: string): void {
  const task = rec.info;
  m.sendToAgent(task.agentId, { type: 'LAUNCH', frameworkId: fw.info.id, framework: fw.info, role, task }, 10_000)
    .catch(async (e: Error) => {
      // No responder means the agent cannot have received it; a timeout may mean it did, so re-registration decides.
      if (e instanceof ApiError && e.code === 'UNAVAILABLE' && /nobody answers/.test(e.message)) {
        await m.masterUpdate(rec, { taskId: task.taskId, frameworkId: fw.info.id, agentId: task.agentId, state: 'TASK_DROPPED', reason: 'AGENT_UNREACHABLE', message: `agent did not take the launch: ${e.message}` });
      } else if (e instanceof ApiError && e.code !== 'UNAVAILABLE') {
        await m.masterUpdate(rec, { taskId: task.taskId, frameworkId: fw.info.id, agentId: task.agentId, state: 'TASK_ERROR', reason: 'INVALID_TASK', message: e.message });
      } else {
        m.log.warn({ taskId: task.taskId, agentId: task.agentId, err: e.message }, 'launch not confirmed by agent; its re-registration will settle it');
      }
    })
    .catch((e: Error) => m.log.error({ taskId: task.taskId, agentId: task.agentId, err: e.stack }, 'could not settle a launch the agent did not take'));
}

/** TASK_DROPPED for every task of an ACCEPT that changed nothing, so the framework can relaunch. */
function droppedTasks(fw: FrameworkRecord, operations: Operation[], why: string): MasterStatus[] {
  return operations.flatMap((op) => (op.type === 'LAUNCH'
    ? op.tasks.map((t): MasterStatus => ({ taskId: t.taskId, frameworkId: fw.info.id, agentId: t.agentId, state: 'TASK_DROPPED', reason: 'INVALID_OFFERS', message: why }))
    : []));
}

/**
 * Appends master-made updates for tasks that never started (they hold nothing), in order. Never rejects: a
 * failed append is retried in the background (Master.masterUpdate) and the reply already names the refusal.
 */
async function reportAll(m: Master, statuses: MasterStatus[]): Promise<void> {
  for (const s of statuses) await m.masterUpdate(undefined, s);
}
