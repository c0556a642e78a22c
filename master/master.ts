/**
 * The master's shell around its core (core/core.ts). Calls arrive on NATS, are decoded and validated at the
 * edge (sdk/rpc.ts), passed to one core transition each, and the effects the core returns are carried out here,
 * in order, each with its failure policy (core/effects.ts):
 *
 *   framework ──SUBSCRIBE/ACCEPT/…──▶ scheduler-calls.ts ─┐
 *   agent ─────REGISTER/PING/USAGE─▶ agent-calls.ts ─────┼─▶ core.<transition>(caller, …, now) ─▶ { reply, effects }
 *   agent ─────status (JetStream)──▶ status-updates.ts ──┤                                              │
 *   timers: tick (liveness, failover, offer expiry, drains, pending kills), allocation-loop.ts            │
 *        ◀── PERSIST (registry) · SEND_EVENT · SEND_COMMAND (outcome + reply → core.commandSettled) · APPEND_UPDATE ◀┘
 *            DELETE_UPDATES · CLUSTER_EVENT · LOG · ALLOCATE_SOON · WAKE_AT
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  AgentCallSchema,
  ApiError,
  AgentIdSchema,
  FrameworkIdSchema,
  SchedulerCallSchema,
  encode,
  ensureUpdateConsumer,
  frameworkConsumerName,
  request,
  serveRequests,
  streams,
  subjects,
  type AgentCommandInput,
  type AgentId,
  type Clock,
  type FrameworkId,
  type Logger,
  type TaskStatus,
  type TimerHandle,
} from '../sdk';
import type { Allocator } from './allocator/allocator';
import type { MasterConfig } from './config';
import { ClusterEvents } from './cluster-events';
import { handleAgentCall } from './agent-calls';
import { MasterCore } from './core/core';
import type { CommandOutcome, Effect, Result } from './core/effects';
import { Registry } from './registry';
import { handleSchedulerCall } from './scheduler-calls';
import { StatusUpdates, ensureStreams } from './status-updates';
import { AllocationLoop } from './allocation-loop';
import { DrainController } from './drain';
import { UtilizationSampler } from './utilization';
import { defaultSecretKeyPath } from './secrets/cipher';
import { withSecretValues } from './secrets/launch-secrets';
import { SecretStore } from './secrets/secret-store';

export interface MasterDeps {
  nc: NatsConnection;
  clock: Clock;
  allocator: Allocator;
  log: Logger;
  /** A registry write failed: the default logs at fatal and exits 1 (a restart recovers from the registry). */
  onFatal?: (err: Error) => void;
}

export class Master {
  readonly id = `master-${randomBytes(4).toString('hex')}`;
  /** The one owner of the cluster's state; rebuilt from the registry at start. */
  core: MasterCore;
  readonly registry: Registry;
  /** Secrets, sealed at rest; the core reads its grant lists, the LAUNCH path its values (master/secrets/). */
  readonly secrets: SecretStore;
  readonly events = new ClusterEvents();
  readonly nc: NatsConnection;
  readonly clock: Clock;
  readonly log: Logger;
  readonly startedAt: number;
  readonly allocation: AllocationLoop;
  /** Maintenance: drain and undrain, for the HTTP API. */
  readonly drains: DrainController;
  /** Cluster utilization sampled over the last hour (for the page's chart). */
  readonly utilization: UtilizationSampler;
  js!: JetStreamClient;
  jsm!: JetStreamManager;
  private readonly subs: Subscription[] = [];
  private updates?: StatusUpdates;
  private stopped = false;
  private tickTimer?: TimerHandle;
  private wake?: { at: number; timer: TimerHandle };
  /** Timers of master-made updates waiting to be appended again (see appendWithRetry). */
  private readonly retryTimers = new Set<TimerHandle>();
  private readonly onFatal: (err: Error) => void;

  constructor(
    readonly config: MasterConfig,
    deps: MasterDeps,
  ) {
    this.nc = deps.nc;
    this.clock = deps.clock;
    this.log = deps.log;
    this.startedAt = deps.clock.now();
    this.registry = new Registry(config.dataDir);
    this.core = MasterCore.fromSnapshot(this.id, config, deps.allocator, this.registry.load(), deps.clock.now());
    this.secrets = SecretStore.open(
      config.dataDir,
      config.secretKeyFile ?? defaultSecretKeyPath(resolve(config.dataDir)),
      () => deps.clock.now(),
    );
    this.core.secrets = this.secrets;
    this.onFatal =
      deps.onFatal ??
      ((err) => {
        this.log.fatal({ err: err.stack }, 'registry write failed; exiting so a restart recovers from the registry');
        process.exit(1);
      });
    this.allocation = new AllocationLoop(this);
    this.drains = new DrainController(this);
    this.utilization = new UtilizationSampler(this);
  }

