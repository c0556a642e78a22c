/**
 * `agora master` (bin/agora-master): runs one master. Also exports `startMaster` for in-process use by tests
 * and embedding.
 *
 *   agora master --nats nats://127.0.0.1:4222 --http-port 5050 --data-dir ./.agora/master
 */
import { Command, InvalidArgumentError } from 'commander';
import type { FastifyInstance } from 'fastify';
import {
  connectNats,
  createLogger,
  handleProcessFailures,
  lockDataDir,
  parseDurationMs,
  stopOnSignals,
  systemClock,
  type Clock,
  type Logger,
  type NatsConnection,
} from '../sdk';
import { HierarchicalDrfAllocator } from './allocator/drf-allocator';
import { DEFAULT_MASTER_CONFIG, type MasterConfig } from './config';
import { startHttp } from './http/server';
import { Master } from './master';

export interface RunningMaster {
  master: Master;
  http: FastifyInstance;
  httpUrl: string;
  stop(): Promise<void>;
}

export async function startMaster(
  partial: Partial<MasterConfig>,
  opts: { clock?: Clock; log?: Logger; nc?: NatsConnection } = {},
): Promise<RunningMaster> {
  const config: MasterConfig = { ...DEFAULT_MASTER_CONFIG, ...partial };
  const log = opts.log ?? createLogger('master');
  const nc = opts.nc ?? (await connectNats({ servers: config.natsUrl, name: 'agora-master', log }));
  const master = new Master(config, {
    nc,
    clock: opts.clock ?? systemClock,
    allocator: new HierarchicalDrfAllocator(),
    log,
  });
  await master.start();
  const http = await startHttp(master, {
    host: config.httpHost,
    port: config.httpPort,
    tlsCert: config.httpTlsCert,
    tlsKey: config.httpTlsKey,
    anonymousRole: config.httpAnonymousRole,
    metricsAnonymous: config.metricsAnonymous,
  });
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.httpPort;
  const httpUrl = `${config.httpTlsCert ? 'https' : 'http'}://${config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost}:${port}`;
  log.info({ http: httpUrl, nats: config.natsUrl, dataDir: config.dataDir }, 'master listening');
  return {
    master,
    http,
    httpUrl,
    async stop() {
      await http.close();
      await master.stop();
      if (!opts.nc)
        await nc.drain().catch((e: Error) => log.warn({ err: e.message }, 'NATS connection did not drain cleanly'));
    },
  };
}

const int = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return Number(v);
};
const anonymousRole = (v: string) => {
  if (v !== 'none' && v !== 'viewer')
    throw new InvalidArgumentError(`--anonymous: '${v}' must be none or viewer (operator and admin need a token)`);
  return v;
};
const ms = (name: string) => (v: string) => {
  const n = parseDurationMs(v, 'ms');
  if (n === undefined) throw new InvalidArgumentError(`${name} must be a duration like 500ms, 15s, 10m`);
  return n;
};

export function masterProgram(): Command {
  const d = DEFAULT_MASTER_CONFIG;
  return new Command('agora master')
    .description(
      'Run an Agora master: admits agents, offers their resources to frameworks (hierarchical DRF), tracks tasks, serves the operator API.',
    )
    .option('--nats <url>', 'NATS server (env AGORA_NATS)', process.env.AGORA_NATS ?? d.natsUrl)
    .option('--http-host <host>', 'HTTP listen address (0.0.0.0 opens the API to the network)', d.httpHost)
    .option('--http-port <port>', 'HTTP port for the API and status page', int('--http-port'), d.httpPort)
    .option('--http-tls-cert <file>', 'serve HTTPS with this PEM certificate (with --http-tls-key)')
    .option('--http-tls-key <file>', 'PEM private key for --http-tls-cert')
    .option('--anonymous <role>', 'role of requests without a token: none (default) or viewer', anonymousRole, 'none')
    .option('--metrics-anonymous', 'let Prometheus scrape /metrics without a token (default: a viewer token)', false)
    .option(
      '--data-dir <dir>',
      'where the registry lives (env AGORA_HOME/master)',
      process.env.AGORA_HOME ? `${process.env.AGORA_HOME}/master` : d.dataDir,
    )
    .option(
      '--secret-key-file <file>',
      'key that seals secrets, outside the data dir (env AGORA_SECRET_KEY_FILE; default ~/.config/agora/keys/<hash>.key)',
      process.env.AGORA_SECRET_KEY_FILE,
    )
    .option(
      '--allocation-interval <duration>',
      'batch allocation interval',
      ms('--allocation-interval'),
      d.allocationIntervalMs,
    )
    .option(
      '--offer-timeout <duration>',
      'rescind offers outstanding this long (0 = never)',
      ms('--offer-timeout'),
      d.offerTimeoutMs,
    )
    .option(
      '--agent-ping-timeout <duration>',
      'agent heartbeat timeout',
      ms('--agent-ping-timeout'),
      d.agentPingTimeoutMs,
    )
    .option(
      '--max-agent-ping-timeouts <n>',
      'missed heartbeats before an agent is unreachable',
      int('--max-agent-ping-timeouts'),
      d.maxAgentPingTimeouts,
    )
    .option(
      '--agent-removal-timeout <duration>',
      'unreachable this long → agent removed, its tasks GONE',
      ms('--agent-removal-timeout'),
      d.agentRemovalTimeoutMs,
    )
    .option(
      '--framework-heartbeat-interval <duration>',
      'heartbeat interval expected from frameworks',
      ms('--framework-heartbeat-interval'),
      d.frameworkHeartbeatIntervalMs,
    )
    .option(
      '--completed-task-history <n>',
      'completed tasks kept for the API and page',
      int('--completed-task-history'),
      d.completedTaskHistory,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ agora master
  $ agora master --nats nats://10.0.0.5:4222 --http-port 5050 --data-dir /var/lib/agora/master
  $ agora master --http-host 0.0.0.0 --http-tls-cert master.crt --http-tls-key master.key
  $ agora master --anonymous viewer --metrics-anonymous     # read-only page and scrapes without a token
  $ agora master --allocation-interval 500ms --offer-timeout 30s --agent-ping-timeout 5s
`,
    );
}

export async function main(argv = process.argv): Promise<void> {
  const program = masterProgram();
  program.parse(argv);
  const o = program.opts();
  const log = createLogger('master');
  // One master per registry: a second on the same data dir refuses, naming the first's pid.
  const lock = lockDataDir(o.dataDir, 'agora master');
  handleProcessFailures(
    log,
    'a restarted master recovers frameworks and roles from its registry and tasks from re-registering agents',
  );
  const running = await startMaster(
    {
      natsUrl: o.nats,
      httpHost: o.httpHost,
      httpPort: o.httpPort,
      httpTlsCert: o.httpTlsCert,
      httpTlsKey: o.httpTlsKey,
      httpAnonymousRole: o.anonymous === 'viewer' ? 'viewer' : undefined,
      metricsAnonymous: o.metricsAnonymous,
      dataDir: o.dataDir,
      secretKeyFile: o.secretKeyFile,
      allocationIntervalMs: o.allocationInterval,
      offerTimeoutMs: o.offerTimeout,
      agentPingTimeoutMs: o.agentPingTimeout,
      maxAgentPingTimeouts: o.maxAgentPingTimeouts,
      agentRemovalTimeoutMs: o.agentRemovalTimeout,
      frameworkHeartbeatIntervalMs: o.frameworkHeartbeatInterval,
      completedTaskHistory: o.completedTaskHistory,
    },
    { log },
  );
  stopOnSignals(log, async () => {
    await running.stop();
    lock.release();
  });
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`agora master: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
