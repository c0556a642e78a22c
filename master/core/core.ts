/**
 * The master core: the one synchronous owner of the cluster's state — agents, frameworks, tasks, offers (with
 * their expiry as data), the allocator, dynamic reservations, roles, liveness and drain state, pending kills.
 *
 *   shell (master.ts) ──decode, validate──▶ core.<transition>(caller, …, now) ──▶ { reply, effects }
 *        ◀────────────── carry out effects in order (effects.ts says the policy for each) ◀──┘
 *
 * Every transition validates completely (throwing an ApiError naming the field, having changed nothing), then
 * changes state, then returns the effects. Nothing here awaits, touches NATS or SQLite, or reads a clock: time
 * comes in as `now`, timeouts are data acted on by `tick(now)`. Transitions live in the files next to this one
 * (framework-calls.ts, accept.ts, agent-calls.ts, timers.ts, drain.ts, snapshot.ts); this file holds the state
 * and the steps they share, each the only place its fact changes.
 */
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  isTerminal,
  isStaleUpdate,
  type AgentCall,
  type AgentId,
  type FrameworkId,
  type FrameworkInfo,
  type SchedulerCall,
  type TaskId,
  type TaskStatus,
  type TaskUsageReply,
} from '../../sdk';
import type { Allocator } from '../allocator/allocator';
import type { MasterConfig } from '../config';
import { OfferBook, type OfferRecord } from '../offer-book';
import { NO_SECRETS, type SecretCatalog } from '../secrets/access';
import { ClusterState, type FrameworkRecord, type TaskRecord } from '../state';
import { accept } from './accept';
import { agentPing, agentRegistered, agentUsage } from './agent-calls';
import { drain, undrain } from './drain';
import type { CommandOutcome, CommandPurpose, Result, StoredRole } from './effects';
import {
  checkDestroyVolumes,
  decline,
  frameworkHeartbeat,
  kill,
  operatorKill,
  usage,
  reconcile,
  revive,
  subscribe,
  suppress,
  teardown,
} from './framework-calls';
import { restore, snapshot, type CoreSnapshot, type StoredAgent, type StoredFramework } from './snapshot';
import { allocate, busDown, busUp, commandSettled, setRole, tick, type RoleUpdate } from './timers';
import { Tx } from './tx';
import type { LaunchCheck } from './launch-checks';

export type CoreConfig = Pick<
  MasterConfig,
  | 'offerTimeoutMs'
  | 'agentPingTimeoutMs'
  | 'maxAgentPingTimeouts'
  | 'agentRemovalTimeoutMs'
  | 'frameworkHeartbeatIntervalMs'
  | 'maxMissedFrameworkHeartbeats'
  | 'completedTaskHistory'
>;

/** A kill kept until its agent confirms it (sent when the agent is ACTIVE, retried on every tick until then). */
export interface PendingKill {
  frameworkId: FrameworkId;
  taskId: TaskId;
  gracePeriodMs?: number;
  reason?: 'AGENT_DRAINED';
  attempts: number;
  inFlight: boolean;
}

/** The master-made part of a status update (the core adds source, timestamp and uuid). */
export type MasterStatus = Omit<TaskStatus, 'source' | 'timestamp' | 'uuid'>;

export type Call<T extends SchedulerCall['type']> = Extract<SchedulerCall, { type: T }>;

export class MasterCore {
  readonly state: ClusterState;
  readonly offers = new OfferBook();
  /** Kills waiting for their agent, by task key. */
  readonly pendingKills = new Map<string, PendingKill>();
  /** Frameworks removed for good (their id can never subscribe again). */
  readonly removedFrameworks = new Map<FrameworkId, StoredFramework>();
  /** Agents the registry knows that have not registered with this master yet (after a restart). */
  readonly awaitingAgents = new Map<AgentId, StoredAgent>();
  /** Role weights and quotas as set by operators (the allocator applies them). */
  readonly roles = new Map<string, StoredRole>();
  /** Tasks a drain already asked to kill, so a tick does not ask again. */
  readonly drainKills = new Set<string>();
  /** Which secrets exist and who may read each (the shell's SecretStore; values are never read here). */
  secrets: SecretCatalog = NO_SECRETS;
  lastHeartbeatAt = 0;
  /** Since when the master's own NATS connection is down (undefined: connected). Silence is not counted meanwhile. */
  busDownSince?: number;
  readonly counters = {
    offersDeclined: 0,
    offersRescinded: 0,
    offersAccepted: 0,
    tasksLaunched: 0,
    badMessages: 0,
    staleUpdates: 0,
    frameworksFailoverExpired: 0,
    launchesLost: 0,
  };
  /** Unconfirmed launches being checked with their agents, by task key (launch-checks.ts). */
  readonly launchChecks = new Map<string, LaunchCheck>();
  lastStagingScanAt = 0;
  /** Numbers this master's launches: a launch id is `<masterId>-<n>`. */
  private launchSeq = 0;

