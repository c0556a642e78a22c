/** v1 `freezer` controller: stop every process of a task at once, so a kill cannot race a fork. */
import type { CgroupFs } from '../cgroup-fs';
import { CgroupError } from '../../errors';
import { sleep } from '../task-cgroup';

export async function freeze(fs: CgroupFs, dir: string, timeoutMs = 5_000): Promise<void> {
  fs.write(`${dir}/freezer.state`, 'FROZEN');
  const deadline = Date.now() + timeoutMs;
  // FREEZING until every task has stopped; writing FROZEN again re-tries stragglers.
  while (fs.read(`${dir}/freezer.state`)?.trim() !== 'FROZEN') {
    if (Date.now() > deadline) throw new CgroupError(`cgroup ${dir} did not freeze within ${timeoutMs} ms`);
    await sleep(5);
    fs.write(`${dir}/freezer.state`, 'FROZEN');
  }
}

export function thaw(fs: CgroupFs, dir: string): void {
  fs.write(`${dir}/freezer.state`, 'THAWED');
}
