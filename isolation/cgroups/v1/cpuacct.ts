/** v1 `cpuacct` controller: cpu time used, split user/system. */
import type { CgroupFs } from '../cgroup-fs';
import { parseKeyed, parseNumber } from '../cgroup-fs';

const USER_HZ = 100;

export function readCpuTimes(fs: CgroupFs, dir: string): { userSeconds: number; systemSeconds: number } {
  // usage_user / usage_sys are in nanoseconds (kernel ≥ 4.16); cpuacct.stat counts USER_HZ ticks.
  const userNs = parseNumber(fs.read(`${dir}/cpuacct.usage_user`));
  const sysNs = parseNumber(fs.read(`${dir}/cpuacct.usage_sys`));
  if (userNs !== undefined && sysNs !== undefined) return { userSeconds: userNs / 1e9, systemSeconds: sysNs / 1e9 };
  const stat = parseKeyed(fs.read(`${dir}/cpuacct.stat`));
  return { userSeconds: (stat.get('user') ?? 0) / USER_HZ, systemSeconds: (stat.get('system') ?? 0) / USER_HZ };
}
