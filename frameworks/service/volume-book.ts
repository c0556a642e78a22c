/**
 * The service framework's persistent volumes (shell around core/volumes.ts): the records in the store, the free
 * slots each demand may take, new slots written before their launch, and the destruction of volumes whose app
 * is gone (or an operator names) through the master's DESTROY_VOLUMES — retried until the agent answers.
 */
import { Resources, type Logger, type Offer } from 'agora/sdk';
import { type VolumeView } from 'agora/sdk/service';
import type { Instance } from './core/types';
import { freeSlots, newSlot, orphans, type FreeSlot, type VolumeRecord } from './core/volumes';
import type { AppDefinition } from 'agora/sdk/service';
import type { ServiceStore } from './store';

/** What the book needs of the driver. */
export interface VolumeDriver {
  destroyVolumes?(agentId: string, persistenceIds: string[]): Promise<{ destroyed: string[]; missing: string[] }>;
}

/** A failed destroy is retried after this long. */
export const DESTROY_RETRY_MS = 5000;

export class VolumeBook {
  readonly volumes = new Map<string, VolumeRecord>();
  /** The largest disk any offer has shown per agent (an idle agent offers all of it). */
  private readonly diskByAgent = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private retryAt = 0;

  constructor(
    private readonly store: ServiceStore,
    private readonly log: Logger,
  ) {
    for (const v of store.loadVolumes()) this.volumes.set(v.persistenceId, v);
  }

  noteOffers(offers: readonly Offer[]): void {
    for (const o of offers) {
      const disk = Resources.fromWire(o.resources).scalar('disk');
      if (disk > (this.diskByAgent.get(o.agentId) ?? 0)) this.diskByAgent.set(o.agentId, disk);
    }
  }

  /** The largest disk offered by any agent so far, or undefined before any offer. */
  largestDiskMb(): number | undefined {
    return this.diskByAgent.size === 0 ? undefined : Math.max(...this.diskByAgent.values());
  }

  slotsFor(appId: string, instances: Iterable<Instance>): FreeSlot[] {
    return freeSlots(appId, this.volumes.values(), instances);
  }

  /** Records a new slot (written before the launch that creates it on the agent). */
  create(def: AppDefinition, slot: string, agent: { agentId: string; hostname: string }, now: number): void {
    const list = newSlot(def, slot, agent, now);
    this.store.putVolumes(list);
    for (const v of list) this.volumes.set(v.persistenceId, v);
  }

  /** Dooms the volumes of an app (removed) or those named (an operator's destroy): they go at the next destroy round. */
  doom(appId: string, persistenceIds?: readonly string[]): VolumeRecord[] {
    const list = [...this.volumes.values()]
      .filter((v) => v.appId === appId && !v.doomed && (!persistenceIds || persistenceIds.includes(v.persistenceId)))
      .map((v) => ({ ...v, doomed: true }));
    this.store.putVolumes(list);
    for (const v of list) this.volumes.set(v.persistenceId, v);
    this.retryAt = 0;
    return list;
  }

  /** The app's volumes and which instance holds each. */
  views(appId: string, instances: Iterable<Instance>): VolumeView[] {
    const holder = new Map<string, string>();
    for (const i of instances) if (i.appId === appId && i.volumeSlot) holder.set(i.volumeSlot, i.instanceId);
    return [...this.volumes.values()]
      .filter((v) => v.appId === appId)
      .sort((a, b) => a.createdAt - b.createdAt || a.persistenceId.localeCompare(b.persistenceId))
      .map((v) => ({
        persistenceId: v.persistenceId,
        containerPath: v.containerPath,
        sizeMb: v.sizeMb,
        agentId: v.agentId,
        hostname: v.hostname,
        createdAt: v.createdAt,
        ...(holder.has(v.slot) ? { instanceId: holder.get(v.slot) } : {}),
        ...(v.doomed ? { destroying: true } : {}),
      }));
  }

  /** Destroys the volumes of apps that are gone: one DESTROY_VOLUMES per agent, forgotten once the agent confirms. */
  destroyOrphans(appExists: (appId: string) => boolean, driver: VolumeDriver | undefined, now: number): void {
    if (!driver?.destroyVolumes || now < this.retryAt) return;
    for (const [agentId, list] of orphans(this.volumes.values(), appExists)) {
      const ids = list.map((v) => v.persistenceId).filter((id) => !this.inFlight.has(id));
      if (ids.length === 0) continue;
      for (const id of ids) this.inFlight.add(id);
      driver
        .destroyVolumes(agentId, ids)
        .then((r) => {
          this.store.deleteVolumes(ids);
          for (const id of ids) this.volumes.delete(id);
          this.log.info({ agentId, destroyed: r.destroyed, missing: r.missing }, 'persistent volumes destroyed');
        })
        .catch((e: Error) => {
          this.retryAt = now + DESTROY_RETRY_MS;
          this.log.warn({ agentId, ids, err: e.message }, 'could not destroy persistent volumes; will retry');
        })
        .finally(() => {
          for (const id of ids) this.inFlight.delete(id);
        });
    }
  }
}
