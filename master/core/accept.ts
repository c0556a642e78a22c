/**
 * ACCEPT: the framework uses offers (all on one agent and role) for LAUNCH, RESERVE and UNRESERVE operations,
 * applied in order against what the offers hold. A task asking for more than what is left gets TASK_ERROR
 * naming the resource, and one naming a secret that does not exist or that its framework's principal is not
 * granted gets TASK_ERROR naming the secret (`c.secrets`: names and grants only — the shell puts the values into
 * the LAUNCH as it sends it, master/secrets/launch-secrets.ts); whatever is not used returns to the pool.
 *
 *   1. validate — the caller, the offers, then every operation against a running "what is left" (no changes);
 *   2. apply    — offers out of the book, reservations (agent, allocator), new tasks, the unused rest back to
 *                 the allocator: all at once, nothing here can fail;
 *   3. effects  — PERSIST the reservations, SEND_COMMAND LAUNCH per task, APPEND_UPDATE (RETRY) a TASK_ERROR
 *                 per refused task. A failed append is retried until stored; a LAUNCH the agent did not take
 *                 comes back as `commandSettled` and ends the task (its resources offered again).
 * Offers that are not all valid fail the call, changing nothing; its tasks get TASK_DROPPED so the framework
 * can launch them again.
 */
import {
  ApiError,
  NO_LAUNCH_GRANTS,
  ResourceError,
  Resources,
  type FrameworkId,
  type Operation,
  type TaskInfo,
} from '../../sdk';
import { secretRefsProblem } from '../secrets/access';
import { taskKey, type FrameworkRecord, type TaskRecord } from '../state';
import type { Call, MasterCore, MasterStatus } from './core';
import type { Result } from './effects';
import { checkOffers } from './framework-calls';
import { checkReservation, type ReservationChange } from './reservations';
import { Tx } from './tx';

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

export function accept(
  c: MasterCore,
  caller: string,
  frameworkId: FrameworkId,
  call: Call<'ACCEPT'>,
  now: number,
): Result<{ launched: string[]; errors: string[] }> {
  const fw = c.framework(caller, frameworkId);
  const tx = new Tx(now);
  let plan: AcceptPlan;
  let offers;
  try {
    offers = checkOffers(c, fw, call.offerIds, { sameAgent: true });
    if (offers.length === 0) throw new ApiError('INVALID', 'no offers named', 'offerIds');
    const agent = c.state.agents.get(offers[0].agentId);
    if (!agent || agent.state !== 'ACTIVE')
      throw new ApiError('NOT_FOUND', `agent '${offers[0].agentId}' of the offers is not active`, 'offerIds[0]');
    plan = planAccept(
      c,
      fw,
      offers[0].agentId,
      offers.reduce((acc, o) => acc.add(o.resources), Resources.EMPTY),
      agent.reservations,
      call.operations,
    );
  } catch (e) {
    // Nothing changed: the framework learns each task was dropped, so it can launch it again.
    for (const s of droppedTasks(fw, call.operations, (e as Error).message)) c.masterStatusUpdate(tx, undefined, s);
    return { reply: { launched: [], errors: [] }, effects: tx.effects, error: e as Error };
  }
  const agentId = offers[0].agentId;
  const role = offers[0].role;
  c.seen(tx, fw);
  for (const o of offers) c.offers.take(o.id);
  if (plan.reservations.length > 0) {
    const agent = c.state.agents.get(agentId)!;
    agent.reservations = plan.dynamic;
    tx.persist({ type: 'SET_RESERVATIONS', agentId, reservations: plan.dynamic.format() });
    for (const ch of plan.reservations) {
      c.allocator.convertAllocated(fw.info.id, agentId, role, ch.from, ch.to);
      tx.log(
        'info',
        {
          agentId,
          frameworkId: fw.info.id,
          op: ch.type,
          resources: (ch.type === 'RESERVE' ? ch.to : ch.from).format(),
        },
        'reservation changed',
      );
    }
  }
  const records = plan.launches.map(({ task, resources }) => addTask(c, tx, fw, task, role, resources));
  if (!plan.unused.isEmpty())
    c.allocator.recoverResources(fw.info.id, agentId, role, plan.unused, {
      refuseSeconds: call.filters?.refuseSeconds ?? 5,
      now,
    });
  c.counters.offersAccepted += offers.length;
  tx.soon();
  for (const rec of records) {
    tx.push({
      type: 'SEND_COMMAND',
      agentId,
      timeoutMs: 10_000,
      purpose: { kind: 'LAUNCH', taskKey: rec.key, launchId: rec.launchId! }, // grants: set here only, never from the framework (the principal's ACL grants replace NO_LAUNCH_GRANTS).
      command: {
        type: 'LAUNCH',
        frameworkId: fw.info.id,
        framework: fw.info,
        role,
        task: rec.info,
        launchId: rec.launchId,
        grants: NO_LAUNCH_GRANTS,
      },
    });
  }
  for (const s of plan.refused) c.masterStatusUpdate(tx, undefined, s);
  return tx.done({ launched: plan.launches.map((l) => l.task.taskId), errors: plan.errors });
}

