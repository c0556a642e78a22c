/**
 * The few file operations a cgroup needs, behind a small interface so the v2 code can be exercised
 * against a fake cgroupfs (a temp directory) as well as the kernel's.
 *
 * Calls are synchronous on purpose: cgroupfs files live in kernel memory and each operation takes a few
 * microseconds, far less than a hop through libuv's thread pool. Launching 1,000 tasks does ~10,000 of them.
 */
import * as fs from 'node:fs';
import { CgroupError } from '../errors';

export interface CgroupFs {
  mkdir(dir: string): void;
  write(file: string, value: string): void;
  /** Contents, or undefined when the file does not exist. */
  read(file: string): string | undefined;
  exists(path: string): boolean;
  /** Removes a cgroup directory (the kernel removes its interface files with it). */
  rmdir(dir: string): void;
  /** Names of the child cgroups (subdirectories) of `dir`; none when it does not exist. */
  children(dir: string): string[];
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CgroupError(`${what}: ${code}`, { cause: err });
  }
}

/** The kernel's cgroupfs. */
export const kernelCgroupFs: CgroupFs = {
  mkdir: (dir) => wrap(`cannot create cgroup ${dir}`, () => fs.mkdirSync(dir, { recursive: true })),
  write: (file, value) => wrap(`cannot write ${value.trim()} to ${file}`, () => fs.writeFileSync(file, value)),
  read: (file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CgroupError(`cannot read ${file}`, { cause: err });
    }
  },
  exists: (p) => fs.existsSync(p),
  children: (dir) => {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CgroupError(`cannot list ${dir}`, { cause: err });
    }
  },
  rmdir: (dir) =>
    wrap(`cannot remove cgroup ${dir}`, () => {
      try {
        fs.rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }),
};

/**
 * A plain directory tree standing in for cgroupfs: the same operations, except that removing a cgroup
 * removes the interface files the test (or our writers) left in it, as the kernel does.
 */
export const directoryCgroupFs: CgroupFs = {
  ...kernelCgroupFs,
  rmdir: (dir) =>
    wrap(`cannot remove cgroup ${dir}`, () => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) throw Object.assign(new Error(`child cgroup ${e.name}`), { code: 'EBUSY' });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }),
};

/** Parses `key value` lines (memory.stat, memory.events, cpu.stat, memory.oom_control). */
export function parseKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** A number file (`memory.usage_in_bytes`), `max` meaning no limit; undefined when missing. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === 'max' || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** pids listed in a cgroup.procs file. */
export function parsePids(text: string | undefined): number[] {
  return (text ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}
