/**
 * Shell for agent calls: REGISTER, PING and USAGE each go to one core transition (core/agent-calls.ts); the
 * caller is the agent id of the subject (NATS permissions confine each agent to its own subject).
 */
import type { AgentCall, AgentId } from '../sdk';
import type { Master } from './master';

export async function handleAgentCall(m: Master, agentId: AgentId, call: AgentCall): Promise<object> {
  const now = m.clock.now();
  switch (call.type) {
    case 'REGISTER':
      return m.run(m.core.agentRegistered(agentId, call, now));
    case 'PING':
      return m.run(m.core.agentPing(agentId, now));
    case 'USAGE':
      return m.run(m.core.agentUsage(agentId, call));
  }
}
