/**
 * A task's cgroup creation as a plan the task's init carries out (launch-server.pl), so that the kernel
 * work of making cgroups (a directory per v1 hierarchy, its limits) runs in parallel in each new task
 * rather than one after another on the agent's event loop — on two busy cores that was most of a launch.
 *
 * The cgroup code writes through a CgroupFs as usual; this one records mkdirs and writes inside the task's
 * own directories and carries out the rest (a v2 ancestor's subtree_control, once) at once. Reads inside a
 * directory not made yet answer from its parent: every cgroup of a hierarchy has the same interface files.
 */
import * as path from 'node:path';
import type { CgroupFs } from '../cgroups/cgroup-fs';

/** `m <dir>` (make it and any missing parent) or `w <file> <value>`, in order. */
export type CgroupOp = ['m', string] | ['w', string, string];

export class PlannedCgroupFs implements CgroupFs {
  readonly ops: CgroupOp[] = [];

  constructor(
    private readonly real: CgroupFs,
    private readonly taskDirs: readonly string[],
  ) {}

  private planned(p: string): boolean {
    return this.taskDirs.some((d) => p === d || p.startsWith(`${d}/`));
  }

  /** The same file in the nearest existing ancestor, for a path inside a planned directory. */
  private standIn(p: string): string {
    const dir = this.taskDirs.find((d) => p === d || p.startsWith(`${d}/`));
    if (dir === undefined) return p;
    let ancestor = path.dirname(dir);
    while (ancestor !== path.dirname(ancestor) && !this.real.exists(ancestor)) ancestor = path.dirname(ancestor);
    return path.join(ancestor, p.slice(dir.length));
  }

  mkdir(dir: string): void {
    if (this.planned(dir)) this.ops.push(['m', dir]);
    else this.real.mkdir(dir);
  }

  write(file: string, value: string): void {
    if (this.planned(file)) this.ops.push(['w', file, value]);
    else this.real.write(file, value);
  }

  read(file: string): string | undefined {
    return this.real.read(this.standIn(file));
  }

  exists(p: string): boolean {
    return this.real.exists(this.standIn(p));
  }

  rmdir(dir: string): void {
    this.real.rmdir(dir);
  }

  /** A planned directory not made yet has none (the real one answers [] for a missing directory). */
  children(dir: string): string[] {
    return this.real.children(dir);
  }
}
