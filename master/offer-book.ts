/**
 * Outstanding offers: which resources of which agent are offered to which framework, by id, indexed by agent
 * and by framework. An offer leaves the book when accepted, declined, rescinded or timed out — exactly once.
 */
import { randomBytes } from 'node:crypto';
import { OfferIdSchema, type AgentId, type FrameworkId, type OfferId } from '../sdk';
import type { Resources } from '../sdk';

export interface OfferRecord {
  id: OfferId;
  frameworkId: FrameworkId;
  agentId: AgentId;
  role: string;
  resources: Resources;
  createdAt: number;
  /** When the offer is rescinded if still outstanding (--offer-timeout); data, not a timer: the core's tick acts on it. */
  expiresAt?: number;
}

export class OfferBook {
  private readonly offers = new Map<OfferId, OfferRecord>();
  private readonly byAgent = new Map<AgentId, Set<OfferRecord>>();
  private readonly byFramework = new Map<FrameworkId, Set<OfferRecord>>();
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;
  made = 0;

  create(
    frameworkId: FrameworkId,
    agentId: AgentId,
    role: string,
    resources: Resources,
    now: number,
    expiresAt?: number,
  ): OfferRecord {
    const id = OfferIdSchema.parse(`${this.prefix}-O${++this.seq}`);
    const o: OfferRecord = { id, frameworkId, agentId, role, resources, createdAt: now, expiresAt };
    this.offers.set(id, o);
    index(this.byAgent, agentId).add(o);
    index(this.byFramework, frameworkId).add(o);
    this.made++;
    return o;
  }

  get(id: OfferId): OfferRecord | undefined {
    return this.offers.get(id);
  }

  /** Removes and returns the offer (undefined if it is not outstanding). */
  take(id: OfferId): OfferRecord | undefined {
    const o = this.offers.get(id);
    if (!o) return undefined;
    this.offers.delete(o.id);
    unindex(this.byAgent, o.agentId, o);
    unindex(this.byFramework, o.frameworkId, o);
    return o;
  }

  forAgent(agentId: AgentId): OfferRecord[] {
    return [...(this.byAgent.get(agentId) ?? [])];
  }
  forFramework(frameworkId: FrameworkId): OfferRecord[] {
    return [...(this.byFramework.get(frameworkId) ?? [])];
  }
  all(): IterableIterator<OfferRecord> {
    return this.offers.values();
  }
  get size(): number {
    return this.offers.size;
  }
}

function index<K>(m: Map<K, Set<OfferRecord>>, key: K): Set<OfferRecord> {
  let s = m.get(key);
  if (!s) {
    s = new Set();
    m.set(key, s);
  }
  return s;
}

function unindex<K>(m: Map<K, Set<OfferRecord>>, key: K, o: OfferRecord): void {
  const s = m.get(key);
  if (!s) return;
  s.delete(o);
  if (s.size === 0) m.delete(key);
}
