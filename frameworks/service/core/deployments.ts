/**
 * Deployments as pure state transitions. Every change to an app — deploy, scale, restart, remove, cancel —
 * is a function of the current state returning a `Change` (the new app, its new version, the deployments
 * touched), which the shell writes to the store in one transaction and then applies in memory.
 *
 * Versions: scaling keeps the version; any other change of the definition, and a restart, make a new one.
 * Cancel rolls back: to the previous version and instance count (reusing that version, so its instances still
 * running are kept, not restarted); cancelling an app's first deployment removes the app.
 */
import { ApiError } from 'agora/sdk';
import { type AppDefinition } from 'agora/sdk/service';
import type { App, Deployment, DeploymentKind } from './types';
import { NO_BACKOFF } from './types';

export interface ServiceState {
  readonly apps: ReadonlyMap<string, App>;
  readonly versions: ReadonlyMap<string, ReadonlyMap<number, AppDefinition>>;
  readonly deployments: ReadonlyMap<string, Deployment>;
}

export interface Change {
  readonly app?: App;
  readonly newVersion?: { appId: string; version: number; def: AppDefinition };
  readonly deployments: Deployment[];
  /** Set when a cancel or deploy leaves nothing to report (identical definition). */
  readonly unchanged?: boolean;
}

export const isActive = (d: Deployment): boolean => d.state === 'RUNNING' || d.state === 'PAUSED';

export function activeDeployment(state: ServiceState, appId: string): Deployment | undefined {
  for (const d of state.deployments.values()) if (d.appId === appId && isActive(d)) return d;
  return undefined;
}

/** The definition without `instances`: two definitions equal here differ only by scale. */
const configKey = (def: AppDefinition): string => JSON.stringify({ ...def, instances: 0 });

function newDeployment(
  id: string,
  app: App,
  kind: DeploymentKind,
  from: { version?: number; instances: number },
  now: number,
  extra: Partial<Deployment> = {},
): Deployment {
  return {
    id,
    appId: app.def.id,
    kind,
    state: 'RUNNING',
    fromVersion: from.version,
    toVersion: app.version,
    fromInstances: from.instances,
    toInstances: app.removing ? 0 : app.def.instances,
    createdAt: now,
    updatedAt: now,
    lastProgressAt: now,
    ready: 0,
    old: 0,
    ...extra,
  };
}

/** Refuses while another deployment of the app runs, unless forced (the running one is then cancelled). */
function supersede(state: ServiceState, appId: string, force: boolean, byId: string, now: number): Deployment[] {
  const running = activeDeployment(state, appId);
  if (!running) return [];
  if (!force)
    throw new ApiError(
      'CONFLICT',
      `deployment ${running.id} of ${appId} is in progress: wait, cancel it, or use force`,
      'appId',
    );
  return [{ ...running, state: 'CANCELLED', updatedAt: now, message: `superseded by ${byId}` }];
}

const latestVersion = (state: ServiceState, appId: string): number =>
  Math.max(0, ...(state.versions.get(appId)?.keys() ?? []));

/** Refuses a load balancer port another app holds (an app being removed holds its port until it is gone). */
function checkLoadBalancerPort(state: ServiceState, def: AppDefinition): void {
  const port = def.loadBalancer?.port;
  if (port === undefined) return;
  for (const other of state.apps.values()) {
    if (other.def.id !== def.id && other.def.loadBalancer?.port === port) {
      throw new ApiError(
        'CONFLICT',
        `loadBalancer.port ${port} is already held by ${other.def.id}${other.removing ? ' (being removed)' : ''}: choose another port`,
        'loadBalancer.port',
      );
    }
  }
}

export function deploy(
  state: ServiceState,
  def: AppDefinition,
  opts: { now: number; depId: string; force: boolean },
): Change {
  const { now, depId, force } = opts;
  const existing = state.apps.get(def.id);
  if (existing?.removing) throw new ApiError('CONFLICT', `${def.id} is being removed`, 'id');
  checkLoadBalancerPort(state, def);
  if (!existing) {
    const app: App = { def, version: latestVersion(state, def.id) + 1, backoff: NO_BACKOFF };
    return {
      app,
      newVersion: { appId: def.id, version: app.version, def },
      deployments: [newDeployment(depId, app, 'deploy', { instances: 0 }, now)],
    };
  }
  const sameConfig = configKey(existing.def) === configKey(def);
  if (sameConfig && existing.def.instances === def.instances) return { deployments: [], unchanged: true };
  const superseded = supersede(state, def.id, force, depId, now);
  const from = { version: existing.version, instances: existing.def.instances };
  if (sameConfig) {
    const app: App = { ...existing, def };
    return { app, deployments: [...superseded, newDeployment(depId, app, 'scale', from, now)] };
  }
  const app: App = { def, version: latestVersion(state, def.id) + 1, backoff: NO_BACKOFF };
  return {
    app,
    newVersion: { appId: def.id, version: app.version, def },
    deployments: [...superseded, newDeployment(depId, app, 'deploy', from, now)],
  };
}

export function restart(
  state: ServiceState,
  appId: string,
  opts: { now: number; depId: string; force: boolean },
): Change {
  const existing = mustGet(state, appId);
  const superseded = supersede(state, appId, opts.force, opts.depId, opts.now);
  const app: App = { def: existing.def, version: latestVersion(state, appId) + 1, backoff: NO_BACKOFF };
  return {
    app,
    newVersion: { appId, version: app.version, def: app.def },
    deployments: [
      ...superseded,
      newDeployment(
        opts.depId,
        app,
        'restart',
        { version: existing.version, instances: existing.def.instances },
        opts.now,
      ),
    ],
  };
}

