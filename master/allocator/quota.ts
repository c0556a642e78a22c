/**
 * Quota, as Mesos's: a role's guarantee is offered before fair sharing (stage 1) and, while unmet, enough
 * unreserved resources are held back from every other role to cover it (headroom); a role's limit caps what its
 * subtree may hold, and offers are shrunk to fit rather than exceed it.
 *
 * Consumption toward a guarantee = what the role's subtree holds + resources reserved to it not yet allocated.
 * Simplification (documented): nested guarantees are summed, not netted against their parent's.
 */
import { Resources, UNRESERVED } from '../../sdk/resources';
import type { Quota } from './allocator';
import type { DrfSorter, RoleNode } from './drf-sorter';
import type { ScalarKinds } from './scalar-kinds';
import type { AgentState } from './state';

/** Largest amount (thousandths) of each named scalar an offer may carry. */
export type ScalarCaps = Map<string, number>;

const minInto = (caps: ScalarCaps, name: string, cap: number) =>
  caps.set(name, Math.min(caps.get(name) ?? Infinity, cap));

/** Caps from the limits of `role` and its ancestors: limit − held by that subtree. Undefined when nothing limits it. */
export function limitCaps(
  role: RoleNode,
  quotas: ReadonlyMap<string, Quota>,
  kinds: ScalarKinds,
): ScalarCaps | undefined {
  let caps: ScalarCaps | undefined;
  for (let node: RoleNode | undefined = role; node && node.role !== ''; node = node.parent as RoleNode | undefined) {
    const limit = quotas.get(node.role)?.limit;
    if (!limit) continue;
    caps ??= new Map();
    const held = node.allocatedMilli;
    limit.forEachScalarMilli((name, _r, milli) => minInto(caps!, name, milli - (held[kinds.indexOf(name)] ?? 0)));
  }
  return caps;
}

/** `offer` with each capped scalar cut to its cap — unreserved first, then reservations (or unreserved only). */
export function shrinkToCaps(offer: Resources, caps: ScalarCaps, unreservedOnly: boolean): Resources {
  let out = offer;
  for (const [name, cap] of caps) {
    const have = unreservedOnly ? out.scalarMilli(name, UNRESERVED) : out.scalarMilli(name);
    let excess = have - Math.max(0, cap);
    if (excess <= 0) continue;
    const roles = unreservedOnly ? [UNRESERVED] : [UNRESERVED, ...out.roles().filter((r) => r !== UNRESERVED)];
    for (const role of roles) {
      const take = Math.min(excess, out.scalarMilli(name, role));
      if (take > 0) out = out.subtract(Resources.scalar(name, take / 1000, role));
      excess -= take;
      if (excess <= 0) break;
    }
  }
  return out;
}

/** One cycle's view of guarantees: unmet amounts, the headroom they require, and the unreserved pool that covers it. */
export class HeadroomLedger {
  private readonly guarantees = new Map<RoleNode, Resources>();
  private readonly unreservedFree = new Map<string, number>();
  /** Free reserved scalars by the exact role reserved to, and summed into every ancestor (a role's subtree). */
  private readonly reservedFreeExact = new Map<string, Map<string, number>>();
  private readonly reservedFreeSubtree = new Map<string, Map<string, number>>();
  /** Each guaranteed role's shortfall, and their sum (the headroom required), kept up to date per allocation. */
  private readonly unmetByRole = new Map<RoleNode, Map<string, number>>();
  private readonly required = new Map<string, number>();

  constructor(
    sorter: DrfSorter,
    quotas: ReadonlyMap<string, Quota>,
    agents: Iterable<AgentState>,
    private readonly kinds: ScalarKinds,
  ) {
    for (const [role, quota] of quotas)
      if (quota.guarantee && !quota.guarantee.isEmpty()) this.guarantees.set(sorter.ensureRole(role), quota.guarantee);
    if (this.guarantees.size === 0) return;
    for (const agent of agents) if (agent.active) this.count(agent.available, 1);
    for (const role of this.guarantees.keys()) this.refreshUnmet(role);
  }

