/**
 * The native containerizer: cgroups + Linux namespaces, no daemon. The agent's default.
 *
 *   const c = new NativeContainerizer({ agentId: 'agent-1', taskUser: 'nobody' });
 *   const task = await c.launch(spec);            // running, in agora/agent-1/<taskId>
 *   const exit = await task.wait();                // { reason: 'EXITED', exitCode: 0, … }
 *   await task.destroy();                          // cgroup removed
 *
 * Tasks are created by a small launch server (launch-server.pl) as the init of their own namespaces, in
 * their own sessions, with stdout/stderr going straight to sandbox files (or to their log rotator's FIFOs,
 * log-rotator.ts), never to the agent, so they outlive it;
 * `recover(checkpoint)` finds them again by the init's host pid (+ start time) and cgroup.
 */
import * as path from 'node:path';
import { createLogger, type Logger } from '../../sdk/log';
import type { Container, ContainerCheckpoint, ContainerExit, Containerizer, ContainerSpec } from '../containerizer';
import { detectCgroups, openCgroup, type CgroupHost } from '../cgroups/detect';
import type { TaskCgroup } from '../cgroups/task-cgroup';
import type { CgroupFs } from '../cgroups/cgroup-fs';
import { kernelCgroupFs } from '../cgroups/cgroup-fs';
import { CheckpointError, LaunchError, describeError } from '../errors';
import { launchOrFail } from '../failed-container';
import { removeAgentCgroup } from './agent-cgroup';
import { watchPid } from './exit-watch';
import { LaunchServer, launchServerScriptPresent } from './launch-server';
import { LogRotatorServer, ROTATOR_DRAIN_MS, rotatorDrained, stopUnusedRotator } from './log-rotator';
import { taskArgv } from './task-command';
import { NativeContainer, type NativeCheckpoint } from './native-container';
import { PlannedCgroupFs, type CgroupOp } from './planned-cgroup';
import { isSameProcessAlive, readProcStat } from './proc';
import { prepareSandbox, taskEnv } from './sandbox';
import { findExecutable, findNativeTools, type NativeTools } from './tools';
import { UserDirectory, type UnixUser } from './users';

export interface NativeContainerizerOptions {
  agentId: string;
  /** cgroup path (below each hierarchy root) holding this agent's tasks, one `<taskId>` child each. Default `agora/<agentId>`. */
  cgroupRoot?: string;
  /** Where cgroup hierarchies are mounted. Default `/sys/fs/cgroup`. */
  cgroupMount?: string;
  cgroupFs?: CgroupFs;
  /** The user tasks run as when the agent is root and the task names none. Default `nobody`. */
  taskUser?: string;
  /** pids.max for a task that sets no pidsLimit. Default 1024. */
  defaultPidsLimit?: number;
  /** How often a recovered task's init is checked for exit. Default 500 ms. */
  recoverPollMs?: number;
  log?: Logger;
}

export const STATUS_FILE = '.agora-exit';
const MiB = 1024 * 1024;

export class NativeContainerizer implements Containerizer {
  readonly kind = 'native' as const;
  readonly cgroupRoot: string;
  private readonly log: Logger;
  private readonly users = new UserDirectory();
  private hostCache?: CgroupHost;
  private toolsCache?: NativeTools | { missing: string[] };
  private readonly live = new Map<string, NativeContainer>();
  private launchServer?: LaunchServer;
  private rotatorServer?: LogRotatorServer;

  constructor(private readonly o: NativeContainerizerOptions) {
    this.cgroupRoot = (o.cgroupRoot ?? `agora/${o.agentId}`).replace(/^\/+|\/+$/g, '');
    this.log = o.log ?? createLogger('native-containerizer');
  }

