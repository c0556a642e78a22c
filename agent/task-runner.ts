/**
 * One task's life on the agent: checkpoint → sandbox → containerizer launch → TASK_RUNNING → wait → terminal
 * status with exit code and reason → destroy. Kills, health and usage go through the same record.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { removeSecretFiles, writeSecretFiles, type FileOwner } from './secret-files';
import { join } from 'node:path';
import {
  NO_LAUNCH_GRANTS,
  Resources,
  type AgentId,
  type FrameworkId,
  type FrameworkInfo,
  type LaunchGrants,
  type Logger,
  type TaskInfo,
  type TaskReason,
  type TaskState,
  type TaskStatus,
  type Usage,
} from '../sdk';
import { volumeSpecs } from './host-volumes';
import type { Container, ContainerExit, Containerizer, ContainerSpec, LogRotation } from '../isolation';

export interface TaskContext {
  agentId: AgentId;
  /** The agent's log rotation (`--log-max-size`, `--log-max-files`); maxBytes 0: none. */
  logRotation: LogRotation;
  hostname: string;
  /** The agent's clock (injected). */
  now(): number;
  log: Logger;
  emit(status: TaskStatus): void;
  checkpointState(frameworkId: string, taskId: string, state: TaskState, endedAt?: number): void;
  checkpointContainer(frameworkId: string, taskId: string, container: Container): void;
  onEnded(runner: TaskRunner): void;
}

export class TaskRunner {
  state: TaskState = 'TASK_STAGING';
  container?: Container;
  healthy?: boolean;
  lastUsage?: Usage;
  /** The sandbox's size at the last disk check (disk-watch.ts). */
  diskUsedBytes?: number;
  private failMessage?: string;
  private killRequested = false;
  private killReason?: TaskReason;
  readonly ports: number[];
  endedAt?: number;
  /** When the task started (for the health check's grace period, also after an agent restart). */
  startedAt: number;

  constructor(
    readonly info: TaskInfo,
    readonly frameworkId: FrameworkId,
    readonly framework: FrameworkInfo,
    readonly role: string,
    readonly sandboxDir: string,
    private readonly ctx: TaskContext,
    private readonly grants: LaunchGrants = NO_LAUNCH_GRANTS,
    /** Secret values for the task's environment (LAUNCH `secretEnv`): memory only, never checkpointed or reported. */
    private readonly secretEnv: Readonly<Record<string, string>> = {},
    /** Secret files (LAUNCH `secretFiles`): written into the sandbox at launch, owned by `secretOwner`, removed at the end. */
    private readonly secretFiles: Readonly<Record<string, string>> = {},
    private readonly secretOwner?: FileOwner,
  ) {
    this.startedAt = ctx.now();
    this.ports = Resources.fromWire(info.resources)
      .rangesOf('ports')
      .flatMap(([a, b]) => Array.from({ length: Math.min(b - a + 1, 1000) }, (_, i) => a + i));
  }

  get taskId(): string {
    return this.info.taskId;
  }

  /** The task's `disk` resource in MB, enforced on its sandbox; undefined when it has none. */
  get diskLimitMb(): number | undefined {
    return Resources.fromWire(this.info.resources).scalar('disk') || undefined;
  }