  get state() {
    return this.core.state;
  }
  get offers() {
    return this.core.offers;
  }
  get allocator() {
    return this.core.allocator;
  }
  get counters() {
    return this.core.counters;
  }

  async start(): Promise<void> {
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    await ensureStreams(this.jsm);
    this.log.info(
      {
        frameworks: this.core.state.frameworks.size,
        agents: this.core.awaitingAgents.size,
        roles: this.core.roles.size,
      },
      'recovered registry',
    );
    const opts = { maxMessageBytes: this.config.maxMessageBytes };
    this.subs.push(
      serveRequests(
        this.nc,
        subjects.schedulerCallWildcard,
        SchedulerCallSchema,
        (call, subject) => handleSchedulerCall(this, idFromSubject(FrameworkIdSchema, subject), call),
        this.log,
        opts,
      ),
    );
    this.subs.push(
      serveRequests(
        this.nc,
        subjects.agentCallWildcard,
        AgentCallSchema,
        (call, subject) => handleAgentCall(this, idFromSubject(AgentIdSchema, subject), call),
        this.log,
        opts,
      ),
    );
    this.updates = new StatusUpdates(this);
    await this.updates.start();
    this.allocation.start();
    this.scheduleTick();
    this.utilization.start();
    this.watchConnection().catch((err: Error) =>
      this.log.error({ err: err.stack }, 'NATS connection watch ended; liveness no longer pauses during outages'),
    );
    this.log.info({ masterId: this.id }, 'master started');
  }

