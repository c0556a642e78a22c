/** v1 `cpu` controller: proportional shares from cpus, optional CFS hard cap. */
import type { CgroupFs } from '../cgroup-fs';
import { parseNumber } from '../cgroup-fs';

export const CFS_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MIN_QUOTA_US = 1_000;

export function sharesFor(cpus: number): number {
  return Math.max(MIN_SHARES, Math.round(cpus * 1024));
}

export function quotaFor(cpus: number): number {
  return Math.max(MIN_QUOTA_US, Math.round(cpus * CFS_PERIOD_US));
}

export function applyCpu(fs: CgroupFs, dir: string, cpus: number, hardCap: boolean): void {
  fs.write(`${dir}/cpu.shares`, String(sharesFor(cpus)));
  if (hardCap) {
    fs.write(`${dir}/cpu.cfs_period_us`, String(CFS_PERIOD_US));
    fs.write(`${dir}/cpu.cfs_quota_us`, String(quotaFor(cpus)));
  }
}

/** The hard cap in cpus, or undefined when no quota is set. */
export function readCpuCap(fs: CgroupFs, dir: string): number | undefined {
  const quota = parseNumber(fs.read(`${dir}/cpu.cfs_quota_us`));
  const period = parseNumber(fs.read(`${dir}/cpu.cfs_period_us`));
  if (quota === undefined || quota < 0 || !period) return undefined;
  return quota / period;
}
