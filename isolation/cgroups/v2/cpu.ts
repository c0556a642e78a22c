/** v2 `cpu` controller: a weight from cpus (the v1 shares, converted as runc does) and `cpu.max` for a hard cap. */
import type { CgroupFs } from '../cgroup-fs';
import { parseKeyed } from '../cgroup-fs';
import { CFS_PERIOD_US, quotaFor, sharesFor } from '../v1/cpu';

/** Maps v1 shares [2, 262144] onto v2 weights [1, 10000]. */
export function weightFor(cpus: number): number {
  const shares = Math.min(262_144, sharesFor(cpus));
  return 1 + Math.floor(((shares - 2) * 9_999) / 262_142);
}

export function applyCpu(fs: CgroupFs, dir: string, cpus: number, hardCap: boolean): void {
  fs.write(`${dir}/cpu.weight`, String(weightFor(cpus)));
  if (hardCap) fs.write(`${dir}/cpu.max`, `${quotaFor(cpus)} ${CFS_PERIOD_US}`);
}

export function readCpuCap(fs: CgroupFs, dir: string): number | undefined {
  const [quota, period] = (fs.read(`${dir}/cpu.max`) ?? 'max').trim().split(/\s+/);
  if (quota === 'max' || !period) return undefined;
  return Number(quota) / Number(period);
}

export function readCpuTimes(fs: CgroupFs, dir: string): { userSeconds: number; systemSeconds: number } {
  const stat = parseKeyed(fs.read(`${dir}/cpu.stat`));
  return { userSeconds: (stat.get('user_usec') ?? 0) / 1e6, systemSeconds: (stat.get('system_usec') ?? 0) / 1e6 };
}
