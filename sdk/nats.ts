/**
 * Connecting to NATS the way every Agora process does: retry until the server answers (saying so in the
 * log, never a stack trace), then reconnect forever with backoff, logging each disconnect and reconnect.
 */
import { existsSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './log';
import { credentialsPath, findCredentialsPath, loadCredentials, natsAuthOptions, type CredentialsFile } from './credentials';

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
  /** Credentials (a file's contents or its path); default: see resolveCredentials. */
  credentials?: CredentialsFile | string;
  /** The principal whose credentials to look for in `$AGORA_HOME/security/creds/` (components: 'master', 'service'…). */
  principal?: string;
}

/**
 * The credentials a process uses: given ones; else, for a component, its own from the cluster's security home
 * (`$AGORA_HOME/security/creds/<principal>.json`, and nothing else); else `AGORA_CREDS`, else the admin's of the
 * cluster at `AGORA_HOME` (default ./.agora). None: connect without (a secured server refuses, and the error says so).
 */
export function resolveCredentials(opts: { credentials?: CredentialsFile | string; principal?: string }, env: NodeJS.ProcessEnv = process.env): CredentialsFile | undefined {
  if (typeof opts.credentials === 'object') return opts.credentials;
  if (typeof opts.credentials === 'string') return loadCredentials(opts.credentials);
  const home = env.AGORA_HOME ?? '.agora';
  // A component (master, agent, service…) uses only its own credentials, never an operator's found in the environment.
  if (opts.principal) return existsSync(credentialsPath(home, opts.principal)) ? loadCredentials(credentialsPath(home, opts.principal)) : undefined;
  const path = findCredentialsPath(undefined, { ...env, AGORA_HOME: home });
  return path ? loadCredentials(path) : undefined;
}

export async function connectNats(opts: ConnectOptions): Promise<NatsConnection> {
  const started = Date.now();
  let attempt = 0;
  const creds = resolveCredentials(opts);
  const auth = creds ? natsAuthOptions(creds) : {};
  for (;;) {
    try {
      const nc = await connect({
        servers: opts.servers, name: opts.name, ...auth,
        maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100, pingInterval: 5000, maxPingOut: 3,
      });
      if (attempt > 0) opts.log?.info({ servers: opts.servers }, 'connected to NATS');
      watchStatus(nc, opts);
      return nc;
    } catch (err) {
      attempt++;
      // Refused credentials do not get better by retrying: say who was refused and stop.
      if (/authorization|authentication|permissions violation|user.*revoked/i.test((err as Error).message)) {
        throw new Error(`NATS at ${String(opts.servers)} refused ${creds ? `the credentials of principal '${creds.principal}'` : 'a connection without credentials (pass --creds or set AGORA_CREDS)'}: ${(err as Error).message}`, { cause: err });
      }
      if (opts.startTimeoutMs !== undefined && Date.now() - started > opts.startTimeoutMs) {
        throw new Error(`cannot reach NATS at ${String(opts.servers)} after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
      }
      const delay = Math.min(5000, 200 * 2 ** Math.min(attempt, 5));
      if (attempt === 1 || attempt % 10 === 0) opts.log?.warn({ servers: opts.servers, attempt, retryInMs: delay, err: (err as Error).message }, 'NATS not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function watchStatus(nc: NatsConnection, opts: ConnectOptions): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') { opts.log?.warn({ server: s.server }, 'NATS disconnected; reconnecting'); opts.onDisconnect?.(); }
      else if (s.type === 'reconnect') { opts.log?.info({ server: s.server }, 'NATS reconnected'); opts.onReconnect?.(); }
    }
  })().catch((err) => opts.log?.error({ err }, 'NATS status watcher ended'));
}
