/**
 * The master: a router plus the services its handlers share. Calls arrive on NATS, are decoded and
 * validated at the edge (sdk/rpc.ts), looked up, and dispatched to one handler per call in handlers/.
 *
 *   framework ──SUBSCRIBE/ACCEPT/…──▶ scheduler-calls.ts ──▶ handlers/*.ts ──▶ state, offer book, allocator
 *   agent ─────REGISTER/PING────────▶ agent-calls.ts
 *   agent ─────status (JetStream)───▶ status-updates.ts ──▶ framework's update stream (JetStream)
 *   timers: allocation cycle, agent liveness, framework failover, offer timeouts
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  AgentCallSchema, SchedulerCallSchema, callerOfSubject, encode, request, serveRequests, subjects, type AgentCommandInput, type AgentId,
  type Clock, type FrameworkId, type TimerHandle, type Logger, type SchedulerEvent, type TaskStatus,
} from '../sdk';
import type { Allocator } from './allocator/allocator';
import type { MasterConfig } from './config';
import { ClusterEvents } from './cluster-events';
import { handleAgentCall } from './agent-calls';
import { Liveness } from './liveness';
import { OfferBook } from './offer-book';
import { Registry } from './registry';
import { handleSchedulerCall } from './scheduler-calls';
import { ClusterState, type TaskRecord } from './state';
import { StatusUpdates, ensureStreams } from './status-updates';
import { AllocationLoop } from './allocation-loop';
import { DrainController } from './drain';
import { UtilizationSampler } from './utilization';
import { Authz } from './authz/authz';

export interface MasterDeps {
  nc: NatsConnection;
  clock: Clock;
  allocator: Allocator;
  log: Logger;
  /** Authorization (default: the principals store of config.securityDir). */
  authz?: Authz;
}

export class Master {
  readonly id = `master-${randomBytes(4).toString('hex')}`;
  readonly state: ClusterState;
  readonly offers = new OfferBook();
  readonly registry: Registry;
  readonly events = new ClusterEvents();
  readonly nc: NatsConnection;
  readonly clock: Clock;
  readonly allocator: Allocator;
  readonly log: Logger;
  readonly startedAt: number;
  readonly allocation: AllocationLoop;
  readonly liveness: Liveness;
  /** Maintenance: drain deadlines run with the master, not with its HTTP server. */
  readonly drains: DrainController;
  readonly authz: Authz;
  /** Cluster utilization sampled over the last hour (for the page's chart). */
  readonly utilization: UtilizationSampler;
  js!: JetStreamClient;
  jsm!: JetStreamManager;
  private readonly subs: Subscription[] = [];
  private updates?: StatusUpdates;
  private stopped = false;
  /** Timers of master-made updates waiting to be appended again (see appendUpdate). */
  private readonly retryTimers = new Set<TimerHandle>();
  readonly counters = { offersDeclined: 0, offersRescinded: 0, offersAccepted: 0, tasksLaunched: 0, badMessages: 0, frameworksFailoverExpired: 0 };

  constructor(readonly config: MasterConfig, deps: MasterDeps) {
    this.nc = deps.nc;
    this.clock = deps.clock;
    this.allocator = deps.allocator;
    this.log = deps.log;
    this.startedAt = deps.clock.now();
    this.state = new ClusterState(config.completedTaskHistory);
    this.registry = new Registry(config.dataDir);
    this.allocation = new AllocationLoop(this);
    this.liveness = new Liveness(this);
    this.drains = new DrainController(this);
    this.utilization = new UtilizationSampler(this);
    this.authz = deps.authz ?? Authz.open(config.securityDir, deps.log, deps.clock);
  }

