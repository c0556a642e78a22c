/**
 * Knowing when a native task's launcher process ends: from the child's `exit` event while the agent that
 * spawned it lives, by polling /proc after an agent restart (the launcher is no longer our child).
 */
import type { ChildProcess } from 'node:child_process';
import { isSameProcessAlive } from './proc';

export interface LauncherExit { code: number | null; signal: string | null }

/** Resolves with the launcher's exit status. */
export function watchChild(child: ChildProcess): Promise<LauncherExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Resolves (with nothing known about the status) once `pid`, started at `startTicks`, is gone. */
export function watchPid(pid: number, startTicks: number, intervalMs: number): Promise<undefined> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!isSameProcessAlive(pid, startTicks)) {
        clearInterval(timer);
        resolve(undefined);
      }
    };
    const timer = setInterval(check, intervalMs);
    timer.unref();
    check();
  });
}
