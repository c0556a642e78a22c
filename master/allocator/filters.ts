/**
 * Decline filters (Mesos's refused-offer filters): after a framework declines resources on an agent with
 * `refuseSeconds` > 0, that client is not offered a subset of them on that agent until `untilMs`. An offer
 * holding anything more (resources freed since) passes the filter, as in Mesos.
 *
 * Skipped cheaply at two levels. In bulk: when a filter covers everything the agent could offer the client (its
 * filter basis), the client's bit for that agent is set and the cycle's scan skips it 32 agents at a time.
 * One by one: Resources are immutable, so an offer that is the very object refused (the usual case: the agent's
 * free resources came back unchanged) or was already found filtered needs no comparison.
 */
import type { Resources } from '../../sdk/resources';
import { EMPTY_BITS, clearBit, withBit } from './slot-bits';
import type { AgentState, ClientNode } from './state';

export interface OfferFilter {
  readonly refused: Resources;
  readonly untilMs: number;
  /** The last offer object found filtered (immutable, so the answer for it cannot change before expiry). */
  lastFiltered?: Resources;
}

/** Records a decline by `client` on `agent` (already given back). Overlapping filters merge: union, later expiry. */
export function addDeclineFilter(
  client: ClientNode,
  agent: AgentState,
  refused: Resources,
  untilMs: number,
  nowMs: number,
): void {
  const previous = client.filters.get(agent);
  const stillValid = previous !== undefined && previous.untilMs > nowMs;
  const filter: OfferFilter = {
    refused: stillValid ? previous.refused.add(refused) : refused,
    untilMs: stillValid ? Math.max(previous.untilMs, untilMs) : untilMs,
  };
  client.filters.set(agent, filter);
  client.nextFilterExpiryMs = Math.min(client.nextFilterExpiryMs, filter.untilMs);
  agent.filteredBy.add(client);
  markIfCovering(client, agent, filter);
}

/** True when `offer` on `agent` must be withheld from `client` at `nowMs`; drops the filter once it expired. */
export function isFiltered(client: ClientNode, agent: AgentState, offer: Resources, nowMs: number): boolean {
  const filter = client.filters.get(agent);
  if (filter === undefined) return false;
  if (nowMs >= filter.untilMs) {
    dropFilter(client, agent);
    return false;
  }
  if (offer !== filter.refused && offer !== filter.lastFiltered && !filter.refused.contains(offer)) return false;
  filter.lastFiltered = offer;
  markIfCovering(client, agent, filter);
  return true;
}

/** Drops the client's expired filters (and their bits) once the earliest expiry has passed. */
export function sweepExpiredFilters(client: ClientNode, nowMs: number): void {
  if (nowMs < client.nextFilterExpiryMs) return;
  let next = Infinity;
  for (const [agent, filter] of client.filters) {
    if (nowMs >= filter.untilMs) dropFilter(client, agent);
    else next = Math.min(next, filter.untilMs);
  }
  client.nextFilterExpiryMs = next;
}

export function dropFilter(client: ClientNode, agent: AgentState): void {
  client.filters.delete(agent);
  agent.filteredBy.delete(client);
  clearBit(client.filteredBits, agent.slot);
}

export function clearFilters(client: ClientNode): void {
  for (const agent of client.filters.keys()) agent.filteredBy.delete(client);
  client.filters.clear();
  client.filteredBits = EMPTY_BITS;
  client.nextFilterExpiryMs = Infinity;
}

/** Sets the client's bit for `agent` when the filter covers all the agent could offer it (its filter basis). */
function markIfCovering(client: ClientNode, agent: AgentState, filter: OfferFilter): void {
  const basis = agent.filterBasis;
  if (filter.refused === basis || filter.refused.contains(basis.allocatableTo(client.role))) {
    client.filteredBits = withBit(client.filteredBits, agent.slot);
  }
}
