/**
 * Offer matching: which offers host which wanted instances, and — for every instance left unplaced — why
 * each offer was refused (`waiting: 2 offers lacked mem, 1 violated UNIQUE hostname`).
 *
 * Pure: (offers, demands, placed instances) → placements + reasons. Spreads an app across agents by trying
 * the agents holding the fewest of its instances first; many instances may share one offer.
 */
import { Resources, type Offer, type ResourceWire } from 'agora/sdk';
import { volumeDiskMb, type AppDefinition } from 'agora/sdk/service';
import { describeConstraint, firstViolated } from './constraints';
import type { Placement } from './types';

/** `count` more instances of an app's `version` are wanted now. */
export interface Demand {
  readonly appId: string;
  readonly version: number;
  readonly def: AppDefinition;
  readonly count: number;
  /** Free persistent-volume slots of the app (core/volumes.ts): a placement takes one, on its agent, before a new one is made. */
  readonly slots?: readonly { readonly slot: string; readonly agentId: string }[];
}

export interface PlacedInstance {
  readonly offerId: string;
  readonly agentId: string;
  readonly hostname: string;
  readonly attributes: Offer['attributes'];
  readonly appId: string;
  readonly version: number;
  readonly resources: ResourceWire[];
  readonly ports: number[];
  /** The free slot the instance takes, or (apps with volumes) `new` when it makes one on this agent. */
  readonly volumeSlot?: string | 'new';
}

export interface MatchResult {
  readonly placed: PlacedInstance[];
  /** Per app with instances left unplaced: how many, and why. */
  readonly waiting: Map<string, { count: number; reason: string }>;
  /** Offers that host nothing: decline them. */
  readonly unused: string[];
}

interface OfferSlot {
  readonly offer: Offer;
  remaining: Resources;
  used: boolean;
}

const SCALARS = [
  ['cpus', 'cpus'],
  ['mem', 'mem'],
  ['disk', 'disk'],
] as const;
/** Resources usable from an offer made to `role`: those reserved for it, then unreserved ones. */
const rolesOf = (role: string): string[] => (role === '*' ? ['*'] : [role, '*']);
const usable = (avail: Resources, name: string, role: string): number =>
  rolesOf(role).reduce((n, r) => n + avail.scalar(name, r), 0);

/** Takes `amount` of a scalar from the slot, preferring resources reserved for the offer's role. */
function takeScalar(avail: Resources, name: string, amount: number, role: string): Resources {
  let want = amount;
  let taken = Resources.EMPTY;
  for (const r of rolesOf(role)) {
    const have = avail.scalar(name, r);
    const take = Math.min(have, want);
    if (take > 0) {
      taken = taken.add(Resources.scalar(name, take, r));
      want -= take;
    }
  }
  return taken;
}

/** Picks host ports: fixed ones must be offered, 0 takes the lowest free port. Undefined when short. */
export function pickPorts(avail: Resources, wanted: readonly number[]): number[] | undefined {
  const free = avail.rangesOf('ports');
  const isFree = (p: number) => free.some(([a, b]) => a <= p && p <= b);
  const fixed = new Set(wanted.filter((p) => p !== 0));
  for (const p of fixed) if (!isFree(p)) return undefined;
  const out: number[] = [];
  const used = new Set(fixed);
  let cursor = 0;
  for (const p of wanted) {
    if (p !== 0) {
      out.push(p);
      continue;
    }
    let found: number | undefined;
    for (const [a, b] of free) {
      for (let q = Math.max(a, cursor); q <= b; q++)
        if (!used.has(q)) {
          found = q;
          break;
        }
      if (found !== undefined) break;
    }
    if (found === undefined) return undefined;
    used.add(found);
    out.push(found);
    cursor = found + 1;
  }
  return out;
}

function portsResources(avail: Resources, ports: number[], role: string): Resources {
  let out = Resources.EMPTY;
  for (const p of ports) {
    const reserved = Resources.ranges('ports', [[p, p]], role);
    out = out.add(role !== '*' && avail.contains(reserved) ? reserved : Resources.ranges('ports', [[p, p]]));
  }
  return out;
}

type Fit = { ok: true; resources: Resources; ports: number[] } | { ok: false; reason: string };

