/**
 * SchedulerDriver: what a framework author uses to talk to the master.
 *
 *   import { SchedulerDriver, Resources } from 'agora/sdk';
 *   const driver = new SchedulerDriver({
 *     natsUrl: 'nats://127.0.0.1:4222',
 *     framework: { name: 'hello', roles: ['*'] },
 *     scheduler: {
 *       async resourceOffers(d, offers) {
 *         const o = offers[0];
 *         await d.launch([o.id], [{ taskId: 'hello-1', name: 'hello', agentId: o.agentId,
 *           resources: Resources.parse('cpus:0.1;mem:32').toWire(), command: { value: 'echo hello' } }]);
 *       },
 *       statusUpdate(d, s) { console.log(s.taskId, s.state); },
 *     },
 *   });
 *   await driver.start();
 *
 * Events arrive in order, one callback at a time. Status updates are delivered at least once, in order per
 * task, from the framework's durable update stream, and acknowledged automatically when `statusUpdate`
 * resolves (or by `acknowledge()` with `manualAcks`). Duplicates are possible by design: make handlers idempotent.
 */
import { randomBytes } from 'node:crypto';
import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { retryWithBackoff } from '../backoff';
import { systemClock, type Clock } from '../clock';
import { decode } from '../codec';
import { ApiError } from '../errors';
import { createLogger, type Logger } from '../log';
import { connectNats } from '../nats';
import { request } from '../rpc';
import type { AgentId, OfferId, TaskId, TaskInfoInput, TaskStatus } from '../protocol/common';
import { TaskStatusSchema } from '../protocol/common';
import {
  FrameworkInfoSchema,
  SchedulerEventSchema,
  type FrameworkInfo,
  type FrameworkInfoInput,
  type Offer,
  type OperationInput,
  type SchedulerCallInput,
  type SchedulerEvent,
  type TaskUsageReply,
} from '../protocol/scheduler';
import { frameworkConsumerName, streams, subjects } from '../protocol/subjects';
import { consumeUpdates, keepWorking } from '../update-consumer';
import { LatestStatuses } from './latest-statuses';
import { MasterWatch, type MasterLoss } from './master-watch';

type Maybe<T> = T | Promise<T>;

export interface Scheduler {
  registered?(
    driver: SchedulerDriver,
    info: { frameworkId: string; masterId: string; reregistered: boolean },
  ): Maybe<void>;
  resourceOffers?(driver: SchedulerDriver, offers: Offer[]): Maybe<void>;
  offerRescinded?(driver: SchedulerDriver, offerId: OfferId): Maybe<void>;
  statusUpdate?(driver: SchedulerDriver, status: TaskStatus): Maybe<void>;
  agentLost?(driver: SchedulerDriver, agentId: AgentId): Maybe<void>;
  error?(driver: SchedulerDriver, message: string): Maybe<void>;
  disconnected?(driver: SchedulerDriver): Maybe<void>;
}

export interface SchedulerDriverOptions {
  natsUrl?: string;
  /** Use an existing connection (the driver then does not close it). */
  nc?: NatsConnection;
  framework: Omit<FrameworkInfoInput, 'id'> & { id?: string };
  scheduler: Scheduler;
  log?: Logger;
  manualAcks?: boolean;
  /** Per-call reply timeout (default 5000 ms). */
  callTimeoutMs?: number;
  /** Give up connecting to NATS at start after this long (default: keep trying). */
  connectTimeoutMs?: number;
  /** Time for the SUBSCRIBE backoff and the heartbeat watch (default: the system clock; tests pass a FakeClock). */
  clock?: Clock;
}

export class SchedulerDriver {
  readonly framework: FrameworkInfo;
  private nc?: NatsConnection;
  private ownsConnection = false;
  private eventsSub?: Subscription;
  private updates?: ConsumerMessages;
  /** The newest update handed to the scheduler per task: an older one redelivered later is not handed over. */
  private readonly handedOver = new LatestStatuses();
  private chain: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  private readonly watch: MasterWatch;
  private subscribed = false;
  private stopped = false;
  private resubscribing = false;
  private readonly pendingAcks = new Map<string, JsMsg>();
  private readonly log: Logger;
  masterId?: string;

  constructor(private readonly opts: SchedulerDriverOptions) {
    const id =
      opts.framework.id ??
      `${opts.framework.name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80)}-${randomBytes(6).toString('hex')}`;
    this.framework = FrameworkInfoSchema.parse({ ...opts.framework, id });
    this.log = opts.log ?? createLogger(`framework:${this.framework.name}`);
    this.clock = opts.clock ?? systemClock;
    this.watch = new MasterWatch({
      clock: this.clock,
      log: this.log,
      beat: () => this.call({ type: 'HEARTBEAT' }),
      paused: () => this.stopped || this.resubscribing,
      lost: (why, err) => this.onMasterLost(why, err),
    });
  }

