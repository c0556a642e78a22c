/**
 * RESERVE / UNRESERVE offer operations (dynamic reservations), checked without changing anything. A framework
 * may reserve and unreserve only for its own roles and their sub-roles — never an ancestor's reservation it is
 * offered, never '*' — and may unreserve only dynamic reservations: static ones come from the agent's
 * `--resources` and stay until the agent is reconfigured. accept.ts applies the checked changes.
 */
import { ApiError, Resources, UNRESERVED, type FrameworkInfo, type Operation } from '../../sdk';

export type ReservationOperation = Exclude<Operation, { type: 'LAUNCH' }>;

/** One checked RESERVE or UNRESERVE: `from` (in the offer) becomes `to`. */
export interface ReservationChange {
  type: ReservationOperation['type'];
  from: Resources;
  to: Resources;
}

/** What the accepted offers hold and the agent's dynamic reservations, as earlier operations of the call left them. */
export interface ReservationContext {
  remaining: Resources;
  dynamic: Resources;
}

const mayActFor = (fw: FrameworkInfo, role: string) => fw.roles.some((fr) => role === fr || role.startsWith(`${fr}/`));

/** Validates one operation; returns the change and the context after it. Throws ApiError (naming `field`). */
export function checkReservation(
  fw: FrameworkInfo,
  op: ReservationOperation,
  ctx: ReservationContext,
  field: string,
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
  if (op.type === 'UNRESERVE' && roles.includes(UNRESERVED))
    throw new ApiError('INVALID', `${at}: only reserved resources can be unreserved`, at);
  const bad = roles.find((r) => r === UNRESERVED || !mayActFor(fw, r));
  if (bad !== undefined)
    throw new ApiError(
      'INVALID',
      `${at}: cannot ${verb} for role '${bad}' (framework roles: ${fw.roles.join(', ')})`,
      at,
    );
  const from = op.type === 'RESERVE' ? requested.withRole(UNRESERVED) : requested;
  const to = op.type === 'RESERVE' ? requested : requested.withRole(UNRESERVED);
  const missing = ctx.remaining.missing(from);
  if (missing) throw new ApiError('INVALID', `${at}: ${missing} offered`, at);
  if (op.type === 'UNRESERVE') {
    const notDynamic = ctx.dynamic.missing(requested);
    if (notDynamic) {
      throw new ApiError(
        'INVALID',
        `${at}: only dynamic reservations can be unreserved, and ${notDynamic} is dynamically reserved on this agent (static reservations come from the agent's --resources)`,
        at,
      );
    }
  }
  const dynamic = op.type === 'RESERVE' ? ctx.dynamic.add(to) : ctx.dynamic.subtract(from);
  return { change: { type: op.type, from, to }, after: { remaining: ctx.remaining.subtract(from).add(to), dynamic } };
}