/** Whether one more instance of `d` fits the slot; the reason names the first thing short. */
function fit(d: Demand, slot: OfferSlot, placed: readonly Placement[]): Fit {
  const { offer, remaining } = slot;
  if (d.def.role && offer.role !== d.def.role) return { ok: false, reason: `was for role ${offer.role}` };
  const kind = d.def.container?.type === 'DOCKER' ? 'docker' : 'native';
  if (!offer.containerizers.includes(kind)) return { ok: false, reason: `had no ${kind} containerizer` };
  let resources = Resources.EMPTY;
  for (const [name, field] of SCALARS) {
    const amount = d.def[field] + (name === 'disk' ? volumeDiskMb(d.def) : 0);
    if (amount <= 0) continue;
    if (usable(remaining, name, offer.role) + 1e-9 < amount) return { ok: false, reason: `lacked ${name}` };
    resources = resources.add(takeScalar(remaining, name, amount, offer.role));
  }
  const ports = pickPorts(remaining, d.def.ports);
  if (!ports) return { ok: false, reason: 'lacked ports' };
  resources = resources.add(portsResources(remaining, ports, offer.role));
  const broken = firstViolated(d.def.constraints, { hostname: offer.hostname, attributes: offer.attributes }, placed);
  if (broken) return { ok: false, reason: `violated ${describeConstraint(broken)}` };
  return { ok: true, resources, ports };
}

/** `2 offers lacked mem, 1 violated UNIQUE hostname` (most frequent first). */
export function formatReasons(reasons: readonly string[]): string {
  if (reasons.length === 0) return 'waiting: no offers';
  const tally = new Map<string, number>();
  for (const r of reasons) tally.set(r, (tally.get(r) ?? 0) + 1);
  const parts = [...tally]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([r, n]) => `${n} ${n === 1 ? 'offer' : 'offers'} ${r}`);
  return `waiting: ${parts.join(', ')}`;
}

/**
 * Places as many wanted instances as the offers allow, in demand order. `placedByApp` holds each app's
 * instances that occupy an agent now (all versions); the matcher adds its own placements as it goes.
 */
export function matchOffers(
  offers: readonly Offer[],
  demands: readonly Demand[],
  placedByApp: ReadonlyMap<string, readonly Placement[]>,
): MatchResult {
  const slots: OfferSlot[] = offers.map((offer) => ({
    offer,
    remaining: Resources.fromWire(offer.resources),
    used: false,
  }));
  const placed: PlacedInstance[] = [];
  const waiting = new Map<string, { count: number; reason: string }>();
  for (const d of demands) {
    const onAgents = [...(placedByApp.get(d.appId) ?? [])];
    let left = d.count;
    const freeSlots = [...(d.slots ?? [])];
    const hasVolumes = (d.def.volumes ?? []).length > 0;
    while (left > 0) {
      const perHost = (h: string) => onAgents.filter((p) => p.hostname === h).length;
      const order = [...slots].sort((a, b) => perHost(a.offer.hostname) - perHost(b.offer.hostname));
      const reasons: string[] = [];
      let done = false;
      for (const slot of order) {
        const pinned = freeSlots.length > 0 ? freeSlots.findIndex((s) => s.agentId === slot.offer.agentId) : -1;
        if (freeSlots.length > 0 && pinned < 0) {
          reasons.push('held none of its persistent volumes');
          continue;
        }
        const f = fit(d, slot, onAgents);
        if (!f.ok) {
          reasons.push(f.reason);
          continue;
        }
        const volumeSlot = pinned >= 0 ? freeSlots.splice(pinned, 1)[0].slot : hasVolumes ? 'new' : undefined;
        slot.remaining = slot.remaining.subtract(f.resources);
        slot.used = true;
        const { offer } = slot;
        placed.push({
          offerId: offer.id,
          agentId: offer.agentId,
          hostname: offer.hostname,
          attributes: offer.attributes,
          appId: d.appId,
          version: d.version,
          resources: f.resources.toWire(),
          ports: f.ports,
          ...(volumeSlot ? { volumeSlot } : {}),
        });
        onAgents.push({ hostname: offer.hostname, attributes: offer.attributes });
        done = true;
        break;
      }
      if (!done) {
        waiting.set(d.appId, { count: left + (waiting.get(d.appId)?.count ?? 0), reason: formatReasons(reasons) });
        break;
      }
      left--;
    }
  }
  return { placed, waiting, unused: slots.filter((s) => !s.used).map((s) => s.offer.id) };
}
