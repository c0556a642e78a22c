/**
 * Status updates, agent → master → framework, through JetStream so nothing is lost across restarts:
 *
 *   agent ──publish (msgID = uuid)──▶ AGORA_AGENT_UPDATES ──durable "master"──▶ here: apply to state,
 *     append to AGORA_FRAMEWORK_UPDATES (msgID = uuid) ──▶ ack the agent's message
 *   framework ◀── durable "fw-<id>" ── AGORA_FRAMEWORK_UPDATES  (acked by the framework)
 *
 * The master acks an agent's update only after it is stored on the framework's stream, so a master killed
 * at any point re-reads it; the uuid makes the re-append a no-op within the stream's duplicate window.
 */
import { RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import {
  AgentUpdateSchema, MASTER_UPDATES_CONSUMER, RateLimitedLog, consumeUpdates, decode, ensureUpdateConsumer, isTerminal, streams, type TaskStatus,
} from '../sdk';
import type { Master } from './master';
import { taskKey } from './state';

const DUPLICATE_WINDOW_NS = 10 * 60 * 1_000_000_000;

export async function ensureStreams(jsm: JetStreamManager): Promise<void> {
  for (const s of [streams.agentUpdates]) {
    const config = { name: s.name, subjects: [...s.subjects], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW_NS };
    try {
      await jsm.streams.info(s.name);
    } catch {
      await jsm.streams.add(config);
    }
  }
  await ensureUpdateConsumer(jsm, { stream: streams.agentUpdates.name, durable: MASTER_UPDATES_CONSUMER, maxAckPending: 4096 });
}

export class StatusUpdates {
  private messages?: ConsumerMessages;
  private readonly warn: RateLimitedLog;
  private stopped = false;
  delivered = 0;

  constructor(private readonly m: Master) { this.warn = new RateLimitedLog(m.log); }

  async start(): Promise<void> {
    this.messages = await consumeUpdates(this.m.js, streams.agentUpdates.name, MASTER_UPDATES_CONSUMER, 512);
    void (async () => {
      for await (const msg of this.messages!) await this.handle(msg);
    })().catch((err) => { if (!this.stopped) this.m.log.error({ err }, 'agent update consumer ended'); });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch((e: Error) => this.m.log.debug({ err: e.message }, 'agent update consumer did not close cleanly'));
  }

  private async handle(msg: JsMsg): Promise<void> {
    let status: TaskStatus;
    try {
      const parsed = AgentUpdateSchema.safeParse(decode(msg.data, this.m.config.maxMessageBytes));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      status = parsed.data.status;
      const subjectAgent = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
      if (status.agentId !== subjectAgent) throw new Error(`status.agentId '${status.agentId}' does not match the publishing agent '${subjectAgent}'`);
    } catch (e) {
      this.m.counters.badMessages++;
      this.warn.warn('bad-update', { subject: msg.subject, err: (e as Error).message }, 'dropped invalid status update');
      msg.term();
      return;
    }
    try {
      await this.apply(status);
      msg.ack();
      this.delivered++;
    } catch (e) {
      this.warn.warn('update-retry', { taskId: status.taskId, err: (e as Error).message }, 'could not forward status update; will retry');
      msg.nak(500);
    }
  }

  private async apply(status: TaskStatus): Promise<void> {
    const m = this.m;
    const task = m.state.tasks.get(taskKey(status.frameworkId, status.taskId));
    const stored = m.registry.framework(status.frameworkId);
    if (!stored || stored.removedAt !== undefined) {
      // The framework is gone: nobody will ever acknowledge; make sure the task does not outlive it.
      // If this KILL is lost, the agent's next re-registration kills the task (its framework is removed).
      if (!isTerminal(status.state)) {
        m.sendToAgent(status.agentId!, { type: 'KILL', frameworkId: status.frameworkId, taskId: status.taskId, reason: 'FRAMEWORK_REMOVED' })
          .catch((e: Error) => m.log.warn({ agentId: status.agentId, taskId: status.taskId, frameworkId: status.frameworkId, err: e.message }, 'could not kill a task of a removed framework'));
      }
      return;
    }
    if (!task && settledAsGone(m, status)) return;
    if (task && task.agentId === status.agentId) m.onTaskStatus(task, status);
    await m.forwardUpdate(status);
  }
}

/**
 * A task the master declared TASK_GONE (its agent was removed) is over for its framework: TASK_GONE is terminal.
 * When the agent returns it is told to kill such tasks; its TASK_KILLING/TASK_KILLED are not news to anyone.
 */
function settledAsGone(m: Master, status: TaskStatus): boolean {
  const done = m.state.findTask(status.taskId, status.frameworkId);
  return done !== undefined && done.agentId === status.agentId && (done.state === 'TASK_GONE' || done.state === 'TASK_GONE_BY_OPERATOR');
}
