/** DECLINE: the offers return to the pool, kept from this framework for `filters.refuseSeconds` (default 5). */
import type { SchedulerCall } from '../../sdk';
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';
import { takeOffers } from './offers';

export function handleDecline(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'DECLINE' }>): object {
  const offers = takeOffers(m, fw, call.offerIds, { sameAgent: false });
  const refuseSeconds = call.filters?.refuseSeconds ?? 5;
  for (const o of offers) {
    m.allocator.recoverResources(fw.info.id, o.agentId, o.role, o.resources, { refuseSeconds, now: m.clock.now() });
  }
  m.counters.offersDeclined += offers.length;
  if (refuseSeconds === 0) m.allocation.soon();
  return { declined: offers.length };
}
