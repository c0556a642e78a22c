/**
 * `agora-lb`: HAProxy in front of every app of the service framework that asks for a `loadBalancer` port.
 * `agora up` starts it when haproxy is installed; run by hand (one per load-balancer host):
 *
 *   node bin/agora-lb --nats nats://127.0.0.1:4222 --data-dir .agora/lb [--bind 0.0.0.0] [--poll-ms 250]
 *
 * It keeps its HAProxy configuration, stats socket and server-state file in the data dir; HAProxy runs as its
 * child (master-worker mode) and stops with it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { connectNats, createLogger, stopOnSignals, type Logger } from 'agora/sdk';
import { Balancer } from './balancer';
import { findHaproxy, Haproxy, HaproxyError, type HaproxyPaths } from './haproxy';

export interface LbOptions {
  natsUrl: string;
  /** Credentials file (default: the cluster's creds/lb.json under AGORA_HOME). */
  credentials?: string;
  dataDir: string;
  /** Address the frontends bind (default all interfaces). */
  bindAddress?: string;
  pollMs?: number;
  haproxyBinary?: string;
  resolve?: (hostname: string) => Promise<string>;
  log?: Logger;
}

export interface RunningLb { balancer: Balancer; haproxy: Haproxy; paths: HaproxyPaths; stop(): Promise<void> }

export async function startLb(opts: LbOptions): Promise<RunningLb> {
  const log = opts.log ?? createLogger('lb');
  const binary = opts.haproxyBinary ?? findHaproxy();
  if (!binary) throw new HaproxyError('haproxy is not installed (Debian: apt-get install haproxy, or npm run setup as root)');
  const dir = resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const paths: HaproxyPaths = { binary, config: join(dir, 'haproxy.cfg'), socket: join(dir, 'haproxy.sock'), serverState: join(dir, 'server-state') };
  const haproxy = new Haproxy(paths, log);
  const nc = await connectNats({ servers: opts.natsUrl, name: 'agora-lb', credentials: opts.credentials, principal: 'lb', log });
  const balancer = new Balancer({ nc, haproxy, paths, log, pollMs: opts.pollMs, bindAddress: opts.bindAddress, resolve: opts.resolve });
  balancer.start();
  log.info({ dataDir: dir, haproxy: binary, bind: opts.bindAddress ?? '0.0.0.0' }, 'load balancer up');
  return {
    balancer, haproxy, paths,
    async stop() {
      await balancer.stop();
      await nc.drain().catch((e) => log.warn({ err: (e as Error).message }, 'closing the NATS connection failed'));
    },
  };
}

export async function main(argv = process.argv): Promise<void> {
  const program = new Command('agora-lb')
    .description('HAProxy in front of every service-framework app with a loadBalancer port: ready instances serve, draining ones drain')
    .option('--nats <url>', 'NATS server of the cluster (env AGORA_NATS)', process.env.AGORA_NATS ?? 'nats://127.0.0.1:4222')
    .requiredOption('--data-dir <dir>', 'where its HAProxy configuration, socket and server-state file live')
    .option('--bind <address>', 'address the load-balanced ports listen on', '0.0.0.0')
    .option('--poll-ms <ms>', 'how often it asks the service framework (keep well under the apps\' drainSeconds)', '250')
    .option('--haproxy <path>', 'the haproxy executable (default: found on this machine)')
    .addHelpText('after', '\nExamples:\n  agora-lb --data-dir .agora/lb\n  agora-lb --nats nats://10.0.0.5:4222 --data-dir /var/lib/agora/lb --bind 10.0.0.9')
    .parse(argv);
  const o = program.opts<{ nats: string; dataDir: string; bind: string; pollMs: string; haproxy?: string }>();
  const pollMs = Number(o.pollMs);
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new Error(`--poll-ms: '${o.pollMs}' is not a whole number of milliseconds ≥ 10`);
  const log = createLogger('lb');
  const lb = await startLb({ natsUrl: o.nats, dataDir: o.dataDir, bindAddress: o.bind, pollMs, haproxyBinary: o.haproxy, log });
  stopOnSignals(log, () => lb.stop(), 'haproxy stops too');
}

if (require.main === module) main().catch((err) => { process.stderr.write(`agora-lb: ${(err as Error).message}\n`); process.exit(1); });
