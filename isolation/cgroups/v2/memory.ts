/** v2 `memory` controller: `memory.max` with no swap, current and peak, OOM kills from `memory.events`. */
import type { CgroupFs } from '../cgroup-fs';
import { parseKeyed, parseNumber } from '../cgroup-fs';

export function applyMemory(fs: CgroupFs, dir: string, limitBytes: number): void {
  fs.write(`${dir}/memory.max`, String(limitBytes));
  if (fs.exists(`${dir}/memory.swap.max`)) fs.write(`${dir}/memory.swap.max`, '0');
}

export function readMemory(
  fs: CgroupFs,
  dir: string,
): { bytes: number; peakBytes: number; limitBytes?: number; oomKills: number } {
  const bytes = parseNumber(fs.read(`${dir}/memory.current`)) ?? 0;
  return {
    bytes,
    // memory.peak exists from Linux 5.19; before that the best known peak is the current value.
    peakBytes: parseNumber(fs.read(`${dir}/memory.peak`)) ?? bytes,
    limitBytes: parseNumber(fs.read(`${dir}/memory.max`)),
    oomKills: parseKeyed(fs.read(`${dir}/memory.events`)).get('oom_kill') ?? 0,
  };
}
