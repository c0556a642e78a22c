/**
 * Ending every process of a task: SIGTERM to all, then after the grace period a kernel kill (v2
 * `cgroup.kill`) or freeze → SIGKILL all → thaw (v1), which no fork can escape. Done when the cgroup is
 * empty and the init has ended.
 *
 * The init is signalled by pid as well as through the cgroup: right after launch it may not have
 * joined its cgroup yet (launch does not wait for that), and a kill must not miss it.
 */
import { CgroupError } from '../errors';
import type { TaskCgroup } from '../cgroups/task-cgroup';
import { sleep } from '../cgroups/task-cgroup';
import { isSameProcessAlive, signalProcess } from './proc';

export interface InitHandle {
  pid: number;
  startTicks: number;
  ended(): boolean;
  /** Settles when the init has ended. When pid 1 of a namespace exits, the kernel kills and reaps every other
   *  process in it first: so the cgroup is empty by then, and waiting for this beats polling the cgroup. */
  exited?: Promise<unknown>;
}

/** Resolves when `p` settles or after `ms`, whichever comes first (the timer does not outlive it). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => {
    timer = setTimeout(r, ms);
  });
  try {
    await Promise.race([
      p.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isEmpty(cg: TaskCgroup): boolean {
  return !cg.exists() || cg.pids().length === 0;
}

/** Polls until nothing of the task runs, or `timeoutMs` passes; true when nothing runs. */
export async function waitGone(cg: TaskCgroup, init: InitHandle | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  if (init?.exited && !init.ended() && !isEmpty(cg)) await within(init.exited, timeoutMs);
  let delay = 2;
  for (;;) {
    if (isEmpty(cg) && (!init || init.ended())) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 50);
  }
}

function signalInit(init: InitHandle | undefined, signal: NodeJS.Signals): void {
  if (init && !init.ended() && isSameProcessAlive(init.pid, init.startTicks)) signalProcess(init.pid, signal);
}

export function signalAll(cg: TaskCgroup, signal: NodeJS.Signals): number {
  const pids = cg.exists() ? cg.pids() : [];
  for (const pid of pids) signalProcess(pid, signal);
  return pids.length;
}

/** SIGKILL every process, without a window for a fork to slip past. */
export async function killAllNow(cg: TaskCgroup, init?: InitHandle, attempts = 20): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    signalInit(init, 'SIGKILL');
    if (!isEmpty(cg) && !cg.killAll()) await freezeAndKill(cg);
    if (await waitGone(cg, init, 1_000)) return;
  }
  throw new CgroupError(
    `task cgroup ${cg.path} still has processes ${cg.exists() ? cg.pids().join(',') : ''} after ${attempts} kill rounds`,
  );
}

/**
 * Freeze → SIGKILL all → thaw. The task may end on its own meanwhile and its cgroup be removed (by the
 * exit watcher): a cgroup that vanished is a task that is gone, not an error.
 */
async function freezeAndKill(cg: TaskCgroup): Promise<void> {
  try {
    await cg.freeze();
  } catch (err) {
    if (!cg.exists()) return;
    throw err;
  }
  try {
    signalAll(cg, 'SIGKILL');
  } finally {
    if (cg.exists()) cg.thaw();
  }
}

export async function terminate(cg: TaskCgroup, init: InitHandle | undefined, gracePeriodMs: number): Promise<void> {
  if (gracePeriodMs > 0) {
    signalInit(init, 'SIGTERM');
    signalAll(cg, 'SIGTERM');
    if (await waitGone(cg, init, gracePeriodMs)) return;
  }
  await killAllNow(cg, init);
}
