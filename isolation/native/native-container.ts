/** One running (or recovered) native task: its cgroup, its launcher pid, its sandbox status file. */
import * as fs from 'node:fs';
import type { Logger } from '../../sdk/log';
import type { Container, ContainerCheckpoint, ContainerExit, ContainerUsage } from '../containerizer';
import type { CgroupStats, TaskCgroup } from '../cgroups/task-cgroup';
import { sleep } from '../cgroups/task-cgroup';
import { IsolationError, describeError } from '../errors';
import { classifyExit } from './exit-status';
import type { LauncherExit } from './exit-watch';
import { execInTask, type ExecContext } from './exec';
import { killAllNow, terminate, type LauncherHandle } from './kill-cgroup';
import { findNamespaceInit } from './proc';

export interface NativeCheckpoint extends ContainerCheckpoint {
  kind: 'native';
  /** Host pid of the launcher (`unshare`), and its start time in clock ticks (pids are reused). */
  pid: number;
  startTicks: number;
  cgroupVersion: 1 | 2;
  cgroupPath: string;
  sandboxDir: string;
  statusFile: string;
  user?: { uid: number; gid: number };
  env: Record<string, string>;
  /** The task's log rotator (log-rotator.ts), when its output is rotated. */
  logger?: { pid: number; startTicks: number };
}

export const DEFAULT_GRACE_MS = 3_000;

export interface NativeContainerDeps {
  cgroup: TaskCgroup;
  checkpoint: NativeCheckpoint;
  /** Resolves when the launcher ends; with its status while the agent that spawned it lives. */
  launcherExit: Promise<LauncherExit | undefined>;
  tools: { nsenterBin: string; setprivBin: string };
  log: Logger;
  /** Called once the container is destroyed (the containerizer forgets it). */
  onDestroyed?: () => void;
}

export class NativeContainer implements Container {
  readonly taskId: string;
  readonly checkpoint: NativeCheckpoint;
  private killRequested = false;
  private destroyed?: Promise<void>;
  private readonly exit: Promise<ContainerExit>;
  private launcherEnded = false;
  private readonly launcher: LauncherHandle;

  constructor(private readonly d: NativeContainerDeps) {
    this.checkpoint = d.checkpoint;
    this.taskId = d.checkpoint.taskId;
    this.launcher = { pid: d.checkpoint.pid, startTicks: d.checkpoint.startTicks, ended: () => this.launcherEnded };
    this.exit = d.launcherExit.then((launcher) => {
      this.launcherEnded = true;
      return this.conclude(launcher);
    });
  }

  private conclude(launcher: LauncherExit | undefined): ContainerExit {
    const { cgroup, checkpoint } = this.d;
    let statusText: string | undefined;
    try {
      statusText = fs.readFileSync(checkpoint.statusFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.d.log.warn({ err, taskId: this.taskId }, 'cannot read the exit status file');
    }
    let stats: Pick<CgroupStats, 'oomKills' | 'memPeakBytes' | 'memLimitBytes'> = { oomKills: 0, memPeakBytes: 0 };
    try {
      if (cgroup.exists()) stats = cgroup.stats();
    } catch (err) {
      this.d.log.warn({ err, taskId: this.taskId }, 'cannot read the cgroup after exit');
    }
    const exit = classifyExit({ statusText, launcher, killRequested: this.killRequested, ...stats });
    this.d.log.info({ taskId: this.taskId, ...exit }, 'native task ended');
    return exit;
  }

  wait(): Promise<ContainerExit> {
    return this.exit;
  }

  /** Its launcher (the task's process chain) has exited; stray processes may remain until destroy(). */
  get ended(): boolean {
    return this.launcherEnded;
  }

  async kill(gracePeriodMs = DEFAULT_GRACE_MS): Promise<void> {
    this.killRequested = true;
    await terminate(this.d.cgroup, this.launcher, gracePeriodMs);
    await this.exit;
  }

  usage(): Promise<ContainerUsage> {
    try {
      const s = this.d.cgroup.stats();
      return Promise.resolve({
        cpuUserSeconds: s.cpuUserSeconds, cpuSystemSeconds: s.cpuSystemSeconds, memBytes: s.memBytes,
        memPeakBytes: s.memPeakBytes, memLimitBytes: s.memLimitBytes, cpusLimit: s.cpusLimit, timestamp: Date.now(),
      });
    } catch (err) {
      return Promise.reject(new IsolationError(`no usage for task ${this.taskId}: ${describeError(err)}`, { cause: err }));
    }
  }

  async exec(command: string, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const deadline = Date.now() + timeoutMs;
    const initPid = await this.namespaceInit(deadline);
    if (initPid === undefined) throw new IsolationError(`task ${this.taskId} is not running`);
    const c = this.checkpoint;
    const ctx: ExecContext = {
      procsFiles: this.d.cgroup.procsFiles, initPid, user: c.user, cwd: c.sandboxDir, env: c.env, ...this.d.tools,
    };
    return execInTask(command, Math.max(1, deadline - Date.now()), ctx);
  }

  /** The task's pid 1; right after launch it may take a few milliseconds to appear. */
  private async namespaceInit(deadline: number): Promise<number | undefined> {
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      const pid = this.d.cgroup.exists() ? findNamespaceInit(this.d.cgroup.pids()) : undefined;
      if (pid !== undefined || this.launcherEnded || Date.now() >= deadline) return pid;
      await sleep(delay);
    }
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      // Destroying a live task is killing it: it ends as KILLED.
      this.killRequested = true;
      // Anything still running (destroy before the task ended) goes now; then the cgroup can be removed.
      await killAllNow(this.d.cgroup, this.launcher);
      await this.d.cgroup.destroy();
      this.d.onDestroyed?.();
    })();
    return this.destroyed;
  }
}
