/** Shared offer checks for ACCEPT and DECLINE: every id must be an outstanding offer made to this framework. */
import { ApiError } from '../../sdk';
import type { Master } from '../master';
import type { OfferRecord } from '../offer-book';
import type { FrameworkRecord } from '../state';

/**
 * Validates all offer ids first, then takes them from the book — all or nothing, so a bad id in the list
 * leaves every offer outstanding and nothing half-applied.
 */
export function takeOffers(m: Master, fw: FrameworkRecord, offerIds: string[], opts: { sameAgent: boolean }): OfferRecord[] {
  const seen = new Set<string>();
  const found: OfferRecord[] = [];
  offerIds.forEach((id, i) => {
    if (seen.has(id)) throw new ApiError('INVALID', `offer '${id}' is listed twice`, `offerIds[${i}]`);
    seen.add(id);
    const o = m.offers.get(id);
    if (!o) throw new ApiError('NOT_FOUND', `offer '${id}' is not outstanding (never made, already used, declined or rescinded)`, `offerIds[${i}]`);
    if (o.frameworkId !== fw.info.id) throw new ApiError('FORBIDDEN', `offer '${id}' was not made to this framework`, `offerIds[${i}]`);
    if (opts.sameAgent && found.length > 0 && o.agentId !== found[0].agentId) {
      throw new ApiError('INVALID', `offer '${id}' is on agent ${o.agentId}, but offers accepted together must be on one agent (${found[0].agentId})`, `offerIds[${i}]`);
    }
    if (opts.sameAgent && found.length > 0 && o.role !== found[0].role) {
      throw new ApiError('INVALID', `offer '${id}' is for role ${o.role}, but offers accepted together must share a role (${found[0].role})`, `offerIds[${i}]`);
    }
    found.push(o);
  });
  for (const o of found) { m.offers.take(o.id); m.allocation.clearOfferTimer(o); }
  return found;
}
