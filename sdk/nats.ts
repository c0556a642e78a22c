/**
 * Connecting to NATS the way every Agora process does: retry until the server answers (saying so in the
 * log, never a stack trace), then reconnect forever with backoff, logging each disconnect and reconnect.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sleep, systemClock, type Clock } from './clock';
import type { Logger } from './log';

export type { NatsConnection };

export interface ConnectOptions {
  servers: string | string[];
  name: string;
  log?: Logger;
  /** Give up at start after this long (default: never). */
  startTimeoutMs?: number;
  /** Called on every reconnect (after resubscription by the client). */
  onReconnect?: () => void;
  onDisconnect?: () => void;
  /** Time for the start retries and `startTimeoutMs` (default: the system clock). */
  clock?: Clock;
}

export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  let attempt = 0;
  for (;;) {
    try {
      const nc = await connect({
        servers: opts.servers,
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 5000,
        maxPingOut: 3,
      });
      if (attempt > 0) opts.log?.info({ servers: opts.servers }, 'connected to NATS');
      watchStatus(nc, opts);
      return nc;
    } catch (err) {
      attempt++;
      if (opts.startTimeoutMs !== undefined && clock.now() - started > opts.startTimeoutMs) {
        throw new Error(
          `cannot reach NATS at ${String(opts.servers)} after ${attempt} attempts: ${(err as Error).message}`,
          { cause: err },
        );
      }
      const delay = Math.min(5000, 200 * 2 ** Math.min(attempt, 5));
      if (attempt === 1 || attempt % 10 === 0)
        opts.log?.warn(
          { servers: opts.servers, attempt, retryInMs: delay, err: (err as Error).message },
          'NATS not reachable yet; retrying',
        );
      await sleep(clock, delay, { keepAlive: true }); // the CLI, master and agent have nothing else running yet
    }
  }
}

function watchStatus(nc: NatsConnection, opts: ConnectOptions): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        opts.log?.warn({ server: s.server }, 'NATS disconnected; reconnecting');
        opts.onDisconnect?.();
      } else if (s.type === 'reconnect') {
        opts.log?.info({ server: s.server }, 'NATS reconnected');
        opts.onReconnect?.();
      }
    }
  })().catch((err) => opts.log?.error({ err }, 'NATS status watcher ended'));
}