  async start(): Promise<void> {
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    await ensureStreams(this.jsm);
    this.liveness.recoverFromRegistry();
    const opts = { maxMessageBytes: this.config.maxMessageBytes };
    this.subs.push(serveRequests(this.nc, subjects.schedulerCallWildcard, SchedulerCallSchema,
      (call, subject) => { const c = callerOfSubject(subject); return handleSchedulerCall(this, c.id as FrameworkId, call, c.principal); }, this.log, opts));
    this.subs.push(serveRequests(this.nc, subjects.agentCallWildcard, AgentCallSchema,
      (call, subject) => handleAgentCall(this, subject.slice(subject.lastIndexOf('.') + 1) as AgentId, call), this.log, opts));
    this.updates = new StatusUpdates(this);
    await this.updates.start();
    this.allocation.start();
    this.liveness.start();
    this.drains.start();
    this.utilization.start();
    this.log.info({ masterId: this.id }, 'master started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) this.clock.clearTimeout(t);
    if (this.retryTimers.size > 0) this.log.error({ updates: this.retryTimers.size }, 'stopping with status updates not yet appended (frameworks learn these states by reconciling)');
    this.retryTimers.clear();
    this.allocation.stop();
    this.liveness.stop();
    this.drains.stop();
    this.utilization.stop();
    for (const s of this.subs) s.unsubscribe();
    await this.updates?.stop();
    this.registry.close();
  }

  /** The principal a framework is bound to (its subjects carry it); `_` for one never subscribed. */
  principalOf(frameworkId: string): string { return this.authz.ownerOf(frameworkId) ?? '_'; }

  /** Publishes one event to a framework. */
  sendEvent(frameworkId: FrameworkId, event: SchedulerEvent): void {
    this.nc.publish(subjects.schedulerEvents(this.principalOf(frameworkId), frameworkId), encode(event));
  }

  /** Sends a command to an agent and waits for its reply. */
  sendToAgent<T extends object = object>(agentId: AgentId, command: AgentCommandInput, timeoutMs = 5000): Promise<T> {
    return request<T>(this.nc, subjects.agentCommand(agentId), command, { timeoutMs });
  }

  /**
   * A status the master itself produces (TASK_ERROR, TASK_DROPPED, TASK_UNREACHABLE, TASK_GONE…): applied to
   * its view at once and delivered through the framework's acknowledged update stream, like an agent's.
   * Resolves once the first append attempt is over and never rejects: a failed append is retried in the
   * background (see appendUpdate), so callers need no error path and the update is not lost.
   */
  async masterUpdate(task: TaskRecord | undefined, status: Omit<TaskStatus, 'source' | 'timestamp' | 'uuid'>): Promise<void> {
    const full: TaskStatus = { ...status, source: 'MASTER', timestamp: this.clock.now(), uuid: randomUUID() };
    if (task) this.onTaskStatus(task, full);
    await this.appendUpdate(full);
  }

  /** masterUpdate for callers that do not wait for the append (timers, re-registration): applied now, appended in the background. */
  reportUpdate(task: TaskRecord | undefined, status: Omit<TaskStatus, 'source' | 'timestamp' | 'uuid'>): void {
    this.masterUpdate(task, status).catch((e: Error) => this.log.error({ taskId: status.taskId, frameworkId: status.frameworkId, state: status.state, err: e.stack }, 'could not apply a master-made status update'));
  }

  /** Appends an update to the framework's durable stream (deduplicated by uuid). Rejects when the append fails. */
  async forwardUpdate(status: TaskStatus): Promise<void> {
    await this.js.publish(subjects.frameworkUpdates(this.principalOf(status.frameworkId), status.frameworkId), encode({ status }), { msgID: status.uuid });
  }

  /**
   * Appends a master-made update; when that fails, retries with backoff (0.5 s doubling to 30 s) until it is
   * stored or the master stops. Safe to repeat: the stream deduplicates by the update's uuid. Never rejects.
   */
  private async appendUpdate(status: TaskStatus, attempt = 1): Promise<void> {
    try {
      await this.forwardUpdate(status);
      if (attempt > 1) this.log.info({ taskId: status.taskId, frameworkId: status.frameworkId, state: status.state, attempt }, 'status update appended after retrying');
    } catch (e) {
      const retryInMs = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
      const ctx = { taskId: status.taskId, frameworkId: status.frameworkId, state: status.state, attempt, retryInMs, err: (e as Error).message };
      if (this.stopped) { this.log.error(ctx, 'status update not appended: the master is stopping (the framework learns the state by reconciling)'); return; }
      if (attempt === 1 || attempt % 10 === 0) this.log.warn(ctx, 'could not append status update; retrying');
      const timer = this.clock.setTimeout(() => {
        this.retryTimers.delete(timer);
        this.appendUpdate(status, attempt + 1).catch((err: Error) => this.log.error({ taskId: status.taskId, err: err.stack }, 'status update retry crashed'));
      }, retryInMs);
      this.retryTimers.add(timer);
    }
  }

  /** Applies a status to a task's record, releasing its resources when it ends. */
  onTaskStatus(task: TaskRecord, status: TaskStatus): void {
    const wasLive = this.state.tasks.has(task.key);
    const changed = this.state.applyStatus(task, status, this.clock.now());
    if (wasLive && !this.state.tasks.has(task.key)) {
      if (task.holdsResources) this.releaseResources(task);
      this.allocation.soon();
      this.liveness.onTaskEnded(task.agentId);
    }
    if (changed) this.events.emit({ type: 'TASK_UPDATED', task: { id: task.info.taskId, frameworkId: task.frameworkId, agentId: task.agentId, state: task.state, healthy: status.healthy, reason: status.reason } });
  }

  /**
   * Gives an ended task's resources back to the allocator, once. An accounting mismatch here is a bug, but it
   * must not stop the update from reaching its framework (a throw would have the update redelivered forever):
   * it is logged with the task and the allocator's view, and the update goes on.
   */
  private releaseResources(task: TaskRecord): void {
    task.holdsResources = false;
    if (this.state.agents.get(task.agentId)?.state === 'REMOVED' || !this.state.frameworks.has(task.frameworkId)) return;
    try {
      this.allocator.recoverResources(task.frameworkId, task.agentId, task.role, task.resources);
    } catch (e) {
      this.log.error({ taskId: task.info.taskId, frameworkId: task.frameworkId, agentId: task.agentId, resources: task.resources.format(), err: (e as Error).message }, 'resources of an ended task were not held by the allocator (accounting bug); update forwarded anyway');
    }
  }
}
