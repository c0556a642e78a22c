/**
 * The newest status the framework was handed per task, so that an older one redelivered by JetStream (a lost ack
 * across a nats-server restart, or a nak after `statusUpdate` threw while newer news went on) is acknowledged and
 * not handed over: a framework never sees a task go back from TASK_FINISHED to TASK_RUNNING. Bounded: the oldest
 * entries are forgotten first (a redelivery comes soon after the original, never hours later).
 */
import { isStaleUpdate, type TaskStatus } from '../protocol/common';

type Kept = Pick<TaskStatus, 'state' | 'timestamp' | 'agentId' | 'source'>;

export class LatestStatuses {
  private readonly byTask = new Map<string, Kept>();

  constructor(private readonly limit = 100_000) {}

  /** True when `status` is older news than what was already handed over for its task. */
  isStale(status: TaskStatus): boolean {
    return isStaleUpdate(this.byTask.get(status.taskId), status);
  }

  /** Records what the framework was handed. */
  handed(status: TaskStatus): void {
    const { state, timestamp, agentId, source } = status;
    this.byTask.delete(status.taskId);
    this.byTask.set(status.taskId, { state, timestamp, agentId, source });
    if (this.byTask.size > this.limit) this.byTask.delete(this.byTask.keys().next().value!);
  }

  get size(): number {
    return this.byTask.size;
  }
}
