/** KILL: forwards to the task's agent. An unknown task is answered with TASK_UNKNOWN so the framework can settle it. */
import type { SchedulerCall } from '../../sdk';
import type { Master } from '../master';
import { taskKey, type FrameworkRecord } from '../state';
import { authorizeOwnership } from '../authz/checks';

export async function handleKill(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'KILL' }>): Promise<object> {
  authorizeOwnership(m.authz, fw, 'kill');
  const task = m.state.tasks.get(taskKey(fw.info.id, call.taskId));
  if (!task) {
    m.sendEvent(fw.info.id, { type: 'UPDATE', status: { taskId: call.taskId, frameworkId: fw.info.id, agentId: call.agentId, state: 'TASK_UNKNOWN', reason: 'TASK_UNKNOWN', source: 'MASTER', timestamp: m.clock.now(), message: 'no live task with this id' } });
    return { known: false };
  }
  const agent = m.state.agents.get(task.agentId);
  if (!agent || agent.state !== 'ACTIVE') {
    // Kept until the agent is back and confirms it (sent at its re-registration, retried on every liveness check).
    m.liveness.pendingKills.add(task.key, { frameworkId: fw.info.id, taskId: call.taskId, gracePeriodMs: call.gracePeriodMs ?? task.info.killGracePeriodMs });
    return { known: true, pending: true };
  }
  await m.sendToAgent(task.agentId, { type: 'KILL', frameworkId: fw.info.id, taskId: call.taskId, gracePeriodMs: call.gracePeriodMs ?? task.info.killGracePeriodMs });
  return { known: true };
}
