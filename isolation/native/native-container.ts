/** One running (or recovered) native task: its cgroup, its init pid, its sandbox status file. */
import * as fs from 'node:fs';
import type { Logger } from '../../sdk/log';
import type { Container, ContainerCheckpoint, ContainerExit, ContainerUsage } from '../containerizer';
import type { CgroupStats, TaskCgroup } from '../cgroups/task-cgroup';
import { sleep } from '../cgroups/task-cgroup';
import { IsolationError, describeError } from '../errors';
import { classifyExit } from './exit-status';
import type { InitExit } from './exit-watch';
import { execInTask, type ExecContext } from './exec';
import { killAllNow, terminate, type InitHandle } from './kill-cgroup';
import { findNamespaceInit } from './proc';

export interface NativeCheckpoint extends ContainerCheckpoint {
  kind: 'native';
  /** Host pid of the task's init (pid 1 of its namespaces), and its start time in clock ticks (pids are reused). */
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
  /** The task's whole environment for exec (health checks), secrets included; default: the checkpoint's (no secrets). */
  execEnv?: Record<string, string>;
  /** Resolves when the init ends; with its status while the agent that spawned it lives. */
  initExit: Promise<InitExit | undefined>;
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
  private initEnded = false;
  private readonly init: InitHandle;

  constructor(private readonly d: NativeContainerDeps) {
    this.checkpoint = d.checkpoint;
    this.taskId = d.checkpoint.taskId;
    this.init = {
      pid: d.checkpoint.pid,
      startTicks: d.checkpoint.startTicks,
      ended: () => this.initEnded,
      exited: d.initExit,
    };
    this.exit = d.initExit.then((init) => {
      this.initEnded = true;
      return this.conclude(init);
    });
  }

  private conclude(init: InitExit | undefined): ContainerExit {
    const { cgroup, checkpoint } = this.d;
    let statusText: string | undefined;
    try {
      statusText = fs.readFileSync(checkpoint.statusFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.d.log.warn({ err, taskId: this.taskId }, 'cannot read the exit status file');
    }
    let stats: Pick<CgroupStats, 'oomKills' | 'memPeakBytes' | 'memLimitBytes'> = { oomKills: 0, memPeakBytes: 0 };
    try {
      if (cgroup.exists()) stats = cgroup.stats();
    } catch (err) {
      this.d.log.warn({ err, taskId: this.taskId }, 'cannot read the cgroup after exit');
    }
    const exit = classifyExit({ statusText, init, killRequested: this.killRequested, ...stats });
    this.d.log.info({ taskId: this.taskId, ...exit }, 'native task ended');
    return exit;
  }

  wait(): Promise<ContainerExit> {
    return this.exit;
  }

  /** Its init (pid 1 of the task) has exited; stray processes may remain until destroy(). */
  get ended(): boolean {
    return this.initEnded;
  }

  async kill(gracePeriodMs = DEFAULT_GRACE_MS): Promise<void> {
    this.killRequested = true;
    await terminate(this.d.cgroup, this.init, gracePeriodMs);
    await this.exit;
  }

  async usage(): Promise<ContainerUsage> {
    await this.cgroupSettled(Date.now() + 5_000);
    try {
      const s = this.d.cgroup.stats();
      return {
        cpuUserSeconds: s.cpuUserSeconds,
        cpuSystemSeconds: s.cpuSystemSeconds,
        memBytes: s.memBytes,
        memPeakBytes: s.memPeakBytes,
        memLimitBytes: s.memLimitBytes,
        cpusLimit: s.cpusLimit,
        timestamp: Date.now(),
      };
    } catch (err) {
      throw new IsolationError(`no usage for task ${this.taskId}: ${describeError(err)}`, { cause: err });
    }
  }

  /**
   * launch() resolves once the init is cloned; the init then makes its cgroup, writes the limits and joins
   * it. Its pid in the cgroup means all of that is done (or the init has ended, or the deadline passed).
   */
  private async cgroupSettled(deadline: number): Promise<void> {
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      if (this.initEnded || Date.now() >= deadline) return;
      if (this.d.cgroup.exists() && this.d.cgroup.pids().includes(this.init.pid)) return;
      await sleep(delay);
    }
  }

  async exec(command: string, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const deadline = Date.now() + timeoutMs;
    const initPid = await this.namespaceInit(deadline);
    if (initPid === undefined) throw new IsolationError(`task ${this.taskId} is not running`);
    const c = this.checkpoint;
    const ctx: ExecContext = {
      procsFiles: this.d.cgroup.procsFiles,
      initPid,
      user: c.user,
      cwd: c.sandboxDir,
      env: this.d.execEnv ?? c.env,
      ...this.d.tools,
    };
    return execInTask(command, Math.max(1, deadline - Date.now()), ctx);
  }

  /**
   * The task's pid 1, once its namespaces are complete: the init creates its mount, ipc and uts namespaces
   * before it forks the command, so a second process in the cgroup means they exist. Right after launch
   * that takes a few milliseconds.
   */
  private async namespaceInit(deadline: number): Promise<number | undefined> {
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      const pids = this.d.cgroup.exists() ? this.d.cgroup.pids() : [];
      const pid = pids.length >= 2 ? findNamespaceInit(pids) : undefined;
      if (pid !== undefined || this.initEnded || Date.now() >= deadline) return pid;
      await sleep(delay);
    }
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      // Destroying a live task is killing it: it ends as KILLED.
      this.killRequested = true;
      // Anything still running (destroy before the task ended) goes now; then the cgroup can be removed.
      await killAllNow(this.d.cgroup, this.init);
      await this.d.cgroup.destroy();
      this.d.onDestroyed?.();
    })();
    return this.destroyed;
  }
}
