/** Knowing when a native task's init ends without being its parent: by polling /proc. */
import { isSameProcessAlive } from './proc';

export interface InitExit {
  code: number | null;
  signal: string | null;
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