  /** The host's cgroup layout, detected once (and logged). */
  get host(): CgroupHost {
    if (!this.hostCache) {
      this.hostCache = detectCgroups(this.o.cgroupMount, this.o.cgroupFs ?? kernelCgroupFs);
      if (this.hostCache.ok)
        this.log.info({ cgroupVersion: this.hostCache.version, root: this.cgroupRoot }, 'cgroups detected');
      else this.log.warn({ reason: this.hostCache.reason }, 'no usable cgroups');
    }
    return this.hostCache;
  }

  private get tools(): NativeTools | { missing: string[] } {
    return (this.toolsCache ??= findNativeTools());
  }

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (process.getuid?.() !== 0)
      return { ok: false, reason: 'the native containerizer needs root (cgroups, namespaces)' };
    const host = this.host;
    if (!host.ok) return { ok: false, reason: host.reason };
    const tools = this.tools;
    if ('missing' in tools) return { ok: false, reason: `programs missing: ${tools.missing.join(', ')}` };
    return launchServerScriptPresent();
  }

  /** Tasks launched or recovered by this instance and not yet destroyed. */
  containers(): NativeContainer[] {
    return [...this.live.values()];
  }

  launch(spec: ContainerSpec): Promise<Container> {
    return launchOrFail('native', spec, this.log, () => this.start(spec));
  }

  private async start(spec: ContainerSpec): Promise<NativeContainer> {
    const avail = this.preflight();
    const user = this.taskUserFor(spec);
    const argv = taskArgv(spec.command);
    if (!spec.command.shell && (argv.length === 0 || !findExecutable(argv[0]!, spec.env.PATH))) {
      throw new LaunchError(`command not found: ${argv[0] ?? '(none)'}`);
    }
    const cgroupPath = `${this.cgroupRoot}/${spec.taskId}`;
    const cgroup = openCgroup(avail.host, cgroupPath);
    if (cgroup.exists() && cgroup.pids().length > 0)
      throw new LaunchError(`task ${spec.taskId} already has running processes in ${cgroup.path}`);
    // The cgroup is made by the task's init, in parallel with other launches (planned-cgroup.ts).
    const planned = new PlannedCgroupFs(
      avail.host.fs,
      cgroup.procsFiles.map((f) => path.dirname(f)),
    );
    try {
      openCgroup({ ...avail.host, fs: planned }, cgroupPath).create({
        cpus: spec.cpus,
        cpuHardCap: spec.cpuHardCap ?? false,
        memLimitBytes: Math.max(4, spec.memMb) * MiB,
        pidsMax: spec.pidsLimit ?? this.o.defaultPidsLimit ?? 1024,
      });
    } catch (err) {
      throw new LaunchError(`cannot set up the task cgroup: ${describeError(err)}`, { cause: err });
    }
    try {
      return await this.spawnInto(cgroup, planned.ops, spec, argv, user, avail);
    } catch (err) {
      // Nothing runs in the new cgroup yet: remove it, so a failed launch leaves nothing behind.
      await cgroup
        .destroy()
        .catch((rmErr: unknown) =>
          this.log.warn({ err: rmErr, taskId: spec.taskId }, 'cannot remove the cgroup of a failed launch'),
        );
      throw err;
    }
  }

  private async spawnInto(
    cgroup: TaskCgroup,
    cgroupOps: CgroupOp[],
    spec: ContainerSpec,
    argv: string[],
    user: UnixUser | undefined,
    avail: { host: Extract<CgroupHost, { ok: true }>; tools: NativeTools },
  ): Promise<NativeContainer> {
    const statusFile = path.join(spec.sandboxDir, STATUS_FILE);
    const files = prepareSandbox(spec.sandboxDir, statusFile, user);
    const env = taskEnv(spec);
    const server = this.server(avail.tools);
    // With rotation, the task's stdout/stderr are FIFOs owned by its rotator; the init opens them as it would the files.
    const rotator = spec.logRotation
      ? await this.rotators(avail.tools).start({ dir: spec.sandboxDir, rotation: spec.logRotation, owner: user })
      : undefined;
    let pid: number;
    try {
      pid = await server.launch({
        argv,
        cwd: spec.sandboxDir,
        env,
        stdoutFile: rotator?.stdoutFile ?? files.stdoutFile,
        stderrFile: rotator?.stderrFile ?? files.stderrFile,
        statusFile,
        user: user ? { uid: user.uid, gid: user.gid } : undefined,
        cgroupOps,
        join: cgroup.procsFiles,
        volumes: spec.volumes,
      });
    } catch (err) {
      if (rotator) stopUnusedRotator(rotator, this.log, spec.taskId);
      throw err;
    }
    // An init that already ended (and was reaped) has no /proc entry: its exit is known from the server.
    const startTicks = readProcStat(pid)?.startTicks ?? 0;
    const logger = rotator ? { pid: rotator.pid, startTicks: readProcStat(rotator.pid)?.startTicks ?? 0 } : undefined;
    const loggerEnded = rotator ? this.rotators(avail.tools).exited(rotator.pid) : undefined;
    const initExit = server
      .exited(pid)
      .then((e) => e ?? watchPid(pid, startTicks, this.o.recoverPollMs ?? 500))
      .then((e) => this.afterLogs(e, spec.taskId, logger, loggerEnded));
    const checkpoint: NativeCheckpoint = {
      kind: 'native',
      taskId: spec.taskId,
      pid,
      startTicks,
      cgroupVersion: avail.host.version,
      cgroupPath: cgroup.path,
      sandboxDir: spec.sandboxDir,
      statusFile,
      user: user ? { uid: user.uid, gid: user.gid } : undefined,
      env: withoutSecrets(env, spec.secretEnvNames), // checkpointed: secret values stay in memory (execEnv)
      logger,
    };
    this.log.debug({ taskId: spec.taskId, pid, cgroup: cgroup.path, logger: logger?.pid }, 'native task launched');
    return this.track(
      new NativeContainer({
        cgroup,
        checkpoint,
        execEnv: env,
        initExit,
        tools: avail.tools,
        log: this.log,
        onDestroyed: () => this.live.delete(spec.taskId),
      }),
    );
  }

  /** The task's exit is reported once its rotator wrote the last output (so a read after the end sees it all). */
  private async afterLogs<E>(
    exit: E,
    taskId: string,
    logger: NativeCheckpoint['logger'],
    ended?: Promise<boolean>,
  ): Promise<E> {
    if (!logger) return exit;
    const gone = (ended ?? Promise.resolve(false)).then(
      (known) => known || watchPid(logger.pid, logger.startTicks, 50),
    );
    await rotatorDrained(logger, gone, ROTATOR_DRAIN_MS, this.log, taskId);
    return exit;
  }

  private rotators(tools: NativeTools): LogRotatorServer {
    return (this.rotatorServer ??= new LogRotatorServer(tools.perlBin, this.log));
  }

  private server(tools: NativeTools): LaunchServer {
    return (this.launchServer ??= new LaunchServer(tools.perlBin, this.log));
  }

  /** Pid of the launch server (tasks are its children), for diagnostics and benchmarks. */
  launchServerPid(): number | undefined {
    return this.launchServer?.pid;
  }

  /**
   * The agent is stopping: removes the cgroups of tasks that ended, then the agent's own cgroup
   * (`agora/<agentId>` in every hierarchy) unless a task still runs in it — tasks left running for the next
   * agent keep theirs. An operator-chosen `cgroupRoot` is kept; only its empty task cgroups go. Then the
   * launch and log-rotator servers stop (running tasks and their rotators live on in their own sessions).
   */
  async shutdown(): Promise<void> {
    try {
      await this.removeCgroups();
    } finally {
      this.close();
    }
  }

  private async removeCgroups(): Promise<void> {
    const host = this.host;
    if (!host.ok) return;
    const running = new Set<string>();
    for (const c of this.containers()) {
      if (!c.ended) {
        running.add(c.taskId);
        continue;
      }
      await c
        .destroy()
        .catch((err: unknown) =>
          this.log.warn({ taskId: c.taskId, err: describeError(err) }, 'cannot remove the cgroup of an ended task'),
        );
    }
    await removeAgentCgroup(openCgroup(host, this.cgroupRoot), {
      taskCgroup: (name) => openCgroup(host, `${this.cgroupRoot}/${name}`),
      running,
      removeParent: this.o.cgroupRoot === undefined,
      log: this.log,
    });
  }

  /** Stops the launch server (tasks keep running). For agent shutdown and tests. */
  close(): void {
    this.launchServer?.close();
    this.launchServer = undefined;
    this.rotatorServer?.close();
    this.rotatorServer = undefined;
  }

  private track(c: NativeContainer): NativeContainer {
    this.live.set(c.taskId, c);
    return c;
  }

  private preflight(): { host: Extract<CgroupHost, { ok: true }>; tools: NativeTools } {
    const host = this.host;
    if (!host.ok) throw new LaunchError(`no usable cgroups: ${host.reason}`);
    const tools = this.tools;
    if ('missing' in tools) throw new LaunchError(`programs missing: ${tools.missing.join(', ')}`);
    return { host, tools };
  }

  /** The user to switch to: the task's, else the default task user; none when the agent is not root. */
  private taskUserFor(spec: ContainerSpec): UnixUser | undefined {
    if (process.getuid?.() !== 0) {
      if (spec.user !== undefined) throw new LaunchError(`cannot run as ${spec.user}: the agent is not root`);
      return undefined;
    }
    return this.users.resolve(spec.user ?? this.o.taskUser ?? 'nobody');
  }

  async recover(checkpoint: ContainerCheckpoint): Promise<Container | ContainerExit> {
    const cp = parseCheckpoint(checkpoint);
    const avail = this.preflight();
    if (cp.cgroupVersion !== avail.host.version) {
      throw new CheckpointError(
        `checkpoint of ${cp.taskId} is for cgroup v${cp.cgroupVersion}, the host has v${avail.host.version}`,
      );
    }
    const cgroup = openCgroup(avail.host, cp.cgroupPath);
    const alive = isSameProcessAlive(cp.pid, cp.startTicks);
    const initExit = (
      alive ? watchPid(cp.pid, cp.startTicks, this.o.recoverPollMs ?? 500) : Promise.resolve(undefined)
    ).then((e) => this.afterLogs(e, cp.taskId, cp.logger));
    const container = new NativeContainer({
      cgroup,
      checkpoint: cp,
      initExit,
      tools: avail.tools,
      log: this.log,
      onDestroyed: () => this.live.delete(cp.taskId),
    });
    if (alive) {
      this.log.info({ taskId: cp.taskId, pid: cp.pid }, 'native task re-attached');
      return this.track(container);
    }
    const exit = await container.wait();
    await container.destroy();
    this.log.info({ taskId: cp.taskId, ...exit }, 'native task ended while the agent was away');
    return exit;
  }
}

function parseCheckpoint(c: ContainerCheckpoint): NativeCheckpoint {
  const ok =
    c.kind === 'native' &&
    typeof c.pid === 'number' &&
    typeof c.startTicks === 'number' &&
    (c.cgroupVersion === 1 || c.cgroupVersion === 2) &&
    typeof c.cgroupPath === 'string' &&
    typeof c.sandboxDir === 'string' &&
    typeof c.statusFile === 'string' &&
    typeof c.env === 'object';
  if (!ok) throw new CheckpointError(`not a native checkpoint: ${JSON.stringify(c).slice(0, 200)}`);
  return c as NativeCheckpoint;
}

/** `env` without the variables named (secret values, which must not reach the checkpoint on disk). */
function withoutSecrets(env: Record<string, string>, names: readonly string[] | undefined): Record<string, string> {
  if (!names || names.length === 0) return env;
  const drop = new Set(names);
  return Object.fromEntries(Object.entries(env).filter(([k]) => !drop.has(k)));
}
