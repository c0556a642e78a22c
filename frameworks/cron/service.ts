/**
 * The cron framework's behaviour around its pure cores: it feeds the dispatcher from the store, writes each
 * decision before acting on it, matches due runs against offers, turns task statuses into run outcomes and
 * retries, and keeps offers flowing only while something is due (REVIVE) and stopped otherwise (SUPPRESS).
 *
 * It talks to the cluster through `DriverPort` (the SDK's SchedulerDriver in production, a fake in tests) and
 * reads time from a `Clock`, so the whole flow is testable without NATS and without sleeping.
 */
import {
  ApiError,
  type Clock,
  type Logger,
  type Offer,
  type TaskInfoInput,
  type TaskStatus,
  type TimerHandle,
} from 'agora/sdk';
import { type JobSpec, type RunReason } from 'agora/sdk/cron';
import { dispatch, type Action, type JobState } from './dispatcher';
import { durationMs } from './duration';
import { manualRun, outcomeOf, retryAfter } from './lifecycle';
import { matchOffers, runIdOfTask, taskIdOf, type QueuedRun } from './matcher';
import { notificationsFor } from './notify-core';
import { defaultParameters, resolveParameters } from './parameters';
import { nextAfter, parseSchedule, type Schedule } from './schedule';
import { type CronStore, toActive, type NotifyOnEnd, type RunRow, type StoredJob } from './store';

export interface DriverPort {
  launch(offerIds: string[], tasks: TaskInfoInput[], filters?: { refuseSeconds: number }): Promise<void>;
  decline(offerIds: string[], filters?: { refuseSeconds: number }): Promise<void>;
  kill(taskId: string, agentId?: string): Promise<void>;
  reconcile(tasks?: { taskId: string; agentId?: string }[]): Promise<void>;
  revive(): Promise<void>;
  suppress(): Promise<void>;
}

export interface ServiceOptions {
  store: CronStore;
  clock: Clock;
  log: Logger;
  /** Seconds an unneeded offer is refused for (default 300; REVIVE clears it when something becomes due). */
  idleRefuseSeconds?: number;
  /** Retention: ended runs kept per job, and the oldest age of an ended run (defaults 1000, 30 days). */
  keepRunsPerJob?: number;
  maxRunAgeMs?: number;
  /** How long a reconciliation's "task gone/unknown" waits for the task's own update before the run is LOST (default 5 s). */
  lostGraceMs?: number;
  /** Called (outside any transaction) after a run's end stored notifications: the notifier sends them. */
  onNotificationsQueued?: () => void;
}

