/**
 * `agora-service`: the long-running service framework as a process. `agora up` starts it; run by hand:
 *
 *   node bin/agora-service --nats nats://127.0.0.1:4222 --data-dir .agora/service [--name service] [--role '*']
 *
 * It re-subscribes with the framework id kept in its data dir, so a restarted (or SIGKILLed) process carries on
 * its apps, instances and unfinished deployments. SIGINT/SIGTERM stop it with failover (its tasks keep running).
 */
import { Command } from 'commander';
import { connectNats, createLogger, encode, SchedulerDriver, stopOnSignals, systemClock, type Logger } from 'agora/sdk';
import { SERVICE_API_SUBJECT, SERVICE_ENDPOINTS_SUBJECT, type EndpointsChanged } from 'agora/sdk/service';
import { serveServiceApi } from './api';
import { startAutoscaler } from './autoscale';
import { ServiceFramework } from './service';
import { ServiceStore } from './store';

export interface ServiceOptions {
  natsUrl: string;
  dataDir: string;
  name?: string;
  role?: string;
  /** The principal it acts as (default `service`): what `agora secret grant NAME service` names. */
  principal?: string;
  /** How long the master keeps our tasks while we are away (default one week, like Marathon). */
  failoverTimeoutMs?: number;
  /** Reconciler tick while nothing happens (default 1 s). */
  tickMs?: number;
  /** How often autoscaled apps' usage is read and evaluated (default 5 s). */
  autoscaleIntervalMs?: number;
  log?: Logger;
}

export interface RunningService {
  framework: ServiceFramework;
  driver: SchedulerDriver;
  stop(): Promise<void>;
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const log = opts.log ?? createLogger('service');
  const store = ServiceStore.open(opts.dataDir);
  const framework = new ServiceFramework(store, systemClock, log);
  const driver = new SchedulerDriver({
    natsUrl: opts.natsUrl,
    framework: {
      id: store.frameworkId(),
      name: opts.name ?? 'service',
      roles: [opts.role ?? '*'],
      principal: opts.principal ?? 'service',
      failoverTimeoutMs: opts.failoverTimeoutMs ?? 7 * 24 * 3600_000,
      apiSubject: SERVICE_API_SUBJECT,
    },
    scheduler: {
      registered: (d) => framework.registered(d),
      resourceOffers: (_d, offers) => framework.resourceOffers(offers),
      statusUpdate: (_d, s) => framework.statusUpdate(s),
      error: (_d, message) => {
        log.error({ message }, 'master reported an error');
      },
      disconnected: () => {
        log.warn('disconnected from the master');
      },
    },
    log,
  });
  store.setFrameworkId(driver.frameworkId); // before subscribing: a crash right after still finds its tasks
  // The API has its own connection and answers from the stored state even while the master is away.
  const apiConnection = await connectNats({
    servers: opts.natsUrl,
    name: `framework:${opts.name ?? 'service'}:api`,
    log,
  });
  const api = serveServiceApi(apiConnection, framework, log);
  framework.onEndpointsChanged = (appIds) => {
    const msg: EndpointsChanged = { type: 'endpoints-changed', appIds, at: Date.now() };
    apiConnection.publish(SERVICE_ENDPOINTS_SUBJECT, encode(msg));
  };
  await driver.start();
  const tick = setInterval(() => {
    try {
      framework.tick();
    } catch (e) {
      log.error({ err: e }, 'tick failed');
    }
  }, opts.tickMs ?? 1000);
  const autoscaler = startAutoscaler({
    framework,
    usage: () => driver.usage(),
    clock: systemClock,
    log,
    intervalMs: opts.autoscaleIntervalMs,
  });
  log.info({ frameworkId: driver.frameworkId, dataDir: opts.dataDir }, 'service framework up');
  return {
    framework,
    driver,
    async stop() {
      clearInterval(tick);
      autoscaler.stop();
      api.unsubscribe();
      await apiConnection
        .drain()
        .catch((e: Error) => log.warn({ err: e.message }, 'API connection did not drain cleanly on stop'));
      await driver.stop({ failover: true });
      store.close();
    },
  };
}

export async function main(argv = process.argv): Promise<void> {
  const program = new Command('agora-service')
    .description(
      'the long-running service framework (Marathon-like): apps kept running, placed by constraints, rolled without downtime',
    )
    .option(
      '--nats <url>',
      'NATS server of the cluster (env AGORA_NATS)',
      process.env.AGORA_NATS ?? 'nats://127.0.0.1:4222',
    )
    .requiredOption('--data-dir <dir>', 'where its SQLite state lives')
    .option('--name <name>', 'framework name', 'service')
    .option('--role <role>', 'role it subscribes with', '*')
    .option('--principal <principal>', 'principal it acts as (secrets are granted to it)', 'service')
    .option('--failover-timeout <seconds>', 'how long the master keeps its tasks while it is away', '604800')
    .parse(argv);
  const o = program.opts<{
    nats: string;
    dataDir: string;
    name: string;
    role: string;
    principal: string;
    failoverTimeout: string;
  }>();
  const svc = await startService({
    natsUrl: o.nats,
    dataDir: o.dataDir,
    name: o.name,
    role: o.role,
    principal: o.principal,
    failoverTimeoutMs: Number(o.failoverTimeout) * 1000,
  });
  stopOnSignals(createLogger('service'), () => svc.stop(), 'failover: running tasks keep running');
}

if (require.main === module)
  main().catch((err) => {
    process.stderr.write(`agora-service: ${(err as Error).message}\n`);
    process.exit(1);
  });
