/**
 * Outstanding offers: which resources of which agent are offered to which framework, by id.
 * An offer leaves the book when accepted, declined, rescinded or timed out — exactly once.
 */
import { randomBytes } from 'node:crypto';
import type { AgentId, FrameworkId, OfferId } from '../sdk';
import type { Resources } from '../sdk';

export interface OfferRecord {
  id: OfferId;
  frameworkId: FrameworkId;
  agentId: AgentId;
  role: string;
  resources: Resources;
  createdAt: number;
  timer?: unknown;
}

export class OfferBook {
  private readonly offers = new Map<OfferId, OfferRecord>();
  private readonly prefix = randomBytes(4).toString('hex');
  private seq = 0;
  made = 0;

  create(frameworkId: FrameworkId, agentId: AgentId, role: string, resources: Resources, now: number): OfferRecord {
    const id = `${this.prefix}-O${++this.seq}` as OfferId;
    const o: OfferRecord = { id, frameworkId, agentId, role, resources, createdAt: now };
    this.offers.set(id, o);
    this.made++;
    return o;
  }

  get(id: string): OfferRecord | undefined { return this.offers.get(id as OfferId); }

  /** Removes and returns the offer (undefined if it is not outstanding). */
  take(id: string): OfferRecord | undefined {
    const o = this.offers.get(id as OfferId);
    if (o) this.offers.delete(o.id);
    return o;
  }

  forAgent(agentId: AgentId): OfferRecord[] { return [...this.offers.values()].filter((o) => o.agentId === agentId); }
  forFramework(frameworkId: FrameworkId): OfferRecord[] { return [...this.offers.values()].filter((o) => o.frameworkId === frameworkId); }
  all(): IterableIterator<OfferRecord> { return this.offers.values(); }
  get size(): number { return this.offers.size; }
}
