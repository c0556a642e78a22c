/**
 * Local persistent volumes of apps, as pure data and decisions. Each instance of an app with `volumes` holds a
 * **slot**: one volume per entry of `volumes`, all on one agent, with persistence ids `<app prefix>.<slot>.<k>`.
 * A replacement instance takes a free slot of its app — and so must land on that slot's agent, where its data
 * is — before a new slot is made on any agent that fits. Slots are destroyed only when the app is gone
 * (or an operator asks).
 *
 *   offers ─► freeSlots() per demand ─► offer-match pins the placement to a free slot's agent (or makes a new slot)
 *   app removed ─► orphans() ─► the shell sends DESTROY_VOLUMES, then forgets the rows
 */
import { type PersistentVolume } from 'agora/sdk';
import { appTaskPrefix, volumeDiskMb, type AppDefinition } from 'agora/sdk/service';
import type { Instance } from './types';

/** One persistent volume the framework made on an agent. */
export interface VolumeRecord {
  readonly persistenceId: string;
  readonly appId: string;
  readonly slot: string;
  readonly index: number;
  readonly agentId: string;
  readonly hostname: string;
  readonly containerPath: string;
  readonly sizeMb: number;
  readonly createdAt: number;
  /** Its app was removed (or an operator asked): to be destroyed, never handed to an instance again. */
  readonly doomed?: boolean;
}

/** A slot no live instance holds: where a replacement must go. */
export interface FreeSlot {
  readonly slot: string;
  readonly agentId: string;
  readonly hostname: string;
}

export const persistenceIdOf = (appId: string, slot: string, index: number): string =>
  `${appTaskPrefix(appId)}.${slot}.${index}`;

/** The app's slots that no instance (live, being killed or unreachable) holds, oldest first. */
export function freeSlots(appId: string, volumes: Iterable<VolumeRecord>, instances: Iterable<Instance>): FreeSlot[] {
  const held = new Set<string>();
  for (const i of instances) if (i.appId === appId && i.volumeSlot) held.add(i.volumeSlot);
  const out = new Map<string, FreeSlot & { createdAt: number }>();
  for (const v of volumes) {
    if (v.appId !== appId || v.doomed || held.has(v.slot) || out.has(v.slot)) continue;
    out.set(v.slot, { slot: v.slot, agentId: v.agentId, hostname: v.hostname, createdAt: v.createdAt });
  }
  return [...out.values()]
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(({ slot, agentId, hostname }) => ({ slot, agentId, hostname }));
}

/** The records of a new slot for `def` on an agent. */
export function newSlot(
  def: AppDefinition,
  slot: string,
  agent: { agentId: string; hostname: string },
  now: number,
): VolumeRecord[] {
  return (def.volumes ?? []).map((v, index) => ({
    persistenceId: persistenceIdOf(def.id, slot, index),
    appId: def.id,
    slot,
    index,
    agentId: agent.agentId,
    hostname: agent.hostname,
    containerPath: v.containerPath,
    sizeMb: v.persistent.sizeMb,
    createdAt: now,
  }));
}

/** What the task names: the slot's volumes, in the order of `def.volumes`. */
export function taskVolumes(def: AppDefinition, slot: string): PersistentVolume[] {
  return (def.volumes ?? []).map((v, index) => ({
    containerPath: v.containerPath,
    persistenceId: persistenceIdOf(def.id, slot, index),
    sizeMb: v.persistent.sizeMb,
  }));
}

/** Volumes doomed or whose app is gone, grouped by agent: to destroy. */
export function orphans(
  volumes: Iterable<VolumeRecord>,
  appExists: (appId: string) => boolean,
): Map<string, VolumeRecord[]> {
  const out = new Map<string, VolumeRecord[]>();
  for (const v of volumes) if (v.doomed || !appExists(v.appId)) out.set(v.agentId, [...(out.get(v.agentId) ?? []), v]);
  return out;
}

/**
 * Problems with an app's volumes at deploy, by field: a volume larger than the largest agent disk the framework
 * has been offered (when it has seen any), and a change of the volumes of an app that has some (its slots on
 * the agents would no longer match: remove the app first, as Marathon asks).
 */
export function volumeProblems(
  def: AppDefinition,
  existing: AppDefinition | undefined,
  largestDiskMb: number | undefined,
): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const vols = def.volumes ?? [];
  if (largestDiskMb !== undefined) {
    vols.forEach((v, i) => {
      if (v.persistent.sizeMb > largestDiskMb) {
        out.push({
          field: `volumes[${i}].persistent.sizeMb`,
          message: `${v.persistent.sizeMb} MB is larger than any agent's disk (the largest offered is ${largestDiskMb} MB)`,
        });
      }
    });
    const total = def.disk + volumeDiskMb(def);
    if (out.length === 0 && vols.length > 0 && total > largestDiskMb) {
      out.push({
        field: 'volumes',
        message: `disk ${def.disk} MB plus volumes ${volumeDiskMb(def)} MB per instance is more than any agent's disk (the largest offered is ${largestDiskMb} MB)`,
      });
    }
  }
  if (
    existing &&
    (existing.volumes ?? []).length > 0 &&
    JSON.stringify(existing.volumes ?? []) !== JSON.stringify(vols)
  ) {
    out.push({
      field: 'volumes',
      message: `the persistent volumes of ${def.id} cannot change while it has them: remove the app (destroying its volumes) and deploy it again`,
    });
  }
  return out;
}