/** Every operation checked in order against what the earlier ones left; nothing changes. */
function planAccept(
  c: MasterCore,
  fw: FrameworkRecord,
  agentId: TaskInfo['agentId'],
  offered: Resources,
  dynamic: Resources,
  operations: Operation[],
): AcceptPlan {
  const plan: AcceptPlan = { launches: [], reservations: [], dynamic, unused: offered, errors: [], refused: [] };
  const taskIds = new Set<string>();
  for (const [i, op] of operations.entries()) {
    if (op.type === 'LAUNCH') {
      for (const [j, task] of op.tasks.entries()) {
        const field = `operations[${i}].tasks[${j}]`;
        const problem = taskIds.has(task.taskId)
          ? `${field}.taskId: '${task.taskId}' is launched twice in this call`
          : checkTask(c, fw, task, agentId, plan.unused, field);
        if (problem) {
          plan.errors.push(problem);
          plan.refused.push({
            taskId: task.taskId,
            frameworkId: fw.info.id,
            agentId,
            state: 'TASK_ERROR',
            reason: 'INVALID_TASK',
            message: problem,
          });
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
      const { change, after } = checkReservation(
        fw.info,
        op,
        { remaining: plan.unused, dynamic: plan.dynamic },
        `operations[${i}]`,
      );
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
function checkTask(
  c: MasterCore,
  fw: FrameworkRecord,
  task: TaskInfo,
  agentId: TaskInfo['agentId'],
  remaining: Resources,
  field: string,
): string | undefined {
  if (task.agentId !== agentId) return `${field}.agentId: '${task.agentId}' is not the offer's agent '${agentId}'`;
  if (c.state.tasks.has(taskKey(fw.info.id, task.taskId)))
    return `${field}.taskId: '${task.taskId}' is already in use by a live task`;
  let resources: Resources;
  try {
    resources = Resources.fromWire(task.resources);
  } catch (e) {
    return `${field}.resources: ${(e as Error).message}`;
  }
  if (resources.scalar('cpus') <= 0 && resources.scalar('mem') <= 0)
    return `${field}.resources: a task needs cpus or mem`;
  const missing = remaining.missing(resources);
  if (missing) return `${field}.resources: ${missing} offered`;
  const agent = c.state.agents.get(task.agentId);
  if (task.container.type === 'DOCKER' && !agent?.info.containerizers.includes('docker')) {
    return `${field}.container: agent '${agentId}' has no docker containerizer`;
  }
  const secrets =
    secretRefsProblem(c.secrets, fw.info.principal, task.secrets, field) ??
    secretRefsProblem(c.secrets, fw.info.principal, task.secretFiles, field, 'secretFiles');
  if (secrets) return secrets;
  if (task.container.type === 'DOCKER') {
    const ports = resources.rangesOf('ports').reduce((n, [a, b]) => n + b - a + 1, 0);
    const needed = task.container.portMappings.filter((p) => !p.hostPort).length;
    if (needed > ports)
      return `${field}.container.portMappings: ${needed} mappings need host ports but the task has ${ports} in its resources`;
  }
  return undefined;
}

/** The master's record of a new task, holding its resources. */
function addTask(
  c: MasterCore,
  tx: Tx,
  fw: FrameworkRecord,
  task: TaskInfo,
  role: string,
  resources: Resources,
): TaskRecord {
  const rec: TaskRecord = {
    key: taskKey(fw.info.id, task.taskId),
    info: task,
    frameworkId: fw.info.id,
    agentId: task.agentId,
    role,
    resources,
    state: 'TASK_STAGING',
    launchId: c.nextLaunchId(),
    holdsResources: true,
    createdAt: tx.now,
    updatedAt: tx.now,
    statuses: [{ state: 'TASK_STAGING', timestamp: tx.now }],
  };
  c.state.addTask(rec);
  c.counters.tasksLaunched++;
  tx.cluster({
    type: 'TASK_UPDATED',
    task: { id: task.taskId, frameworkId: fw.info.id, agentId: task.agentId, state: 'TASK_STAGING' },
  });
  return rec;
}

/** TASK_DROPPED for every task of an ACCEPT that changed nothing, so the framework can relaunch. */
function droppedTasks(fw: FrameworkRecord, operations: Operation[], why: string): MasterStatus[] {
  return operations.flatMap((op) =>
    op.type === 'LAUNCH'
      ? op.tasks.map((t): MasterStatus => ({
          taskId: t.taskId,
          frameworkId: fw.info.id,
          agentId: t.agentId,
          state: 'TASK_DROPPED',
          reason: 'INVALID_OFFERS',
          message: why,
        }))
      : [],
  );
}
