/**
 * One allocation cycle, as a pure function of the allocator's state and `nowMs`:
 *
 *   stage 1 (quota)  for each role whose guarantee is unmet, lowest share first:
 *                      its subtree's clients in DRF order take agents, offers cut to the unmet amount
 *   stage 2 (fair)   every eligible client in hierarchical DRF order takes agents, unreserved resources
 *                      held back as headroom for others' unmet guarantees, limits never passed
 *
 * "Takes agents": the lowest-share client scans the pool from its cursor for the first agent it may be offered
 * (not filtered, something allocatable to its role, at least the minimum), gets all of it, its share rises and it
 * is re-placed in the sorter; a client that finds nothing is out for the rest of the cycle. So the work is about
 * (offers + clients) · log(clients) plus the filtered pairs actually met — never frameworks × agents.
 */
import { type Resources } from '../../sdk/resources';
import type { Allocation } from './allocator';
import { AgentPool } from './agent-pool';
import type { DrfSorter, RoleNode, SortNode } from './drf-sorter';
import { isFiltered, sweepExpiredFilters } from './filters';
import { HeadroomLedger, limitCaps, shrinkToCaps, type ScalarCaps } from './quota';
import type { Quota } from './allocator';
import type { ScalarKinds } from './scalar-kinds';
import type { AgentState, ClientNode } from './state';

export interface MinAllocatableMilli {
  cpus: number;
  mem: number;
}

export interface CycleInput {
  readonly sorter: DrfSorter;
  readonly kinds: ScalarKinds;
  readonly quotas: ReadonlyMap<string, Quota>;
  readonly agents: ReadonlyMap<unknown, AgentState>;
  readonly agentsBySlot: ReadonlyArray<AgentState | undefined>;
  readonly minimum: MinAllocatableMilli;
  readonly rotation: number;
  /** Books an offer: moves it from the agent's free resources to the client. */
  readonly commit: (client: ClientNode, agent: AgentState, offer: Resources) => void;
}

export function meetsMinimum(r: Resources, min: MinAllocatableMilli): boolean {
  return r.scalarMilli('cpus') >= min.cpus || r.scalarMilli('mem') >= min.mem;
}

function capsAllowMinimum(caps: ScalarCaps | undefined, min: MinAllocatableMilli): boolean {
  return caps === undefined || (caps.get('cpus') ?? Infinity) >= min.cpus || (caps.get('mem') ?? Infinity) >= min.mem;
}

export function runAllocationCycle(input: CycleInput, nowMs: number): Allocation[] {
  const pool = new AgentPool(
    input.agentsBySlot,
    (a) => a.active && meetsMinimum(a.available, input.minimum),
    input.rotation,
  );
  const cycle = new Cycle(input, pool, nowMs);
  input.sorter.beginCycle();
  try {
    if (cycle.ledger.active) for (const role of cycle.ledger.unmetRoles()) cycle.runStage(role, true);
    cycle.runStage(input.sorter.root, false);
  } finally {
    input.sorter.endCycle();
  }
  return cycle.allocations;
}

class Cycle {
  readonly allocations: Allocation[] = [];
  readonly ledger: HeadroomLedger;

  constructor(
    private readonly input: CycleInput,
    private readonly pool: AgentPool,
    private readonly nowMs: number,
  ) {
    this.ledger = new HeadroomLedger(input.sorter, input.quotas, input.agents.values(), input.kinds);
  }

  /** Offers agents to the clients under `from` in DRF order until the pool or the clients run out. */
  runStage(from: SortNode, quotaStage: boolean): void {
    const { sorter } = this.input;
    const eligible = (node: SortNode) => {
      (node as ClientNode).cursor = 0;
      return (node as ClientNode).isEligible();
    };
    if (!sorter.buildHeaps(from, eligible)) return;
    while (this.pool.remaining > 0) {
      if (quotaStage && this.ledger.unmet(from as RoleNode).size === 0) return;
      const client = sorter.pickNext(from) as ClientNode | undefined;
      if (!client) return;
      if (!this.offerNextAgent(client, quotaStage)) sorter.exhaust(client, from);
    }
  }

  /** Finds the next agent `client` may be offered and books it; false when there is none this cycle. */
  private offerNextAgent(client: ClientNode, quotaStage: boolean): boolean {
    const limits = this.limitsFor(client);
    if (!capsAllowMinimum(limits, this.input.minimum)) return false;
    const headroom = this.ledger.capsFor(client.roleNode, quotaStage);
    if (!capsAllowMinimum(headroom, this.input.minimum) && !this.ledger.hasFreeReservationFor(client.role))
      return false;
    sweepExpiredFilters(client, this.nowMs);
    const pool = this.pool;
    for (
      let p = pool.nextCandidate(client.cursor, client.filteredBits);
      p >= 0;
      p = pool.nextCandidate(p + 1, client.filteredBits)
    ) {
      client.cursor = p + 1;
      const agent = pool.agentAt(p);
      const offer = this.offerFor(client, agent, limits, headroom, true);
      if (offer === undefined) continue;
      pool.take(p);
      this.book(client, agent, offer);
      // The agent is this client's for the cycle: in the quota stage it also gets the fair-share rest, in one offer (as Mesos merges them).
      const rest = quotaStage
        ? this.offerFor(client, agent, this.limitsFor(client), this.ledger.capsFor(client.roleNode, false), false)
        : undefined;
      if (rest) this.book(client, agent, rest);
      this.allocations.push({
        frameworkId: client.framework.id,
        agentId: agent.id,
        role: client.role,
        resources: rest ? offer.add(rest) : offer,
      });
      return true;
    }
    client.cursor = pool.end;
    return false;
  }

  private limitsFor(client: ClientNode): ScalarCaps | undefined {
    return this.input.quotas.size > 0 ? limitCaps(client.roleNode, this.input.quotas, this.input.kinds) : undefined;
  }

  private book(client: ClientNode, agent: AgentState, offer: Resources): void {
    this.input.commit(client, agent, offer);
    this.ledger.onAllocated(offer, client.roleNode);
  }

  /** What `client` would be offered on `agent` now, or undefined when nothing may be. */
  private offerFor(
    client: ClientNode,
    agent: AgentState,
    limits: ScalarCaps | undefined,
    headroom: ScalarCaps | undefined,
    fromPool: boolean,
  ): Resources | undefined {
    let offer = agent.available;
    if (agent.availableHasReservations) offer = offer.allocatableTo(client.role);
    if (limits) offer = shrinkToCaps(offer, limits, false);
    if (headroom) offer = shrinkToCaps(offer, headroom, true);
    // An agent joined the pool only if its free resources met the minimum, and they are unchanged until it is taken.
    if ((!fromPool || offer !== agent.available) && !meetsMinimum(offer, this.input.minimum)) return undefined;
    if (client.filters.size > 0 && isFiltered(client, agent, offer, this.nowMs)) return undefined;
    return offer;
  }
}