  constructor(
    readonly masterId: string,
    readonly config: CoreConfig,
    readonly allocator: Allocator,
  ) {
    this.state = new ClusterState(config.completedTaskHistory);
  }

  // ── Transitions: framework calls (caller = the authenticated principal; today the subject's framework id) ──
  subscribe(
    caller: string,
    info: FrameworkInfo,
    now: number,
  ): Result<{ frameworkId: FrameworkId; masterId: string; reregistered: boolean }> {
    return subscribe(this, caller, info, now);
  }
  /** Validation of SUBSCRIBE alone (the shell creates the framework's update consumer between this and `subscribe`). */
  checkSubscribe(caller: string, info: FrameworkInfo): void {
    subscribe(this, caller, info, 0, true);
  }
  accept(
    caller: string,
    frameworkId: FrameworkId,
    call: Call<'ACCEPT'>,
    now: number,
  ): Result<{ launched: string[]; errors: string[] }> {
    return accept(this, caller, frameworkId, call, now);
  }
  decline(caller: string, frameworkId: FrameworkId, call: Call<'DECLINE'>, now: number): Result<{ declined: number }> {
    return decline(this, caller, frameworkId, call, now);
  }
  kill(
    caller: string,
    frameworkId: FrameworkId,
    call: Call<'KILL'>,
    now: number,
  ): Result<{ known: boolean; pending?: boolean }> {
    return kill(this, caller, frameworkId, call, now);
  }
  reconcile(
    caller: string,
    frameworkId: FrameworkId,
    call: Call<'RECONCILE'>,
    now: number,
  ): Result<{ answered: number }> {
    return reconcile(this, caller, frameworkId, call, now);
  }
  revive(caller: string, frameworkId: FrameworkId, call: Call<'REVIVE'>, now: number): Result {
    return revive(this, caller, frameworkId, call, now);
  }
  suppress(caller: string, frameworkId: FrameworkId, call: Call<'SUPPRESS'>, now: number): Result {
    return suppress(this, caller, frameworkId, call, now);
  }
  teardown(caller: string, frameworkId: FrameworkId, now: number): Result {
    return teardown(this, caller, frameworkId, now);
  }
  usage(caller: string, frameworkId: FrameworkId, call: Call<'USAGE'>, now: number): Result<TaskUsageReply> {
    return usage(this, caller, frameworkId, call, now);
  }
  /** Validation of DESTROY_VOLUMES (the shell then asks the agent). */
  checkDestroyVolumes(caller: string, frameworkId: FrameworkId, call: Call<'DESTROY_VOLUMES'>): void {
    checkDestroyVolumes(this, caller, frameworkId, call);
  }
  /** An operator (not the framework) kills one of its tasks. */
  operatorKill(
    operator: string,
    frameworkId: FrameworkId,
    taskId: string,
    now: number,
  ): Result<{ known: boolean; pending?: boolean }> {
    return operatorKill(this, operator, frameworkId, taskId, now);
  }
  heartbeat(caller: string, frameworkId: FrameworkId, now: number): Result<{ masterId: string }> {
    return frameworkHeartbeat(this, caller, frameworkId, now);
  }

  // ── Transitions: agents ──
  agentRegistered(
    caller: AgentId,
    call: Extract<AgentCall, { type: 'REGISTER' }>,
    now: number,
  ): Result<{ masterId: string; killTasks: { frameworkId: string; taskId: string }[] }> {
    return agentRegistered(this, caller, call, now);
  }
  agentPing(caller: AgentId, now: number): Result<{ masterId: string; reregister: boolean }> {
    return agentPing(this, caller, now);
  }
  agentUsage(caller: AgentId, call: Extract<AgentCall, { type: 'USAGE' }>): Result {
    return agentUsage(this, caller, call);
  }
  /** A status update from an agent: applied, then appended to the framework's stream (SURFACE: the caller acks after). */
  statusUpdate(status: TaskStatus, now: number): Result {
    return this.agentStatusUpdate(status, now);
  }
  /** The outcome of a SEND_COMMAND effect. */
  commandSettled(agentId: AgentId, purpose: CommandPurpose, outcome: CommandOutcome, now: number): Result {
    return commandSettled(this, agentId, purpose, outcome, now);
  }