export class CronService {
  private driver: DriverPort | null = null;
  private timer: TimerHandle | null = null;
  private timerAt: number | null = null;
  /** Whether we last told the master we want offers; null until the first decision after (re)registering. */
  private wantingOffers: boolean | null = null;
  /** The newest run id that was due when we last decided on offers (runs ids only grow). */
  private highestDueSeen = 0;
  /** After detach (stop, or a simulated crash in tests) nothing acts any more, until attached again. */
  private detached = false;
  private readonly schedules = new Map<string, { key: string; schedule: Schedule | null }>();
  private readonly store: CronStore;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly opts: ServiceOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.log = opts.log;
  }

  get jobs(): CronStore {
    return this.store;
  }

  /** Called once subscribed (and again after a re-subscription): reconciles running runs, then ticks. */
  async attach(driver: DriverPort): Promise<void> {
    this.detached = false;
    this.driver = driver;
    this.wantingOffers = null;
    const running = this.store.activeRuns().filter((r) => r.state === 'RUNNING' && r.taskId);
    if (running.length > 0) {
      this.log.info({ runs: running.map((r) => r.id) }, 'reconciling runs that were running');
      await this.call('reconcile', () =>
        driver.reconcile(running.map((r) => ({ taskId: r.taskId!, agentId: r.agentId }))),
      );
    }
    // Kills asked for while we were away are asked for again.
    for (const r of running) if (r.killReason) this.send('kill', () => driver.kill(r.taskId!, r.agentId));
    this.tick();
  }

  /** Stops acting: no timer fires afterwards (the store may be closed). */
  detach(): void {
    this.detached = true;
    this.driver = null;
    for (const t of this.pendingLost.values()) this.clock.clearTimeout(t);
    this.pendingLost.clear();
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
  }

  /** Decides every slot and deadline that is due, acts on it, and sets the timer for the next. Synchronous writes first. */
  tick(): void {
    if (this.detached) return;
    const now = this.clock.now();
    // Acting changes the input (a claimed run has a start deadline; a success can fire a child): dispatch again
    // until there is nothing left to do, so the wake time covers what was just created.
    let wakeAt: number | null = null;
    for (let round = 0; round < 5; round++) {
      const stored = this.store.listJobs();
      // Only a parent's newest success matters to the dispatcher; other jobs skip the query.
      const parents = new Set(stored.flatMap((j) => j.spec.parents));
      const jobs = stored.map((j) => this.jobState(j, parents.has(j.spec.name)));
      const tick = dispatch(jobs, this.store.activeRuns().map(toActive), now);
      for (const a of tick.actions) this.apply(a, now);
      wakeAt = tick.wakeAt;
      if (tick.actions.length === 0) break;
    }
    this.prune(now);
    this.updateOfferInterest(now);
    this.arm(wakeAt);
    this.flushNotifications();
  }

  /** The notifications a run's end makes (stored with it by the store, in its transaction). */
  private notifyOnEnd(retryFollows = false): NotifyOnEnd {
    return (run) => {
      const job = this.store.getJob(run.job);
      const made = job ? notificationsFor(job.spec, run, { retryFollows }) : [];
      if (made.length > 0) this.notificationsQueued = true;
      return made;
    };
  }
  private notificationsQueued = false;

  private flushNotifications(): void {
    if (!this.notificationsQueued) return;
    this.notificationsQueued = false;
    this.opts.onNotificationsQueued?.();
  }

  private jobState(j: StoredJob, isParent: boolean): JobState {
    const schedule = this.scheduleOf(j.spec);
    return {
      spec: j.spec,
      schedule,
      nextSlotMs: schedule && this.nextSlotAfter(j.spec.name, schedule, j.cursorMs),
      epsilonMs: durationMs(j.spec.epsilon),
      timeoutMs: j.spec.timeout ? durationMs(j.spec.timeout) : null,
      cursorMs: j.cursorMs,
      depWatermarkMs: j.depWatermarkMs,
      lastSuccessMs: isParent ? this.store.lastSuccessMs(j.spec.name) : null,
    };
  }

  /** The first slot after a job's cursor, memoised until the cursor or the schedule changes (an idle tick is O(jobs)). */
  private nextSlotAfter(name: string, schedule: Schedule, cursorMs: number): number | null {
    const memo = this.nextSlots.get(name);
    if (memo && memo.schedule === schedule && memo.cursorMs === cursorMs) return memo.next;
    const next = nextAfter(schedule, cursorMs);
    this.nextSlots.set(name, { schedule, cursorMs, next });
    return next;
  }
  private readonly nextSlots = new Map<string, { schedule: Schedule; cursorMs: number; next: number | null }>();

  /** The parsed schedule of a job (cached per schedule text and zone). */
  scheduleOf(spec: JobSpec): Schedule | null {
    const key = `${spec.schedule ?? ''}\0${spec.timezone}`;
    const cached = this.schedules.get(spec.name);
    if (cached?.key === key) return cached.schedule;
    const schedule = spec.schedule === undefined ? null : parseSchedule(spec.schedule, spec.timezone);
    this.schedules.set(spec.name, { key, schedule });
    return schedule;
  }

  private apply(a: Action, now: number): void {
    switch (a.type) {
      case 'claim': {
        const declared = this.store.getJob(a.job)?.spec.parameters ?? [];
        const parameters = declared.length > 0 ? defaultParameters(declared) : undefined;
        const run = this.store.decideSlot(a.job, a.trigger, a.slotMs, { decision: 'claimed', dueAt: a.dueAt }, now, {
          parameters,
        });
        if (run)
          this.log.info(
            { job: a.job, run: run.id, slot: new Date(a.slotMs).toISOString(), trigger: a.trigger },
            'slot claimed',
          );
        return;
      }
      case 'miss': {
        const run = this.store.decideSlot(
          a.job,
          a.trigger,
          a.slotMs,
          { decision: 'missed', reason: a.reason, message: a.message },
          now,
          { notify: this.notifyOnEnd() },
        );
        if (run)
          this.log.warn(
            { job: a.job, run: run.id, slot: new Date(a.slotMs).toISOString(), reason: a.reason },
            a.message,
          );
        return;
      }
      case 'expire':
        if (
          this.store.finishRun(
            a.runId,
            { state: 'MISSED', reason: 'EPSILON_EXCEEDED', message: a.message },
            now,
            this.notifyOnEnd(),
          )
        )
          this.log.warn({ run: a.runId }, a.message);
        return;
      case 'kill':
        this.killRun(a.runId, a.reason, a.message);
    }
  }

  /** Kills a run: a queued one ends at once; a launched one gets a KILL and ends with its task's status. */
  killRun(
    runId: number,
    reason: Extract<RunReason, 'TIMEOUT' | 'REPLACED' | 'KILLED' | 'JOB_REMOVED'>,
    message: string,
  ): void {
    const run = this.store.getRun(runId);
    if (!run || (run.state !== 'QUEUED' && run.state !== 'RUNNING')) return;
    if (run.state === 'QUEUED' || !run.taskId) {
      this.store.finishRun(
        runId,
        { state: reason === 'TIMEOUT' ? 'FAILED' : 'KILLED', reason, message },
        this.clock.now(),
        this.notifyOnEnd(),
      );
      this.flushNotifications();
      return;
    }
    this.store.setKillReason(runId, reason);
    this.log.info({ run: runId, taskId: run.taskId, reason }, message);
    const driver = this.driver;
    if (driver) this.send('kill', () => driver.kill(run.taskId!, run.agentId));
  }

  /** Due, launchable runs (their backoff over, not being killed, their job still present). */
  private queuedDue(now: number): QueuedRun[] {
    const out: QueuedRun[] = [];
    for (const r of this.store.activeRuns()) {
      if (r.state !== 'QUEUED' || r.dueAt > now || r.killReason) continue;
      const job = this.store.getJob(r.job);
      if (job)
        out.push({
          id: r.id,
          spec: job.spec,
          scheduledAt: r.scheduledAt,
          dueAt: r.dueAt,
          attempt: r.attempt,
          parameters: r.parameters ?? {},
        });
    }
    return out;
  }

  /**
   * SUPPRESS when nothing is due; REVIVE when something is — and again whenever a run newly becomes due, since
   * REVIVE also clears the refusal filters our earlier declines and launches left on agents.
   */
  private updateOfferInterest(now: number): void {
    const due = this.queuedDue(now).map((r) => r.id);
    const want = due.length > 0;
    const driver = this.driver;
    if (!driver) return;
    const fresh = due.some((id) => id > this.highestDueSeen);
    this.highestDueSeen = Math.max(this.highestDueSeen, ...due);
    if (want === this.wantingOffers && !(want && fresh)) return;
    this.wantingOffers = want;
    this.log.debug({ want }, want ? 'reviving offers' : 'suppressing offers');
    this.send(want ? 'revive' : 'suppress', () => (want ? driver.revive() : driver.suppress()));
  }

  /** Places due runs on offers. Each run is marked RUNNING with its task id before the launch is sent. */
  async onOffers(offers: Offer[]): Promise<void> {
    const driver = this.driver;
    if (!driver || this.detached) return;
    this.tick();
    const now = this.clock.now();
    const queued = this.queuedDue(now);
    const { launches, unused } = matchOffers(queued, offers);
    for (const l of launches) {
      const tasks = l.tasks.filter((t) =>
        this.store.markLaunched(t.runId, taskIdOf(this.store.getRun(t.runId)!.job, t.runId), l.agentId, now),
      );
      if (tasks.length === 0) {
        unused.push(l.offerId);
        continue;
      }
      this.log.info({ runs: tasks.map((t) => t.runId), agentId: l.agentId }, 'launching runs');
      try {
        // No refusal filter on what the launch leaves over: the next due run may want it right away.
        await driver.launch(
          [l.offerId],
          tasks.map((t) => t.task),
          { refuseSeconds: 0 },
        );
      } catch (err) {
        this.onLaunchFailed(
          tasks.map((t) => t.runId),
          err,
        );
      }
    }
    if (unused.length > 0) {
      // Due runs that fit nowhere: look again soon. Nothing due: stay away (SUPPRESS follows; REVIVE clears it).
      const refuseSeconds = queued.length > 0 ? 1 : (this.opts.idleRefuseSeconds ?? 300);
      await this.call('decline', () => driver.decline(unused, { refuseSeconds }));
    }
    this.tick(); // launched runs now have timeouts to watch, and the queue may be empty
  }

  /** A refused launch goes back to the queue; an unanswered one is reconciled (it may have been launched). */
  private onLaunchFailed(runIds: number[], err: unknown): void {
    const refused = err instanceof ApiError && err.code !== 'UNAVAILABLE' && err.code !== 'INTERNAL';
    this.log.warn(
      { runs: runIds, err: (err as Error).message, refused },
      refused ? 'launch refused; runs queued again' : 'launch unanswered; reconciling',
    );
    if (refused) {
      for (const id of runIds) this.store.unlaunch(id);
      return;
    }
    const driver = this.driver;
    const tasks = runIds
      .map((id) => this.store.getRun(id))
      .filter((r): r is RunRow => !!r?.taskId)
      .map((r) => ({ taskId: r.taskId!, agentId: r.agentId }));
    if (driver) this.send('reconcile', () => driver.reconcile(tasks));
  }

  /** Applies a task status to its run (duplicates are no-ops), schedules a retry when one is earned. */
  onStatus(status: TaskStatus): void {
    // Throwing makes the SDK leave the update unacknowledged: it is delivered again after the restart.
    if (this.detached) throw new Error('cron framework stopping; update left for redelivery');
    const runId = runIdOfTask(status.taskId);
    const run = runId === null ? undefined : this.store.getRun(runId);
    if (!run || (run.state !== 'QUEUED' && run.state !== 'RUNNING')) return;
    const outcome = outcomeOf(status, run.killReason ?? null);
    const now = this.clock.now();
    if (outcome.kind === 'running') {
      if (outcome.agentId) this.store.setAgent(run.id, outcome.agentId);
      return;
    }
    if (outcome.kind !== 'ended') return;
    if (outcome.reason === 'LOST' && status.reason === 'RECONCILIATION') return this.deferLost(run.id, status);
    const job = this.store.getJob(run.job);
    const retry =
      job && retryAfter(job.spec, { state: outcome.state, reason: outcome.reason, attempt: run.attempt }, now);
    if (!this.store.finishRun(run.id, outcome, now, this.notifyOnEnd(!!retry))) return;
    this.log.info(
      { job: run.job, run: run.id, state: outcome.state, reason: outcome.reason, exitCode: outcome.exitCode },
      'run ended',
    );
    if (retry) {
      const next = this.store.insertRetry(run, retry.attempt, retry.dueAt, now);
      this.log.info(
        { job: run.job, run: next.id, attempt: retry.attempt, dueAt: new Date(retry.dueAt).toISOString() },
        'retry scheduled',
      );
    }
    this.tick();
  }

  /**
   * A reconciliation answer that the task is gone or unknown is held for a grace period: after a restart, the
   * task's own terminal update may still be on its way through the durable update stream, and believing the
   * reconciliation first would retry (run again) a slot whose run actually finished.
   */
  private deferLost(runId: number, status: TaskStatus): void {
    if (this.pendingLost.has(runId)) return;
    this.pendingLost.set(
      runId,
      this.clock.setTimeout(() => {
        this.pendingLost.delete(runId);
        const run = this.store.getRun(runId);
        if (run && (run.state === 'QUEUED' || run.state === 'RUNNING'))
          this.onStatus({
            ...status,
            reason: undefined,
            message: status.message ?? `task ${status.state} on reconciliation`,
          });
      }, this.opts.lostGraceMs ?? 5000),
    );
  }
  private readonly pendingLost = new Map<number, TimerHandle>();

  /** `agora job run`: a run now with these parameters (declared ones only; defaults fill in), under the job's concurrency policy. */
  runNow(name: string, given: Record<string, string> = {}): RunRow {
    const job = this.store.getJob(name);
    if (!job) throw new ApiError('NOT_FOUND', `no job named '${name}'`, 'name');
    const params = resolveParameters(job.spec.parameters, given);
    if (!params.ok) {
      throw new ApiError(
        'INVALID',
        `run of '${name}' refused:\n${params.problems.map((p) => `${p.field}: ${p.message}`).join('\n')}`,
        params.problems[0]!.field,
        { issues: params.problems },
      );
    }
    const decision = manualRun(job.spec.concurrencyPolicy, this.store.activeRuns(name).map(toActive));
    if (decision.kind === 'refuse') throw new ApiError('CONFLICT', decision.message);
    for (const id of decision.replace)
      this.killRun(id, 'REPLACED', 'replaced by a manual run (concurrencyPolicy Replace)');
    const run = this.store.claimManual(
      name,
      this.clock.now(),
      job.spec.parameters.length > 0 ? params.values : undefined,
    );
    this.tick();
    return run;
  }

  /** Retention, at most once an hour. */
  private prune(now: number): void {
    const hour = Math.floor(now / 3_600_000);
    if (this.lastPruneHour === hour) return;
    this.lastPruneHour = hour;
    const pruned = this.store.prune(this.opts.keepRunsPerJob ?? 1000, this.opts.maxRunAgeMs ?? 30 * 86_400_000, now);
    if (pruned.runs + pruned.ledger > 0) this.log.info(pruned, 'retention: pruned old runs and ledger rows');
  }
  private lastPruneHour: number | null = null;

  private arm(at: number | null): void {
    if (at === this.timerAt) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = null;
        this.tick();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Makes a call to the master and waits for it; a failure is logged (the next tick or reconciliation repairs it). */
  private async call(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.callFailed(what, err);
    }
  }

  /** Makes a call to the master without waiting; a failure is logged like call's. */
  private send(what: string, fn: () => Promise<void>): void {
    fn().catch((err: unknown) => this.callFailed(what, err));
  }

  private callFailed(what: string, err: unknown): void {
    this.log.warn({ err: (err as Error).message, call: what }, 'call to the master failed');
  }
}
