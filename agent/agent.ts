/**
 * The agent: offers its host's resources to the master and runs the tasks it is sent.
 *
 *   start: checkpoint (id, tasks) → recover running tasks → REGISTER (retry until the master answers) → PING loop
 *          (master-link.ts; every timer here runs on the injected clock, `AgentDeps.clock`)
 *   master ──LAUNCH/KILL/SHUTDOWN_FRAMEWORK/FILES_*──▶ commands below ──▶ TaskRunner ──▶ containerizer
 *   master ──RECONCILE_LAUNCHES──▶ launch-ledger.ts: which launches are known; the others refused for good
 *   TaskRunner ──status──▶ outbox (checkpoint store: SQLite, or memory in agora sim) ──▶ JetStream AGORA_AGENT_UPDATES ──▶ master
 */
import { randomBytes } from 'node:crypto';
import {
  AgentCommandSchema,
  AgentIdSchema,
  ApiError,
  TaskReasonSchema,
  isTerminal,
  request,
  serveRequests,
  subjects,
  type AgentCommand,
  type AgentInfo,
  type AgentTask,
  type AgentId,
  type FrameworkId,
  type Logger,
  type TaskId,
  type TaskInfo,
  type NatsConnection,
  type TaskReason,
  type TaskStatus,
  type Usage,
} from '../sdk';
import { every, sleep, systemClock, type Clock } from '../sdk/clock';
import {
  UserDirectory,
  type Container,
  type ContainerExit,
  type Containerizer,
  type ContainerizerKind,
} from '../isolation';
import { Checkpoint, type CheckpointStore } from './checkpoint';
import type { AgentConfig } from './config';
import { listSandbox, readSandboxFile } from './files';
import { isSecretFile, type FileOwner } from './secret-files';
import { hostResources, parseAttributes } from './host-resources';
import { MasterLink, type PingReply, type RegisterReply } from './master-link';
import { UpdateOutbox } from './outbox';
import { LaunchLedger } from './launch-ledger';
import { sandboxPath, TaskRunner, type TaskContext } from './task-runner';
import type { HealthMonitor } from './health';
import { SandboxGc } from './sandbox-gc';
import { DiskWatch } from './disk-watch';
import { checkHostVolumes, parseHostVolumeAcl, type HostVolumeAcl } from './host-volumes';
import { PersistentVolumes } from './persistent-volumes';
import { chooseSandboxRoot } from './sandbox-root';
import { parseTaskUserAcl, taskUserFor, type TaskUserAcl } from './task-users';
import { checkConfinement, checkRootUser, isRootUser } from './task-confinement';
import { allocateUid, parseUidRange, type UidRange } from './task-uids';

export interface AgentDeps {
  nc: NatsConnection;
  log: Logger;
  containerizers: Partial<Record<ContainerizerKind, Containerizer>>;
  health?: HealthMonitor;
  /** Default: the system clock. */
  clock?: Clock;
  /** Where the checkpoint and outbox live: default SQLite in the work dir; `agora sim` passes a MemoryCheckpoint. */
  checkpoint?: CheckpointStore;
}

