/**
 * The dispatcher: a pure function of (jobs, active runs, now) → what to do. No clock, no database, no NATS.
 *
 *   slot due (now − slot ≤ epsilon)  ──► claim (QUEUED run)      ┐ each slot is decided once: the shell writes
 *   slot too late (> epsilon)        ──► miss (MISSED run)       ┘ the ledger row before anything is launched
 *   queued run not started in time   ──► expire (MISSED)
 *   running run past its timeout     ──► timeout (kill, FAILED)
 *   concurrency: Allow → claim; Forbid → miss (FORBID_OVERLAP) while a run is active; Replace → kill it, claim
 *   all parents succeeded since the child's last dependency run ──► claim (trigger dependency)
 *
 * `wakeAt` is when the answer next changes by itself (a slot, a retry's backoff ending, a deadline).
 */
import type { ConcurrencyPolicy, JobSpec, RunReason, RunTrigger } from 'agora/sdk/cron';
import { nextAfter, slotsBetween, type Schedule } from './schedule';

export interface JobState {
  spec: JobSpec;
  schedule: Schedule | null;
  epsilonMs: number;
  timeoutMs: number | null;
  /** Slots at or before this instant are decided (the newest ledger slot, or when the job was created or enabled). */
  cursorMs: number;
  /** Parent successes at or before this instant are used up (the newest dependency slot, or the job's creation). */
  depWatermarkMs: number;
  /** When the job's newest SUCCEEDED run ended. */
  lastSuccessMs: number | null;
  /** The first slot after the cursor, if the caller has it memoised (it changes only with the cursor). */
  nextSlotMs?: number | null;
}

export interface ActiveRun {
  id: number;
  job: string;
  state: 'QUEUED' | 'RUNNING';
  scheduledAt: number;
  dueAt: number;
  startedAt: number | null;
  attempt: number;
  /** A kill was asked for (and why): the run is on its way out and no longer counts as active. */
  killReason: RunReason | null;
}

export type Action =
  | {
      type: 'claim';
      job: string;
      slotMs: number;
      trigger: Extract<RunTrigger, 'schedule' | 'dependency'>;
      dueAt: number;
    }
  | {
      type: 'miss';
      job: string;
      slotMs: number;
      trigger: Extract<RunTrigger, 'schedule' | 'dependency'>;
      reason: Extract<RunReason, 'EPSILON_EXCEEDED' | 'FORBID_OVERLAP' | 'REPLACED'>;
      message: string;
    }
  | { type: 'expire'; runId: number; message: string }
  | { type: 'kill'; runId: number; reason: Extract<RunReason, 'TIMEOUT' | 'REPLACED'>; message: string };

export interface Tick {
  actions: Action[];
  wakeAt: number | null;
}

/** At most this many missed slots are recorded one by one per job and tick; older ones are counted in a message. */
export const MAX_SLOTS_PER_TICK = 100;

export function dispatch(jobs: readonly JobState[], active: readonly ActiveRun[], now: number): Tick {
  const byName = new Map(jobs.map((j) => [j.spec.name, j]));
  const actions: Action[] = [];
  let wakeAt: number | null = null;
  const wake = (t: number | null) => {
    if (t !== null && (wakeAt === null || t < wakeAt)) wakeAt = Math.max(t, now + 1);
  };

  for (const job of jobs) {
    const mine = active.filter((r) => r.job === job.spec.name);
    const deadlines = deadlineActions(job, mine, now);
    actions.push(...deadlines.actions);
    deadlines.wakes.forEach(wake);
    const ending = new Set(deadlines.actions.map((a) => (a as { runId: number }).runId));
    const live = mine.filter((r) => r.killReason === null && !ending.has(r.id));
    if (job.spec.disabled) continue;
    const next = job.nextSlotMs !== undefined ? job.nextSlotMs : job.schedule && nextAfter(job.schedule, job.cursorMs);
    const due = next !== null && next <= now;
    const fires = [...(due ? scheduleFires(job, now) : []), ...dependencyFires(job, byName)];
    actions.push(...applyConcurrency(job.spec.concurrencyPolicy, job.spec.name, live, fires, now));
    if (job.schedule) wake(due ? nextAfter(job.schedule, now) : next);
  }
  return { actions, wakeAt };
}