  get frameworkId(): string {
    return this.framework.id;
  }
  get connection(): NatsConnection {
    if (!this.nc) throw new Error('driver not started');
    return this.nc;
  }
  /** The NATS connection, for a framework serving its own API. */
  get natsConnection(): NatsConnection {
    return this.connection;
  }

  /** Connects, subscribes (retrying until the master answers), and starts delivering events. */
  async start(): Promise<{ frameworkId: string }> {
    if (this.opts.nc) this.nc = this.opts.nc;
    else {
      this.nc = await connectNats({
        servers: this.opts.natsUrl ?? 'nats://127.0.0.1:4222',
        name: `framework:${this.framework.name}`,
        log: this.log,
        startTimeoutMs: this.opts.connectTimeoutMs,
        onReconnect: () => this.onReconnect(),
        clock: this.clock,
      });
      this.ownsConnection = true;
    }
    this.eventsSub = this.nc.subscribe(subjects.schedulerEvents(this.frameworkId), {
      callback: (err, msg) => {
        if (!err) this.enqueue(() => this.onEvent(msg.data));
      },
    });
    await this.subscribeUntilAnswered();
    return { frameworkId: this.frameworkId };
  }

  /** Stops the driver. With `failover` (default) the master keeps the framework's tasks for failoverTimeoutMs; otherwise it tears the framework down. */
  async stop(opts: { failover?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    if (opts.failover === false && this.subscribed)
      await this.teardown().catch((e) => this.log.warn({ err: e.message }, 'teardown failed'));
    this.stopped = true;
    this.watch.stop();
    this.eventsSub?.unsubscribe();
    await this.updates?.close().catch((err: unknown) => this.log.debug({ err }, 'closing the update consumer failed'));
    await this.chain; // enqueue() already logs a callback's failure: the chain never rejects
    if (this.ownsConnection)
      await this.nc?.drain().catch((err: unknown) => this.log.warn({ err }, 'draining the NATS connection failed'));
  }

  launch(offerIds: string[], tasks: TaskInfoInput[], filters?: { refuseSeconds: number }): Promise<void> {
    return this.accept(offerIds, [{ type: 'LAUNCH', tasks }], filters);
  }
  async accept(offerIds: string[], operations: OperationInput[], filters?: { refuseSeconds: number }): Promise<void> {
    await this.call({ type: 'ACCEPT', offerIds, operations, filters } as SchedulerCallInput);
  }
  async decline(offerIds: string[], filters?: { refuseSeconds: number }): Promise<void> {
    await this.call({ type: 'DECLINE', offerIds, filters } as SchedulerCallInput);
  }
  async kill(taskId: string, agentId?: string, gracePeriodMs?: number): Promise<void> {
    await this.call({ type: 'KILL', taskId, agentId, gracePeriodMs } as SchedulerCallInput);
  }
  /** Asks for the latest state of the named tasks (or, with none, of all the framework's tasks); answers arrive as statusUpdate. */
  async reconcile(tasks: { taskId: string; agentId?: string }[] = []): Promise<void> {
    await this.call({ type: 'RECONCILE', tasks } as SchedulerCallInput);
  }
  /** The latest usage the agents reported for the framework's live tasks (all, or those named). */
  async usage(taskIds: string[] = []): Promise<TaskUsageReply['usage']> {
    return (await this.call<TaskUsageReply>({ type: 'USAGE', taskIds })).usage;
  }
  /** Deletes persistent volumes of this framework on an agent; answers which were destroyed and which were not there. */
  async destroyVolumes(agentId: string, persistenceIds: string[]): Promise<{ destroyed: string[]; missing: string[] }> {
    return this.call<{ destroyed: string[]; missing: string[] }>({
      type: 'DESTROY_VOLUMES',
      agentId,
      persistenceIds,
    } as SchedulerCallInput);
  }
  async revive(roles?: string[]): Promise<void> {
    await this.call({ type: 'REVIVE', roles });
  }
  async suppress(roles?: string[]): Promise<void> {
    await this.call({ type: 'SUPPRESS', roles });
  }
  async teardown(): Promise<void> {
    await this.call({ type: 'TEARDOWN' });
    this.subscribed = false;
  }

  /** Acknowledges an update (only with `manualAcks`). */
  acknowledge(status: TaskStatus): void {
    if (!status.uuid) return;
    const m = this.pendingAcks.get(status.uuid);
    if (m) {
      m.ack();
      this.pendingAcks.delete(status.uuid);
    }
  }

  /** Sends one call to the master; throws ApiError with the master's reason when refused. */
  async call<T extends object = object>(body: SchedulerCallInput): Promise<T> {
    return request<T>(this.connection, subjects.schedulerCall(this.frameworkId), body, {
      timeoutMs: this.opts.callTimeoutMs ?? 5000,
    });
  }

  private enqueue(fn: () => Promise<void> | void): void {
    this.chain = this.chain.then(fn).catch((err) => this.log.error({ err }, 'scheduler callback failed'));
  }

  private async subscribeUntilAnswered(): Promise<void> {
    await retryWithBackoff({
      clock: this.clock,
      stopped: () => this.stopped,
      attempt: () => this.call({ type: 'SUBSCRIBE', framework: this.framework }),
      onFailure: (e, retryInMs) => {
        if (e instanceof ApiError && e.code !== 'UNAVAILABLE') throw e;
        this.log.warn({ err: (e as Error).message, retryInMs }, 'master not answering SUBSCRIBE yet; retrying');
      },
    });
  }

  private async onEvent(data: Uint8Array): Promise<void> {
    let ev: SchedulerEvent;
    try {
      ev = SchedulerEventSchema.parse(decode(data));
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'ignored malformed event from master');
      return;
    }
    const s = this.opts.scheduler;
    switch (ev.type) {
      case 'SUBSCRIBED':
        return this.onSubscribed(ev);
      case 'OFFERS':
        return s.resourceOffers?.(this, ev.offers);
      case 'RESCIND':
        return s.offerRescinded?.(this, ev.offerId);
      case 'UPDATE':
        return s.statusUpdate?.(this, ev.status);
      case 'FAILURE':
        return s.agentLost?.(this, ev.agentId);
      case 'ERROR':
        return s.error?.(this, ev.message);
      case 'HEARTBEAT':
        this.watch.heard();
        this.masterId = ev.masterId;
        return;
    }
  }

