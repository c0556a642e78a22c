/**
 * RESERVE / UNRESERVE offer operations (dynamic reservations): resources in the accepted offers change role,
 * in the agent's total, in the framework's allocation, and in the registry — before the reply.
 *
 * Two steps, so an operation either happens entirely or not at all:
 *   checkReservation  validates against what is left of the offers and the agent's dynamic reservations
 *                     (throws ApiError naming the field; changes nothing) and returns the change;
 *   applyReservations writes the net change of every checked operation to the registry (the one step that
 *                     can fail, done first), then to the agent's total and the allocator.
 * A framework may reserve and unreserve only for its own roles and their sub-roles — never an ancestor's
 * reservation it is offered, never '*' — and may unreserve only dynamic reservations: static ones come from
 * the agent's `--resources` and stay until the agent is reconfigured.
 */
import { ApiError, Resources, UNRESERVED, type Operation } from '../../sdk';
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';

export type ReservationOperation = Exclude<Operation, { type: 'LAUNCH' }>;

/** One checked RESERVE or UNRESERVE: `from` (in the offer) becomes `to`. */
export interface ReservationChange { type: ReservationOperation['type']; from: Resources; to: Resources }

/** What the accepted offers hold and the agent's dynamic reservations, as earlier operations of the call left them. */
export interface ReservationContext { remaining: Resources; dynamic: Resources }

/** The agent's dynamic reservations as the registry holds them. */
export function dynamicReservations(m: Master, agentId: string): Resources {
  return Resources.parse(m.registry.agent(agentId)?.reservations ?? '');
}

const mayActFor = (fw: FrameworkRecord, role: string) => fw.info.roles.some((fr) => role === fr || role.startsWith(`${fr}/`));

/** Validates one operation; returns the change and the context after it. Throws ApiError (naming `field`) and changes nothing. */
export function checkReservation(
  fw: FrameworkRecord, op: ReservationOperation, ctx: ReservationContext, field: string,
): { change: ReservationChange; after: ReservationContext } {
  const at = `${field}.resources`;
  let requested: Resources;
  try {
    requested = Resources.fromWire(op.resources);
  } catch (e) {
    throw new ApiError('INVALID', `${at}: ${(e as Error).message}`, at);
  }
  if (requested.isEmpty()) throw new ApiError('INVALID', `${at}: no resources named`, at);
  const verb = op.type === 'RESERVE' ? 'reserve' : 'unreserve';
  const roles = requested.roles();
  if (op.type === 'UNRESERVE' && roles.includes(UNRESERVED)) throw new ApiError('INVALID', `${at}: only reserved resources can be unreserved`, at);
  const bad = roles.find((r) => r === UNRESERVED || !mayActFor(fw, r));
  if (bad !== undefined) throw new ApiError('INVALID', `${at}: cannot ${verb} for role '${bad}' (framework roles: ${fw.info.roles.join(', ')})`, at);
  const from = op.type === 'RESERVE' ? requested.withRole(UNRESERVED) : requested;
  const to = op.type === 'RESERVE' ? requested : requested.withRole(UNRESERVED);
  const missing = ctx.remaining.missing(from);
  if (missing) throw new ApiError('INVALID', `${at}: ${missing} offered`, at);
  if (op.type === 'UNRESERVE') {
    const notDynamic = ctx.dynamic.missing(requested);
    if (notDynamic) {
      throw new ApiError('INVALID', `${at}: only dynamic reservations can be unreserved, and ${notDynamic} is dynamically reserved on this agent (static reservations come from the agent's --resources)`, at);
    }
  }
  const dynamic = op.type === 'RESERVE' ? ctx.dynamic.add(to) : ctx.dynamic.subtract(from);
  return { change: { type: op.type, from, to }, after: { remaining: ctx.remaining.subtract(from).add(to), dynamic } };
}

/**
 * Applies checked changes: the registry first (its write is the step that can throw; then nothing else has
 * changed), then the agent's total and the framework's allocation. `dynamic` is the context's final value.
 */
export function applyReservations(
  m: Master, fw: FrameworkRecord, agentId: string, role: string, changes: ReservationChange[], dynamic: Resources,
): void {
  if (changes.length === 0) return;
  const agent = m.state.agents.get(agentId as never);
  if (!agent) throw new ApiError('NOT_FOUND', `agent '${agentId}' is gone`);
  m.registry.setReservations(agentId, dynamic.format());
  for (const c of changes) {
    agent.total = agent.total.subtract(c.from).add(c.to);
    m.allocator.convertAllocated(fw.info.id, agent.info.id, role, c.from, c.to);
    m.log.info({ agentId, frameworkId: fw.info.id, op: c.type, resources: (c.type === 'RESERVE' ? c.to : c.from).format() }, 'reservation changed');
  }
}
