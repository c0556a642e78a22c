/**
 * A small framework written only against `agora/sdk`, as an outside author would: it launches queued tasks
 * on the offers it gets (as many as fit), declines the rest, and records every status update.
 */
import { Resources, SchedulerDriver, isTerminal, type Offer, type TaskInfoInput, type TaskStatus } from 'agora/sdk';

export interface QueuedTask {
  taskId: string;
  name?: string;
  resources: string;
  command: string;
  container?: TaskInfoInput['container'];
  env?: Record<string, string>;
  healthCheck?: TaskInfoInput['healthCheck'];
  logRotation?: TaskInfoInput['logRotation'];
  volumes?: TaskInfoInput['volumes'];
  labels?: Record<string, string>;
  secrets?: TaskInfoInput['secrets'];
  secretFiles?: TaskInfoInput['secretFiles'];
}

export class QueueFramework {
  readonly driver: SchedulerDriver;
  readonly queue: QueuedTask[] = [];
  readonly updates: TaskStatus[] = [];
  readonly latest = new Map<string, TaskStatus>();
  readonly launchedOn = new Map<string, string>();
  offersSeen = 0;
  refuseSeconds = 1;

  constructor(
    natsUrl: string,
    opts: { name?: string; roles?: string[]; id?: string; failoverTimeoutMs?: number; principal?: string } = {},
  ) {
    this.driver = new SchedulerDriver({
      natsUrl,
      framework: {
        name: opts.name ?? 'queue',
        roles: opts.roles ?? ['*'],
        id: opts.id,
        failoverTimeoutMs: opts.failoverTimeoutMs,
        principal: opts.principal,
      },
      scheduler: {
        resourceOffers: (d, offers) => this.onOffers(offers),
        statusUpdate: (d, s) => {
          this.updates.push(s);
          this.latest.set(s.taskId, s);
        },
      },
    });
  }

  add(...tasks: QueuedTask[]): void {
    this.queue.push(...tasks);
    void this.driver.revive().catch(() => undefined);
  }

  private async onOffers(offers: Offer[]): Promise<void> {
    for (const offer of offers) {
      this.offersSeen++;
      let left = Resources.fromWire(offer.resources);
      const launch: TaskInfoInput[] = [];
      while (this.queue.length > 0) {
        const next = this.queue[0];
        const need = Resources.parse(next.resources);
        if (!left.contains(need)) break;
        this.queue.shift();
        left = left.subtract(need);
        launch.push({
          taskId: next.taskId,
          name: next.name ?? next.taskId,
          agentId: offer.agentId,
          resources: need.toWire(),
          command: { value: next.command, env: next.env ?? {} },
          container: next.container,
          healthCheck: next.healthCheck,
          logRotation: next.logRotation,
          volumes: next.volumes,
          labels: next.labels,
          secrets: next.secrets,
          secretFiles: next.secretFiles,
        });
        this.launchedOn.set(next.taskId, offer.agentId);
      }
      if (launch.length > 0) await this.driver.launch([offer.id], launch, { refuseSeconds: this.refuseSeconds });
      else await this.driver.decline([offer.id], { refuseSeconds: this.refuseSeconds });
    }
  }

  /** Tasks whose latest state is terminal. */
  finished(): TaskStatus[] {
    return [...this.latest.values()].filter((s) => isTerminal(s.state));
  }
  statesOf(taskId: string): string[] {
    return this.updates.filter((u) => u.taskId === taskId).map((u) => u.state);
  }
}
