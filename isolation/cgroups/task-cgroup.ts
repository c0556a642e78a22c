/**
 * One task's cgroup, whatever the host's cgroup version: created with limits before the task runs,
 * read for usage and OOM, frozen and emptied on kill, removed on destroy.
 */
import type { ContainerUsage } from '../containerizer';

export type CgroupVersion = 1 | 2;

export interface CgroupLimits {
  cpus: number;
  /** Cap at `cpus` with a CFS quota, not only weight the share. */
  cpuHardCap: boolean;
  memLimitBytes: number;
  pidsMax: number;
}

/** A task's usage as the cgroup reports it (the containerizer adds the timestamp), plus its OOM kills. */
export interface CgroupStats extends Omit<ContainerUsage, 'timestamp'> {
  /** How many times the kernel's OOM killer killed a process of this cgroup. */
  oomKills: number;
}

export interface TaskCgroup {
  readonly version: CgroupVersion;
  /** Path below the hierarchy root(s), e.g. `agora/agent-1/task-7`. */
  readonly path: string;
  /** The `cgroup.procs` files a process writes its own pid to, to join (one per v1 hierarchy). */
  readonly procsFiles: readonly string[];
  create(limits: CgroupLimits): void;
  exists(): boolean;
  /** Every process in the cgroup (host pid namespace). */
  pids(): number[];
  stats(): CgroupStats;
  /** Stops every process where it stands (no fork can race a kill); resolves once frozen. */
  freeze(): Promise<void>;
  thaw(): void;
  /** Kernel-side SIGKILL of every process (v2 `cgroup.kill`). False when the host has no such file. */
  killAll(): boolean;
  /** Removes the cgroup (retrying while the kernel still counts exiting processes). Idempotent. */
  destroy(): Promise<void>;
  /** Names of its child cgroups (in any hierarchy, on v1): an agent's cgroup holds one per task. */
  children(): string[];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it stops throwing or `attempts` run out (kernel state settles in milliseconds). */
export async function retrying<T>(fn: () => T, attempts = 50, delayMs = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(delayMs);
    }
  }
}