  /** Tells the core when the master's own NATS connection drops and comes back (its liveness pauses meanwhile). */
  private async watchConnection(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect') this.run(this.core.busDown(this.clock.now()));
      else if (s.type === 'reconnect') this.run(this.core.busUp(this.clock.now()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) this.clock.clearTimeout(t);
    if (this.retryTimers.size > 0)
      this.log.error(
        { updates: this.retryTimers.size },
        'stopping with status updates not yet appended (frameworks learn these states by reconciling)',
      );
    this.retryTimers.clear();
    if (this.tickTimer) this.clock.clearTimeout(this.tickTimer);
    if (this.wake) this.clock.clearTimeout(this.wake.timer);
    this.allocation.stop();
    this.utilization.stop();
    for (const s of this.subs) s.unsubscribe();
    await this.updates?.stop();
    this.registry.close();
    this.secrets.close();
  }

  /** Runs the core's `tick` now (timers call it; tests may too). */
  tick(): void {
    this.run(this.core.tick(this.clock.now()));
  }

  /**
   * Carries out a transition's effects and returns its reply (or throws its error). PERSIST effects first and
   * synchronously (a failure is fatal); the rest in order. With `deferMessages`, the rest runs after the reply
   * has gone out (SUBSCRIBE: the driver must see its reply before the SUBSCRIBED event).
   */
  run<R>(result: Result<R>, opts: { deferMessages?: boolean } = {}): R {
    for (const p of this.carryOut(result.effects, opts))
      p.catch((err: Error) =>
        this.log.error(
          { err: err.message },
          'status update not appended (nobody waits for it; the framework reconciles)',
        ),
      );
    if (result.error) throw result.error;
    return result.reply;
  }

  /**
   * `run`, and waits for the transition's SURFACE appends, rejecting when one fails (the caller's message is
   * redelivered). With `settle`, also waits for its agent commands and cleanups to be over (TEARDOWN answers
   * once its agents were told to shut the framework down).
   */
  async runAwaiting<R>(result: Result<R>, opts: { settle?: boolean } = {}): Promise<R> {
    const surfaced = this.carryOut(result.effects, { settle: opts.settle });
    await Promise.all(surfaced);
    if (result.error) throw result.error;
    return result.reply;
  }

  private carryOut(effects: Effect[], opts: { deferMessages?: boolean; settle?: boolean }): Promise<void>[] {
    for (const e of effects) {
      if (e.type !== 'PERSIST') continue;
      try {
        this.registry.apply(e.change);
      } catch (err) {
        this.onFatal(err as Error);
        throw err;
      }
    }
    const surfaced: Promise<void>[] = [];
    const settling: Promise<void>[] = [];
    const rest = () => {
      for (const e of effects) if (e.type !== 'PERSIST') this.effect(e, surfaced, settling);
    };
    if (opts.deferMessages) setImmediate(rest);
    else rest();
    return opts.settle ? [...surfaced, ...settling] : surfaced;
  }

  private effect(e: Effect, surfaced: Promise<void>[], settling: Promise<void>[]): void {
    switch (e.type) {
      case 'PERSIST':
        return;
      case 'SEND_EVENT':
        try {
          this.nc.publish(subjects.schedulerEvents(e.frameworkId), encode(e.event));
        } catch (err) {
          this.log.warn(
            { frameworkId: e.frameworkId, event: e.event.type, err: (err as Error).message },
            'event not published (the framework reconciles)',
          );
        }
        return;
      case 'SEND_COMMAND':
        settling.push(this.command(e.agentId, e.command, e.timeoutMs, e.purpose));
        return;
      case 'APPEND_UPDATE':
        if (e.policy === 'SURFACE') surfaced.push(this.append(e.status));
        else
          this.appendWithRetry(e.status).catch((err: Error) =>
            this.log.error({ taskId: e.status.taskId, err: err.stack }, 'status update append crashed'),
          );
        return;
      case 'DELETE_UPDATES':
        settling.push(
          this.deleteUpdates(e.frameworkId).catch((err: Error) =>
            this.log.error({ frameworkId: e.frameworkId, err: err.stack }, 'update cleanup crashed'),
          ),
        );
        return;
      case 'CLUSTER_EVENT':
        this.events.emit(e.event);
        return;
      case 'ALLOCATE_SOON':
        this.allocation.soon();
        return;
      case 'WAKE_AT':
        this.wakeAt(e.at);
        return;
      case 'LOG':
        this.log[e.level](e.ctx, e.msg);
        return;
    }
  }

  /** Sends a command to an agent and waits for its reply (also used by the HTTP file proxy). */
  sendToAgent<T extends object = object>(agentId: AgentId, command: AgentCommandInput, timeoutMs = 5000): Promise<T> {
    return request<T>(this.nc, subjects.agentCommand(agentId), command, { timeoutMs });
  }

  /** A command the core asked for; its outcome goes back to the core, which decides what follows. */
  private command(
    agentId: AgentId,
    command: AgentCommandInput,
    timeoutMs: number,
    purpose: Parameters<MasterCore['commandSettled']>[1],
  ): Promise<void> {
    let sent: Promise<object>;
    try {
      // Secret values join a LAUNCH here, as it leaves, and nowhere else (master/secrets/launch-secrets.ts).
      sent = this.sendToAgent(agentId, withSecretValues(this.secrets, command), timeoutMs);
    } catch (e) {
      // A referenced secret was removed since the ACCEPT, or does not open: the task is refused, naming it.
      sent = Promise.reject(new ApiError('INVALID', (e as Error).message));
    }
    return sent
      .then(
        (reply): CommandOutcome => ({ ok: true, reply }),
        (e: Error): CommandOutcome => {
          if (e instanceof ApiError && e.code === 'UNAVAILABLE')
            return {
              ok: false,
              failure: /nobody answers/.test(e.message) ? 'NO_RESPONDERS' : 'TIMEOUT',
              message: e.message,
            };
          return { ok: false, failure: e instanceof ApiError ? 'REFUSED' : 'TIMEOUT', message: e.message };
        },
      )
      .then((outcome) => {
        if (!this.stopped) this.run(this.core.commandSettled(agentId, purpose, outcome, this.clock.now()));
      })
      .catch((err: Error) =>
        this.log.error({ agentId, command: command.type, err: err.stack }, 'could not settle an agent command'),
      );
  }

  /** Appends an update to the framework's durable stream (deduplicated by uuid). Rejects when the append fails. */
  private async append(status: TaskStatus): Promise<void> {
    await this.js.publish(subjects.frameworkUpdates(status.frameworkId), encode({ status }), { msgID: status.uuid });
  }

  /** Appends a master-made update; retries with backoff (0.5 s doubling to 30 s) until stored or the master stops. Never rejects. */
  private async appendWithRetry(status: TaskStatus, attempt = 1, ofTask?: boolean): Promise<void> {
    // A retry runs beside the in-order forwarding of agents' updates: if the task has had newer news since (its
    // FINISHED forwarded while this TASK_UNREACHABLE waited out a NATS outage), appending this now would put old
    // news behind it at the framework. Dropped instead; the newer update is on its way and reconciling says the rest.
    // Only an update that was the task's own latest state when made can be superseded: a refusal of a launch
    // (TASK_ERROR, TASK_DROPPED of a task that never had a record, or of a second launch of a live id) is retried.
    const latestUuid = () => this.core.state.findTask(status.taskId, status.frameworkId)?.last?.uuid;
    const own = ofTask ?? latestUuid() === status.uuid;
    if (attempt > 1 && own && latestUuid() !== status.uuid) {
      this.log.info(
        { taskId: status.taskId, frameworkId: status.frameworkId, state: status.state, attempt },
        'status update not appended: the task has newer news',
      );
      return;
    }
    try {
      await this.append(status);
      if (attempt > 1)
        this.log.info(
          { taskId: status.taskId, frameworkId: status.frameworkId, state: status.state, attempt },
          'status update appended after retrying',
        );
    } catch (e) {
      const retryInMs = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
      const ctx = {
        taskId: status.taskId,
        frameworkId: status.frameworkId,
        state: status.state,
        attempt,
        retryInMs,
        err: (e as Error).message,
      };
      if (this.stopped) {
        this.log.error(
          ctx,
          'status update not appended: the master is stopping (the framework learns the state by reconciling)',
        );
        return;
      }
      if (attempt === 1 || attempt % 10 === 0) this.log.warn(ctx, 'could not append status update; retrying');
      const timer = this.clock.setTimeout(() => {
        this.retryTimers.delete(timer);
        this.appendWithRetry(status, attempt + 1, own).catch((err: Error) =>
          this.log.error({ taskId: status.taskId, err: err.stack }, 'status update retry crashed'),
        );
      }, retryInMs);
      this.retryTimers.add(timer);
    }
  }

  /** Creates the framework's durable update consumer (before SUBSCRIBE is answered, so no update is missed). */
  async ensureConsumer(frameworkId: FrameworkId): Promise<void> {
    await ensureUpdateConsumer(this.jsm, {
      stream: streams.frameworkUpdates.name,
      durable: frameworkConsumerName(frameworkId),
      filterSubject: subjects.frameworkUpdates(frameworkId),
      maxAckPending: 1024,
    });
  }

  /** Best effort: a consumer or updates left behind hold no resources; a failure is logged, not retried. */
  private async deleteUpdates(fid: FrameworkId): Promise<void> {
    await this.jsm.consumers
      .delete(streams.frameworkUpdates.name, frameworkConsumerName(fid))
      .catch((e: Error) =>
        this.log.warn({ frameworkId: fid, err: e.message }, "could not delete the removed framework's update consumer"),
      );
    await this.jsm.streams
      .purge(streams.frameworkUpdates.name, { filter: subjects.frameworkUpdates(fid) })
      .catch((e: Error) =>
        this.log.warn({ frameworkId: fid, err: e.message }, "could not purge the removed framework's updates"),
      );
  }

  private scheduleTick(): void {
    const c = this.config;
    const period = Math.max(50, Math.min(c.agentPingTimeoutMs / 2, c.frameworkHeartbeatIntervalMs / 2, 1000));
    this.tickTimer = this.clock.setTimeout(() => {
      this.guardedTick();
      this.scheduleTick();
    }, period);
  }

  private guardedTick(): void {
    try {
      this.tick();
    } catch (err) {
      this.log.error({ err: (err as Error).stack }, 'tick failed');
    }
  }

  /** WAKE_AT: one timer at the earliest time asked for. */
  private wakeAt(at: number): void {
    if (this.stopped || (this.wake && this.wake.at <= at)) return;
    if (this.wake) this.clock.clearTimeout(this.wake.timer);
    const timer = this.clock.setTimeout(
      () => {
        this.wake = undefined;
        this.guardedTick();
      },
      Math.max(0, at - this.clock.now()),
    );
    this.wake = { at, timer };
  }
}

/** The framework or agent id a call's subject names (NATS permissions confine each to its own subject). */
function idFromSubject<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  subject: string,
): T {
  const token = subject.slice(subject.lastIndexOf('.') + 1);
  const parsed = schema.safeParse(token);
  if (!parsed.success) throw new ApiError('INVALID', `subject '${subject}' does not end in a valid id`);
  return parsed.data;
}
