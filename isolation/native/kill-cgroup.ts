/**
 * Ending every process of a task, by its cgroup: SIGTERM to all, then after the grace period a kernel
 * kill (v2 `cgroup.kill`) or freeze → SIGKILL all → thaw (v1), which no fork can escape. Returns once the
 * cgroup is empty.
 */
import { CgroupError } from '../errors';
import type { TaskCgroup } from '../cgroups/task-cgroup';
import { sleep } from '../cgroups/task-cgroup';
import { signalProcess } from './proc';

/** Polls until the cgroup has no process or `timeoutMs` passes; true when empty. */
export async function waitEmpty(cg: TaskCgroup, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    if (!cg.exists() || cg.pids().length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 50);
  }
}

export function signalAll(cg: TaskCgroup, signal: NodeJS.Signals): number {
  const pids = cg.exists() ? cg.pids() : [];
  for (const pid of pids) signalProcess(pid, signal);
  return pids.length;
}

/** SIGKILL every process, without a window for a fork to slip past. */
export async function killAllNow(cg: TaskCgroup, attempts = 20): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (!cg.exists() || cg.pids().length === 0) return;
    if (!cg.killAll()) {
      await cg.freeze();
      try {
        signalAll(cg, 'SIGKILL');
      } finally {
        cg.thaw();
      }
    }
    if (await waitEmpty(cg, 1_000)) return;
  }
  throw new CgroupError(`cgroup ${cg.path} still has processes ${cg.pids().join(',')} after ${attempts} kill rounds`);
}

export async function terminate(cg: TaskCgroup, gracePeriodMs: number): Promise<void> {
  if (gracePeriodMs > 0 && signalAll(cg, 'SIGTERM') > 0 && (await waitEmpty(cg, gracePeriodMs))) return;
  await killAllNow(cg);
}
