/**
 * The service framework's shell: holds the state (loaded from the store), feeds driver events and API calls
 * through the pure cores, writes every change to the store, and turns the cores' answers into driver calls.
 *
 *   offers ──► tick ─► reconcile() ─► demands ─► matchOffers() ─► write instances ─► launch / decline
 *   status ──► trackStatus() ─► write ─► backoff on failure ─► tick ─► kills
 *   API    ──► deploy()/scale()/… (core/deployments) ─► write ─► tick
 *
 * Every state change is written before the driver call that depends on it, so a crash at any point is
 * repaired on restart by reconciliation with the master.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiError,
  isTerminal,
  type Clock,
  type Logger,
  type Offer,
  type TaskInfoInput,
  type TaskStatus,
} from 'agora/sdk';
import { drainSecondsOf, validateApp, type AppDefinition } from 'agora/sdk/service';
import { instancesOnDeploy, manualScaleRefusal, type AutoscaleState, type UsageSample } from './core/autoscaler';
import { recordFailure } from './core/backoff';
import * as deployments from './core/deployments';
import { trackStatus } from './core/instance-tracker';
import { formatReasons, matchOffers, type Demand } from './core/offer-match';
import { reconcile } from './core/reconciler';
import { isReady, type App, type Deployment, type Instance, type KillReason, type Placement } from './core/types';
import type { ServiceStore } from './store';
import { changedApps, endpointSignatures } from './endpoint-changes';
import { buildTask, newInstanceId } from './task-builder';
import { volumeProblems } from './core/volumes';
import { VolumeBook, type VolumeDriver } from './volume-book';

/** What the shell needs of the SDK's SchedulerDriver (a fake in unit tests). */
export interface DriverPort extends VolumeDriver {
  launch(offerIds: string[], tasks: TaskInfoInput[], filters?: { refuseSeconds: number }): Promise<void>;
  decline(offerIds: string[], filters?: { refuseSeconds: number }): Promise<void>;
  kill(taskId: string, agentId?: string, gracePeriodMs?: number): Promise<void>;
  reconcile(tasks?: { taskId: string; agentId?: string }[]): Promise<void>;
  revive(roles?: string[]): Promise<void>;
}

/** Decline filters: short while something waits to be placed, long when nothing is wanted (revived on demand). */
export const REFUSE_WHILE_WAITING_S = 1;
export const REFUSE_IDLE_S = 30;
/** Reconciliation with the master (explicit, then implicit) this often, besides on every (re-)subscription. */
export const RECONCILE_EVERY_MS = 5 * 60_000;

export class ServiceFramework {
  readonly apps: Map<string, App>;
  readonly versions: Map<string, Map<number, AppDefinition>>;
  readonly deployments: Map<string, Deployment>;
  readonly instances: Map<string, Instance>;
  /** Per app: why its wanted instances are not placed. */
  readonly waiting = new Map<string, string>();
  delayed = new Map<string, number>();
  private demands: Demand[] = [];
  private driver?: DriverPort;
  private lastReconcileAt = 0;
  /** Told the apps whose ready endpoints changed, after the tick that changed them (main.ts publishes it). */
  onEndpointsChanged?: (appIds: string[]) => void;
  private endpointsSeen = new Map<string, string>();
  /** Per autoscaled app: recommendations, status and last decision (memory only; see autoscale.ts). */
  readonly autoscale = new Map<string, AutoscaleState>();
  /** Per task: the last usage report and CPU rate (memory only). */
  usageSamples = new Map<string, UsageSample>();
  /** Persistent volumes of apps (volume-book.ts). */
  readonly volumeBook: VolumeBook;

  constructor(
    private readonly store: ServiceStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    const loaded = store.load();
    this.apps = loaded.apps;
    this.versions = loaded.versions;
    this.deployments = loaded.deployments;
    this.instances = loaded.instances;
    this.volumeBook = new VolumeBook(store, log);
  }

  private get state(): deployments.ServiceState {
    return { apps: this.apps, versions: this.versions, deployments: this.deployments };
  }
  private now(): number {
    return this.clock.now();
  }
  private newDeploymentId(): string {
    return `d-${randomBytes(4).toString('hex')}`;
  }

  // ---- driver events -------------------------------------------------------------------------------