  /** Builds the containerizer's spec from the task: resources → limits, ports → env and mappings. */
  spec(): ContainerSpec {
    const r = Resources.fromWire(this.info.resources);
    const env: Record<string, string> = {
      ...this.info.command.env,
      ...this.secretEnv,
      AGORA_TASK_ID: this.info.taskId,
      AGORA_TASK_NAME: this.info.name,
      AGORA_FRAMEWORK_ID: this.frameworkId,
      AGORA_AGENT_ID: this.ctx.agentId,
      AGORA_HOSTNAME: this.ctx.hostname,
      MESOS_SANDBOX: this.sandboxDir,
      AGORA_SANDBOX: this.sandboxDir,
    };
    this.ports.forEach((p, i) => {
      env[`PORT${i}`] = String(p);
    });
    if (this.ports.length > 0) {
      env.PORT = String(this.ports[0]);
      env.PORTS = this.ports.join(',');
    }
    const c = this.info.container;
    // Mappings without a hostPort take the task's ports in order, skipping those other mappings name.
    const named = new Set(c.type === 'DOCKER' ? c.portMappings.map((pm) => pm.hostPort).filter(Boolean) : []);
    const free = this.ports.filter((p) => !named.has(p));
    let next = 0;
    return {
      taskId: this.info.taskId,
      frameworkId: this.frameworkId,
      agentId: this.ctx.agentId,
      sandboxDir: this.sandboxDir,
      command: {
        shell: this.info.command.shell,
        value: this.info.command.value,
        arguments: this.info.command.arguments,
      },
      env,
      secretEnvNames: Object.keys(this.secretEnv),
      user: this.info.command.user,
      rootAllowed: this.grants.runAsRoot,
      cpus: r.scalar('cpus'),
      memMb: r.scalar('mem'),
      diskMb: r.scalar('disk') || undefined,
      cpuHardCap: this.info.cpuHardCap,
      hostPorts: this.ports,
      labels: this.info.labels,
      logRotation: logRotationFor(this.info, this.ctx.logRotation),
      volumes: volumeSpecs(this.info.volumes),
      docker:
        c.type === 'DOCKER'
          ? {
              image: c.image,
              pullPolicy: c.pullPolicy,
              network: c.network,
              readOnlyRootfs: c.readOnlyRootfs,
              portMappings: c.portMappings.map((pm) => ({
                containerPort: pm.containerPort,
                hostPort: pm.hostPort || free[next++]!,
                protocol: pm.protocol,
              })),
            }
          : undefined,
    };
  }

  /**
   * The sandbox is the task's alone: 0700, owned by the task's uid when the agent knows it (a per-task uid;
   * native tasks of a named user are chowned by the containerizer). A Docker task of a user named inside its
   * image (no uid known here) gets a 0755 sandbox it can read but not write.
   */
  async launch(containerizer: Containerizer): Promise<void> {
    mkdirSync(this.sandboxDir, { recursive: true });
    const user = this.info.command.user;
    const uid = user !== undefined && /^\d+$/.test(user) ? Number(user) : undefined;
    if (uid !== undefined && process.getuid?.() === 0) chownSync(this.sandboxDir, uid, uid);
    chmodSync(
      this.sandboxDir,
      this.info.container.type === 'DOCKER' && user !== undefined && uid === undefined ? 0o755 : 0o700,
    );
    writeSecretFiles(this.sandboxDir, this.secretFiles, this.secretOwner);
    this.container = await containerizer.launch(this.spec());
    this.ctx.checkpointContainer(this.frameworkId, this.taskId, this.container);
    this.attach(this.container, false);
  }

  /** Watches a launched or recovered container until it ends. */
  attach(container: Container, recovered: boolean): void {
    this.container = container;
    if (this.killRequested)
      container
        .kill(this.info.killGracePeriodMs)
        .catch((err: Error) =>
          this.ctx.log.warn(
            { taskId: this.taskId, err: err.message },
            'kill of a recovered task failed; its exit is still reported by wait()',
          ),
        );
    if (!recovered || this.state !== 'TASK_RUNNING') this.update('TASK_RUNNING', {});
    container
      .wait()
      .catch((err: Error): ContainerExit => ({
        exitCode: null,
        signal: null,
        reason: 'AGENT_RESTART',
        message: `lost track of the container: ${err.message}`,
      }))
      .then((exit) => this.finish(exit))
      .catch((err: Error) =>
        this.ctx.log.error({ taskId: this.taskId, err: err.message }, 'reporting the end of a task failed'),
      );
  }

