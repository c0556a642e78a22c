/**
 * The agent: offers its host's resources to the master and runs the tasks it is sent.
 *
 *   start: checkpoint (id, tasks) → recover running tasks → REGISTER (retry until the master answers) → PING loop
 *   master ──LAUNCH/KILL/SHUTDOWN_FRAMEWORK/FILES_*──▶ commands below ──▶ TaskRunner ──▶ containerizer
 *   TaskRunner ──status──▶ outbox (checkpoint store: SQLite, or memory in agora sim) ──▶ JetStream AGORA_AGENT_UPDATES ──▶ master
 */
import { randomBytes } from 'node:crypto';
import {
  AgentCommandSchema, ApiError, TaskReasonSchema, isTerminal, request, serveRequests, subjects, type AgentCommand, type AgentInfo, type AgentTask,
  type Logger, type NatsConnection, type TaskReason, type TaskStatus, type Usage,
} from '../sdk';
import type { Container, ContainerExit, Containerizer, ContainerizerKind } from '../isolation';
import { Checkpoint, type CheckpointStore } from './checkpoint';
import type { AgentConfig } from './config';
import { listSandbox, readSandboxFile } from './files';
import { hostResources, parseAttributes } from './host-resources';
import { UpdateOutbox } from './outbox';
import { sandboxPath, TaskRunner, type TaskContext } from './task-runner';
import type { HealthMonitor } from './health';
import { SandboxGc } from './sandbox-gc';
import { DiskWatch } from './disk-watch';
import { checkHostVolumes, parseHostVolumeAcl, type HostVolumeAcl } from './host-volumes';
import { chooseSandboxRoot } from './sandbox-root';
import { parseTaskUserAcl, taskUserFor, type TaskUserAcl } from './task-users';

export interface AgentDeps {
  nc: NatsConnection;
  log: Logger;
  containerizers: Partial<Record<ContainerizerKind, Containerizer>>;
  health?: HealthMonitor;
  /** Where the checkpoint and outbox live: default SQLite in the work dir; `agora sim` passes a MemoryCheckpoint. */
  checkpoint?: CheckpointStore;
}

export class Agent {
  readonly id: string;
  readonly info: AgentInfo;
  readonly checkpoint: CheckpointStore;
  readonly outbox: UpdateOutbox;
  readonly runners = new Map<string, TaskRunner>();
  /**
   * Tasks that ended since the last successful registration, reported in the next REGISTER with their terminal
   * state: the master may not have read their final update yet, and must not take them for lost meanwhile.
   */
  private readonly endedSinceRegistration = new Map<string, TaskRunner>();
  private readonly ctx: TaskContext;
  private pingTimer?: NodeJS.Timeout;
  private usageTimer?: NodeJS.Timeout;
  private registered = false;
  private stopped = false;
  /** The checkpoint is closed: nothing may be written any more. */
  private closed = false;
  private readonly gc: SandboxGc;
  private readonly diskWatch: DiskWatch;
  readonly sandboxRoot: string;
  private readonly taskUserAcl: TaskUserAcl;
  private readonly hostVolumeAcl: HostVolumeAcl;
  masterId?: string;
  /** Launch figures for the agent's /metrics; `onLaunched` (set by agent/http.ts) observes each launch's duration. */
  readonly metrics = { launches: 0, launchFailures: 0, onLaunched: undefined as ((ms: number) => void) | undefined };

  constructor(readonly config: AgentConfig, private readonly deps: AgentDeps, available: ContainerizerKind[]) {
    this.checkpoint = deps.checkpoint ?? new Checkpoint(config.workDir);
    this.id = config.agentId ?? this.checkpoint.get('agentId') ?? `${config.hostname.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-${randomBytes(4).toString('hex')}`;
    this.checkpoint.set('agentId', this.id);
    const othersRunTasks = process.getuid?.() === 0 && config.taskUser !== 'root';
    this.sandboxRoot = chooseSandboxRoot(config.workDir, this.id, othersRunTasks, deps.log);
    this.taskUserAcl = parseTaskUserAcl(config.taskUserAcl);
    this.hostVolumeAcl = parseHostVolumeAcl(config.hostVolumeAcl);
    const resources = hostResources(config.workDir, config.resources);
    this.info = {
      id: this.id as never, hostname: config.hostname, resources: resources.toWire(), version: '0.1.0', containerizers: available,
      attributes: [...parseAttributes(config.attributes), { name: 'containerizers', text: available.join(',') }],
    };
    this.outbox = new UpdateOutbox(this.checkpoint.outbox, deps.nc, this.id, deps.log);
    this.gc = new SandboxGc(config, this.checkpoint, deps.log);
    this.diskWatch = new DiskWatch({ intervalMs: config.diskCheckIntervalMs ?? 0, runners: () => this.runners.values(), log: deps.log });
    // Once stopped (tasks left running for the next agent to recover), watchers still firing must not touch
    // the closed checkpoint: the next agent learns how those tasks ended from the containerizer's recovery.
    const live = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => { if (!this.closed) fn(...a); };
    this.ctx = {
      agentId: this.id, hostname: config.hostname, now: () => Date.now(),
      logRotation: { maxBytes: config.logMaxBytes ?? 0, maxFiles: config.logMaxFiles ?? 1 },
      emit: live((s) => this.outbox.add(s)),
      checkpointState: live((f, t, state, endedAt) => this.checkpoint.setState(f, t, state, endedAt)),
      checkpointContainer: live((f, t, c) => this.checkpoint.setContainer(f, t, c.checkpoint)),
      onEnded: live((r) => this.onTaskEnded(r)),
    };
  }

