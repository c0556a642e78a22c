/**
 * Decline filters (Mesos's refused-offer filters): after a framework declines resources on an agent with
 * `refuseSeconds` > 0, that client is not offered a subset of them on that agent until `untilMs`. An offer
 * holding anything more (resources freed since) passes the filter, as in Mesos.
 *
 * Cheap to skip: Resources are immutable, so when the offer is the very object refused (the usual case: the
 * agent's free resources came back unchanged), or the agent has not changed since the decline (same version) and
 * the refusal covered it, or the same offer object was found filtered before, no Resources are compared.
 */
import type { Resources } from '../../sdk/resources';
import type { AgentState, ClientNode } from './state';

export interface OfferFilter {
  readonly refused: Resources;
  readonly untilMs: number;
  readonly agentVersion: number;
  readonly coveredAllAvailable: boolean;
  /** The last offer object found filtered (immutable, so the answer for it cannot change before expiry). */
  lastFiltered?: Resources;
}

/** Records a decline by `client` on `agent` (already given back). Overlapping filters merge: union, later expiry. */
export function addDeclineFilter(client: ClientNode, agent: AgentState, refused: Resources, untilMs: number, nowMs: number): void {
  const previous = client.filters.get(agent);
  const stillValid = previous !== undefined && previous.untilMs > nowMs;
  const allRefused = stillValid ? previous.refused.add(refused) : refused;
  client.filters.set(agent, {
    refused: allRefused,
    untilMs: stillValid ? Math.max(previous.untilMs, untilMs) : untilMs,
    agentVersion: agent.version,
    coveredAllAvailable: allRefused.contains(agent.available.allocatableTo(client.role)),
  });
  agent.filteredBy.add(client);
}

/** True when `offer` on `agent` must be withheld from `client` at `nowMs`; drops the filter once it expired. */
export function isFiltered(client: ClientNode, agent: AgentState, offer: Resources, nowMs: number): boolean {
  const filter = client.filters.get(agent);
  if (filter === undefined) return false;
  if (nowMs >= filter.untilMs) {
    dropFilter(client, agent);
    return false;
  }
  if (offer === filter.refused || offer === filter.lastFiltered) return true;
  if (filter.agentVersion === agent.version && filter.coveredAllAvailable) return true;
  if (!filter.refused.contains(offer)) return false;
  filter.lastFiltered = offer;
  return true;
}

export function dropFilter(client: ClientNode, agent: AgentState): void {
  client.filters.delete(agent);
  agent.filteredBy.delete(client);
}

export function clearFilters(client: ClientNode): void {
  for (const agent of client.filters.keys()) agent.filteredBy.delete(client);
  client.filters.clear();
}