  /** Subscribed (first time or again): ask the master for the truth about every task we hold, then act. */
  async registered(driver: DriverPort): Promise<void> {
    this.driver = driver;
    await this.reconcileWithMaster();
    await driver
      .revive()
      .catch((e: Error) => this.log.warn({ err: e.message }, 'revive failed; the next tick with demand asks again'));
    this.tick();
  }

  /**
   * Explicit reconciliation of every task we hold (a task the master never saw comes back TASK_UNKNOWN and its
   * instance is replaced), then implicit (tasks of ours that no instance owns are killed when they answer).
   */
  private async reconcileWithMaster(): Promise<void> {
    if (!this.driver) return;
    this.lastReconcileAt = this.now();
    const known = [...this.instances.values()].map((i) => ({ taskId: i.taskId, agentId: i.agentId }));
    if (known.length > 0)
      await this.driver
        .reconcile(known)
        .catch((e) => this.log.warn({ err: (e as Error).message }, 'explicit reconcile failed'));
    await this.driver
      .reconcile([])
      .catch((e) => this.log.warn({ err: (e as Error).message }, 'implicit reconcile failed'));
  }

  async resourceOffers(offers: Offer[]): Promise<void> {
    this.tick();
    const placedByApp = new Map<string, Placement[]>();
    for (const i of this.instances.values())
      if (i.state !== 'UNREACHABLE') placedByApp.set(i.appId, [...(placedByApp.get(i.appId) ?? []), i]);
    this.volumeBook.noteOffers(offers);
    const demands = this.demands.map((d) =>
      (d.def.volumes ?? []).length > 0
        ? { ...d, slots: this.volumeBook.slotsFor(d.appId, this.instances.values()) }
        : d,
    );
    const result = matchOffers(offers, demands, placedByApp);
    for (const d of this.demands) {
      const w = result.waiting.get(d.appId);
      if (w) this.waiting.set(d.appId, w.reason);
      else this.waiting.delete(d.appId);
    }
    const byOffer = new Map<string, { instance: Instance; task: TaskInfoInput }[]>();
    const now = this.now();
    for (const p of result.placed) {
      const app = this.apps.get(p.appId)!;
      const instanceId = newInstanceId(p.appId);
      const volumeSlot = p.volumeSlot === 'new' ? randomBytes(4).toString('hex') : p.volumeSlot;
      // A new slot's records are written before the launch that creates its volumes on the agent.
      if (p.volumeSlot === 'new' && volumeSlot) this.volumeBook.create(app.def, volumeSlot, p, now);
      const instance: Instance = {
        instanceId,
        taskId: instanceId,
        appId: p.appId,
        version: p.version,
        agentId: p.agentId,
        hostname: p.hostname,
        attributes: p.attributes,
        ports: p.ports,
        checked: app.def.healthChecks.length > 0,
        state: 'STAGING',
        launchedAt: now,
        ...(volumeSlot ? { volumeSlot } : {}),
      };
      byOffer.set(p.offerId, [
        ...(byOffer.get(p.offerId) ?? []),
        { instance, task: buildTask(app.def, p.version, p, instanceId, volumeSlot) },
      ]);
    }
    const launching = [...byOffer.values()].flat().map((x) => x.instance);
    this.store.putInstances(launching); // written before the launch: a crash in between is found by reconciliation
    for (const i of launching) this.instances.set(i.instanceId, i);
    this.demands = this.demands
      .map((d) => ({ ...d, count: d.count - launching.filter((i) => i.appId === d.appId).length }))
      .filter((d) => d.count > 0);
    await Promise.all([...byOffer].map(([offerId, list]) => this.launch(offerId, list)));
    if (result.unused.length > 0) {
      const refuseSeconds = this.demands.length > 0 ? REFUSE_WHILE_WAITING_S : REFUSE_IDLE_S;
      await this.driver
        ?.decline(result.unused, { refuseSeconds })
        .catch((e) => this.log.warn({ err: (e as Error).message }, 'decline failed'));
    }
  }

