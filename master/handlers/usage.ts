/**
 * USAGE: the latest resource usage the agents reported (agent call `USAGE`) for the calling framework's live
 * tasks — all of them, or those named. A read of the master's state; changes nothing. A framework sees only
 * its own tasks (the router has already resolved `fw` from the subject).
 */
import type { SchedulerCall, TaskUsageReply } from '../../sdk';
import type { Master } from '../master';
import { taskKey, type FrameworkRecord } from '../state';

export function handleUsage(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'USAGE' }>): TaskUsageReply {
  const keys = call.taskIds.length > 0 ? call.taskIds.map((id) => taskKey(fw.info.id, id)).filter((k) => fw.tasks.has(k)) : [...fw.tasks];
  const usage: TaskUsageReply['usage'] = [];
  for (const k of keys) {
    const t = m.state.tasks.get(k);
    if (t?.usage) usage.push({ taskId: t.info.taskId, agentId: t.agentId, usage: t.usage });
  }
  return { usage };
}
