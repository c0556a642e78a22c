/**
 * Which instances go first when some must: instances that are not ready (staging, unhealthy) always before
 * ready ones, then by the app's `killSelection` — YOUNGEST_FIRST (the default, Marathon's) or OLDEST_FIRST.
 * With a GROUP_BY field, ready instances are taken from the fullest group first, so scaling down keeps the
 * spread even (as Marathon's selectTasksToKill does).
 */
import type { KillSelection } from 'agora/sdk/service';
import { fieldValue } from './constraints';
import type { Instance } from './types';

export function killOrder(
  instances: readonly Instance[],
  selection: KillSelection,
  ready: (i: Instance) => boolean,
  groupByField?: string,
): Instance[] {
  const age =
    selection === 'YOUNGEST_FIRST'
      ? (a: Instance, b: Instance) => b.launchedAt - a.launchedAt
      : (a: Instance, b: Instance) => a.launchedAt - b.launchedAt;
  const base = [...instances].sort(
    (a, b) => Number(ready(a)) - Number(ready(b)) || age(a, b) || a.instanceId.localeCompare(b.instanceId),
  );
  return groupByField === undefined ? base : evenOut(base, ready, groupByField);
}

/** Keeps `base` order for unready instances, then repeatedly takes the first instance of the fullest group. */
function evenOut(base: Instance[], ready: (i: Instance) => boolean, field: string): Instance[] {
  const key = (i: Instance) => fieldValue(i, field) ?? '';
  const counts = new Map<string, number>();
  for (const i of base) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  const left = [...base];
  const out: Instance[] = [];
  while (left.length > 0) {
    let at = left.findIndex((i) => !ready(i));
    if (at < 0) {
      const most = Math.max(...left.map((i) => counts.get(key(i))!));
      at = left.findIndex((i) => counts.get(key(i)) === most);
    }
    const [pick] = left.splice(at, 1);
    counts.set(key(pick), counts.get(key(pick))! - 1);
    out.push(pick);
  }
  return out;
}
