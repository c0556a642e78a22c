/**
 * The two durable update consumers (the master's on AGORA_AGENT_UPDATES, each framework's on
 * AGORA_FRAMEWORK_UPDATES) are configured and pulled the same way, so that a nats-server restart never stalls
 * delivery for long:
 *
 * - `ackWait` is 10 s, not 30–60 s. A message the server recorded as delivered just before it died, but that
 *   never reached the client, is redelivered only when its ack wait runs out: that wait is the longest a single
 *   update can stall after a restart. A consumer that works on a message for longer says so with
 *   `msg.working()` (see `keepWorking`), so a slow callback does not cause redelivery.
 * - `consume()` is given `expires` 5 s. After a reconnect the nats.js client checks the consumer with an info
 *   request and, if that fails (JetStream still recovering its streams on a freshly restarted, busy server), waits
 *   one full `expires` before trying again: with the default 30 s that was a 30 s stall of every update.
 *
 * Both were found by the nats-server kill -9 fault test (test/faults/nats-restart.it.test.ts).
 */
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { every, systemClock, type Clock } from './clock';

export const UPDATE_ACK_WAIT_MS = 10_000;
export const UPDATE_PULL_EXPIRES_MS = 5_000;
const NS_PER_MS = 1_000_000;

export interface UpdateConsumerSpec {
  stream: string;
  durable: string;
  filterSubject?: string;
  maxAckPending: number;
}

/** Creates the durable consumer, or brings an existing one (made by an older version) to today's settings. */
export async function ensureUpdateConsumer(jsm: JetStreamManager, spec: UpdateConsumerSpec): Promise<void> {
  const wanted: Partial<ConsumerConfig> = {
    ack_wait: UPDATE_ACK_WAIT_MS * NS_PER_MS,
    max_ack_pending: spec.maxAckPending,
  };
  let existing: ConsumerConfig | undefined;
  try {
    existing = (await jsm.consumers.info(spec.stream, spec.durable)).config;
  } catch (e) {
    if (!/consumer not found/i.test((e as Error).message)) throw e;
  }
  if (!existing) {
    await jsm.consumers.add(spec.stream, {
      durable_name: spec.durable,
      ...(spec.filterSubject ? { filter_subject: spec.filterSubject } : {}),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_deliver: -1,
      ...wanted,
    });
  } else if (existing.ack_wait !== wanted.ack_wait || existing.max_ack_pending !== wanted.max_ack_pending) {
    await jsm.consumers.update(spec.stream, spec.durable, wanted);
  }
}

/** Starts pulling a durable update consumer with the settings above. */
export async function consumeUpdates(
  js: JetStreamClient,
  stream: string,
  durable: string,
  maxMessages: number,
): Promise<ConsumerMessages> {
  const consumer = await js.consumers.get(stream, durable);
  return consumer.consume({ max_messages: maxMessages, expires: UPDATE_PULL_EXPIRES_MS });
}

/** Runs `work` for a message, telling the server every few seconds (on `clock`) that it is still being worked on. */
export async function keepWorking<T>(
  msg: Pick<JsMsg, 'working'>,
  work: () => Promise<T>,
  clock: Clock = systemClock,
): Promise<T> {
  const timer = every(clock, UPDATE_ACK_WAIT_MS / 3, () => msg.working());
  try {
    return await work();
  } finally {
    timer.stop();
  }
}
