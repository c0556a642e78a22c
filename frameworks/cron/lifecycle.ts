/**
 * A run's life after launch, as pure functions: what a task status means for the run, whether a finished run
 * earns a retry (and when), and what a manual `run` does under the job's concurrency policy.
 */
import { type TaskStatus } from 'agora/sdk';
import { type ConcurrencyPolicy, type JobSpec, type RunReason, type RunState } from 'agora/sdk/cron';
import { backoffMs, type ActiveRun } from './dispatcher';
import { durationMs } from './duration';

export type Outcome =
  | { kind: 'running'; agentId?: string }
  | {
      kind: 'ended';
      state: Extract<RunState, 'SUCCEEDED' | 'FAILED' | 'KILLED'>;
      reason: RunReason;
      exitCode?: number;
      message?: string;
    }
  | { kind: 'ignore' };

/**
 * Maps a task status onto the run. `killReason` is why we asked for a kill, if we did: a timeout makes the run
 * FAILED, a replacement or a request KILLED. UNREACHABLE keeps the run RUNNING (the agent may come back).
 */
export function outcomeOf(status: TaskStatus, killReason: RunReason | null): Outcome {
  const base = { exitCode: status.exitCode, message: status.message };
  switch (status.state) {
    case 'TASK_STAGING':
    case 'TASK_STARTING':
    case 'TASK_RUNNING':
    case 'TASK_KILLING':
    case 'TASK_UNREACHABLE':
      return { kind: 'running', agentId: status.agentId };
    case 'TASK_FINISHED':
      return { kind: 'ended', state: 'SUCCEEDED', reason: 'EXITED', ...base, exitCode: status.exitCode ?? 0 };
    case 'TASK_FAILED':
      if (killReason === 'TIMEOUT') return { kind: 'ended', state: 'FAILED', reason: 'TIMEOUT', ...base };
      return { kind: 'ended', state: 'FAILED', reason: status.signal ? 'SIGNALED' : 'EXITED', ...base };
    case 'TASK_KILLED':
      if (killReason === 'TIMEOUT') return { kind: 'ended', state: 'FAILED', reason: 'TIMEOUT', ...base };
      return { kind: 'ended', state: 'KILLED', reason: killReason ?? 'KILLED', ...base };
    case 'TASK_ERROR':
      return { kind: 'ended', state: 'FAILED', reason: 'LAUNCH_FAILED', ...base };
    case 'TASK_LOST':
    case 'TASK_DROPPED':
    case 'TASK_GONE':
    case 'TASK_GONE_BY_OPERATOR':
    case 'TASK_UNKNOWN':
      if (killReason !== null)
        return { kind: 'ended', state: killReason === 'TIMEOUT' ? 'FAILED' : 'KILLED', reason: killReason, ...base };
      return {
        kind: 'ended',
        state: 'FAILED',
        reason: 'LOST',
        ...base,
        message: status.message ?? `task ${status.state}`,
      };
    default:
      return { kind: 'ignore' };
  }
}

/** Failures that earn a retry: the job's own failures and the cluster losing it, not kills we asked for. */
const RETRYABLE: ReadonlySet<RunReason> = new Set<RunReason>([
  'EXITED',
  'SIGNALED',
  'TIMEOUT',
  'LOST',
  'LAUNCH_FAILED',
]);

/** The retry a run that ended this way earns: its attempt number and when it may start; or null. */
export function retryAfter(
  spec: JobSpec,
  ended: { state: RunState; reason: RunReason | null; attempt: number },
  now: number,
): { attempt: number; dueAt: number } | null {
  if (ended.state !== 'FAILED' || ended.reason === null || !RETRYABLE.has(ended.reason)) return null;
  if (ended.attempt > spec.retries || spec.disabled) return null;
  const delay = backoffMs(
    durationMs(spec.backoff.initial),
    spec.backoff.factor,
    durationMs(spec.backoff.max),
    ended.attempt,
  );
  return { attempt: ended.attempt + 1, dueAt: now + delay };
}

export type ManualDecision = { kind: 'start'; replace: number[] } | { kind: 'refuse'; message: string };

/** `agora job run` under the concurrency policy: Allow starts, Forbid refuses while a run is active, Replace kills it. */
export function manualRun(policy: ConcurrencyPolicy, live: readonly ActiveRun[]): ManualDecision {
  const active = live.filter((r) => r.killReason === null);
  if (active.length === 0 || policy === 'Allow') return { kind: 'start', replace: [] };
  if (policy === 'Forbid')
    return {
      kind: 'refuse',
      message: `run ${active.map((r) => r.id).join(', ')} is still active and the job's concurrencyPolicy is Forbid`,
    };
  return { kind: 'start', replace: active.map((r) => r.id) };
}
