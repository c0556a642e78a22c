/**
 * ACCEPT: the framework uses offers (all on one agent) for LAUNCH, RESERVE and UNRESERVE operations, applied
 * in order against what the offers hold. A task asking for more than what is left gets TASK_ERROR naming the
 * resource; whatever is not used returns to the pool under the call's filters.
 */
import {
  ApiError, Resources, ResourceError, type Operation, type SchedulerCall, type TaskInfo,
} from '../../sdk';
import type { Master } from '../master';
import type { OfferRecord } from '../offer-book';
import { taskKey, type FrameworkRecord, type TaskRecord } from '../state';
import { takeOffers } from './offers';
import { applyReservation } from './reservations';

type AcceptCall = Extract<SchedulerCall, { type: 'ACCEPT' }>;

export async function handleAccept(m: Master, fw: FrameworkRecord, call: AcceptCall): Promise<object> {
  let offers: OfferRecord[];
  try {
    offers = takeOffers(m, fw, call.offerIds, { sameAgent: true });
  } catch (e) {
    await dropTasks(m, fw, call.operations, (e as Error).message);
    throw e;
  }
  const agentId = offers[0].agentId;
  const role = offers[0].role;
  let remaining = offers.reduce((acc, o) => acc.add(o.resources), Resources.EMPTY);
  const launched: string[] = [];
  const errors: string[] = [];
  for (const [i, op] of call.operations.entries()) {
    if (op.type === 'LAUNCH') {
      for (const [j, task] of op.tasks.entries()) {
        const field = `operations[${i}].tasks[${j}]`;
        const problem = checkTask(m, fw, task, agentId, remaining, field);
        if (problem) {
          errors.push(problem);
          await m.masterUpdate(undefined, { taskId: task.taskId, frameworkId: fw.info.id, agentId, state: 'TASK_ERROR', reason: 'INVALID_TASK', message: problem });
          continue;
        }
        const resources = Resources.fromWire(task.resources);
        remaining = remaining.subtract(resources);
        launch(m, fw, task, role, resources);
        launched.push(task.taskId);
      }
    } else {
      try {
        remaining = applyReservation(m, fw, agentId, role, remaining, op, `operations[${i}]`);
      } catch (e) {
        if (!(e instanceof ApiError || e instanceof ResourceError)) throw e;
        errors.push(e.message);
      }
    }
  }
  if (!remaining.isEmpty()) {
    m.allocator.recoverResources(fw.info.id, agentId, role, remaining, { refuseSeconds: call.filters?.refuseSeconds ?? 5, now: m.clock.now() });
  }
  m.counters.offersAccepted += offers.length;
  m.allocation.soon();
  return { launched, errors };
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
  const agent = m.state.agents.get(task.agentId as never);
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

function launch(m: Master, fw: FrameworkRecord, task: TaskInfo, role: string, resources: Resources): void {
  const now = m.clock.now();
  const rec: TaskRecord = {
    key: taskKey(fw.info.id, task.taskId), info: task, frameworkId: fw.info.id, agentId: task.agentId, role, resources,
    state: 'TASK_STAGING', holdsResources: true, createdAt: now, updatedAt: now,
    statuses: [{ state: 'TASK_STAGING', timestamp: now }],
  };
  m.state.addTask(rec);
  m.counters.tasksLaunched++;
  m.events.emit({ type: 'TASK_UPDATED', task: { id: task.taskId, frameworkId: fw.info.id, agentId: task.agentId, state: 'TASK_STAGING' } });
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
    });
}

/** Tasks of a refused ACCEPT never start: each is reported TASK_DROPPED so the framework can relaunch. */
async function dropTasks(m: Master, fw: FrameworkRecord, operations: Operation[], why: string): Promise<void> {
  for (const op of operations) {
    if (op.type !== 'LAUNCH') continue;
    for (const t of op.tasks) {
      await m.masterUpdate(undefined, { taskId: t.taskId, frameworkId: fw.info.id, agentId: t.agentId, state: 'TASK_DROPPED', reason: 'INVALID_OFFERS', message: why });
    }
  }
}
