/**
 * A task cgroup on the unified (v2) hierarchy: one directory, controllers enabled down the path through
 * each ancestor's `cgroup.subtree_control`, `cgroup.freeze` and `cgroup.kill` for the kill path.
 */
import type { CgroupFs } from '../cgroup-fs';
import { parseKeyed, parsePids } from '../cgroup-fs';
import { CgroupError } from '../../errors';
import type { CgroupLimits, CgroupStats, TaskCgroup } from '../task-cgroup';
import { retrying, sleep } from '../task-cgroup';
import { applyCpu, readCpuCap, readCpuTimes } from './cpu';
import { applyMemory, readMemory } from './memory';
import { applyPids } from './pids';

export const V2_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

export class CgroupV2 implements TaskCgroup {
  readonly version = 2 as const;
  readonly procsFiles: readonly string[];
  private readonly dir: string;

  /** `delegated` remembers ancestors whose subtree_control is already set (shared by a containerizer). */
  constructor(
    private readonly fs: CgroupFs,
    private readonly mount: string,
    readonly path: string,
    private readonly delegated: Set<string> = new Set(),
  ) {
    this.dir = `${mount}/${path}`;
    this.procsFiles = [`${this.dir}/cgroup.procs`];
  }

  create(limits: CgroupLimits): void {
    this.delegateDown();
    this.fs.mkdir(this.dir);
    applyCpu(this.fs, this.dir, limits.cpus, limits.cpuHardCap);
    applyMemory(this.fs, this.dir, limits.memLimitBytes);
    applyPids(this.fs, this.dir, limits.pidsMax);
  }

  /** Enables cpu, memory and pids for the children of the mount root and of every ancestor of the task. */
  private delegateDown(): void {
    const parts = this.path.split('/').filter(Boolean);
    let dir = this.mount;
    for (let i = 0; i < parts.length; i++) {
      if (!this.delegated.has(dir)) {
        if (i > 0) this.fs.mkdir(dir);
        const available = new Set((this.fs.read(`${dir}/cgroup.controllers`) ?? '').trim().split(/\s+/));
        const missing = V2_CONTROLLERS.filter((c) => !available.has(c));
        if (missing.length > 0)
          throw new CgroupError(`cgroup v2 controllers not available in ${dir}: ${missing.join(', ')}`);
        this.fs.write(`${dir}/cgroup.subtree_control`, V2_CONTROLLERS.map((c) => `+${c}`).join(' '));
        this.delegated.add(dir);
      }
      dir = `${dir}/${parts[i]}`;
    }
  }

  exists(): boolean {
    return this.fs.exists(this.dir);
  }

  pids(): number[] {
    return parsePids(this.fs.read(`${this.dir}/cgroup.procs`));
  }

  stats(): CgroupStats {
    const cpu = readCpuTimes(this.fs, this.dir);
    const mem = readMemory(this.fs, this.dir);
    return {
      cpuUserSeconds: cpu.userSeconds,
      cpuSystemSeconds: cpu.systemSeconds,
      memBytes: mem.bytes,
      memPeakBytes: mem.peakBytes,
      memLimitBytes: mem.limitBytes,
      cpusLimit: readCpuCap(this.fs, this.dir),
      oomKills: mem.oomKills,
    };
  }

  async freeze(timeoutMs = 5_000): Promise<void> {
    this.fs.write(`${this.dir}/cgroup.freeze`, '1');
    const deadline = Date.now() + timeoutMs;
    while (parseKeyed(this.fs.read(`${this.dir}/cgroup.events`)).get('frozen') !== 1) {
      if (Date.now() > deadline) throw new CgroupError(`cgroup ${this.dir} did not freeze within ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  thaw(): void {
    this.fs.write(`${this.dir}/cgroup.freeze`, '0');
  }

  killAll(): boolean {
    // cgroup.kill arrived in Linux 5.14.
    if (!this.fs.exists(`${this.dir}/cgroup.kill`)) return false;
    this.fs.write(`${this.dir}/cgroup.kill`, '1');
    return true;
  }

  async destroy(): Promise<void> {
    if (!this.fs.exists(this.dir)) return;
    await retrying(() => this.fs.rmdir(this.dir));
    // A cgroup made again at this path must have its controllers enabled again.
    this.delegated.delete(this.dir);
  }

  children(): string[] {
    return this.fs.children(this.dir).sort();
  }
}
