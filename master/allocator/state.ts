/**
 * What the allocator remembers about agents, frameworks and their (framework, role) clients. Each allocation is
 * recorded twice — on the agent (`held` by client) and on the client (`held` by agent) — so an agent's removal
 * and a framework's removal are both proportional to what they hold.
 */
import { Resources } from '../../sdk/resources';
import type { AgentId, Attribute, FrameworkId } from '../../sdk/protocol/common';
import { SortNode, type RoleNode } from './drf-sorter';
import type { OfferFilter } from './filters';
import { EMPTY_BITS, clearBit } from './slot-bits';

export class AgentState {
  available: Resources = Resources.EMPTY;
  active = true;
  readonly held = new Map<ClientNode, Resources>();
  /** Clients holding a decline filter on this agent (so removing the agent drops them). */
  readonly filteredBy = new Set<ClientNode>();
  /**
   * The free resources the clients' "surely filtered" bits for this agent were judged against. A bit stays true
   * while `available` is a subset of it; when `available` grows past it, the bits are cleared and judged again.
   */
  filterBasis: Resources = Resources.EMPTY;

  constructor(
    /** Dense number for bitsets, unique among the agents currently known. */
    readonly slot: number,
    readonly id: AgentId,
    readonly hostname: string,
    public total: Resources,
    readonly attributes: Attribute[],
  ) {
    this.setAvailable(total);
  }

  /** Whether `available` holds reservations (if not, every role may be offered all of it — the fast path). */
  availableHasReservations = false;

  setAvailable(next: Resources): void {
    this.available = next;
    this.availableHasReservations = next.hasReservations();
    if (this.filteredBy.size === 0) this.filterBasis = next;
    else if (next !== this.filterBasis && !next.isEmpty() && !this.filterBasis.contains(next)) this.rebaseFilters(next);
  }

  private rebaseFilters(next: Resources): void {
    for (const client of this.filteredBy) clearBit(client.filteredBits, this.slot);
    this.filterBasis = next;
  }
}

export class FrameworkState {
  active = true;
  /** False while only known from allocations reported by a re-registering agent. */
  registered = false;
  readonly subscribedRoles = new Set<string>();
  readonly clients = new Map<string, ClientNode>();
  constructor(readonly id: FrameworkId) {}
}

/** One framework acting in one role: the leaf the DRF sorter orders. */
export class ClientNode extends SortNode {
  readonly held = new Map<AgentState, Resources>();
  readonly filters = new Map<AgentState, OfferFilter>();
  /** Agents (by slot) this client surely may not be offered: a live filter covering the agent's filter basis. */
  filteredBits: Uint32Array = EMPTY_BITS;
  /** Earliest expiry among `filters` (Infinity when none), so expired filters are swept without a scan. */
  nextFilterExpiryMs = Infinity;
  suppressed = false;
  /** Position in this cycle's agent pool from which to look for the next agent. */
  cursor = 0;

  constructor(
    readonly framework: FrameworkState,
    readonly roleNode: RoleNode,
  ) {
    super('client', framework.id, roleNode.ownClients);
  }

  get role(): string {
    return this.roleNode.role;
  }

  /** May this client be offered anything in the coming cycle? */
  isEligible(): boolean {
    const fw = this.framework;
    return fw.active && fw.registered && !this.suppressed && fw.subscribedRoles.has(this.roleNode.role);
  }
}

/** Adds to a per-key Resources map, deleting the key when it empties. */
export function addHeld<K>(map: Map<K, Resources>, key: K, delta: Resources, sign: 1 | -1): Resources {
  const before = map.get(key) ?? Resources.EMPTY;
  const after = sign > 0 ? before.add(delta) : before.subtract(delta);
  if (after.isEmpty()) map.delete(key);
  else map.set(key, after);
  return after;
}
