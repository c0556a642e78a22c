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
  AgentCallSchema, SchedulerCallSchema, encode, request, serveRequests, subjects, type AgentCommandInput, type AgentId,
  type Clock, type FrameworkId, type Logger, type SchedulerEvent, type TaskStatus,
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

export interface MasterDeps {
  nc: NatsConnection;
  clock: Clock;
  allocator: Allocator;
  log: Logger;
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
  /** Cluster utilization sampled over the last hour (for the page's chart). */
  readonly utilization: UtilizationSampler;
  js!: JetStreamClient;
  jsm!: JetStreamManager;
  private readonly subs: Subscription[] = [];
  private updates?: StatusUpdates;
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
  }

  async start(): Promise<void> {
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    await ensureStreams(this.jsm);
    this.liveness.recoverFromRegistry();
    const opts = { maxMessageBytes: this.config.maxMessageBytes };
    this.subs.push(serveRequests(this.nc, subjects.schedulerCallWildcard, SchedulerCallSchema,
      (call, subject) => handleSchedulerCall(this, subject.slice(subject.lastIndexOf('.') + 1) as FrameworkId, call), this.log, opts));
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
    this.allocation.stop();
    this.liveness.stop();
    this.drains.stop();
    this.utilization.stop();
    for (const s of this.subs) s.unsubscribe();
    await this.updates?.stop();
    this.registry.close();
  }

  /** Publishes one event to a framework. */
  sendEvent(frameworkId: FrameworkId, event: SchedulerEvent): void {
    this.nc.publish(subjects.schedulerEvents(frameworkId), encode(event));
  }

  /** Sends a command to an agent and waits for its reply. */
  sendToAgent<T extends object = object>(agentId: AgentId, command: AgentCommandInput, timeoutMs = 5000): Promise<T> {
    return request<T>(this.nc, subjects.agentCommand(agentId), command, { timeoutMs });
  }

  /**
   * A status the master itself produces (TASK_ERROR, TASK_DROPPED, TASK_UNREACHABLE, TASK_GONE…): applied to
   * its view and delivered through the framework's acknowledged update stream, like an agent's.
   */
  async masterUpdate(task: TaskRecord | undefined, status: Omit<TaskStatus, 'source' | 'timestamp' | 'uuid'>): Promise<void> {
    const full: TaskStatus = { ...status, source: 'MASTER', timestamp: this.clock.now(), uuid: randomUUID() };
    if (task) this.onTaskStatus(task, full);
    await this.forwardUpdate(full);
  }

  /** Appends an update to the framework's durable stream (deduplicated by uuid). */
  async forwardUpdate(status: TaskStatus): Promise<void> {
    await this.js.publish(subjects.frameworkUpdates(status.frameworkId), encode({ status }), { msgID: status.uuid });
  }

  /** Applies a status to a task's record, releasing its resources when it ends. */
  onTaskStatus(task: TaskRecord, status: TaskStatus): void {
    const wasHolding = task.holdsResources;
    const changed = this.state.applyStatus(task, status, this.clock.now());
    if (wasHolding && !this.state.tasks.has(task.key)) {
      task.holdsResources = false;
      if (this.state.agents.get(task.agentId)?.state !== 'REMOVED' && this.state.frameworks.has(task.frameworkId)) {
        this.allocator.recoverResources(task.frameworkId, task.agentId, task.role, task.resources);
      }
      this.allocation.soon();
      this.liveness.onTaskEnded(task.agentId);
    }
    if (changed) this.events.emit({ type: 'TASK_UPDATED', task: { id: task.info.taskId, frameworkId: task.frameworkId, agentId: task.agentId, state: task.state, healthy: status.healthy, reason: status.reason } });
  }
}
