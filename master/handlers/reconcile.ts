/**
 * RECONCILE, with Mesos's partition-aware answers. Explicit (tasks named): each known task's latest state;
 * an unknown task on an unreachable agent → TASK_UNREACHABLE, on a removed agent → TASK_GONE, on a registered
 * agent → TASK_GONE (the agent would have reported it), agent unknown → TASK_UNKNOWN. Implicit (none named):
 * the latest state of every live task of the framework. Answers are UPDATE events (not acknowledged).
 */
import { isTerminal, type SchedulerCall, type TaskState, type TaskStatus } from '../../sdk';
import type { Master } from '../master';
import { taskKey, type FrameworkRecord, type TaskRecord } from '../state';

export function handleReconcile(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'RECONCILE' }>): object {
  const fid = fw.info.id;
  const answers: TaskStatus[] = [];
  if (call.tasks.length === 0) {
    for (const k of fw.tasks) { const t = m.state.tasks.get(k); if (t) answers.push(latest(m, t)); }
  } else {
    for (const { taskId, agentId } of call.tasks) {
      // Live or completed (kept in the bounded history): the task's latest state, terminal ones included.
      const t = m.state.tasks.get(taskKey(fid, taskId)) ?? m.state.findTask(taskId, fid);
      if (t) { answers.push(latest(m, t)); continue; }
      answers.push({ taskId, frameworkId: fid, agentId, state: unknownTaskState(m, agentId), reason: 'RECONCILIATION', source: 'MASTER', timestamp: m.clock.now() });
    }
  }
  for (const status of answers) m.sendEvent(fid, { type: 'UPDATE', status });
  return { answered: answers.length };
}

function latest(m: Master, t: TaskRecord): TaskStatus {
  const base = t.last ?? { taskId: t.info.taskId, frameworkId: t.frameworkId, agentId: t.agentId, state: t.state, source: 'MASTER' as const, timestamp: t.updatedAt };
  const agentState = m.state.agents.get(t.agentId)?.state;
  const state: TaskState = agentState === 'UNREACHABLE' && !isTerminal(t.state) ? 'TASK_UNREACHABLE' : t.state;
  const { uuid: _uuid, ...rest } = base;
  return { ...rest, state, reason: 'RECONCILIATION', source: 'MASTER', timestamp: m.clock.now() };
}

function unknownTaskState(m: Master, agentId: string | undefined): TaskState {
  if (!agentId) return 'TASK_UNKNOWN';
  const agent = m.state.agents.get(agentId as never);
  if (agent?.state === 'UNREACHABLE') return 'TASK_UNREACHABLE';
  if (agent?.state === 'REMOVED' || m.registry.agent(agentId)?.removedAt !== undefined) return 'TASK_GONE';
  if (agent) return 'TASK_GONE';
  return 'TASK_UNKNOWN';
}