  // ── Transitions: time and allocation ──
  /** Liveness, failover, offer expiry, drain deadlines, pending kills, framework heartbeats — everything due at `now`. */
  tick(now: number): Result {
    return tick(this, now);
  }
  /** The master lost its NATS connection: agents and frameworks it cannot hear are not silent, it is deaf. */
  busDown(now: number): Result {
    return busDown(this, now);
  }
  /** The connection is back: every liveness clock moves on by the outage, so only silence heard counts. */
  busUp(now: number): Result {
    return busUp(this, now);
  }
  /** One allocation cycle: the allocator's decisions become offers (with their expiry). */
  allocate(now: number): Result<{ offers: number }> {
    return allocate(this, now);
  }

  // ── Transitions: operators ──
  drain(caller: string, agentId: AgentId, deadlineMs: number, now: number): Result {
    return drain(this, caller, agentId, deadlineMs, now);
  }
  undrain(caller: string, agentId: AgentId, now: number): Result {
    return undrain(this, caller, agentId, now);
  }
  setRole(caller: string, update: RoleUpdate): Result<StoredRole> {
    return setRole(this, caller, update);
  }

  // ── Snapshot: the durable facts; with the agents' re-registration they rebuild the rest ──
  snapshot(): CoreSnapshot {
    return snapshot(this);
  }
  static fromSnapshot(
    masterId: string,
    config: CoreConfig,
    allocator: Allocator,
    snap: CoreSnapshot,
    now: number,
  ): MasterCore {
    const core = new MasterCore(masterId, config, allocator);
    restore(core, snap, now);
    return core;
  }

  // ── Steps shared by the transitions (each fact changes in exactly one of these) ──

  /** The framework a call names, if the caller may act for it. The one place for an access check. */
  framework(caller: string, frameworkId: FrameworkId): FrameworkRecord {
    const fw = this.state.frameworks.get(frameworkId);
    if (!fw) throw new ApiError('NOT_SUBSCRIBED', `framework '${frameworkId}' is not subscribed; send SUBSCRIBE first`);
    if (caller !== frameworkId)
      throw new ApiError('FORBIDDEN', `'${caller}' may not act for framework '${frameworkId}'`, 'frameworkId');
    return fw;
  }

  /** A validated call from the framework: it is alive (and reconnected if it was failing over). */
  seen(tx: Tx, fw: FrameworkRecord): void {
    fw.lastSeenAt = tx.now;
    if (!fw.connected) this.reconnect(tx, fw);
  }

  reconnect(tx: Tx, fw: FrameworkRecord): void {
    fw.connected = true;
    fw.disconnectedAt = undefined;
    fw.lastSeenAt = tx.now;
    this.allocator.activateFramework(fw.info.id);
    tx.cluster({ type: 'FRAMEWORK_RECONNECTED', framework: { id: fw.info.id, name: fw.info.name } });
    tx.log('info', { frameworkId: fw.info.id }, 'framework reconnected');
  }

  disconnect(tx: Tx, fw: FrameworkRecord): void {
    fw.connected = false;
    fw.disconnectedAt = tx.now;
    this.allocator.deactivateFramework(fw.info.id);
    for (const o of this.offers.forFramework(fw.info.id)) this.rescind(tx, o, 'framework disconnected');
    tx.cluster({ type: 'FRAMEWORK_DISCONNECTED', framework: { id: fw.info.id, name: fw.info.name } });
    tx.log(
      'warn',
      { frameworkId: fw.info.id, failoverTimeoutMs: fw.info.failoverTimeoutMs },
      'framework disconnected; failover timer started',
    );
    if (fw.info.failoverTimeoutMs === 0) this.removeFramework(tx, fw, 'disconnected with failoverTimeoutMs 0');
  }

