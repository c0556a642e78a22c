/** v1 `pids` controller: a cap on processes and threads, so a fork bomb is held inside its task. */
import type { CgroupFs } from '../cgroup-fs';
import { parsePids } from '../cgroup-fs';

export function applyPids(fs: CgroupFs, dir: string, max: number): void {
  fs.write(`${dir}/pids.max`, String(max));
}

export function readProcs(fs: CgroupFs, dir: string): number[] {
  return parsePids(fs.read(`${dir}/cgroup.procs`));
}
