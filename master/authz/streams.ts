/** Each framework principal's update stream (AGORA_FWU_<principal>), made at its first framework's SUBSCRIBE. */
import { RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { frameworkUpdatesStream } from '../../sdk';

const DUPLICATE_WINDOW_NS = 10 * 60 * 1_000_000_000; // as the agents' stream (status-updates.ts)
const known = new WeakMap<JetStreamManager, Set<string>>();

export async function ensureFrameworkStream(jsm: JetStreamManager, principal: string): Promise<void> {
  const seen = known.get(jsm) ?? new Set<string>();
  known.set(jsm, seen);
  if (seen.has(principal)) return;
  const s = frameworkUpdatesStream(principal);
  try {
    await jsm.streams.info(s.name);
  } catch (e) {
    if (!/stream not found/i.test((e as Error).message)) throw e;
    await jsm.streams.add({ name: s.name, subjects: s.subjects, retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW_NS });
  }
  seen.add(principal);
}