export function remove(state: ServiceState, appId: string, opts: { now: number; depId: string }): Change {
  const existing = mustGet(state, appId);
  if (existing.removing) throw new ApiError('CONFLICT', `${appId} is already being removed`, 'appId');
  const superseded = supersede(state, appId, true, opts.depId, opts.now);
  const app: App = { ...existing, removing: true };
  return {
    app,
    deployments: [
      ...superseded,
      newDeployment(
        opts.depId,
        app,
        'remove',
        { version: existing.version, instances: existing.def.instances },
        opts.now,
      ),
    ],
  };
}

/**
 * Ends a deployment and rolls back to where it started. `outcome` is CANCELLED (an operator asked) or FAILED
 * (its progress deadline passed). A first deployment rolls back by removing the app when cancelled; when it
 * fails there is nothing to return to, so the app stays and keeps trying.
 */
export function rollBack(
  state: ServiceState,
  depId: string,
  opts: { now: number; newDepId: string; outcome: 'CANCELLED' | 'FAILED'; message?: string },
): Change {
  const dep = state.deployments.get(depId);
  if (!dep) throw new ApiError('NOT_FOUND', `no deployment ${depId}`, 'deploymentId');
  if (!isActive(dep))
    throw new ApiError('CONFLICT', `deployment ${depId} is ${dep.state}, not running`, 'deploymentId');
  const { now, newDepId, outcome } = opts;
  const ended: Deployment = {
    ...dep,
    state: outcome,
    updatedAt: now,
    message:
      opts.message ??
      (outcome === 'CANCELLED' ? `cancelled, rolled back by ${newDepId}` : `failed, rolled back by ${newDepId}`),
  };
  const app = mustGet(state, dep.appId);
  if (dep.fromVersion === undefined) {
    if (outcome === 'FAILED')
      return {
        deployments: [{ ...ended, message: `${opts.message ?? 'failed'}; no previous version to roll back to` }],
      };
    const gone: App = { ...app, removing: true };
    return {
      app: gone,
      deployments: [
        ended,
        newDeployment(newDepId, gone, 'remove', { version: app.version, instances: app.def.instances }, now, {
          rollbackOf: dep.id,
        }),
      ],
    };
  }
  const previous = state.versions.get(dep.appId)?.get(dep.fromVersion);
  if (!previous) throw new ApiError('INTERNAL', `version ${dep.fromVersion} of ${dep.appId} is missing from the store`);
  const back: App = {
    def: { ...previous, instances: dep.fromInstances },
    version: dep.fromVersion,
    backoff: NO_BACKOFF,
  };
  return {
    app: back,
    deployments: [
      ended,
      newDeployment(newDepId, back, 'rollback', { version: app.version, instances: app.def.instances }, now, {
        rollbackOf: dep.id,
      }),
    ],
  };
}

function mustGet(state: ServiceState, appId: string): App {
  const app = state.apps.get(appId);
  if (!app) throw new ApiError('NOT_FOUND', `no app ${appId}`, 'appId');
  return app;
}

export type DeploymentStep =
  | { kind: 'none' }
  | { kind: 'update'; deployment: Deployment }
  | { kind: 'deadline'; deployment: Deployment; action: 'rollback' | 'pause' };

/**
 * One observation of a running deployment: done when no other version remains and exactly the target number
 * of instances hold an agent, all ready; progress when more are ready or fewer old remain; past the deadline
 * without progress → rollback or pause, as the app's policy says (never for a removal). A paused deployment
 * resumes on progress.
 */
export function observe(
  dep: Deployment,
  plan: { ready: number; old: number; total: number },
  def: AppDefinition,
  now: number,
): DeploymentStep {
  if (!isActive(dep)) return { kind: 'none' };
  if (plan.old === 0 && plan.ready === dep.toInstances && plan.total === dep.toInstances) {
    return {
      kind: 'update',
      deployment: { ...dep, state: 'SUCCEEDED', ready: plan.ready, old: 0, updatedAt: now, lastProgressAt: now },
    };
  }
  const progressed = plan.ready > dep.ready || plan.old < dep.old;
  const lastProgressAt = progressed ? now : dep.lastProgressAt;
  const next: Deployment = {
    ...dep,
    ready: plan.ready,
    old: plan.old,
    lastProgressAt,
    ...(progressed && dep.state === 'PAUSED'
      ? { state: 'RUNNING' as const, message: 'resumed: progress after pause' }
      : {}),
    ...(progressed || plan.ready !== dep.ready || plan.old !== dep.old ? { updatedAt: now } : {}),
  };
  const deadlineMs = def.deployment.progressDeadlineSeconds * 1000;
  // A removal has nothing to roll back to that anyone wants: its kills are simply retried until they land.
  if (next.state === 'RUNNING' && dep.kind !== 'remove' && now - lastProgressAt > deadlineMs) {
    return { kind: 'deadline', deployment: next, action: def.deployment.onDeadline };
  }
  return next === dep ||
    (next.ready === dep.ready &&
      next.old === dep.old &&
      next.state === dep.state &&
      next.lastProgressAt === dep.lastProgressAt)
    ? { kind: 'none' }
    : { kind: 'update', deployment: next };
}
