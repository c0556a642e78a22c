/**
 * SUBSCRIBE: a framework registers, or re-registers with its id after a failover. Its durable update
 * consumer is created before the reply, so no update produced from now on can be missed.
 */
import { ApiError, ensureUpdateConsumer, frameworkConsumerName, frameworkUpdatesStreamName, subjects, type FrameworkInfo } from '../../sdk';
import { ensureFrameworkStream } from '../authz/streams';
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';

export async function handleSubscribe(m: Master, info: FrameworkInfo): Promise<object> {
  const now = m.clock.now();
  const stored = m.registry.framework(info.id);
  if (stored?.removedAt !== undefined) {
    throw new ApiError('FORBIDDEN', `framework '${info.id}' was removed at ${new Date(stored.removedAt).toISOString()}; subscribe with a new id`, 'framework.id');
  }
  await ensureConsumer(m, info.id);
  m.registry.upsertFramework(info, now);
  let fw = m.state.frameworks.get(info.id);
  const reregistered = fw !== undefined;
  if (fw) {
    rescindAll(m, fw);
    fw.info = info;
    m.liveness.reconnectFramework(fw);
  } else {
    fw = { info, connected: true, registeredAt: now, lastSeenAt: now, tasks: new Set() };
    m.state.frameworks.set(info.id, fw);
    m.allocator.addFramework({ id: info.id, roles: info.roles });
    for (const t of m.state.tasks.values()) {
      if (t.frameworkId === info.id) {
        fw.tasks.add(t.key);
        if (t.holdsResources) m.allocator.addAllocated(t.frameworkId, t.agentId, t.role, t.resources);
      }
    }
    m.events.emit({ type: 'FRAMEWORK_ADDED', framework: { id: info.id, name: info.name } });
  }
  fw.lastSeenAt = now;
  m.log.info({ frameworkId: info.id, name: info.name, roles: info.roles, reregistered }, reregistered ? 'framework re-subscribed' : 'framework subscribed');
  // Published after the reply so the driver sees the reply first; the driver subscribed to its events before calling.
  setImmediate(() => {
    m.sendEvent(info.id, { type: 'SUBSCRIBED', frameworkId: info.id, masterId: m.id, heartbeatIntervalMs: m.config.frameworkHeartbeatIntervalMs, reregistered });
    m.allocation.soon();
  });
  return { frameworkId: info.id, masterId: m.id, reregistered };
}

async function ensureConsumer(m: Master, frameworkId: string): Promise<void> {
  const principal = m.principalOf(frameworkId);
  await ensureFrameworkStream(m.jsm, principal);
  await ensureUpdateConsumer(m.jsm, {
    stream: frameworkUpdatesStreamName(principal), durable: frameworkConsumerName(frameworkId), filterSubject: subjects.frameworkUpdates(principal, frameworkId), maxAckPending: 1024,
  });
}

/** Returns every outstanding offer of the framework to the pool and tells it. */
export function rescindAll(m: Master, fw: FrameworkRecord): void {
  for (const o of m.offers.forFramework(fw.info.id)) m.allocation.rescind(o, 'framework re-subscribed or left');
}