  /** Removes a framework for good: its offers rescinded, its tasks killed, its updates deleted. */
  removeFramework(tx: Tx, fw: FrameworkRecord, why: string): void {
    const fid = fw.info.id;
    if (!this.state.frameworks.has(fid)) return;
    for (const o of this.offers.forFramework(fid)) this.rescind(tx, o, why);
    this.state.frameworks.delete(fid);
    this.removedFrameworks.set(fid, { info: fw.info, registeredAt: fw.registeredAt, removedAt: tx.now });
    tx.persist({ type: 'REMOVE_FRAMEWORK', frameworkId: fid, at: tx.now });
    this.allocator.removeFramework(fid);
    const agents = new Set<AgentId>();
    for (const t of [...this.state.tasks.values()]) {
      if (t.frameworkId !== fid) continue;
      agents.add(t.agentId);
      t.holdsResources = false; // the allocator dropped the framework's allocation with it
      this.applyStatusUpdate(tx, t, {
        taskId: t.info.taskId,
        frameworkId: fid,
        agentId: t.agentId,
        state: 'TASK_KILLED',
        reason: 'FRAMEWORK_REMOVED',
        source: 'MASTER',
        timestamp: tx.now,
        message: why,
      });
    }
    for (const agentId of agents) {
      tx.push({
        type: 'SEND_COMMAND',
        agentId,
        command: { type: 'SHUTDOWN_FRAMEWORK', frameworkId: fid },
        timeoutMs: 5000,
        purpose: { kind: 'CLEANUP', what: 'shut the removed framework down' },
      });
    }
    tx.push({ type: 'DELETE_UPDATES', frameworkId: fid });
    tx.cluster({ type: 'FRAMEWORK_REMOVED', framework: { id: fid, name: fw.info.name } });
    tx.log('info', { frameworkId: fid, why, tasksKilled: agents.size > 0 }, 'framework removed');
    tx.soon();
  }

  /** Takes an outstanding offer back: its resources return to the pool and the framework is told. */
  rescind(tx: Tx, o: OfferRecord, why: string): void {
    if (!this.offers.take(o.id)) return;
    if (this.state.agents.get(o.agentId)?.state !== 'REMOVED' && this.state.frameworks.has(o.frameworkId)) {
      this.allocator.recoverResources(o.frameworkId, o.agentId, o.role, o.resources);
    }
    this.counters.offersRescinded++;
    tx.event(o.frameworkId, { type: 'RESCIND', offerId: o.id });
    tx.cluster({ type: 'OFFER_RESCINDED', frameworkId: o.frameworkId, offerId: o.id });
    tx.log('debug', { offerId: o.id, frameworkId: o.frameworkId, why }, 'offer rescinded');
    tx.soon();
  }

  /**
   * The one step that records a task's new state (from its agent or made by the master): history, the task's
   * resources released once when it ends, its pending kill forgotten, a drain settled.
   */
  applyStatusUpdate(tx: Tx, task: TaskRecord, status: TaskStatus): void {
    const wasLive = this.state.tasks.has(task.key);
    const changed = this.state.applyStatus(task, status, tx.now);
    if (wasLive && !this.state.tasks.has(task.key)) {
      this.release(tx, task);
      this.pendingKills.delete(task.key);
      this.drainKills.delete(task.key);
      tx.soon();
      this.settleDrain(tx, task.agentId);
    }
    if (changed)
      tx.cluster({
        type: 'TASK_UPDATED',
        task: {
          id: task.info.taskId,
          frameworkId: task.frameworkId,
          agentId: task.agentId,
          state: task.state,
          healthy: status.healthy,
          reason: status.reason,
        },
      });
  }

  /** A status update the master makes (TASK_ERROR, TASK_LOST, TASK_UNREACHABLE, TASK_GONE…): applied now, appended with retries. */
  masterStatusUpdate(tx: Tx, task: TaskRecord | undefined, status: MasterStatus): void {
    const full: TaskStatus = { ...status, source: 'MASTER', timestamp: tx.now, uuid: randomUUID() };
    if (task) this.applyStatusUpdate(tx, task, full);
    tx.push({ type: 'APPEND_UPDATE', status: full, policy: 'RETRY' });
  }

  /** A new launch id, unique across this master's launches and (its id being new at each start) its restarts. */
  nextLaunchId(): string {
    return `${this.masterId}-${++this.launchSeq}`;
  }

  /** Gives an ended task's resources back to the allocator, once (holdsResources changes only here and where the allocator dropped them). */
  release(tx: Tx, task: TaskRecord): void {
    if (!task.holdsResources) return;
    task.holdsResources = false;
    if (this.state.agents.get(task.agentId)?.state === 'REMOVED' || !this.state.frameworks.has(task.frameworkId))
      return;
    try {
      this.allocator.recoverResources(task.frameworkId, task.agentId, task.role, task.resources);
    } catch (e) {
      // An accounting bug must not stop the update from reaching its framework (a throw would redeliver it forever).
      tx.log(
        'error',
        {
          taskId: task.info.taskId,
          frameworkId: task.frameworkId,
          agentId: task.agentId,
          resources: task.resources.format(),
          err: (e as Error).message,
        },
        'resources of an ended task were not held by the allocator (accounting bug); update forwarded anyway',
      );
    }
  }

