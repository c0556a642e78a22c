/**
 * The benchmark's framework, written on the public SDK only: it launches tasks on offers as they arrive (up to
 * `perOffer` on each, `total` in all), then declines; it notes for every task when its offer arrived, when its
 * ACCEPT went out and when TASK_RUNNING came back, and counts every status update it acknowledges.
 */
import { Resources, SchedulerDriver, type Offer, type TaskInfoInput, type TaskStatus } from 'agora/sdk';

export interface TaskTimes {
  offerAt: number;
  acceptAt: number;
  runningAt?: number;
  agentId: string;
}

export class ScaleFramework {
  readonly driver: SchedulerDriver;
  readonly times = new Map<string, TaskTimes>();
  /** Every update received (acknowledged when the handler returns), with its arrival time. */
  updates = 0;
  readonly updateTimes: number[] = [];
  running = 0;
  killed = 0;
  /** KILL calls the master refused or did not answer (task id: error). */
  readonly killFailures: string[] = [];
  firstAcceptAt?: number;
  lastRunningAt?: number;
  private launched = 0;
  private seq = 0;
  private readonly need: Resources;

  constructor(
    natsUrl: string,
    readonly total: number,
    readonly perOffer: number,
    task = 'cpus:0.1;mem:32',
  ) {
    this.need = Resources.parse(task);
    this.driver = new SchedulerDriver({
      natsUrl,
      framework: { name: 'bench-scale', roles: ['*'] },
      scheduler: {
        resourceOffers: (_d, offers) => this.onOffers(offers),
        statusUpdate: (_d, s) => this.onUpdate(s),
      },
    });
  }

  get allLaunched(): boolean {
    return this.launched >= this.total;
  }

  private async onOffers(offers: Offer[]): Promise<void> {
    const offerAt = performance.now();
    const calls: Promise<void>[] = [];
    for (const offer of offers) {
      if (this.launched >= this.total) {
        calls.push(this.driver.decline([offer.id], { refuseSeconds: 3600 }));
        continue;
      }
      let left = Resources.fromWire(offer.resources);
      const tasks: TaskInfoInput[] = [];
      while (tasks.length < this.perOffer && this.launched < this.total && left.contains(this.need)) {
        const taskId = `t-${this.seq++}`;
        left = left.subtract(this.need);
        this.launched++;
        tasks.push({
          taskId,
          name: taskId,
          agentId: offer.agentId,
          resources: this.need.toWire(),
          command: { value: 'sleep 3600' },
        });
      }
      if (tasks.length === 0) {
        calls.push(this.driver.decline([offer.id], { refuseSeconds: 5 }));
        continue;
      }
      const acceptAt = performance.now();
      this.firstAcceptAt ??= acceptAt;
      for (const t of tasks) this.times.set(t.taskId, { offerAt, acceptAt, agentId: offer.agentId });
      calls.push(this.driver.launch([offer.id], tasks, { refuseSeconds: 3600 }));
    }
    await Promise.all(calls);
  }

  private onUpdate(s: TaskStatus): void {
    const now = performance.now();
    this.updates++;
    this.updateTimes.push(now);
    const t = this.times.get(s.taskId);
    if (!t) return;
    if (s.state === 'TASK_RUNNING' && t.runningAt === undefined) {
      t.runningAt = now;
      this.running++;
      this.lastRunningAt = now;
    }
    if (s.state === 'TASK_KILLED') this.killed++;
  }

  /** Offer → TASK_RUNNING of every task that is running, in ms, sorted. */
  latencies(): number[] {
    return [...this.times.values()]
      .filter((t) => t.runningAt !== undefined)
      .map((t) => t.runningAt! - t.offerAt)
      .sort((a, b) => a - b);
  }

  /** Kills every task, `concurrency` KILL calls in flight at a time. */
  async killAll(concurrency = 256): Promise<void> {
    const all = [...this.times.entries()];
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const [taskId, t] = all[next++]!;
        await this.driver.kill(taskId, t.agentId).catch((e: Error) => {
          this.killFailures.push(`${taskId}: ${e.message}`);
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
}
