/** A task cgroup on cgroup v1: one directory per controller hierarchy, joined together. */
import type { CgroupFs } from '../cgroup-fs';
import type { CgroupLimits, CgroupStats, TaskCgroup } from '../task-cgroup';
import { retrying } from '../task-cgroup';
import { applyCpu, readCpuCap } from './cpu';
import { readCpuTimes } from './cpuacct';
import { applyMemory, readMemory } from './memory';
import { applyPids, readProcs } from './pids';
import { freeze, thaw } from './freezer';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** Mount point per controller; two controllers may share one (`cpu,cpuacct`). */
export type V1Mounts = Record<V1Controller, string>;

export class CgroupV1 implements TaskCgroup {
  readonly version = 1 as const;
  readonly procsFiles: readonly string[];
  private readonly dirs: Record<V1Controller, string>;
  private readonly uniqueDirs: string[];

  constructor(
    private readonly fs: CgroupFs,
    mounts: V1Mounts,
    readonly path: string,
  ) {
    this.dirs = Object.fromEntries(V1_CONTROLLERS.map((c) => [c, `${mounts[c]}/${path}`])) as Record<
      V1Controller,
      string
    >;
    this.uniqueDirs = [...new Set(Object.values(this.dirs))];
    this.procsFiles = this.uniqueDirs.map((d) => `${d}/cgroup.procs`);
  }

  create(limits: CgroupLimits): void {
    for (const d of this.uniqueDirs) this.fs.mkdir(d);
    applyCpu(this.fs, this.dirs.cpu, limits.cpus, limits.cpuHardCap);
    applyMemory(this.fs, this.dirs.memory, limits.memLimitBytes);
    applyPids(this.fs, this.dirs.pids, limits.pidsMax);
  }

  exists(): boolean {
    return this.uniqueDirs.some((d) => this.fs.exists(d));
  }

  pids(): number[] {
    // A process joins every hierarchy, but freezer is the one the kill path relies on: read it.
    return readProcs(this.fs, this.dirs.freezer);
  }

  stats(): CgroupStats {
    const cpu = readCpuTimes(this.fs, this.dirs.cpuacct);
    const mem = readMemory(this.fs, this.dirs.memory);
    return {
      cpuUserSeconds: cpu.userSeconds,
      cpuSystemSeconds: cpu.systemSeconds,
      memBytes: mem.bytes,
      memPeakBytes: mem.peakBytes,
      memLimitBytes: mem.limitBytes,
      cpusLimit: readCpuCap(this.fs, this.dirs.cpu),
      oomKills: mem.oomKills,
    };
  }

  freeze(): Promise<void> {
    return freeze(this.fs, this.dirs.freezer);
  }

  thaw(): void {
    thaw(this.fs, this.dirs.freezer);
  }

  killAll(): boolean {
    return false;
  }

  async destroy(): Promise<void> {
    for (const d of this.uniqueDirs) await retrying(() => this.fs.rmdir(d));
  }

  children(): string[] {
    return [...new Set(this.uniqueDirs.flatMap((d) => this.fs.children(d)))].sort();
  }
}