  /** A draining agent whose last task ended is DRAINED: the one place the flag is set. */
  settleDrain(tx: Tx, agentId: AgentId): void {
    const a = this.state.agents.get(agentId);
    if (!a?.drain || a.drain.drained || a.tasks.size > 0) return;
    a.drain = { deadline: a.drain.deadline, drained: true };
    tx.persist({ type: 'SET_DRAIN', agentId, drain: a.drain });
    tx.cluster({ type: 'AGENT_DRAINED', agent: { id: a.info.id, hostname: a.info.hostname } });
  }

  /** Keeps a kill until the agent confirms it; sends it now if the agent is reachable. */
  addPendingKill(tx: Tx, task: TaskRecord, kill: Omit<PendingKill, 'attempts' | 'inFlight'>): void {
    const prev = this.pendingKills.get(task.key);
    this.pendingKills.set(task.key, { ...kill, attempts: prev?.attempts ?? 0, inFlight: prev?.inFlight ?? false });
    this.sendPendingKills(tx);
  }

  /** Sends every pending kill whose task is on an ACTIVE agent and not already on its way; forgets kills of ended tasks. */
  sendPendingKills(tx: Tx): void {
    for (const [key, k] of this.pendingKills) {
      const task = this.state.tasks.get(key);
      if (!task) {
        this.pendingKills.delete(key);
        continue;
      }
      if (k.inFlight || this.state.agents.get(task.agentId)?.state !== 'ACTIVE') continue;
      k.inFlight = true;
      k.attempts++;
      tx.push({
        type: 'SEND_COMMAND',
        agentId: task.agentId,
        timeoutMs: 5000,
        purpose: { kind: 'KILL', taskKey: key },
        command: {
          type: 'KILL',
          frameworkId: k.frameworkId,
          taskId: k.taskId,
          ...(k.gracePeriodMs !== undefined ? { gracePeriodMs: k.gracePeriodMs } : {}),
          ...(k.reason ? { reason: k.reason } : {}),
        },
      });
    }
  }

  /** The agent's status update (decoded and checked against the publishing agent by the shell). */
  private agentStatusUpdate(status: TaskStatus, now: number): Result {
    const tx = new Tx(now);
    const fid = status.frameworkId;
    if (this.removedFrameworks.has(fid) || !this.state.frameworks.has(fid)) {
      // The framework is gone: nobody will ever acknowledge; make sure the task does not outlive it.
      // If this KILL is lost, the agent's next re-registration kills the task (its framework is removed).
      if (!isTerminal(status.state) && status.agentId) {
        tx.push({
          type: 'SEND_COMMAND',
          agentId: status.agentId,
          timeoutMs: 5000,
          purpose: { kind: 'CLEANUP', what: 'kill a task of a removed framework' },
          command: { type: 'KILL', frameworkId: fid, taskId: status.taskId, reason: 'FRAMEWORK_REMOVED' },
        });
      }
      return tx.done({});
    }
    const task = this.state.tasks.get(`${fid}/${status.taskId}`);
    if (!task) {
      // A task the master declared GONE (its agent was removed) is over for its framework; later news is not news.
      const done = this.state.findTask(status.taskId, fid);
      if (
        done &&
        done.agentId === status.agentId &&
        (done.state === 'TASK_GONE' || done.state === 'TASK_GONE_BY_OPERATOR')
      )
        return tx.done({});
    }
    // A redelivered older update (its ack was lost) would reach the framework after newer news: dropped, acked.
    const known = task ?? this.state.findTask(status.taskId, fid);
    if (isStaleUpdate(known?.last, status)) {
      this.counters.staleUpdates++;
      tx.log(
        'debug',
        { taskId: status.taskId, frameworkId: fid, state: status.state, latest: known?.last?.state },
        'dropped a redelivered status update older than the latest',
      );
      return tx.done({});
    }
    if (task && task.agentId === status.agentId) this.applyStatusUpdate(tx, task, status);
    tx.push({ type: 'APPEND_UPDATE', status, policy: 'SURFACE' });
    return tx.done({});
  }
}