  private async launch(offerId: string, list: { instance: Instance; task: TaskInfoInput }[]): Promise<void> {
    try {
      await this.driver!.launch(
        [offerId],
        list.map((x) => x.task),
        { refuseSeconds: REFUSE_WHILE_WAITING_S },
      );
      this.log.info({ offerId, tasks: list.map((x) => x.instance.taskId) }, 'launched');
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'INTERNAL';
      this.log.warn({ offerId, code, err: (e as Error).message }, 'launch refused');
      if (code === 'UNAVAILABLE') {
        // the master may have launched them: ask
        await this.driver!.reconcile(
          list.map((x) => ({ taskId: x.instance.taskId, agentId: x.instance.agentId })),
        ).catch((err: Error) =>
          this.log.warn(
            { offerId, err: err.message },
            'reconcile after a refused launch failed; the periodic reconcile asks again',
          ),
        );
        return;
      }
      for (const { instance } of list) {
        this.instances.delete(instance.instanceId);
        this.store.deleteInstance(instance.instanceId);
      }
      // A refused launch counts as a failure: a definition the master rejects must not be retried every second.
      const app = this.apps.get(list[0].instance.appId);
      if (app) {
        const next = { ...app, backoff: recordFailure(app.backoff, app.def, this.now()) };
        this.store.putApp(next);
        this.apps.set(app.def.id, next);
      }
      this.tick();
    }
  }

  async statusUpdate(status: TaskStatus): Promise<void> {
    const instance =
      this.instances.get(status.taskId) ?? [...this.instances.values()].find((i) => i.taskId === status.taskId);
    if (!instance) {
      // A task of ours nobody remembers (e.g. launched just before a crash lost its row): it must not run.
      if (status.state !== 'TASK_UNKNOWN' && !isTerminal(status.state)) {
        this.log.warn({ taskId: status.taskId, state: status.state }, 'killing a task no instance owns');
        await this.driver
          ?.kill(status.taskId, status.agentId)
          .catch((e: Error) =>
            this.log.warn(
              { taskId: status.taskId, err: e.message },
              'kill of an unowned task failed; its next update asks again',
            ),
          );
      }
      return;
    }
    const now = this.now();
    const r = trackStatus(instance, status, now);
    if (r.kind === 'unchanged') return;
    if (r.kind === 'updated') {
      this.store.putInstance(r.instance);
      this.instances.set(r.instance.instanceId, r.instance);
    } else {
      this.store.deleteInstance(instance.instanceId);
      this.instances.delete(instance.instanceId);
      const app = this.apps.get(instance.appId);
      this.log.info(
        { taskId: instance.taskId, app: instance.appId, failure: r.failure, why: r.message },
        'instance ended',
      );
      if (r.failure && app && app.version === instance.version) {
        const next: App = { ...app, backoff: recordFailure(app.backoff, app.def, now) };
        this.store.putApp(next);
        this.apps.set(next.def.id, next);
      }
    }
    this.tick();
  }

  // ---- the loop ------------------------------------------------------------------------------------

  /** Runs the reconciler and carries out what it says. Synchronous state change; driver calls run behind. */
  tick(): void {
    for (let round = 0; round < 3; round++) if (!this.tickOnce()) break;
    this.noteEndpointChanges();
  }

