/**
 * The agent's status-update outbox: every update is written to the checkpoint's outbox store first (SQLite for
 * `agora agent`, memory for `agora sim`; checkpoint.ts), then published to JetStream
 * (message id = update uuid, so a re-publish is deduplicated) and deleted once the server acknowledges it.
 * One sequential sender keeps updates in order; while NATS is unreachable they wait on disk.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { encode, subjects, type Logger, type TaskStatus } from '../sdk';
import { systemClock, type Clock } from '../sdk/clock';
import type { OutboxStore } from './checkpoint';

export class UpdateOutbox {
  private readonly js: JetStreamClient;
  private sending = false;
  private stopped = false;
  private wake?: () => void;
  published = 0;

  constructor(
    private readonly store: OutboxStore,
    nc: NatsConnection,
    private readonly agentId: string,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.js = jetstream(nc);
    this.watchReconnects(nc);
  }

  /** A reconnect ends the retry wait at once: updates held while NATS was away go out as soon as it is back. */
  private watchReconnects(nc: NatsConnection): void {
    (async () => {
      for await (const s of nc.status()) {
        if (this.stopped) break;
        if (s.type === 'reconnect') this.kick();
      }
    })().catch((err: unknown) =>
      this.log.warn({ err: (err as Error).message }, 'outbox stopped watching NATS reconnects'),
    );
  }

  /** Durably queues an update; it is sent in order, at least once. */
  add(status: TaskStatus): void {
    this.store.append(status.uuid!, encode({ status }));
    this.kick();
  }

  pending(): number {
    return this.store.count();
  }

  start(): void {
    this.send();
  }
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
  kick(): void {
    this.wake?.();
    if (!this.sending) this.send();
  }

  /** Starts the sender; it retries publishes itself, so only a database failure ends it (the next kick restarts it). */
  private send(): void {
    this.run().catch((err: Error) =>
      this.log.error({ err: err.message, agentId: this.agentId }, 'outbox sender stopped; the next update restarts it'),
    );
  }

  private async run(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    let failures = 0;
    try {
      while (!this.stopped) {
        const row = this.store.first();
        if (!row) break;
        try {
          await this.js.publish(subjects.agentUpdates(this.agentId), row.payload, { msgID: row.uuid, timeout: 5000 });
          this.store.remove(row.seq);
          this.published++;
          failures = 0;
        } catch (e) {
          failures++;
          const delay = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
          if (failures === 1 || failures % 20 === 0)
            this.log.warn(
              { err: (e as Error).message, pending: this.pending(), retryInMs: delay },
              'status updates waiting for NATS',
            );
          await new Promise<void>((r) => {
            const t = this.clock.setTimeout(r, delay);
            this.wake = () => {
              this.clock.clearTimeout(t);
              r();
            };
          });
          this.wake = undefined;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
