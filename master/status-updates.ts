/**
 * Status updates, agent → master → framework, through JetStream so nothing is lost across restarts:
 *
 *   agent ──publish (msgID = uuid)──▶ AGORA_AGENT_UPDATES ──durable "master"──▶ here: core.statusUpdate,
 *     its APPEND_UPDATE to AGORA_FRAMEWORK_UPDATES (msgID = uuid) awaited ──▶ ack the agent's message
 *   framework ◀── durable "fw-<id>" ── AGORA_FRAMEWORK_UPDATES  (acked by the framework)
 *
 * The master acks an agent's update only after it is stored on the framework's stream, so a master killed
 * at any point re-reads it; the uuid makes the re-append a no-op within the stream's duplicate window.
 */
import {
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  AgentUpdateSchema,
  MASTER_UPDATES_CONSUMER,
  RateLimitedLog,
  consumeUpdates,
  decode,
  ensureUpdateConsumer,
  sleep,
  streams,
  type TaskStatus,
} from '../sdk';
import type { Master } from './master';

const DUPLICATE_WINDOW_NS = 10 * 60 * 1_000_000_000;
/**
 * A failed forward is retried here, in place, before the next update is taken: updates reach frameworks in the
 * order agents sent them (Mesos's rule). A nak instead let the next update of the same task overtake it — under
 * a NATS restart on a busy machine, 145 of 200 tasks showed TASK_RUNNING after TASK_FINISHED at the framework.
 * Only past this many attempts (~1 min) is the message nak'd and the stream let move on.
 */
const IN_PLACE_ATTEMPTS = 60;
const RETRY_MS = 1000;

export async function ensureStreams(jsm: JetStreamManager): Promise<void> {
  for (const s of [streams.agentUpdates, streams.frameworkUpdates]) {
    const config = {
      name: s.name,
      subjects: [...s.subjects],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: DUPLICATE_WINDOW_NS,
    };
    try {
      await jsm.streams.info(s.name);
    } catch {
      await jsm.streams.add(config);
    }
  }
  await ensureUpdateConsumer(jsm, {
    stream: streams.agentUpdates.name,
    durable: MASTER_UPDATES_CONSUMER,
    maxAckPending: 4096,
  });
}

export class StatusUpdates {
  private messages?: ConsumerMessages;
  private readonly warn: RateLimitedLog;
  private stopped = false;
  delivered = 0;

  constructor(private readonly m: Master) {
    this.warn = new RateLimitedLog(m.log);
  }

  async start(): Promise<void> {
    this.messages = await consumeUpdates(this.m.js, streams.agentUpdates.name, MASTER_UPDATES_CONSUMER, 512);
    (async () => {
      for await (const msg of this.messages!) await this.handle(msg);
    })().catch((err) => {
      if (!this.stopped) this.m.log.error({ err }, 'agent update consumer ended');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages
      ?.close()
      .catch((e: Error) => this.m.log.debug({ err: e.message }, 'agent update consumer did not close cleanly'));
  }

  private async handle(msg: JsMsg): Promise<void> {
    let status: TaskStatus;
    try {
      const parsed = AgentUpdateSchema.safeParse(decode(msg.data, this.m.config.maxMessageBytes));
      if (!parsed.success)
        throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      status = parsed.data.status;
      const subjectAgent = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
      if (status.agentId !== subjectAgent)
        throw new Error(`status.agentId '${status.agentId}' does not match the publishing agent '${subjectAgent}'`);
    } catch (e) {
      this.m.counters.badMessages++;
      this.warn.warn(
        'bad-update',
        { subject: msg.subject, err: (e as Error).message },
        'dropped invalid status update',
      );
      msg.term();
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.apply(status);
        msg.ack();
        this.delivered++;
        return;
      } catch (e) {
        const giveUp = this.stopped || attempt >= IN_PLACE_ATTEMPTS;
        this.warn.warn(
          'update-retry',
          { taskId: status.taskId, attempt, err: (e as Error).message },
          giveUp
            ? 'could not forward status update; redelivered later'
            : 'could not forward status update; retrying it before any later one',
        );
        if (giveUp) {
          msg.nak(500);
          return;
        }
        msg.working(); // still ours: not redelivered meanwhile
        await sleep(this.m.clock, RETRY_MS);
      }
    }
  }

  /** The core applies the update and asks for its append (SURFACE): awaited, so the agent's message is acked only once stored. */
  private async apply(status: TaskStatus): Promise<void> {
    await this.m.runAwaiting(this.m.core.statusUpdate(status, this.m.clock.now()));
  }
}
