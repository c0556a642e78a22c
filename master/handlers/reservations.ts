/**
 * RESERVE / UNRESERVE offer operations (dynamic reservations): resources in the accepted offers change role,
 * in the agent's total, in the framework's allocation, and in the registry — before the reply.
 */
import { ApiError, Resources, UNRESERVED, type Operation } from '../../sdk';
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';

export function applyReservation(
  m: Master, fw: FrameworkRecord, agentId: string, role: string, remaining: Resources,
  op: Exclude<Operation, { type: 'LAUNCH' }>, field: string,
): Resources {
  const requested = Resources.fromWire(op.resources);
  const roles = requested.roles();
  if (op.type === 'RESERVE') {
    const bad = roles.find((r) => r === UNRESERVED || !fw.info.roles.some((fr) => r === fr || r.startsWith(`${fr}/`)));
    if (bad !== undefined) throw new ApiError('INVALID', `${field}.resources: cannot reserve for role '${bad}' (framework roles: ${fw.info.roles.join(', ')})`, `${field}.resources`);
  } else if (roles.includes(UNRESERVED)) {
    throw new ApiError('INVALID', `${field}.resources: only reserved resources can be unreserved`, `${field}.resources`);
  }
  const from = op.type === 'RESERVE' ? requested.withRole(UNRESERVED) : requested;
  const to = op.type === 'RESERVE' ? requested : requested.withRole(UNRESERVED);
  const missing = remaining.missing(from);
  if (missing) throw new ApiError('INVALID', `${field}.resources: ${missing} offered`, `${field}.resources`);
  const agent = m.state.agents.get(agentId as never);
  if (!agent) throw new ApiError('NOT_FOUND', `agent '${agentId}' is gone`);
  agent.total = agent.total.subtract(from).add(to);
  const stored = Resources.parse(m.registry.agent(agentId)?.reservations ?? '');
  const dynamic = op.type === 'RESERVE' ? stored.add(to) : stored.subtract(from);
  m.registry.setReservations(agentId, dynamic.format());
  m.allocator.convertAllocated(fw.info.id, agent.info.id, role, from, to);
  m.log.info({ agentId, frameworkId: fw.info.id, op: op.type, resources: requested.format() }, 'reservation changed');
  return remaining.subtract(from).add(to);
}