/** Queued runs past their start deadline, running runs past their timeout; and when the next deadline falls. */
function deadlineActions(
  job: JobState,
  runs: readonly ActiveRun[],
  now: number,
): { actions: Action[]; wakes: number[] } {
  const actions: Action[] = [];
  const wakes: number[] = [];
  for (const r of runs) {
    if (r.killReason !== null) continue;
    if (r.state === 'QUEUED') {
      const deadline = r.dueAt + job.epsilonMs;
      if (now > deadline)
        actions.push({
          type: 'expire',
          runId: r.id,
          message: `not started within epsilon ${job.spec.epsilon} of ${new Date(r.dueAt).toISOString()} (no suitable offer)`,
        });
      else wakes.push(r.dueAt > now ? r.dueAt : deadline + 1);
    } else if (job.timeoutMs !== null && r.startedAt !== null) {
      const deadline = r.startedAt + job.timeoutMs;
      if (now >= deadline)
        actions.push({
          type: 'kill',
          runId: r.id,
          reason: 'TIMEOUT',
          message: `still running after timeout ${job.spec.timeout}`,
        });
      else wakes.push(deadline);
    }
  }
  return { actions, wakes };
}

type Fire = { slotMs: number; trigger: 'schedule' | 'dependency'; late: string | null; more: boolean };

/** The job's slots since its cursor: each one due (within epsilon) or late. */
function scheduleFires(job: JobState, now: number): Fire[] {
  if (!job.schedule || job.cursorMs >= now) return [];
  const { slots, more } = slotsBetween(job.schedule, job.cursorMs, now, MAX_SLOTS_PER_TICK);
  return slots.map((slotMs, i) => ({
    slotMs,
    trigger: 'schedule' as const,
    more: i === 0 && more,
    late:
      now - slotMs > job.epsilonMs
        ? `${Math.round((now - slotMs) / 1000)} s late, past epsilon ${job.spec.epsilon}`
        : null,
  }));
}

/** A dependency fire when every parent has succeeded since the child's watermark; its slot is the newest such success. */
function dependencyFires(job: JobState, byName: ReadonlyMap<string, JobState>): Fire[] {
  if (job.spec.parents.length === 0) return [];
  const successes = job.spec.parents.map((p) => byName.get(p)?.lastSuccessMs ?? null);
  if (successes.some((s) => s === null || s <= job.depWatermarkMs)) return [];
  return [{ slotMs: Math.max(...(successes as number[])), trigger: 'dependency', late: null, more: false }];
}

function applyConcurrency(
  policy: ConcurrencyPolicy,
  job: string,
  live: readonly ActiveRun[],
  fires: readonly Fire[],
  now: number,
): Action[] {
  const actions: Action[] = [];
  let busy = live.length > 0;
  let replaceable = [...live];
  const lastOnTime = fires.reduce((last, f, i) => (f.late === null ? i : last), -1);
  fires.forEach((f, i) => {
    const earlier = f.more ? ' (older slots of the same outage are not recorded one by one)' : '';
    if (f.late !== null) {
      actions.push({
        type: 'miss',
        job,
        slotMs: f.slotMs,
        trigger: f.trigger,
        reason: 'EPSILON_EXCEEDED',
        message: f.late + earlier,
      });
      return;
    }
    if (busy && policy === 'Forbid') {
      actions.push({
        type: 'miss',
        job,
        slotMs: f.slotMs,
        trigger: f.trigger,
        reason: 'FORBID_OVERLAP',
        message: `skipped: run ${live.map((r) => r.id).join(', ') || 'of an earlier slot'} still active (concurrencyPolicy Forbid)`,
      });
      return;
    }
    if (policy === 'Replace' && i < lastOnTime) {
      // Several slots due at once (after a restart): only the newest runs; the others are replaced before starting.
      actions.push({
        type: 'miss',
        job,
        slotMs: f.slotMs,
        trigger: f.trigger,
        reason: 'REPLACED',
        message: 'superseded by a newer slot before it started (concurrencyPolicy Replace)',
      });
      return;
    }
    if (busy && policy === 'Replace') {
      for (const r of replaceable)
        actions.push({
          type: 'kill',
          runId: r.id,
          reason: 'REPLACED',
          message: `replaced by the run of slot ${new Date(f.slotMs).toISOString()} (concurrencyPolicy Replace)`,
        });
      replaceable = [];
    }
    actions.push({
      type: 'claim',
      job,
      slotMs: f.slotMs,
      trigger: f.trigger,
      dueAt: f.trigger === 'schedule' ? f.slotMs : now,
    });
    busy = true;
  });
  return actions;
}

/** Delay before retry number `attempt` (the first retry follows attempt 1): initial × factor^(attempt−1), capped. */
export function backoffMs(initialMs: number, factor: number, maxMs: number, attempt: number): number {
  return Math.min(maxMs, Math.round(initialMs * factor ** Math.max(0, attempt - 1)));
}
