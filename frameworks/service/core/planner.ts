/**
 * The rolling planner: for one app, from its instances now, which to kill and how many of the current
 * version to launch — one step; called again on every change until nothing is left to do.
 *
 * Invariants it keeps (N = instances):
 *   ready instances (any version) never drop below ceil(minimumHealthCapacity × N) by its own kills;
 *   instances holding an agent (including those being killed) never exceed floor((1 + maximumOverCapacity) × N).
 * (See effectiveMinReady for the one exception rounding forces.)
 * Instances of other versions are killed unready-first, then only while enough ready ones remain.
 * Health-check kills are rate-limited by a kill budget: at most max(1, floor((1 − minimumHealthCapacity) × N))
 * instances of the app may be down (not running) at once before another unhealthy one is killed.
 * Unreachable instances neither count nor block: they get a replacement, and if they come back the extra
 * one is trimmed like any excess.
 */
import { killOrder } from './kill-selection';
import { isReady, type App, type Instance, type KillReason } from './types';

export interface Kill {
  readonly instanceId: string;
  readonly reason: KillReason;
}

export interface AppPlan {
  readonly kills: Kill[];
  /** Instances of `app.version` to launch now (before the crash backoff is applied). */
  readonly launch: number;
  /** Ready instances of the current version; instances of other versions (incl. being killed); all holding an agent. */
  readonly ready: number;
  readonly old: number;
  readonly total: number;
}

const EPS = 1e-9;
export const minReadyOf = (n: number, minimumHealthCapacity: number): number =>
  Math.ceil(n * minimumHealthCapacity - EPS);
export const maxTotalOf = (n: number, maximumOverCapacity: number): number =>
  Math.max(n, Math.floor(n * (1 + maximumOverCapacity) + EPS));
export const killBudgetOf = (n: number, minimumHealthCapacity: number): number =>
  Math.max(1, Math.floor(n * (1 - minimumHealthCapacity) + EPS));

/**
 * When rounding leaves no room at all — no over-capacity and every instance needed (1 instance at
 * minimumHealthCapacity 0.3 and maximumOverCapacity 0 needs 1 ready and allows 1 in total) — one instance at a
 * time may be replaced, as Marathon does; otherwise the deployment could never move. (Exactly 1 and 0 is refused
 * when the definition is validated.)
 */
export function effectiveMinReady(n: number, minH: number, over: number): number {
  const min = minReadyOf(n, minH);
  return n > 0 && min >= n && maxTotalOf(n, over) <= n ? n - 1 : min;
}

/** Unhealthy instances of the current version to kill, within the kill budget. */
function healthKills(app: App, live: readonly Instance[], budget: number, n: number): Instance[] {
  const running = live.filter((i) => i.version === app.version && i.state === 'RUNNING');
  const sick = running.filter((i) => i.checked && i.healthy === false);
  let down = Math.max(0, n - running.length);
  const out: Instance[] = [];
  for (const i of killOrder(sick, app.def.killSelection, () => false)) {
    if (down >= budget) break;
    out.push(i);
    down++;
  }
  return out;
}

export function planApp(app: App, instances: readonly Instance[], opts: { pauseOldKills?: boolean } = {}): AppPlan {
  const { def, version } = app;
  const n = app.removing ? 0 : def.instances;
  const { minimumHealthCapacity: minH, maximumOverCapacity: over } = def.upgradeStrategy;
  const holding = instances.filter((i) => i.state !== 'UNREACHABLE');
  const live = holding.filter((i) => i.state !== 'KILLING');
  const current = live.filter((i) => i.version === version);
  const others = live.filter((i) => i.version !== version);
  const kills: Kill[] = [];
  const killed = new Set<string>();
  const kill = (i: Instance, reason: KillReason) => {
    kills.push({ instanceId: i.instanceId, reason });
    killed.add(i.instanceId);
  };

  const groupBy = def.constraints.find((c) => c.operator === 'GROUP_BY')?.field;
  for (const i of killOrder(current, def.killSelection, isReady, groupBy).slice(0, Math.max(0, current.length - n)))
    kill(i, app.removing ? 'REMOVE' : 'SCALE');
  for (const i of healthKills(
    app,
    live.filter((x) => !killed.has(x.instanceId)),
    killBudgetOf(n, minH),
    n,
  ))
    kill(i, 'UNHEALTHY');

  let readyLeft = live.filter((i) => isReady(i) && !killed.has(i.instanceId)).length;
  const minReady = effectiveMinReady(n, minH, over);
  for (const i of killOrder(others, def.killSelection, isReady)) {
    const reason: KillReason = app.removing ? 'REMOVE' : 'UPGRADE';
    if (!isReady(i)) {
      if (!opts.pauseOldKills || app.removing) kill(i, reason);
      continue;
    }
    if (opts.pauseOldKills || readyLeft - 1 < minReady) continue;
    kill(i, reason);
    readyLeft--;
  }

  const keptCurrent = current.filter((i) => !killed.has(i.instanceId)).length;
  const launch = Math.max(0, Math.min(n - keptCurrent, maxTotalOf(n, over) - holding.length));
  return {
    kills,
    launch,
    ready: current.filter((i) => isReady(i) && !killed.has(i.instanceId)).length,
    old: holding.filter((i) => i.version !== version).length,
    total: holding.length,
  };
}
