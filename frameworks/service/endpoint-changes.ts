/**
 * Which apps' ready endpoints changed since the last look: the source of the `endpoints-changed` nudge that the
 * cluster's DNS server (and anything else that follows apps) subscribes to. Pure: state in, signatures out.
 */
import { isReady, type App, type Instance } from './core/types';

/** One string per app that changes exactly when what `endpoints` answers for it changes. */
export function endpointSignatures(apps: ReadonlyMap<string, App>, instances: Iterable<Instance>): Map<string, string> {
  const ready = new Map<string, string[]>();
  for (const i of instances) {
    if (!isReady(i)) continue;
    ready.set(i.appId, [...(ready.get(i.appId) ?? []), `${i.instanceId}@${i.hostname}:${i.ports.join(',')}`]);
  }
  const out = new Map<string, string>();
  for (const [appId, app] of apps)
    out.set(appId, `${app.def.ports.length}|${(ready.get(appId) ?? []).sort().join(' ')}`);
  return out;
}

/** Apps whose signature differs between two looks, including those that appeared or went. Sorted. */
export function changedApps(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const changed = new Set<string>();
  for (const [id, sig] of after) if (before.get(id) !== sig) changed.add(id);
  for (const id of before.keys()) if (!after.has(id)) changed.add(id);
  return [...changed].sort();
}