  get active(): boolean {
    return this.guarantees.size > 0;
  }

  /** Roles whose guarantee is not yet met, lowest share first. */
  unmetRoles(): RoleNode[] {
    return [...this.guarantees.keys()].filter((r) => this.unmet(r).size > 0).sort((a, b) => a.share - b.share);
  }

  /** guarantee − consumption (held by the subtree + free reservations to it), per named scalar still short. */
  unmet(role: RoleNode): ReadonlyMap<string, number> {
    return this.unmetByRole.get(role) ?? NONE;
  }

  /** Caps on the unreserved part of an offer to `role`: keep others' unmet guarantees covered (and, in stage 1, stop at its own). */
  capsFor(role: RoleNode, quotaStage: boolean): ScalarCaps | undefined {
    if (!this.active) return undefined;
    const own = this.nearestGuaranteed(role);
    const ownUnmet = own ? this.unmet(own) : NONE;
    const caps: ScalarCaps = new Map();
    for (const [name, required] of this.required) {
      if (required > 0)
        minInto(caps, name, (this.unreservedFree.get(name) ?? 0) - (required - (ownUnmet.get(name) ?? 0)));
    }
    if (quotaStage) for (const [name, short] of ownUnmet) minInto(caps, name, short);
    return caps.size > 0 ? caps : undefined;
  }

  /** Whether any free resources are reserved to `role` or one of its ancestors (offerable to it despite headroom). */
  hasFreeReservationFor(role: string): boolean {
    for (let r = role; ; r = r.slice(0, r.lastIndexOf('/'))) {
      for (const milli of this.reservedFreeExact.get(r)?.values() ?? []) if (milli > 0) return true;
      if (!r.includes('/')) return false;
    }
  }

  /** Resources just allocated to a client in `role` leave the free pools; the guarantees on its path are re-judged. */
  onAllocated(offer: Resources, role: RoleNode): void {
    if (!this.active) return;
    this.count(offer, -1);
    for (let node: RoleNode | undefined = role; node && node.role !== ''; node = node.parent as RoleNode | undefined) {
      if (this.guarantees.has(node)) this.refreshUnmet(node);
    }
  }

  private refreshUnmet(role: RoleNode): void {
    for (const [name, short] of this.unmet(role)) this.required.set(name, (this.required.get(name) ?? 0) - short);
    const out = new Map<string, number>();
    const reservedFree = this.reservedFreeSubtree.get(role.role);
    this.guarantees.get(role)!.forEachScalarMilli((name, _r, milli) => {
      const short = milli - (role.allocatedMilli[this.kinds.indexOf(name)] ?? 0) - (reservedFree?.get(name) ?? 0);
      if (short > 0) out.set(name, short);
    });
    this.unmetByRole.set(role, out);
    for (const [name, short] of out) this.required.set(name, (this.required.get(name) ?? 0) + short);
  }

  private nearestGuaranteed(role: RoleNode): RoleNode | undefined {
    for (let node: RoleNode | undefined = role; node && node.role !== ''; node = node.parent as RoleNode | undefined) {
      if (this.guarantees.has(node)) return node;
    }
    return undefined;
  }

  private count(resources: Resources, sign: 1 | -1): void {
    for (const { name, role, milli } of resources.scalarList()) {
      if (role === UNRESERVED) {
        this.unreservedFree.set(name, (this.unreservedFree.get(name) ?? 0) + sign * milli);
        continue;
      }
      addTo(this.reservedFreeExact, role, name, sign * milli);
      for (let r = role; ; r = r.slice(0, r.lastIndexOf('/'))) {
        addTo(this.reservedFreeSubtree, r, name, sign * milli);
        if (!r.includes('/')) break;
      }
    }
  }
}

const NONE: ReadonlyMap<string, number> = new Map();

function addTo(map: Map<string, Map<string, number>>, role: string, name: string, milli: number): void {
  let byName = map.get(role);
  if (!byName) map.set(role, (byName = new Map()));
  byName.set(name, (byName.get(name) ?? 0) + milli);
}
