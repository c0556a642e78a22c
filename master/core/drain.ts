/**
 * Maintenance transitions: draining an agent before an operator takes it down.
 *
 *   drain(agent, deadline) ──▶ agent deactivated in the allocator, its offers rescinded, PERSIST the drain
 *        │                      (frameworks may move their tasks themselves until the deadline)
 *        ▼ deadline passed (tick)
 *   KILL (reason AGENT_DRAINED) per remaining task, as pending kills ──▶ last task ends ──▶ DRAINED (settleDrain)
 *   undrain ──▶ agent activated, offers flow again
 */
import { ApiError, type AgentId } from '../../sdk';
import type { AgentRecord } from '../state';
import type { MasterCore } from './core';
import type { Result } from './effects';
import { Tx } from './tx';

function drainable(c: MasterCore, agentId: AgentId): AgentRecord {
  const a = c.state.agents.get(agentId);
  if (!a || a.state === 'REMOVED') throw new ApiError('NOT_FOUND', `no agent '${agentId}'`, 'agentId');
  return a;
}

/** Starts (or re-times) draining: no more offers now, tasks killed once `deadlineMs` from now has passed. `_caller`: the operator (ACL check here). */
export function drain(c: MasterCore, _caller: string, agentId: AgentId, deadlineMs: number, now: number): Result {
  const a = drainable(c, agentId);
  const tx = new Tx(now);
  a.drain = { deadline: now + deadlineMs, drained: a.drain?.drained === true };
  tx.persist({ type: 'SET_DRAIN', agentId, drain: a.drain });
  c.allocator.deactivateAgent(agentId);
  for (const o of c.offers.forAgent(agentId)) c.rescind(tx, o, 'agent draining');
  tx.cluster({ type: 'AGENT_DRAINING', agent: { id: agentId, hostname: a.info.hostname } });
  if (a.drain.drained) tx.cluster({ type: 'AGENT_DRAINED', agent: { id: agentId, hostname: a.info.hostname } });
  else c.settleDrain(tx, agentId);
  tx.log('info', { agentId, deadlineMs }, 'agent draining');
  if (deadlineMs === 0) tx.push({ type: 'WAKE_AT', at: now });
  return tx.done({});
}

/** Ends maintenance: the agent's resources are offered again. Undraining an agent that is not draining is a no-op. */
export function undrain(c: MasterCore, _caller: string, agentId: AgentId, now: number): Result {
  const a = drainable(c, agentId);
  const tx = new Tx(now);
  if (!a.drain) return tx.done({});
  a.drain = undefined;
  tx.persist({ type: 'SET_DRAIN', agentId, drain: undefined });
  if (a.state === 'ACTIVE') c.allocator.activateAgent(agentId);
  tx.cluster({ type: 'AGENT_UNDRAINED', agent: { id: agentId, hostname: a.info.hostname } });
  tx.soon();
  tx.log('info', { agentId }, 'agent undrained');
  return tx.done({});
}