  /** A container that ended while the agent was away (or never started). */
  finish(exit: ContainerExit): void {
    if (this.endedAt !== undefined) return;
    const secretFiles = Object.keys(this.info.secretFiles ?? {});
    if (secretFiles.length > 0) {
      const failed = removeSecretFiles(this.sandboxDir, secretFiles);
      if (failed.length > 0)
        this.ctx.log.error({ taskId: this.taskId, failed }, 'secret files of an ended task could not be removed');
    }
    const { state, reason } = this.classify(exit);
    this.endedAt = this.ctx.now();
    this.update(state, {
      reason,
      message: reason === 'DISK_LIMIT' ? (this.failMessage ?? exit.message) : exit.message,
      exitCode: exit.exitCode ?? undefined,
      signal: exit.signal ?? undefined,
    });
    this.container
      ?.destroy()
      .catch((err: Error) =>
        this.ctx.log.warn(
          { taskId: this.taskId, err: err.message },
          'destroying the ended container failed; the sandbox GC and agent shutdown clean up',
        ),
      );
    this.ctx.onEnded(this);
  }

  private classify(exit: ContainerExit): { state: TaskState; reason: TaskReason } {
    if (this.killRequested && this.killReason === 'DISK_LIMIT' && exit.reason !== 'OOM')
      return { state: 'TASK_FAILED', reason: 'DISK_LIMIT' };
    if (this.killRequested && exit.reason !== 'OOM')
      return { state: 'TASK_KILLED', reason: this.killReason ?? 'KILLED' };
    switch (exit.reason) {
      case 'EXITED':
        return { state: exit.exitCode === 0 ? 'TASK_FINISHED' : 'TASK_FAILED', reason: 'EXITED' };
      case 'SIGNALED':
        return { state: 'TASK_FAILED', reason: 'SIGNALED' };
      case 'OOM':
        return { state: 'TASK_FAILED', reason: 'OOM' };
      case 'KILLED':
        return { state: 'TASK_KILLED', reason: 'KILLED' };
      case 'LAUNCH_FAILED':
        return { state: 'TASK_FAILED', reason: 'LAUNCH_FAILED' };
      case 'AGENT_RESTART':
        return { state: 'TASK_FAILED', reason: 'AGENT_RESTART' };
    }
  }

  async kill(gracePeriodMs: number | undefined, reason: TaskReason = 'KILLED'): Promise<void> {
    if (this.endedAt !== undefined) return;
    this.killRequested = true;
    this.killReason = reason;
    if (this.state !== 'TASK_KILLING') this.update('TASK_KILLING', { reason });
    if (this.container) await this.container.kill(gracePeriodMs ?? this.info.killGracePeriodMs);
  }

  /** Ends the task as TASK_FAILED / DISK_LIMIT (the agent's disk check found its sandbox over its `disk`). */
  failForDisk(message: string): Promise<void> {
    this.failMessage = message;
    return this.kill(0, 'DISK_LIMIT');
  }

  setHealth(healthy: boolean, message: string): void {
    if (this.endedAt !== undefined || this.healthy === healthy) return;
    this.healthy = healthy;
    this.update(this.state, { reason: healthy ? undefined : 'HEALTH_CHECK_FAILED', message });
  }

  private update(state: TaskState, extra: Partial<TaskStatus>): void {
    this.state = state;
    this.ctx.checkpointState(this.frameworkId, this.taskId, state, this.endedAt);
    this.ctx.emit({
      taskId: this.info.taskId,
      frameworkId: this.frameworkId,
      agentId: this.ctx.agentId,
      state,
      source: 'AGENT',
      timestamp: this.ctx.now(),
      uuid: randomUUID(),
      healthy: this.healthy,
      hostname: this.ctx.hostname,
      ports: this.ports.length > 0 ? this.ports : undefined,
      ...extra,
    });
  }
}

/** The task's rotation: its own fields over the agent's; none when the agent rotates nothing and the task asks for no size. */
export function logRotationFor(task: Pick<TaskInfo, 'logRotation'>, agent: LogRotation): LogRotation | undefined {
  const own = task.logRotation;
  const maxBytes = own?.maxSizeMb !== undefined ? Math.max(1, Math.round(own.maxSizeMb * 1024 * 1024)) : agent.maxBytes;
  if (maxBytes <= 0) return undefined;
  return { maxBytes, maxFiles: own?.maxFiles ?? agent.maxFiles };
}

export function sandboxPath(sandboxRoot: string, frameworkId: string, taskId: string): string {
  return join(sandboxRoot, frameworkId, taskId);
}