  private async onSubscribed(ev: Extract<SchedulerEvent, { type: 'SUBSCRIBED' }>): Promise<void> {
    this.subscribed = true;
    this.masterId = ev.masterId;
    this.watch.start(ev.heartbeatIntervalMs);
    await this.startUpdates();
    this.log.info({ frameworkId: ev.frameworkId, masterId: ev.masterId, reregistered: ev.reregistered }, 'subscribed');
    await this.opts.scheduler.registered?.(this, {
      frameworkId: ev.frameworkId,
      masterId: ev.masterId,
      reregistered: ev.reregistered,
    });
  }

  /** Pulls the framework's durable update stream; each update is acked after statusUpdate resolves. */
  private async startUpdates(): Promise<void> {
    if (this.updates) return;
    const messages = await consumeUpdates(
      jetstream(this.connection),
      streams.frameworkUpdates.name,
      frameworkConsumerName(this.frameworkId),
      64,
    );
    this.updates = messages;
    (async () => {
      for await (const m of messages) await this.onUpdateMessage(m);
    })()
      .catch((err) => {
        if (!this.stopped) this.log.error({ err }, 'update stream ended');
      })
      .finally(() => {
        this.updates = undefined;
      });
  }

  private async onUpdateMessage(m: JsMsg): Promise<void> {
    let status: TaskStatus;
    try {
      status = TaskStatusSchema.parse((decode(m.data) as { status: unknown }).status);
    } catch (e) {
      this.log.warn({ err: (e as Error).message, seq: m.seq }, 'dropped malformed status update');
      m.term();
      return;
    }
    // Delivered through the same ordered chain as events, so callbacks never interleave.
    await new Promise<void>((resolve) =>
      this.enqueue(async () => {
        try {
          if (this.handedOver.isStale(status)) {
            this.log.debug({ taskId: status.taskId, state: status.state }, 'acked a redelivered older status update');
            m.ack();
            return;
          }
          await keepWorking(m, async () => this.opts.scheduler.statusUpdate?.(this, status), this.clock);
          this.handedOver.handed(status);
          if (this.opts.manualAcks && status.uuid) this.pendingAcks.set(status.uuid, m);
          else m.ack();
        } catch (e) {
          this.log.warn(
            { err: (e as Error).message, taskId: status.taskId },
            'statusUpdate threw; update will be redelivered',
          );
          m.nak(1000);
        } finally {
          resolve();
        }
      }),
    );
  }

  /** The watch saw the master lose us (NOT_SUBSCRIBED) or go silent (then the scheduler hears `disconnected`). */
  private async onMasterLost(why: MasterLoss, _err: Error): Promise<void> {
    if (why === 'SILENT') this.enqueue(() => this.opts.scheduler.disconnected?.(this));
    await this.resubscribe(why === 'SILENT' ? 'master unreachable' : 'master does not know this framework');
  }

  private onReconnect(): void {
    this.watch.check().catch((err: unknown) => this.log.error({ err }, 'heartbeat after reconnect failed'));
  }

  private async resubscribe(why: string): Promise<void> {
    if (this.resubscribing || this.stopped) return;
    this.resubscribing = true;
    this.log.info({ why }, 're-subscribing');
    try {
      await this.updates
        ?.close()
        .catch((err: unknown) => this.log.debug({ err }, 'closing the update consumer failed'));
      this.updates = undefined;
      await this.subscribeUntilAnswered();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 're-subscribe refused');
      this.enqueue(() => this.opts.scheduler.error?.(this, (e as Error).message));
    } finally {
      this.resubscribing = false;
    }
  }
}

export type { TaskId };
