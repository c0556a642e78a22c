/** v2 `pids` controller: a cap on processes and threads. */
import type { CgroupFs } from '../cgroup-fs';

export function applyPids(fs: CgroupFs, dir: string, max: number): void {
  fs.write(`${dir}/pids.max`, String(max));
}