  /** Every readiness change passes through a tick (status updates, kills, API calls, removals): compare here. */
  private noteEndpointChanges(): void {
    const now = endpointSignatures(this.apps, this.instances.values());
    const changed = changedApps(this.endpointsSeen, now);
    this.endpointsSeen = now;
    if (changed.length === 0 || !this.onEndpointsChanged) return;
    try {
      this.onEndpointsChanged(changed);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, apps: changed }, 'could not announce changed endpoints');
    }
  }

  private tickOnce(): boolean {
    const now = this.now();
    const r = reconcile(this.state, [...this.instances.values()], now);
    let structural = false;
    for (const a of r.apps) {
      this.store.putApp(a);
      this.apps.set(a.def.id, a);
    }
    for (const d of r.deployments) {
      this.store.putDeployment(d);
      this.deployments.set(d.id, d);
      this.logDeployment(d);
    }
    for (const d of r.rollbacks) {
      this.deployments.set(d.id, d);
      const secs = this.apps.get(d.appId)?.def.deployment.progressDeadlineSeconds;
      this.applyChange(
        deployments.rollBack(this.state, d.id, {
          now,
          newDepId: this.newDeploymentId(),
          outcome: 'FAILED',
          message: `no progress for ${secs}s`,
        }),
      );
      structural = true;
    }
    for (const appId of r.removed) {
      this.store.deleteApp(appId);
      this.apps.delete(appId);
      this.versions.delete(appId);
      this.waiting.delete(appId);
      const doomed = this.volumeBook.doom(appId);
      this.log.info({ app: appId, volumes: doomed.map((v) => v.persistenceId) }, 'app removed');
    }
    this.volumeBook.destroyOrphans((id) => this.apps.has(id), this.driver, now);
    for (const k of r.kills) this.killInstance(k.instanceId, k.reason, now);
    for (const i of r.rekills) this.killInstance(i.instanceId, i.killReason ?? 'SCALE', now);
    for (const i of r.drained) this.sendKill(i, now);
    const hadDemand = this.demands.length > 0;
    this.demands = r.demands;
    this.delayed = r.delayed;
    for (const appId of this.waiting.keys()) if (!r.demands.some((d) => d.appId === appId)) this.waiting.delete(appId);
    for (const d of r.demands) if (!this.waiting.has(d.appId)) this.waiting.set(d.appId, formatReasons([]));
    if (!hadDemand && r.demands.length > 0)
      this.driver
        ?.revive()
        .catch((e) =>
          this.log.warn({ err: (e as Error).message }, 'revive failed; the next tick with demand asks again'),
        );
    if (this.driver && now - this.lastReconcileAt > RECONCILE_EVERY_MS)
      this.reconcileWithMaster().catch((e) => this.log.warn({ err: (e as Error).message }, 'reconciliation failed'));
    return structural;
  }

  /**
   * Takes an instance out. A ready one of an app with a drain delay first drains: it leaves the ready set
   * (the load balancer and DNS stop sending it new work) and its kill is sent once the delay is over
   * (`drained` of a later tick). Any other is killed at once.
   */
  private killInstance(instanceId: string, reason: KillReason, now: number): void {
    const i = this.instances.get(instanceId);
    if (!i) return;
    const def = this.apps.get(i.appId)?.def;
    const drainMs = def ? drainSecondsOf(def) * 1000 : 0;
    if (drainMs > 0 && isReady(i)) {
      const next: Instance = { ...i, state: 'KILLING', killReason: i.killReason ?? reason, drainUntil: now + drainMs };
      this.store.putInstance(next);
      this.instances.set(instanceId, next);
      this.log.info({ taskId: i.taskId, app: i.appId, reason, drainMs }, 'draining instance');
      return;
    }
    this.sendKill({ ...i, killReason: i.killReason ?? reason }, now);
  }

  private sendKill(i: Instance, now: number): void {
    const next: Instance = { ...i, state: 'KILLING', killRequestedAt: now };
    this.store.putInstance(next);
    this.instances.set(i.instanceId, next);
    const grace = this.apps.get(i.appId)?.def.killGracePeriodSeconds;
    this.log.info({ taskId: i.taskId, app: i.appId, reason: i.killReason }, 'killing instance');
    this.driver
      ?.kill(i.taskId, i.agentId, grace !== undefined ? grace * 1000 : undefined)
      .catch((e) => this.log.warn({ taskId: i.taskId, err: (e as Error).message }, 'kill failed; will retry'));
  }

  private logDeployment(d: Deployment): void {
    if (d.state !== 'RUNNING')
      this.log.info({ deployment: d.id, app: d.appId, state: d.state, message: d.message }, 'deployment');
  }

  private applyChange(c: deployments.Change): void {
    this.store.applyChange(c, this.now());
    if (c.app) this.apps.set(c.app.def.id, c.app);
    if (c.newVersion) {
      const m = this.versions.get(c.newVersion.appId) ?? new Map<number, AppDefinition>();
      m.set(c.newVersion.version, c.newVersion.def);
      this.versions.set(c.newVersion.appId, m);
    }
    for (const d of c.deployments) {
      this.deployments.set(d.id, d);
      this.logDeployment(d);
    }
    this.store.pruneDeployments();
  }

  // ---- commands (the API) ----------------------------------------------------------------------------

  deploy(input: unknown, force = false): { deploymentId?: string; version: number; unchanged: boolean } {
    const v = validateApp(input);
    if (!v.ok)
      throw new ApiError(
        'INVALID',
        `invalid app definition: ${v.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
        v.issues[0]?.field,
        { issues: v.issues },
      );
    const existing = this.apps.get(v.app.id);
    const issues = volumeProblems(v.app, existing?.def, this.volumeBook.largestDiskMb());
    if (issues.length > 0)
      throw new ApiError(
        'INVALID',
        `invalid app definition: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
        issues[0].field,
        { issues },
      );
    const app = { ...v.app, instances: instancesOnDeploy(v.app, existing?.def) };
    const c = deployments.deploy(this.state, app, { now: this.now(), depId: this.newDeploymentId(), force });
    if (c.unchanged) return { version: existing!.version, unchanged: true };
    this.applyChange(c);
    this.tick();
    return { deploymentId: c.deployments[c.deployments.length - 1].id, version: c.app!.version, unchanged: false };
  }

  /** By hand: refused for an autoscaled app (the autoscaler owns its count; see `autoscaleTo`). */
  scale(appId: string, instances: number, force = false): { deploymentId?: string } {
    const app = this.mustApp(appId);
    const refusal = manualScaleRefusal(app.def);
    if (refusal) throw new ApiError('CONFLICT', refusal, 'instances');
    const r = this.deploy({ ...app.def, instances }, force);
    return r.deploymentId ? { deploymentId: r.deploymentId } : {};
  }

  /** The autoscaler's scale: a scale deployment whose message says why. */
  autoscaleTo(appId: string, instances: number, why: string): { deploymentId?: string } {
    const app = this.mustApp(appId);
    const c = deployments.deploy(
      this.state,
      { ...app.def, instances },
      { now: this.now(), depId: this.newDeploymentId(), force: false },
    );
    if (c.unchanged) return {};
    const last = c.deployments[c.deployments.length - 1];
    this.applyChange({
      ...c,
      deployments: [...c.deployments.slice(0, -1), { ...last, message: `autoscaler: ${why}` }],
    });
    this.log.info({ app: appId, deployment: last.id, instances, why }, 'autoscaled');
    this.tick();
    return { deploymentId: last.id };
  }

  /** An operator's destroy: the app's volumes named (or all) that no instance holds; refused for a held one. */
  destroyVolumes(appId: string, persistenceIds?: string[]): { destroying: string[] } {
    this.mustApp(appId);
    const views = this.volumeBook.views(appId, this.instances.values());
    const unknown = (persistenceIds ?? []).filter((id) => !views.some((v) => v.persistenceId === id));
    if (unknown.length > 0)
      throw new ApiError('NOT_FOUND', `persistenceIds: ${appId} has no volume ${unknown.join(', ')}`, 'persistenceIds');
    const held = views.filter((v) => v.instanceId && (!persistenceIds || persistenceIds.includes(v.persistenceId)));
    if (held.length > 0) {
      throw new ApiError(
        'CONFLICT',
        `persistenceIds: ${held.map((v) => `${v.persistenceId} (held by ${v.instanceId})`).join(', ')} in use: scale the app down or remove it first`,
        'persistenceIds',
      );
    }
    const doomed = this.volumeBook.doom(appId, persistenceIds);
    this.tick();
    return { destroying: doomed.map((v) => v.persistenceId) };
  }

  restart(appId: string, force = false): { deploymentId: string; version: number } {
    const c = deployments.restart(this.state, appId, { now: this.now(), depId: this.newDeploymentId(), force });
    this.applyChange(c);
    this.tick();
    return { deploymentId: c.deployments[c.deployments.length - 1].id, version: c.app!.version };
  }

  remove(appId: string): { deploymentId: string } {
    const c = deployments.remove(this.state, appId, { now: this.now(), depId: this.newDeploymentId() });
    this.applyChange(c);
    this.tick();
    return { deploymentId: c.deployments[c.deployments.length - 1].id };
  }

  cancel(deploymentId: string): { deploymentId: string; rollbackDeploymentId?: string } {
    const newDepId = this.newDeploymentId();
    const c = deployments.rollBack(this.state, deploymentId, { now: this.now(), newDepId, outcome: 'CANCELLED' });
    this.applyChange(c);
    this.tick();
    return {
      deploymentId,
      ...(c.deployments.some((d) => d.id === newDepId) ? { rollbackDeploymentId: newDepId } : {}),
    };
  }

  mustApp(appId: string): App {
    const app = this.apps.get(appId);
    if (!app) throw new ApiError('NOT_FOUND', `no app ${appId}`, 'appId');
    return app;
  }
}
