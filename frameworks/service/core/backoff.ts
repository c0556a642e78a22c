/**
 * Crash-loop backoff, per app. After a failure the next launch waits `backoffSeconds`; each further failure
 * multiplies the wait by `backoffFactor`, up to `maxLaunchDelaySeconds`. The delay resets when an instance has
 * been ready (healthy, or running without checks) for `resetAfterSeconds`, and when a new version is deployed.
 */
import type { AppDefinition } from 'agora/sdk/service';
import { NO_BACKOFF, type BackoffState, type Instance } from './types';

export function recordFailure(state: BackoffState, def: AppDefinition, now: number): BackoffState {
  const { backoffSeconds, backoffFactor, maxLaunchDelaySeconds } = def.backoff;
  const maxMs = maxLaunchDelaySeconds * 1000;
  const delayMs = Math.min(
    maxMs,
    state.delayMs === 0 ? backoffSeconds * 1000 : Math.round(state.delayMs * backoffFactor),
  );
  return { delayMs, notBefore: now + delayMs, failures: state.failures + 1 };
}

export const launchAllowed = (state: BackoffState, now: number): boolean => now >= state.notBefore;

/** Clears the delay once some instance has stayed ready long enough; otherwise returns `state` unchanged. */
export function resetIfStable(
  state: BackoffState,
  def: AppDefinition,
  instances: readonly Instance[],
  now: number,
): BackoffState {
  if (state.delayMs === 0 && state.failures === 0) return state;
  const needMs = def.backoff.resetAfterSeconds * 1000;
  const stable = instances.some((i) => i.readySince !== undefined && now - i.readySince >= needMs);
  return stable ? NO_BACKOFF : state;
}
