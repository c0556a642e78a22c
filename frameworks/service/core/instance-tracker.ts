/**
 * Applies one task status update to the instance it belongs to. Pure and idempotent: updates arrive at
 * least once and in order per task, so a duplicate changes nothing, and a late RUNNING never undoes a kill.
 *
 * A terminal state ends the instance (a replacement is a new instance). It counts as a *failure* for the
 * crash backoff unless the framework asked for the kill — a kill for failing health checks does count — or
 * the master does not know the task (it was never launched).
 */
import { isTerminal, type TaskStatus } from 'agora/sdk';
import { isReady, type Instance } from './types';

export type TrackResult =
  | { kind: 'updated'; instance: Instance }
  | { kind: 'unchanged' }
  | { kind: 'ended'; failure: boolean; message: string };

function nextState(i: Instance, s: TaskStatus): Instance['state'] {
  if (i.state === 'KILLING') return 'KILLING';
  switch (s.state) {
    case 'TASK_STAGING':
    case 'TASK_STARTING':
      return 'STAGING';
    case 'TASK_RUNNING':
      return 'RUNNING';
    case 'TASK_KILLING':
      return 'KILLING';
    case 'TASK_UNREACHABLE':
      return 'UNREACHABLE';
    default:
      return i.state;
  }
}

export function trackStatus(i: Instance, s: TaskStatus, now: number): TrackResult {
  if (isTerminal(s.state) || s.state === 'TASK_UNKNOWN') {
    const asked = i.killReason !== undefined && i.killReason !== 'UNHEALTHY';
    const failure = s.state !== 'TASK_UNKNOWN' && !asked;
    const detail = [s.state, s.reason, s.exitCode !== undefined ? `exit ${s.exitCode}` : undefined, s.message]
      .filter(Boolean)
      .join(' ');
    return { kind: 'ended', failure, message: detail };
  }
  const state = nextState(i, s);
  const healthy = s.healthy ?? i.healthy;
  const draft: Instance = {
    ...i,
    state,
    healthy,
    runningSince: state === 'RUNNING' ? (i.runningSince ?? now) : i.runningSince,
    ports: s.ports && s.ports.length > 0 ? s.ports : i.ports,
  };
  const ready = isReady(draft);
  const next: Instance = { ...draft, readySince: ready ? (i.readySince ?? now) : undefined };
  const same =
    next.state === i.state &&
    next.healthy === i.healthy &&
    next.readySince === i.readySince &&
    next.runningSince === i.runningSince;
  return same ? { kind: 'unchanged' } : { kind: 'updated', instance: next };
}
