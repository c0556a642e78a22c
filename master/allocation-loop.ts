/**
 * The shell around the allocator: runs a cycle every `allocationIntervalMs` and soon after events that free
 * resources (bursts coalesce into one cycle), turns allocations into offers, and rescinds offers that time
 * out or whose agent goes away.
 */
import type { FrameworkId, Offer, TimerHandle } from '../sdk';
import type { Master } from './master';
import type { OfferRecord } from './offer-book';

const SOON_MS = 10;

export class AllocationLoop {
  private timer?: TimerHandle;
  private soonTimer?: TimerHandle;
  private running = false;
  /** Durations (ms) of recent cycles, newest last; read by metrics and the page. */
  readonly recentCycleMs: number[] = [];
  cycles = 0;
  onCycle?: (durationMs: number, offers: number) => void;

  constructor(private readonly m: Master) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.m.clock.clearTimeout(this.timer);
    if (this.soonTimer) this.m.clock.clearTimeout(this.soonTimer);
  }

  /** Asks for a cycle shortly; many calls in a burst make one cycle. */
  soon(): void {
    if (!this.running || this.soonTimer) return;
    this.soonTimer = this.m.clock.setTimeout(() => { this.soonTimer = undefined; this.cycle(); }, SOON_MS);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.m.clock.setTimeout(() => { this.cycle(); this.schedule(); }, this.m.config.allocationIntervalMs);
  }

  /** One allocation cycle: allocator → offers, one OFFERS event per framework. */
  cycle(): void {
    const m = this.m;
    const started = performance.now();
    const allocations = m.allocator.allocate(m.clock.now());
    const byFramework = new Map<FrameworkId, Offer[]>();
    for (const a of allocations) {
      const agent = m.state.agents.get(a.agentId);
      const fw = m.state.frameworks.get(a.frameworkId);
      if (!agent || !fw) { m.allocator.recoverResources(a.frameworkId, a.agentId, a.role, a.resources); continue; }
      const rec = m.offers.create(a.frameworkId, a.agentId, a.role, a.resources, m.clock.now());
      if (m.config.offerTimeoutMs > 0) rec.timer = m.clock.setTimeout(() => this.rescind(rec, 'offer timed out'), m.config.offerTimeoutMs);
      const offer: Offer = {
        id: rec.id, frameworkId: a.frameworkId, agentId: a.agentId, hostname: agent.info.hostname, role: a.role,
        resources: a.resources.toWire(), attributes: agent.info.attributes, containerizers: agent.info.containerizers,
      };
      const list = byFramework.get(a.frameworkId) ?? [];
      list.push(offer);
      byFramework.set(a.frameworkId, list);
    }
    for (const [fid, offers] of byFramework) {
      m.sendEvent(fid, { type: 'OFFERS', offers });
      m.events.emit({ type: 'OFFERS_MADE', frameworkId: fid, count: offers.length });
    }
    const ms = performance.now() - started;
    this.cycles++;
    this.recentCycleMs.push(ms);
    if (this.recentCycleMs.length > 100) this.recentCycleMs.shift();
    this.onCycle?.(ms, allocations.length);
  }

  /** Takes an outstanding offer back: its resources return to the pool and the framework is told. */
  rescind(o: OfferRecord, why: string): void {
    const m = this.m;
    if (!m.offers.take(o.id)) return;
    this.clearOfferTimer(o);
    if (m.state.agents.get(o.agentId)?.state !== 'REMOVED' && m.state.frameworks.has(o.frameworkId)) {
      m.allocator.recoverResources(o.frameworkId, o.agentId, o.role, o.resources);
    }
    m.counters.offersRescinded++;
    m.sendEvent(o.frameworkId, { type: 'RESCIND', offerId: o.id });
    m.events.emit({ type: 'OFFER_RESCINDED', frameworkId: o.frameworkId, offerId: o.id });
    m.log.debug({ offerId: o.id, frameworkId: o.frameworkId, why }, 'offer rescinded');
    this.soon();
  }

  clearOfferTimer(o: OfferRecord): void {
    if (o.timer) this.m.clock.clearTimeout(o.timer as TimerHandle);
    o.timer = undefined;
  }
}
