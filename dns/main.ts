/**
 * `agora-dns` (`agora dns`): the cluster's DNS server. A client of the cluster like the CLI — it uses only
 * `agora/sdk` — that answers for the zone `agora.` from the service framework's ready endpoints.
 *
 *   node bin/agora-dns --nats nats://127.0.0.1:4222 --port 8600
 *   dig @127.0.0.1 -p 8600 cart.shop.agora                # A: hosts of /shop/cart's ready instances
 *   dig @127.0.0.1 -p 8600 SRV _port0._tcp.cart.shop.agora  # SRV: host and port of each
 *
 * `agora up` runs one beside the master (127.0.0.1:8600, `--dns-port`).
 */
import { Command, InvalidArgumentError } from 'commander';
import { connectNats, createLogger, stopOnSignals, type Logger, type NatsConnection } from 'agora/sdk';
import { answerQuery } from './answer';
import { ServiceFeed, type HostResolver } from './feed';
import { startDnsServer } from './server';
import { buildZone, type Zone } from './zone';

export interface DnsOptions {
  natsUrl: string;
  /** Credentials file (default: the cluster's creds/dns.json under AGORA_HOME). */
  credentials?: string;
  host?: string;
  /** 0 = any free port (UDP and TCP share it). */
  port: number;
  resyncMs?: number;
  resolver?: HostResolver;
  log?: Logger;
}

export interface RunningDns { host: string; port: number; zone(): Zone; feed: ServiceFeed; stop(): Promise<void> }

export async function startDns(opts: DnsOptions): Promise<RunningDns> {
  const log = opts.log ?? createLogger('dns');
  let zone = buildZone({ apps: [], addresses: new Map(), serial: Math.floor(Date.now() / 1000) });
  let feed: ServiceFeed | undefined;
  const nc: NatsConnection = await connectNats({ servers: opts.natsUrl, name: 'agora-dns', credentials: opts.credentials, principal: 'dns', log, onReconnect: () => feed?.refresh() });
  feed = new ServiceFeed({ nc, log, resyncMs: opts.resyncMs, resolver: opts.resolver, onZone: (z) => { zone = z; } });
  const server = await startDnsServer({ host: opts.host ?? '127.0.0.1', port: opts.port, log, answer: (q, transport) => answerQuery(zone, q, transport) })
    .catch(async (e: unknown) => { await nc.close(); throw e; });
  await feed.start();
  log.info({ host: server.host, port: server.port, zone: `${zone.origin}.` }, 'DNS server up');
  const running = feed;
  return {
    host: server.host, port: server.port, zone: () => zone, feed: running,
    async stop() {
      await running.stop();
      await server.close();
      await nc.drain().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'NATS drain failed'));
    },
  };
}

const portArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`'${v}' is not a port number (0–65535)`);
  return n;
};

export function dnsProgram(): Command {
  return new Command('agora dns')
    .description("the cluster's DNS server: apps of the service framework as names in the zone agora. (A and SRV records of their ready instances)")
    .option('--nats <url>', 'NATS server of the cluster (env AGORA_NATS)', process.env.AGORA_NATS ?? 'nats://127.0.0.1:4222')
    .option('--host <address>', 'address to listen on (UDP and TCP)', '127.0.0.1')
    .option('--port <port>', 'port to listen on (UDP and TCP; 0 = any free port)', portArg, 8600)
    .option('--resync <seconds>', 'full refresh this often besides the change feed', '5')
    .addHelpText('after', `
Names (TTL 5 s): /shop/cart answers as
  cart.shop.agora.                A    the hosts of its ready instances (running, and healthy if it has checks)
  _port0._tcp.cart.shop.agora.    SRV  host and port of each ready instance (one name per port index)
  <host>.agents.agora.            A    an agent's host (the targets of SRV records)
Unknown names in agora. get NXDOMAIN, names outside it REFUSED (this is not a recursive resolver).

Examples:
  $ agora dns
  $ agora dns --nats nats://10.0.0.5:4222 --host 0.0.0.0 --port 53
  $ dig @127.0.0.1 -p 8600 cart.shop.agora
  $ dig @127.0.0.1 -p 8600 +tcp SRV _port0._tcp.cart.shop.agora
`);
}

export async function main(argv = process.argv): Promise<void> {
  const o = dnsProgram().parse(argv).opts<{ nats: string; host: string; port: number; resync: string }>();
  const resyncS = Number(o.resync);
  if (!(resyncS > 0)) throw new Error(`--resync: '${o.resync}' is not a positive number of seconds`);
  const log = createLogger('dns');
  const dns = await startDns({ natsUrl: o.nats, host: o.host, port: o.port, resyncMs: resyncS * 1000, log });
  stopOnSignals(log, () => dns.stop());
}

if (require.main === module) main().catch((err) => { process.stderr.write(`agora-dns: ${(err as Error).message}\n`); process.exit(1); });
