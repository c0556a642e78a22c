/**
 * v1 `memory` controller: a hard limit with no swap beyond it, current and peak usage, and OOM kills
 * (`memory.oom_control` → `oom_kill`; `memory.failcnt` stays 0 once memsw is limited, so it is not used).
 */
import type { CgroupFs } from '../cgroup-fs';
import { parseKeyed, parseNumber } from '../cgroup-fs';

/** The kernel reports "no limit" as a page-aligned huge number. */
const UNLIMITED = 2 ** 62;

export function applyMemory(fs: CgroupFs, dir: string, limitBytes: number): void {
  fs.write(`${dir}/memory.limit_in_bytes`, String(limitBytes));
  // Without swap accounting the file is absent and there is no swap to limit.
  if (fs.exists(`${dir}/memory.memsw.limit_in_bytes`))
    fs.write(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes));
}

export function readMemory(
  fs: CgroupFs,
  dir: string,
): { bytes: number; peakBytes: number; limitBytes?: number; oomKills: number } {
  const limit = parseNumber(fs.read(`${dir}/memory.limit_in_bytes`));
  return {
    bytes: parseNumber(fs.read(`${dir}/memory.usage_in_bytes`)) ?? 0,
    peakBytes: parseNumber(fs.read(`${dir}/memory.max_usage_in_bytes`)) ?? 0,
    limitBytes: limit !== undefined && limit < UNLIMITED ? limit : undefined,
    oomKills: parseKeyed(fs.read(`${dir}/memory.oom_control`)).get('oom_kill') ?? 0,
  };
}
