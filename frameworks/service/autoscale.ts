/**
 * The autoscaler's shell: every `intervalMs` (while some app is autoscaled) asks the master for the usage of the
 * framework's tasks (scheduler call `USAGE`), folds it into the samples, evaluates each autoscaled app with the
 * pure core (core/autoscaler.ts) and turns a `scaleTo` into a scale deployment (`ServiceFramework.autoscaleTo`).
 *
 *   timer ─► driver.usage() ─► autoscaleStep ─► recordUsage ─► evaluate (per app) ─► autoscaleTo ─► tick
 *
 * Its state (samples, recommendations, last decision) lives in memory: a restarted framework watches a whole
 * stabilization window again before it scales anything down; the decisions stay in the deployments' messages.
 */
import type { Clock, Logger, TaskUsageReply, Usage } from 'agora/sdk';
import { evaluate, NEW_AUTOSCALE_STATE, recordUsage, usageShare } from './core/autoscaler';
import { activeDeployment } from './core/deployments';
import { isReady } from './core/types';
import type { ServiceFramework } from './service';

/** How often usage is read and apps evaluated by default (Kubernetes's HPA: 15 s; agents report every 10 s). */
export const AUTOSCALE_INTERVAL_MS = 5000;

/** One round: new usage reports in, decisions made and carried out. Synchronous. */
export function autoscaleStep(
  fw: ServiceFramework,
  reports: readonly { taskId: string; usage: Usage }[],
  now: number,
  log: Logger,
): void {
  fw.usageSamples = recordUsage(
    fw.usageSamples,
    reports.map((r) => ({
      taskId: r.taskId,
      cpuSeconds: r.usage.cpuUserSeconds + r.usage.cpuSystemSeconds,
      memBytes: r.usage.memBytes,
      timestamp: r.usage.timestamp,
    })),
    now,
  );
  for (const appId of [...fw.autoscale.keys()]) if (!fw.apps.get(appId)?.def.autoscale) fw.autoscale.delete(appId);
  for (const app of fw.apps.values()) {
    const a = app.def.autoscale;
    if (!a || app.removing) continue;
    const usages: number[] = [];
    for (const i of fw.instances.values()) {
      if (i.appId !== app.def.id || !isReady(i)) continue;
      const u = usageShare(app.def, a.metric, fw.usageSamples.get(i.taskId), now);
      if (u !== undefined) usages.push(u);
    }
    const dep = activeDeployment({ apps: fw.apps, versions: fw.versions, deployments: fw.deployments }, app.def.id);
    const r = evaluate(fw.autoscale.get(app.def.id) ?? NEW_AUTOSCALE_STATE, {
      def: app.def,
      usages,
      now,
      ...(dep ? { deploymentInProgress: dep.id } : {}),
    });
    fw.autoscale.set(app.def.id, r.state);
    if (r.scaleTo === undefined) continue;
    try {
      fw.autoscaleTo(app.def.id, r.scaleTo, r.state.status);
    } catch (e) {
      log.warn({ app: app.def.id, to: r.scaleTo, err: (e as Error).message }, 'autoscaler could not scale');
      fw.autoscale.set(app.def.id, { ...r.state, status: `could not scale to ${r.scaleTo}: ${(e as Error).message}` });
    }
  }
}

/** Runs `autoscaleStep` on a timer; one round at a time, skipped while no app is autoscaled. */
export function startAutoscaler(opts: {
  framework: ServiceFramework;
  usage: () => Promise<TaskUsageReply['usage']>;
  clock: Clock;
  log: Logger;
  intervalMs?: number;
}): { stop(): void } {
  const { framework: fw, log } = opts;
  let busy = false;
  const round = async (): Promise<void> => {
    if (busy || ![...fw.apps.values()].some((a) => a.def.autoscale)) return;
    busy = true;
    try {
      const reports = await opts.usage();
      autoscaleStep(fw, reports, opts.clock.now(), log);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'autoscaler: could not read usage from the master; will retry');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => {
    round().catch((e: Error) => log.error({ err: e.message }, 'autoscaler round failed'));
  }, opts.intervalMs ?? AUTOSCALE_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
