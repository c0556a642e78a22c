/** What the API shows of the framework's state: app summaries and details, deployments, endpoints. Pure reads. */
import type {
  AppDetail,
  AppSummary,
  AutoscaleView,
  DeploymentView,
  Endpoint,
  InstanceView,
  LoadBalancedApp,
} from 'agora/sdk/service';
import { NEW_AUTOSCALE_STATE } from './core/autoscaler';
import { activeDeployment } from './core/deployments';
import { isDraining, isReady, type App, type Deployment, type Instance } from './core/types';
import type { ServiceFramework } from './service';

const instancesOf = (fw: ServiceFramework, appId: string): Instance[] =>
  [...fw.instances.values()]
    .filter((i) => i.appId === appId)
    .sort((a, b) => a.launchedAt - b.launchedAt || a.instanceId.localeCompare(b.instanceId));

export function instanceView(i: Instance): InstanceView {
  return {
    instanceId: i.instanceId,
    taskId: i.taskId,
    version: i.version,
    agentId: i.agentId,
    hostname: i.hostname,
    attributes: [...i.attributes],
    ports: [...i.ports],
    state: i.state,
    ...(i.healthy !== undefined ? { healthy: i.healthy } : {}),
    ready: isReady(i),
    draining: isDraining(i),
    ...(isDraining(i) ? { drainingUntil: i.drainUntil } : {}),
    launchedAt: i.launchedAt,
    ...(i.killReason ? { killReason: i.killReason } : {}),
  };
}

/** The host:ports of every ready instance: the seed of service discovery. */
export function endpointsOf(fw: ServiceFramework, appId: string): Endpoint[] {
  return instancesOf(fw, appId)
    .filter(isReady)
    .map((i) => ({ host: i.hostname, ports: [...i.ports], instanceId: i.instanceId }));
}

/** Every app with a load balancer and all its instances, ordered by app id. */
export function loadBalancedApps(fw: ServiceFramework): LoadBalancedApp[] {
  return [...fw.apps.values()]
    .filter((a) => a.def.loadBalancer)
    .sort((a, b) => a.def.id.localeCompare(b.def.id))
    .map((a) => ({
      appId: a.def.id,
      loadBalancer: a.def.loadBalancer!,
      instances: instancesOf(fw, a.def.id).map(instanceView),
    }));
}

export function deploymentView(fw: ServiceFramework, d: Deployment): DeploymentView {
  const live = d.state === 'RUNNING' || d.state === 'PAUSED';
  const list = live ? instancesOf(fw, d.appId) : [];
  // For a removal every instance is on its way out: count them all as old.
  const going = (i: Instance) => d.kind === 'remove' || i.version !== d.toVersion;
  const ready = live ? list.filter((i) => !going(i) && isReady(i)).length : d.ready;
  const old = live ? list.filter((i) => going(i) && i.state !== 'UNREACHABLE').length : d.old;
  return {
    id: d.id,
    appId: d.appId,
    kind: d.kind,
    state: d.state,
    ...(d.fromVersion !== undefined ? { fromVersion: d.fromVersion } : {}),
    toVersion: d.toVersion,
    fromInstances: d.fromInstances,
    toInstances: d.toInstances,
    ready,
    target: d.toInstances,
    old,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    lastProgressAt: d.lastProgressAt,
    ...(d.message ? { message: d.message } : {}),
    ...(d.rollbackOf ? { rollbackOf: d.rollbackOf } : {}),
  };
}

export function appSummary(fw: ServiceFramework, app: App): AppSummary {
  const list = instancesOf(fw, app.def.id);
  const dep = activeDeployment({ apps: fw.apps, versions: fw.versions, deployments: fw.deployments }, app.def.id);
  const waiting = fw.waiting.get(app.def.id);
  const delayedUntil = fw.delayed.get(app.def.id);
  return {
    id: app.def.id,
    version: app.version,
    instances: app.removing ? 0 : app.def.instances,
    running: list.filter((i) => i.state === 'RUNNING').length,
    ready: list.filter(isReady).length,
    staging: list.filter((i) => i.state === 'STAGING').length,
    ...(waiting ? { waiting } : {}),
    ...(delayedUntil !== undefined ? { delayedUntil } : {}),
    ...(dep ? { deploymentId: dep.id } : {}),
  };
}

export function appDetail(fw: ServiceFramework, app: App): AppDetail {
  const summary = appSummary(fw, app);
  const dep = summary.deploymentId ? fw.deployments.get(summary.deploymentId) : undefined;
  return {
    ...summary,
    definition: app.def,
    instanceList: instancesOf(fw, app.def.id).map(instanceView),
    endpoints: endpointsOf(fw, app.def.id),
    ...(dep ? { deployment: deploymentView(fw, dep) } : {}),
    ...(app.def.autoscale ? { autoscale: autoscaleView(fw, app) } : {}),
    ...((app.def.volumes ?? []).length > 0 || fw.volumeBook.views(app.def.id, []).length > 0
      ? { volumes: fw.volumeBook.views(app.def.id, fw.instances.values()) }
      : {}),
  };
}

export function autoscaleView(fw: ServiceFramework, app: App): AutoscaleView {
  const a = app.def.autoscale!;
  const s = fw.autoscale.get(app.def.id) ?? NEW_AUTOSCALE_STATE;
  return {
    min: a.min,
    max: a.max,
    metric: a.metric,
    target: a.target,
    stabilizationSeconds: a.stabilizationSeconds,
    ...(s.usage !== undefined ? { usage: s.usage } : {}),
    measured: s.measured,
    status: s.status,
    ...(s.lastDecision ? { lastDecision: s.lastDecision } : {}),
  };
}

/** Running and paused deployments, or (with `all`) the history too, newest first. */
export function listDeployments(fw: ServiceFramework, opts: { appId?: string; all?: boolean }): DeploymentView[] {
  return [...fw.deployments.values()]
    .reverse() // newest first, also among those created in the same millisecond
    .filter(
      (d) =>
        (opts.appId === undefined || d.appId === opts.appId) &&
        (opts.all || d.state === 'RUNNING' || d.state === 'PAUSED'),
    )
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((d) => deploymentView(fw, d));
}
