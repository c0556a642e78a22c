/**
 * The naive floor for native launches, measured in the same run as Agora (bench/launch.bench.ts): N ×
 *
 *   unshare --pid --fork --mount-proc --ipc --uts --setuid 65534 -- sh -c 'exec sleep 600'
 *
 * started in the background from one bash loop, until all N `sleep`s run; then all of them killed. The loop
 * runs in a cgroup of its own (freezer + cpuacct, no limits that bite), only so that we can count, measure
 * and kill what it started; it joins before its first fork.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { CgroupHost } from '../isolation/cgroups/detect';
import { openCgroup } from '../isolation/cgroups/detect';
import type { TaskCgroup } from '../isolation/cgroups/task-cgroup';
import { killAllNow } from '../isolation/native/kill-cgroup';
import { shQuote } from '../isolation/native/task-command';

export interface BaselineResult {
  /** From starting the loop until every `sleep` runs. */
  allRunningMs: number;
  /** SIGKILL to all (freeze, kill, thaw) until the cgroup is empty, and the cgroup removed. */
  destroyMs: number;
  /** CPU seconds of every process the loop started (the cgroup's cpuacct), until all ran. */
  cpuSeconds: number;
}

/** Host pids, among `pids`, whose program is `name` (read once per pid: once a `sleep`, always a `sleep`). */
export class ProgramCounter {
  readonly seen = new Set<number>();
  constructor(private readonly name: string) {}

  /** Adds the pids now running `name`; true if any of `pids` does. */
  scan(pids: number[]): boolean {
    let any = false;
    for (const pid of pids) {
      if (this.seen.has(pid)) {
        any = true;
        continue;
      }
      let comm: string;
      try {
        comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (comm === this.name) {
        this.seen.add(pid);
        any = true;
      }
    }
    return any;
  }
}

export async function until(pred: () => boolean, stepMs: number): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, stepMs));
}

function cpuSeconds(cg: TaskCgroup): number {
  const s = cg.stats();
  return s.cpuUserSeconds + s.cpuSystemSeconds;
}

export async function runBaseline(
  host: Extract<CgroupHost, { ok: true }>,
  relPath: string,
  n: number,
  unshareBin: string,
): Promise<BaselineResult> {
  const cg = openCgroup(host, relPath);
  cg.create({ cpus: 64, cpuHardCap: false, memLimitBytes: 1024 ** 4, pidsMax: 4 * n + 100 });
  try {
    const join = cg.procsFiles.map((f) => `echo $$ > ${shQuote(f)}`).join('; ');
    const one = [
      unshareBin,
      '--pid',
      '--fork',
      '--mount-proc',
      '--ipc',
      '--uts',
      '--setuid',
      '65534',
      '--',
      'sh',
      '-c',
      'exec sleep 600',
    ]
      .map(shQuote)
      .join(' ');
    const script = `${join}; for ((i = 0; i < ${n}; i++)); do ${one} & done`;
    const sleeps = new ProgramCounter('sleep');
    const t0 = performance.now();
    const loop = spawn('bash', ['-c', script], { stdio: 'ignore' });
    const loopDone = new Promise<void>((resolve, reject) => {
      loop.once('error', reject);
      loop.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`the baseline loop exited with ${code}`)),
      );
    });
    await until(() => {
      sleeps.scan(cg.pids());
      return sleeps.seen.size >= n;
    }, 100);
    const allRunningMs = performance.now() - t0;
    await loopDone;
    const cpu = cpuSeconds(cg);
    const d0 = performance.now();
    await killAllNow(cg);
    await cg.destroy();
    return { allRunningMs, destroyMs: performance.now() - d0, cpuSeconds: cpu };
  } finally {
    if (cg.exists()) {
      await killAllNow(cg);
      await cg.destroy();
    }
  }
}
