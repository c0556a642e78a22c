/**
 * A careful framework for the fault tests, written only against agora/sdk as a real one would be: it wants a
 * set of tasks running, launches them from offers (a few per ACCEPT), and when a call's fate is unknown (the
 * master died mid-ACCEPT) it asks by explicit reconciliation instead of guessing. A task the master answers
 * TASK_DROPPED or TASK_GONE for is launched again; anything else is left alone. It records every update, so
 * a test can count what was lost and what was duplicated.
 */
import { Resources, SchedulerDriver, isTerminal, type Offer, type TaskInfoInput, type TaskStatus } from 'agora/sdk';

export interface WantedTask {
  taskId: string;
  command: string;
  resources?: string;
  container?: TaskInfoInput['container'];
}

const RELAUNCH: ReadonlySet<string> = new Set(['TASK_DROPPED', 'TASK_GONE']);

export class FaultFramework {
  readonly driver: SchedulerDriver;
  readonly updates: TaskStatus[] = [];
  readonly latest = new Map<string, TaskStatus>();
  private readonly wanted = new Map<string, WantedTask>();
  private readonly pending: string[] = [];
  /** Tasks handed to ACCEPT, with the agent they went to. */
  readonly placed = new Map<string, string>();
  registrations = 0;
  private reconcileTimer?: NodeJS.Timeout;
  private stopped = false;
  /** Launch again a task answered TASK_DROPPED / TASK_GONE (after a master restart lost its launch). */
  private readonly relaunch: boolean;

  constructor(
    natsUrl: string,
    opts: {
      name: string;
      id?: string;
      failoverTimeoutMs?: number;
      perAccept?: number;
      reconcileDelayMs?: number;
      relaunch?: boolean;
    },
  ) {
    const perAccept = opts.perAccept ?? 10;
    this.relaunch = opts.relaunch ?? false;
    this.driver = new SchedulerDriver({
      natsUrl,
      callTimeoutMs: 2000,
      framework: { name: opts.name, id: opts.id, failoverTimeoutMs: opts.failoverTimeoutMs },
      scheduler: {
        registered: () => {
          this.registrations++;
          this.reconcileSoon(opts.reconcileDelayMs ?? 1500);
        },
        resourceOffers: (_d, offers) => this.onOffers(offers, perAccept),
        statusUpdate: (_d, s) => this.onStatus(s),
      },
    });
  }

  want(tasks: WantedTask[]): void {
    for (const t of tasks) {
      this.wanted.set(t.taskId, t);
      this.pending.push(t.taskId);
    }
    void this.driver.revive().catch(() => undefined);
  }

  /** Tasks whose latest state is `state`. */
  inState(state: string): string[] {
    return [...this.latest.values()].filter((s) => s.state === state).map((s) => s.taskId);
  }
  /** Acknowledged stream updates (uuid) for one task and state: more than one is a redelivered duplicate. */
  streamUpdates(taskId: string, state: string): number {
    return this.updates.filter((u) => u.uuid && u.taskId === taskId && u.state === state).length;
  }
  /**
   * Tasks whose stream updates arrived out of order: a RUNNING after the task's terminal update. With `relaunch`,
   * a TASK_DROPPED / TASK_GONE ends one launch and the framework launches the task again: what follows is the new
   * launch's news, not late news of the old one.
   */
  outOfOrder(): string[] {
    return [...this.wanted.keys()].filter((id) => {
      let ended = false;
      for (const u of this.updates) {
        if (!u.uuid || u.taskId !== id) continue;
        if (ended && u.state === 'TASK_RUNNING') return true;
        if (this.relaunch && RELAUNCH.has(u.state)) ended = false;
        // A master's TASK_ERROR refuses one launch attempt (a relaunch while the first ACCEPT was still in flight:
        // "task id in use"); it says nothing of the launch already running.
        else if (u.state === 'TASK_ERROR' && u.source === 'MASTER') continue;
        else if (isTerminal(u.state)) ended = true;
      }
      return false;
    });
  }
  /** Wanted tasks that never had a RUNNING update. */
  neverRunning(): string[] {
    return [...this.wanted.keys()].filter(
      (id) => !this.updates.some((u) => u.taskId === id && u.state === 'TASK_RUNNING'),
    );
  }

  async stop(failover = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconcileTimer);
    await this.driver.stop({ failover });
  }

  private async onOffers(offers: Offer[], perAccept: number): Promise<void> {
    for (const offer of offers) {
      let left = Resources.fromWire(offer.resources);
      const batch: TaskInfoInput[] = [];
      while (this.pending.length > 0 && batch.length < perAccept) {
        const t = this.wanted.get(this.pending[0])!;
        const need = Resources.parse(t.resources ?? 'cpus:0.01;mem:8');
        if (!left.contains(need)) break;
        this.pending.shift();
        left = left.subtract(need);
        batch.push({
          taskId: t.taskId,
          name: t.taskId,
          agentId: offer.agentId,
          resources: need.toWire(),
          command: { value: t.command },
          container: t.container,
          killGracePeriodMs: 500,
        });
        this.placed.set(t.taskId, offer.agentId);
      }
      try {
        if (batch.length > 0) await this.driver.launch([offer.id], batch, { refuseSeconds: 0.2 });
        else await this.driver.decline([offer.id], { refuseSeconds: 1 });
      } catch {
        // The master may or may not have taken it: reconciliation will tell.
        this.reconcileSoon(1500);
      }
    }
  }

  private onStatus(s: TaskStatus): void {
    this.updates.push(s);
    const prev = this.latest.get(s.taskId);
    // A reconciliation answer never overrides what the stream already said with the same state.
    if (!prev || s.uuid || prev.state !== s.state) this.latest.set(s.taskId, s);
    if (this.relaunch && RELAUNCH.has(s.state) && this.wanted.has(s.taskId) && !this.pending.includes(s.taskId)) {
      this.pending.push(s.taskId);
      void this.driver.revive().catch(() => undefined);
    }
  }

  private reconcileSoon(delayMs: number): void {
    clearTimeout(this.reconcileTimer);
    if (this.stopped) return;
    this.reconcileTimer = setTimeout(() => {
      const tasks = [...this.placed]
        .filter(([id]) => !this.pending.includes(id))
        .map(([taskId, agentId]) => ({ taskId, agentId }));
      if (tasks.length > 0) void this.driver.reconcile(tasks).catch(() => this.reconcileSoon(1000));
    }, delayMs);
    this.reconcileTimer.unref();
  }
}
