/**
 * What the agent remembers of the master's launches, to answer RECONCILE_LAUNCHES safely:
 *
 *   LAUNCH(launchId) ──▶ `launched(key, launchId)` (before the task exists anywhere else)
 *   RECONCILE_LAUNCHES ──▶ `answer(refs, stateOf)`: a launch it knows → known (with the task's state);
 *                          one it does not → remembered as given up, answered "not known"
 *   LAUNCH(launchId given up) ──▶ `refuses(launchId)`: refused — the master has told the framework TASK_DROPPED
 *
 * The master declares TASK_DROPPED only after this answer, so no LAUNCH it gave up on can start a task later.
 * In memory only: a LAUNCH is a NATS request on the agent's connection, and a restarted agent (a new connection)
 * can no longer receive one sent to its predecessor. Both maps are bounded (the oldest entries go first).
 */
import type { LaunchRef, ReconcileLaunchesReply, TaskState } from '../sdk';

/** Launch ids remembered per task key (newest launch of the key), and launch ids given up; each at most this many. */
export const LAUNCH_LEDGER_MAX = 20_000;

export class LaunchLedger {
  /** Task key → the launch id of its latest LAUNCH received by this agent process. */
  private readonly byTask = new Map<string, string>();
  /** Launch ids the agent answered "not known" for: refused ever after. */
  private readonly givenUp = new Set<string>();

  constructor(private readonly max = LAUNCH_LEDGER_MAX) {}

  /** A LAUNCH of this launch id was given up by the master (its task TASK_DROPPED): it must not start. */
  refuses(launchId: string | undefined): boolean {
    return launchId !== undefined && this.givenUp.has(launchId);
  }

  /** A LAUNCH was taken (the task exists from now on). */
  launched(key: string, launchId: string | undefined): void {
    if (launchId === undefined) return;
    this.byTask.delete(key);
    this.byTask.set(key, launchId);
    trim(this.byTask, this.max);
  }

  /**
   * One answer per launch asked about. `stateOf(frameworkId, taskId)`: the state of the task with that key on
   * this agent (live, or ended and still remembered), undefined if it has none. A task the agent has is this
   * launch unless a different launch id was recorded for its key (an earlier run of the same task id); a task
   * recovered after an agent restart has no record and counts as known (its own updates follow).
   */
  answer(
    refs: LaunchRef[],
    key: (frameworkId: string, taskId: string) => string,
    stateOf: (frameworkId: string, taskId: string) => TaskState | undefined,
  ): ReconcileLaunchesReply {
    const launches = refs.map((ref) => {
      const k = key(ref.frameworkId, ref.taskId);
      const recorded = this.byTask.get(k);
      const state =
        recorded === undefined || recorded === ref.launchId ? stateOf(ref.frameworkId, ref.taskId) : undefined;
      if (state !== undefined) return { ...ref, known: true, state };
      this.givenUp.add(ref.launchId);
      trimSet(this.givenUp, this.max);
      return { ...ref, known: false };
    });
    return { launches };
  }
}

function trim(m: Map<string, string>, max: number): void {
  for (const k of m.keys()) {
    if (m.size <= max) return;
    m.delete(k);
  }
}
function trimSet(s: Set<string>, max: number): void {
  for (const k of s) {
    if (s.size <= max) return;
    s.delete(k);
  }
}