  get log(): Logger { return this.deps.log; }

  async start(): Promise<void> {
    this.outbox.start();
    await this.recover();
    serveRequests(this.deps.nc, subjects.agentCommand(this.id), AgentCommandSchema, (cmd) => this.command(cmd), this.log, { maxMessageBytes: this.config.maxMessageBytes });
    await this.register();
    this.usageTimer = setInterval(() => {
      this.reportUsage().catch((err: Error) => this.log.warn({ err: err.message }, 'usage report failed'));
    }, this.config.usageIntervalMs);
    this.usageTimer.unref();
    this.gc.start();
    this.diskWatch.start();
  }

  /** Stops the agent; with killTasks, ends every running task first (its updates are flushed if NATS allows). */
  async stop(opts: { killTasks: boolean } = { killTasks: false }): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pingTimer);
    clearInterval(this.usageTimer);
    this.gc.stop();
    await this.diskWatch.stop();
    if (opts.killTasks) {
      await Promise.all([...this.runners.values()].map((r) => r.kill(this.config.defaultKillGracePeriodMs).catch(() => undefined)));
      const deadline = Date.now() + 3000;
      while (this.outbox.pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
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
        runner.finish({ exitCode: null, signal: null, reason: 'AGENT_RESTART', message: t.container ? `containerizer ${kind} is not available after restart` : 'the agent restarted before the task was launched' });
        continue;
      }
      const got = await cz.recover(t.container).catch((e: Error): ContainerExit => ({ exitCode: null, signal: null, reason: 'AGENT_RESTART', message: `recovery failed: ${e.message}` }));
      if (isContainer(got)) { runner.attach(got, true); this.deps.health?.watch(runner); }
      else runner.finish(got);
    }
    this.log.info({ recovered: this.runners.size }, 'agent recovered its tasks');
  }

  private async register(): Promise<void> {
    let delay = 200;
    while (!this.stopped) {
      try {
        this.pruneEnded();
        const reported = [...this.runners.values(), ...this.endedSinceRegistration.values()];
        const tasks: AgentTask[] = reported.map((r) => ({ task: r.info, frameworkId: r.frameworkId as never, frameworkInfo: r.framework, state: r.state, role: r.role }));
        const reply = await request<{ masterId: string; pingIntervalMs: number; killTasks: { frameworkId: string; taskId: string }[] }>(
          this.deps.nc, subjects.agentCall(this.id), { type: 'REGISTER', agent: this.info, tasks }, { timeoutMs: 5000 });
        this.masterId = reply.masterId;
        this.registered = true;
        for (const r of reported) if (r.endedAt !== undefined) this.endedSinceRegistration.delete(key(r.frameworkId, r.taskId));
        for (const k of reply.killTasks) { const r = this.runners.get(key(k.frameworkId, k.taskId)); if (r) this.killQuietly(r, undefined, 'FRAMEWORK_REMOVED'); }
        this.log.info({ agentId: this.id, masterId: reply.masterId, tasks: tasks.length }, 'registered with master');
        this.schedulePing(reply.pingIntervalMs);
        return;
      } catch (e) {
        if (e instanceof ApiError && e.code !== 'UNAVAILABLE') this.log.error({ err: e.message }, 'master refused registration');
        else if (delay === 200 || delay >= 5000) this.log.warn({ err: (e as Error).message }, 'master not answering registration yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private schedulePing(intervalMs: number): void {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => {
      this.ping(intervalMs).catch((err: Error) => this.log.error({ err: err.message }, 'heartbeat failed'));
    }, intervalMs);
    this.pingTimer.unref();
  }

  private async ping(intervalMs: number): Promise<void> {
    if (this.stopped) return;
    try {
      const r = await request<{ masterId: string; reregister: boolean }>(this.deps.nc, subjects.agentCall(this.id), { type: 'PING' }, { timeoutMs: Math.max(1000, intervalMs) });
      if (r.reregister || r.masterId !== this.masterId) {
        this.log.info({ masterId: r.masterId }, 'master asks for re-registration');
        this.registered = false;
        await this.register();
        return;
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'master did not answer ping');
    }
    this.schedulePing(intervalMs);
  }

  private async command(cmd: AgentCommand): Promise<object> {
    switch (cmd.type) {
      case 'LAUNCH': return this.launch(cmd);
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
      case 'FILES_LIST': return { files: listSandbox(this.sandboxOf(cmd.taskId)) };
      case 'FILES_READ': return readSandboxFile(this.sandboxOf(cmd.taskId), cmd.path, cmd.offset, cmd.length);
      case 'STATE': return { id: this.id, info: this.info, tasks: [...this.runners.values()].map((r) => ({ taskId: r.taskId, frameworkId: r.frameworkId, state: r.state, healthy: r.healthy, usage: r.lastUsage })) };
    }
  }

  private async launch(cmd: Extract<AgentCommand, { type: 'LAUNCH' }>): Promise<object> {
    const k = key(cmd.frameworkId, cmd.task.taskId);
    if (this.runners.has(k)) return { duplicate: true };
    const kind: ContainerizerKind = cmd.task.container.type === 'DOCKER' ? 'docker' : 'native';
    const cz = this.deps.containerizers[kind];
    if (!cz) throw new ApiError('INVALID', `task.container: this agent has no ${kind} containerizer`, 'task.container');
    const user = taskUserFor(cmd.task, cmd.framework, kind === 'native' ? this.config.taskUser : undefined, this.taskUserAcl);
    checkHostVolumes(cmd.task, cmd.framework, this.hostVolumeAcl);
    const task = { ...cmd.task, command: { ...cmd.task.command, user } };
    const started = Date.now();
    const sandbox = sandboxPath(this.sandboxRoot, cmd.frameworkId, cmd.task.taskId);
    const runner = new TaskRunner(task, cmd.frameworkId, cmd.framework, cmd.role, sandbox, this.ctx);
    this.runners.set(k, runner);
    this.checkpoint.putTask({ taskId: cmd.task.taskId, frameworkId: cmd.frameworkId, info: task, framework: cmd.framework, role: cmd.role, state: 'TASK_STAGING', sandboxDir: sandbox, createdAt: started });
    this.metrics.launches++;
    void runner.launch(cz).then(() => {
      this.metrics.onLaunched?.(Date.now() - started);
      this.deps.health?.watch(runner);
    }).catch((e: Error) => {
      this.metrics.launchFailures++;
      runner.finish({ exitCode: null, signal: null, reason: 'LAUNCH_FAILED', message: e.message });
    });
    return { accepted: true };
  }

  /** Starts a kill without waiting; a failure is logged (the task's own exit still reports its end), never thrown. */
  private killQuietly(r: TaskRunner, gracePeriodMs: number | undefined, reason: TaskReason): void {
    r.kill(gracePeriodMs, reason).catch((err: Error) => this.log.error({ taskId: r.taskId, err: err.message }, 'kill failed'));
  }

  private onTaskEnded(r: TaskRunner): void {
    this.deps.health?.unwatch(r);
    this.runners.delete(key(r.frameworkId, r.taskId));
    this.endedSinceRegistration.set(key(r.frameworkId, r.taskId), r);
    this.pruneEnded();
    this.gc.noteFinished();
  }

  /** Keeps the recently ended tasks only (the master has long read older updates), at most ENDED_REPORT_MAX. */
  private pruneEnded(): void {
    const cutoff = Date.now() - ENDED_REPORT_MS;
    for (const [k, r] of this.endedSinceRegistration) {
      if (this.endedSinceRegistration.size <= ENDED_REPORT_MAX && (r.endedAt ?? 0) >= cutoff) break;
      this.endedSinceRegistration.delete(k);
    }
  }

  private sandboxOf(taskId: string): string {
    for (const r of this.runners.values()) if (r.taskId === taskId) return r.sandboxDir;
    const t = this.checkpoint.tasks().find((x) => x.taskId === taskId);
    if (!t) throw new ApiError('NOT_FOUND', `no task '${taskId}' on agent ${this.id}`);
    return t.sandboxDir;
  }

  private statusFor(frameworkId: string, taskId: string, state: TaskStatus['state'], message: string): TaskStatus {
    return { taskId: taskId as never, frameworkId: frameworkId as never, agentId: this.id as never, state, source: 'AGENT', message, timestamp: Date.now(), uuid: randomBytes(16).toString('hex') };
  }

  private async reportUsage(): Promise<void> {
    if (!this.registered) return;
    const usage = [];
    for (const r of this.runners.values()) {
      if (!r.container || r.endedAt !== undefined) continue;
      try {
        const u: Usage = { ...await r.container.usage(), ...diskFigures(r) };
        r.lastUsage = u;
        usage.push({ taskId: r.taskId, frameworkId: r.frameworkId, usage: u });
      } catch { /* the task may be ending; the next round tries again */ }
    }
    if (usage.length > 0) await request(this.deps.nc, subjects.agentCall(this.id), { type: 'USAGE', usage }).catch(() => undefined);
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
