/**
 * The reconciler: (apps, deployments, instances, now) → what to do. Pure; the shell calls it after every
 * event and on a timer, then kills, keeps the launch demands for the next offers, and writes the changes.
 */
import type { Demand } from './offer-match';
import { launchAllowed, resetIfStable } from './backoff';
import { activeDeployment, observe, type ServiceState } from './deployments';
import { planApp, type Kill } from './planner';
import { isDraining, type App, type Deployment, type Instance } from './types';

/** A kill sent but not answered by a terminal update within this long is sent again. */
export const KILL_RETRY_MS = 30_000;

export interface ReconcileResult {
  readonly kills: (Kill & { appId: string })[];
  /** Kills to send again: the instance is KILLING for longer than KILL_RETRY_MS. */
  readonly rekills: Instance[];
  /** Draining instances whose drain delay is over: send their kill now. */
  readonly drained: Instance[];
  readonly demands: Demand[];
  /** Apps whose launches are held back by the crash backoff, until when. */
  readonly delayed: Map<string, number>;
  /** Apps whose state changed (backoff reset). */
  readonly apps: App[];
  readonly deployments: Deployment[];
  /** Deployments past their progress deadline whose policy is rollback: the shell rolls them back. */
  readonly rollbacks: Deployment[];
  /** Apps being removed that no longer hold any instance: delete them. */
  readonly removed: string[];
}

export function reconcile(state: ServiceState, instances: readonly Instance[], now: number): ReconcileResult {
  const out: ReconcileResult = {
    kills: [],
    rekills: [],
    drained: [],
    demands: [],
    delayed: new Map(),
    apps: [],
    deployments: [],
    rollbacks: [],
    removed: [],
  };
  const byApp = new Map<string, Instance[]>();
  for (const i of instances) byApp.set(i.appId, [...(byApp.get(i.appId) ?? []), i]);
  for (const i of instances) {
    if (isDraining(i)) {
      if (now >= i.drainUntil!) out.drained.push(i);
      continue;
    }
    if (i.state === 'KILLING' && now - (i.killRequestedAt ?? 0) > KILL_RETRY_MS) out.rekills.push(i);
  }
  for (const app of [...state.apps.values()].sort((a, b) => a.def.id.localeCompare(b.def.id))) {
    reconcileApp(state, app, byApp.get(app.def.id) ?? [], now, out);
  }
  // Instances of apps that no longer exist (a crash between removal and the last kill): kill them.
  for (const [appId, list] of byApp) {
    if (state.apps.has(appId)) continue;
    for (const i of list)
      if (i.state !== 'KILLING') out.kills.push({ instanceId: i.instanceId, reason: 'REMOVE', appId });
  }
  return out;
}

function reconcileApp(
  state: ServiceState,
  app: App,
  instances: readonly Instance[],
  now: number,
  out: ReconcileResult,
): void {
  const appId = app.def.id;
  const backoff = resetIfStable(app.backoff, app.def, instances, now);
  if (backoff !== app.backoff) out.apps.push({ ...app, backoff });
  const dep = activeDeployment(state, appId);
  const plan = planApp(app, instances, { pauseOldKills: dep?.state === 'PAUSED' });
  for (const k of plan.kills) out.kills.push({ ...k, appId });
  if (plan.launch > 0) {
    if (launchAllowed(backoff, now))
      out.demands.push({ appId, version: app.version, def: app.def, count: plan.launch });
    else out.delayed.set(appId, backoff.notBefore);
  }
  if (app.removing && plan.total === 0) out.removed.push(appId);
  if (!dep) return;
  const step = observe(dep, plan, app.def, now);
  if (step.kind === 'update') out.deployments.push(step.deployment);
  if (step.kind === 'deadline') {
    if (step.action === 'rollback') out.rollbacks.push(step.deployment);
    else
      out.deployments.push({
        ...step.deployment,
        state: 'PAUSED',
        updatedAt: now,
        message: `paused: no progress for ${app.def.deployment.progressDeadlineSeconds}s`,
      });
  }
}