export class Agent {
  readonly id: AgentId;
  readonly info: AgentInfo;
  readonly checkpoint: CheckpointStore;
  readonly outbox: UpdateOutbox;
  readonly runners = new Map<string, TaskRunner>();
  /**
   * Tasks that ended recently, reported in every REGISTER with their terminal state: the master may not have read
   * their final update yet, and must not take them for lost meanwhile. Kept for ENDED_REPORT_MS, not only until
   * the next registration: a second re-registration soon after the first (a NATS restart on a busy machine) came
   * while the master's update consumer was still behind, and the master, not told of them, declared them TASK_LOST.
   */
  private readonly recentlyEnded = new Map<string, TaskRunner>();
  private readonly ctx: TaskContext;
  private readonly clock: Clock;
  private readonly link: MasterLink;
  /** The tasks the REGISTER in flight reports. */
  private reporting: TaskRunner[] = [];
  private usageTimer?: { stop(): void };
  private stopped = false;
  /** The checkpoint is closed: nothing may be written any more. */
  private closed = false;
  private readonly gc: SandboxGc;
  private readonly diskWatch: DiskWatch;
  readonly sandboxRoot: string;
  private readonly taskUserAcl: TaskUserAcl;
  private readonly hostVolumeAcl: HostVolumeAcl;
  /** Per-task uids (task-uids.ts); undefined: tasks share --task-user. */
  private readonly uidRange?: UidRange;
  readonly volumes: PersistentVolumes;
  private readonly users = new UserDirectory();
  /** Launch ids taken, and those the master gave up on (RECONCILE_LAUNCHES): refused if they arrive late. */
  private readonly launchLedger = new LaunchLedger();
  /** Launch figures for the agent's /metrics; `onLaunched` (set by agent/http.ts) observes each launch's duration. */
  readonly metrics = { launches: 0, launchFailures: 0, onLaunched: undefined as ((ms: number) => void) | undefined };

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps,
    available: ContainerizerKind[],
  ) {
    this.clock = deps.clock ?? systemClock;
    this.link = new MasterLink({
      clock: this.clock,
      log: deps.log,
      register: () => this.sendRegister(),
      registered: (r) => this.onRegistered(r),
      ping: (timeoutMs) =>
        request<PingReply>(this.deps.nc, subjects.agentCall(this.id), { type: 'PING' }, { timeoutMs }),
    });
    this.checkpoint = deps.checkpoint ?? new Checkpoint(config.workDir);
    this.id = AgentIdSchema.parse(
      config.agentId ??
        this.checkpoint.get('agentId') ??
        `${config.hostname.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-${randomBytes(4).toString('hex')}`,
    );
    this.checkpoint.set('agentId', this.id);
    const othersRunTasks = process.getuid?.() === 0 && config.taskUser !== 'root';
    this.sandboxRoot = chooseSandboxRoot(config.workDir, this.id, othersRunTasks, deps.log);
    this.taskUserAcl = parseTaskUserAcl(config.taskUserAcl);
    this.hostVolumeAcl = parseHostVolumeAcl(config.hostVolumeAcl);
    this.uidRange = parseUidRange(config.taskUidRange);
    const resources = hostResources(config.workDir, config.resources);
    this.info = {
      id: this.id,
      hostname: config.hostname,
      resources: resources.toWire(),
      version: '0.1.0',
      containerizers: available,
      attributes: [...parseAttributes(config.attributes), { name: 'containerizers', text: available.join(',') }],
    };
    this.outbox = new UpdateOutbox(this.checkpoint.outbox, deps.nc, this.id, deps.log, this.clock);
    this.gc = new SandboxGc(config, this.checkpoint, deps.log, this.clock);
    this.volumes = new PersistentVolumes(config.workDir, resources.scalar('disk'), this.clock);
    this.diskWatch = new DiskWatch({
      intervalMs: config.diskCheckIntervalMs ?? 0,
      runners: () => this.runners.values(),
      log: deps.log,
      clock: this.clock,
      extraDirs: (r) => (r.info.persistentVolumes ?? []).map((v) => this.volumes.dirOf(v.persistenceId)),
    });
    // Once stopped (tasks left running for the next agent to recover), watchers still firing must not touch
    // the closed checkpoint: the next agent learns how those tasks ended from the containerizer's recovery.
    const live =
      <A extends unknown[]>(fn: (...a: A) => void) =>
      (...a: A) => {
        if (!this.closed) fn(...a);
      };
    this.ctx = {
      agentId: this.id,
      hostname: config.hostname,
      now: () => this.clock.now(),
      log: deps.log,
      logRotation: { maxBytes: config.logMaxBytes ?? 0, maxFiles: config.logMaxFiles ?? 1 },
      emit: live((s) => this.outbox.add(s)),
      checkpointState: live((f, t, state, endedAt) => this.checkpoint.setState(f, t, state, endedAt)),
      checkpointContainer: live((f, t, c) => this.checkpoint.setContainer(f, t, c.checkpoint)),
      onEnded: live((r) => this.onTaskEnded(r)),
    };
  }

  get log(): Logger {
    return this.deps.log;
  }
  /** The master this agent last registered with. */
  get masterId(): string | undefined {
    return this.link.masterId;
  }

  async start(): Promise<void> {
    this.outbox.start();
    await this.recover();
    serveRequests(
      this.deps.nc,
      subjects.agentCommand(this.id),
      AgentCommandSchema,
      (cmd) => this.command(cmd),
      this.log,
      { maxMessageBytes: this.config.maxMessageBytes },
    );
    await this.link.register();
    this.scheduleUsage();
    this.gc.start();
    this.diskWatch.start();
  }

  /** Stops the agent; with killTasks, ends every running task first (its updates are flushed if NATS allows). */
  async stop(opts: { killTasks: boolean } = { killTasks: false }): Promise<void> {
    this.stopped = true;
    this.link.stop();
    this.usageTimer?.stop();
    this.gc.stop();
    await this.diskWatch.stop();
    if (opts.killTasks) {
      await Promise.all(
        [...this.runners.values()].map((r) =>
          r
            .kill(this.config.defaultKillGracePeriodMs)
            .catch((err: Error) => this.log.error({ taskId: r.taskId, err: err.message }, 'kill on agent stop failed')),
        ),
      );
      const deadline = this.clock.now() + 3000;
      while (this.outbox.pending() > 0 && this.clock.now() < deadline) await sleep(this.clock, 50);
      if (this.outbox.pending() > 0)
        this.log.warn(
          { pending: this.outbox.pending() },
          'stopping with updates not yet sent; the next agent on this work dir sends them',
        );
    }
    this.deps.health?.stopAll();
    this.outbox.stop();
    this.closed = true;
    this.checkpoint.close();
    await this.shutdownContainerizers();
  }

  /** Lets each containerizer free what it made for this agent (its cgroups, once no task is left in them). */
  private async shutdownContainerizers(): Promise<void> {
    for (const [kind, cz] of Object.entries(this.deps.containerizers)) {
      try {
        await cz.shutdown?.();
      } catch (err) {
        this.log.warn({ containerizer: kind, err }, 'containerizer left something behind on shutdown');
      }
    }
  }

  /** Re-attaches to every checkpointed task that has not ended; reports the ones that ended meanwhile. */
  private async recover(): Promise<void> {
    for (const t of this.checkpoint.tasks()) {
      if (isTerminal(t.state)) continue;
      const runner = new TaskRunner(t.info, t.frameworkId, t.framework, t.role, t.sandboxDir, this.ctx);
      runner.state = t.state;
      runner.startedAt = t.createdAt;
      this.runners.set(key(t.frameworkId, t.taskId), runner);
      const kind = t.container?.kind;
      const cz = kind ? this.deps.containerizers[kind] : undefined;
      if (!t.container || !cz) {
        runner.finish({
          exitCode: null,
          signal: null,
          reason: 'AGENT_RESTART',
          message: t.container
            ? `containerizer ${kind} is not available after restart`
            : 'the agent restarted before the task was launched',
        });
        continue;
      }
      const got = await cz.recover(t.container).catch((e: Error): ContainerExit => ({
        exitCode: null,
        signal: null,
        reason: 'AGENT_RESTART',
        message: `recovery failed: ${e.message}`,
      }));
      if (isContainer(got)) {
        runner.attach(got, true);
        this.deps.health?.watch(runner);
      } else runner.finish(got);
    }
    this.log.info({ recovered: this.runners.size }, 'agent recovered its tasks');
  }

  /** Sends REGISTER with the running tasks and the recently ended ones (master-link.ts retries it). */
  private sendRegister(): Promise<RegisterReply> {
    this.pruneEnded();
    this.reporting = [...this.runners.values(), ...this.recentlyEnded.values()];
    const tasks: AgentTask[] = this.reporting.map((r) => ({
      task: r.info,
      frameworkId: r.frameworkId,
      frameworkInfo: r.framework,
      state: r.state,
      role: r.role,
    }));
    return request<RegisterReply>(
      this.deps.nc,
      subjects.agentCall(this.id),
      { type: 'REGISTER', agent: this.info, tasks },
      { timeoutMs: 5000 },
    );
  }

  private onRegistered(reply: RegisterReply): void {
    for (const k of reply.killTasks) {
      const r = this.runners.get(key(k.frameworkId, k.taskId));
      if (r) this.killQuietly(r, undefined, 'FRAMEWORK_REMOVED');
    }
    this.log.info(
      { agentId: this.id, masterId: reply.masterId, tasks: this.reporting.length },
      'registered with master',
    );
  }

  private async command(cmd: AgentCommand): Promise<object> {
    switch (cmd.type) {
      case 'LAUNCH':
        return this.launch(cmd);
      case 'KILL': {
        const r = this.runners.get(key(cmd.frameworkId, cmd.taskId));
        if (!r) {
          this.outbox.add(this.statusFor(cmd.frameworkId, cmd.taskId, 'TASK_DROPPED', 'the agent has no such task'));
          return { known: false };
        }
        const reason = TaskReasonSchema.safeParse(cmd.reason);
        this.killQuietly(r, cmd.gracePeriodMs, reason.success ? reason.data : 'KILLED');
        return { known: true };
      }
      case 'SHUTDOWN_FRAMEWORK': {
        const mine = [...this.runners.values()].filter((r) => r.frameworkId === cmd.frameworkId);
        for (const r of mine) this.killQuietly(r, undefined, 'FRAMEWORK_REMOVED');
        return { killed: mine.length };
      }
      case 'FILES_LIST':
        return { files: listSandbox(this.sandboxOf(cmd.frameworkId, cmd.taskId)) };
      case 'FILES_READ':
        if (isSecretFile(this.taskInfoOf(cmd.frameworkId, cmd.taskId), cmd.path))
          throw new ApiError(
            'FORBIDDEN',
            `path: '${cmd.path}' is a secret file of the task (only the task reads it)`,
            'path',
          );
        return readSandboxFile(this.sandboxOf(cmd.frameworkId, cmd.taskId), cmd.path, cmd.offset, cmd.length);
      case 'DESTROY_VOLUMES': {
        const inUse = new Set(
          [...this.runners.values()]
            .filter((r) => r.endedAt === undefined)
            .flatMap((r) => (r.info.persistentVolumes ?? []).map((v) => v.persistenceId)),
        );
        const r = this.volumes.destroy(cmd.frameworkId, cmd.persistenceIds, inUse);
        this.log.info({ frameworkId: cmd.frameworkId, ...r }, 'persistent volumes destroyed');
        return r;
      }
      case 'RECONCILE_LAUNCHES':
        return this.launchLedger.answer(cmd.launches, key, this.taskStates());
      case 'STATE':
        return {
          id: this.id,
          info: this.info,
          tasks: [...this.runners.values()].map((r) => ({
            taskId: r.taskId,
            frameworkId: r.frameworkId,
            state: r.state,
            healthy: r.healthy,
            usage: r.lastUsage,
          })),
        };
    }
  }

  private async launch(cmd: Extract<AgentCommand, { type: 'LAUNCH' }>): Promise<object> {
    const k = key(cmd.frameworkId, cmd.task.taskId);
    if (this.launchLedger.refuses(cmd.launchId)) {
      this.log.warn(
        { taskId: cmd.task.taskId, frameworkId: cmd.frameworkId, launchId: cmd.launchId },
        'refused a late LAUNCH the master gave up on (its framework was told TASK_DROPPED)',
      );
      throw new ApiError(
        'CONFLICT',
        `launch ${cmd.launchId} of task '${cmd.task.taskId}' arrived after the master gave it up (TASK_DROPPED); not started`,
        'launchId',
      );
    }
    if (this.runners.has(k)) return { duplicate: true };
    const kind: ContainerizerKind = cmd.task.container.type === 'DOCKER' ? 'docker' : 'native';
    const cz = this.deps.containerizers[kind];
    if (!cz) throw new ApiError('INVALID', `task.container: this agent has no ${kind} containerizer`, 'task.container');
    checkConfinement(cmd.task, cmd.grants);
    const user = this.userFor(cmd, kind);
    const hostVolumes = checkHostVolumes(cmd.task, cmd.framework, this.hostVolumeAcl);
    const owner = user !== undefined && process.getuid?.() === 0 ? this.users.resolve(user) : undefined;
    if (
      kind === 'docker' &&
      Object.keys(cmd.secretFiles ?? {}).length > 0 &&
      !(user !== undefined && /^\d+$/.test(user))
    )
      throw new ApiError(
        'INVALID',
        `task.secretFiles: a Docker task gets secret files only with a uid of its own (the agent's --task-uid-range, no named user); '${user ?? "the image's user"}' has no uid known on this host`,
        'task.secretFiles',
      );
    const persistent = this.volumes.prepare(cmd.task, cmd.frameworkId, cmd.role, owner);
    const volumes = [...(hostVolumes ?? cmd.task.volumes ?? []), ...persistent];
    const task = { ...cmd.task, command: { ...cmd.task.command, user }, ...(volumes.length > 0 ? { volumes } : {}) };
    const started = this.clock.now();
    const sandbox = sandboxPath(this.sandboxRoot, cmd.frameworkId, cmd.task.taskId);
    const runner = new TaskRunner(
      task,
      cmd.frameworkId,
      cmd.framework,
      cmd.role,
      sandbox,
      this.ctx,
      cmd.grants,
      cmd.secretEnv,
      cmd.secretFiles,
      this.secretFileOwner(kind, user, owner),
    );
    this.launchLedger.launched(k, cmd.launchId);
    this.runners.set(k, runner);
    this.recentlyEnded.delete(k); // a task id launched again: only the new one is reported
    this.checkpoint.putTask({
      taskId: cmd.task.taskId,
      frameworkId: cmd.frameworkId,
      info: task,
      framework: cmd.framework,
      role: cmd.role,
      state: 'TASK_STAGING',
      sandboxDir: sandbox,
      createdAt: started,
    });
    this.metrics.launches++;
    runner
      .launch(cz)
      .then(
        () => {
          this.metrics.onLaunched?.(this.clock.now() - started);
          this.deps.health?.watch(runner);
        },
        (e: Error) => {
          this.metrics.launchFailures++;
          runner.finish({ exitCode: null, signal: null, reason: 'LAUNCH_FAILED', message: e.message });
        },
      )
      .catch((err: Error) =>
        this.log.error({ taskId: runner.taskId, err: err.message }, 'after launch: recording the outcome failed'),
      );
    return { accepted: true };
  }

  /**
   * Who the task runs as: the user it (or its framework) names — root only when granted (LAUNCH grants or the
   * agent's --task-user-acl), any other user than --task-user only by the ACL — else a uid of its own
   * (task-uids.ts) when the agent can switch users, else --task-user (native) or the image's user (Docker).
   */
  private userFor(cmd: Extract<AgentCommand, { type: 'LAUNCH' }>, kind: ContainerizerKind): string | undefined {
    const named = cmd.task.command.user ?? cmd.framework.user;
    if (named !== undefined && isRootUser(named)) {
      const principal = cmd.framework.principal ?? '*';
      const acl = this.taskUserAcl.get(principal)?.has(named) || this.taskUserAcl.get('*')?.has(named);
      checkRootUser(
        named,
        cmd.task.command.user !== undefined ? 'task.command.user' : 'framework.user',
        principal,
        cmd.grants,
        acl === true,
      );
      return named;
    }
    if (named !== undefined)
      return taskUserFor(
        cmd.task,
        cmd.framework,
        kind === 'native' ? this.config.taskUser : undefined,
        this.taskUserAcl,
      );
    if (this.uidRange && (kind === 'docker' || process.getuid?.() === 0))
      return String(this.nextTaskUid(this.uidRange));
    return kind === 'native' ? this.config.taskUser : undefined;
  }

  /** A uid no running task has, in turn through the range; where to go on is checkpointed. */
  private nextTaskUid(range: UidRange): number {
    const inUse = new Set<number>();
    for (const r of this.runners.values())
      if (/^\d+$/.test(r.info.command.user ?? '')) inUse.add(Number(r.info.command.user));
    const kept = this.checkpoint.get('nextTaskUid');
    const { uid, next } = allocateUid(range, kept === undefined ? undefined : Number(kept), inUse);
    this.checkpoint.set('nextTaskUid', String(next));
    return uid;
  }

  /** Starts a kill without waiting; a failure is logged (the task's own exit still reports its end), never thrown. */
  private killQuietly(r: TaskRunner, gracePeriodMs: number | undefined, reason: TaskReason): void {
    r.kill(gracePeriodMs, reason).catch((err: Error) =>
      this.log.error({ taskId: r.taskId, err: err.message }, 'kill failed'),
    );
  }

  private onTaskEnded(r: TaskRunner): void {
    this.deps.health?.unwatch(r);
    this.runners.delete(key(r.frameworkId, r.taskId));
    this.recentlyEnded.set(key(r.frameworkId, r.taskId), r);
    this.pruneEnded();
    this.gc.noteFinished();
  }

  /** Keeps the recently ended tasks only (the master has long read older updates), at most ENDED_REPORT_MAX. */
  private pruneEnded(): void {
    const cutoff = this.clock.now() - ENDED_REPORT_MS;
    for (const [k, r] of this.recentlyEnded) {
      if (this.recentlyEnded.size <= ENDED_REPORT_MAX && (r.endedAt ?? 0) >= cutoff) break;
      this.recentlyEnded.delete(k);
    }
  }

  /**
   * The state of each task this agent has (running, recently ended, or checkpointed), undefined if none; the
   * checkpoint is read once, and only if a task is neither running nor recently ended.
   */
  private taskStates(): (frameworkId: string, taskId: string) => TaskStatus['state'] | undefined {
    let stored: Map<string, TaskStatus['state']> | undefined;
    return (frameworkId, taskId) => {
      const k = key(frameworkId, taskId);
      const r = this.runners.get(k) ?? this.recentlyEnded.get(k);
      if (r) return r.state;
      stored ??= new Map(this.checkpoint.tasks().map((t) => [key(t.frameworkId, t.taskId), t.state]));
      return stored.get(k);
    };
  }

  /** The task's info (live or checkpointed), for its secret file paths. */
  private taskInfoOf(frameworkId: string, taskId: string): TaskInfo | undefined {
    return (
      this.runners.get(key(frameworkId, taskId))?.info ??
      this.checkpoint.tasks().find((x) => x.taskId === taskId && x.frameworkId === frameworkId)?.info
    );
  }

  /**
   * Who owns a task's secret files: its user as resolved on this host (native), or its own uid (Docker: a user
   * named inside an image has no uid the agent knows, so such a task cannot have secret files — refused naming
   * the field). Undefined: the agent's own user, which is then the task's.
   */
  private secretFileOwner(kind: ContainerizerKind, user: string | undefined, owner: FileOwner | undefined) {
    if (kind === 'native') return owner;
    if (user !== undefined && /^\d+$/.test(user)) return { uid: Number(user), gid: Number(user) };
    return undefined;
  }

  /** The sandbox of one framework's task: by framework AND task id, so frameworks never read each other's. */
  private sandboxOf(frameworkId: string, taskId: string): string {
    const running = this.runners.get(key(frameworkId, taskId));
    if (running) return running.sandboxDir;
    const t = this.checkpoint.tasks().find((x) => x.taskId === taskId && x.frameworkId === frameworkId);
    if (!t) throw new ApiError('NOT_FOUND', `no task '${taskId}' of framework '${frameworkId}' on agent ${this.id}`);
    return t.sandboxDir;
  }

  private statusFor(frameworkId: FrameworkId, taskId: TaskId, state: TaskStatus['state'], message: string): TaskStatus {
    return {
      taskId,
      frameworkId,
      agentId: this.id,
      state,
      source: 'AGENT',
      message,
      timestamp: this.clock.now(),
      uuid: randomBytes(16).toString('hex'),
    };
  }

  /** Reports usage every usageIntervalMs (on the agent's clock) while the agent runs. */
  private scheduleUsage(): void {
    this.usageTimer = every(this.clock, this.config.usageIntervalMs, () => {
      this.reportUsage().catch((err: Error) =>
        this.log.debug({ err: err.message }, 'usage report failed; the next round sends fresh figures'),
      );
    });
  }

  private async reportUsage(): Promise<void> {
    if (!this.link.registered) return;
    const usage = [];
    for (const r of this.runners.values()) {
      if (!r.container || r.endedAt !== undefined) continue;
      try {
        const u: Usage = { ...(await r.container.usage()), ...diskFigures(r) };
        r.lastUsage = u;
        usage.push({ taskId: r.taskId, frameworkId: r.frameworkId, usage: u });
      } catch (err) {
        // The task may be ending; the next round tries again.
        this.log.debug({ taskId: r.taskId, err: (err as Error).message }, 'no usage figures for a task this round');
      }
    }
    if (usage.length > 0) await request(this.deps.nc, subjects.agentCall(this.id), { type: 'USAGE', usage });
  }
}

const key = (frameworkId: string, taskId: string) => `${frameworkId}/${taskId}`;
/** The disk check's last figure (MiB, two decimals) and the task's limit, for the usage reports. */
const diskFigures = (r: TaskRunner): Partial<Pick<Usage, 'diskUsedMb' | 'diskLimitMb'>> => ({
  ...(r.diskUsedBytes !== undefined ? { diskUsedMb: Math.round((r.diskUsedBytes / 1048576) * 100) / 100 } : {}),
  ...(r.diskLimitMb !== undefined ? { diskLimitMb: r.diskLimitMb } : {}),
});
/** How long, and how many, ended tasks are reported on re-registration (bounded so REGISTER stays small). */
const ENDED_REPORT_MS = 5 * 60_000;
const ENDED_REPORT_MAX = 500;
const isContainer = (x: Container | ContainerExit): x is Container => typeof (x as Container).wait === 'function';
