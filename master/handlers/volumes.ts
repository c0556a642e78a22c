/**
 * DESTROY_VOLUMES: forwards to the agent, which deletes the framework's persistent volumes named (refusing
 * while a running task uses one, or when they are another framework's). The agent must be ACTIVE: a volume on
 * an unreachable agent cannot be destroyed now, and the framework is told so (UNAVAILABLE) to retry later.
 */
import { ApiError, type SchedulerCall } from '../../sdk';
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';

export async function handleDestroyVolumes(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'DESTROY_VOLUMES' }>): Promise<object> {
  const agent = m.state.agents.get(call.agentId);
  if (!agent) throw new ApiError('NOT_FOUND', `agentId: no agent '${call.agentId}'`, 'agentId');
  if (agent.state !== 'ACTIVE') throw new ApiError('UNAVAILABLE', `agentId: agent '${call.agentId}' is ${agent.state}; retry when it is back`, 'agentId');
  const r = await m.sendToAgent<{ destroyed: string[]; missing: string[] }>(call.agentId, { type: 'DESTROY_VOLUMES', frameworkId: fw.info.id, persistenceIds: call.persistenceIds });
  m.log.info({ frameworkId: fw.info.id, agentId: call.agentId, destroyed: r.destroyed, missing: r.missing }, 'persistent volumes destroyed');
  return { destroyed: r.destroyed, missing: r.missing };
}
