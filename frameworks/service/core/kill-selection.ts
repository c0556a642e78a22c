/**
 * Which instances go first when some must: instances that are not ready (staging, unhealthy) always before
 * ready ones, then by the app's `killSelection` — YOUNGEST_FIRST (the default, Marathon's) or OLDEST_FIRST.
 */
import type { KillSelection } from 'agora/sdk';
import type { Instance } from './types';

export function killOrder(instances: readonly Instance[], selection: KillSelection, ready: (i: Instance) => boolean): Instance[] {
  const age = selection === 'YOUNGEST_FIRST' ? (a: Instance, b: Instance) => b.launchedAt - a.launchedAt : (a: Instance, b: Instance) => a.launchedAt - b.launchedAt;
  return [...instances].sort((a, b) => Number(ready(a)) - Number(ready(b)) || age(a, b) || a.instanceId.localeCompare(b.instanceId));
}
