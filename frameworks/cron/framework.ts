/**
 * The cron framework process: a SchedulerDriver (the public SDK) wired to the CronService, its SQLite store
 * under the data dir, and its request/reply API on `agora.v1.api.cron`.
 *
 *   const cron = await startCronFramework({ natsUrl: 'nats://127.0.0.1:4222', dataDir: './.agora/cron' });
 *   ...
 *   await cron.stop();          // failover: the master keeps its tasks until it comes back
 *
 * The framework id is written to the store before the first SUBSCRIBE, so a restarted process (even after
 * SIGKILL) re-subscribes as the same framework, reconciles its running runs and never decides a slot twice.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  connectNats,
  createLogger,
  SchedulerDriver,
  serveRequests,
  systemClock,
  type Clock,
  type Logger,
  type NatsConnection,
} from 'agora/sdk';
import { CRON_API_SUBJECT, CronRequestSchema } from 'agora/sdk/cron';
import { cronApi } from './api';
import { httpAndNats, Notifier } from './notifier';
import type { DeliveryPolicy } from './notify-core';
import { CronService, type DriverPort } from './service';
import { CronStore } from './store';

export interface CronFrameworkOptions {
  natsUrl?: string;
  /** An existing connection (not closed on stop). */
  nc?: NatsConnection;
  dataDir: string;
  name?: string;
  role?: string;
  /** The principal it acts as (default `cron`): what `agora secret grant NAME cron` names. */
  principal?: string;
  /** How long the master keeps our runs' tasks if we vanish (default 7 days). */
  failoverTimeoutMs?: number;
  /** Retention: ended runs kept per job (default 1000) and their maximum age (default 30 days). */
  keepRunsPerJob?: number;
  maxRunAgeMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Retries and backoff of notification delivery (default: 5 attempts, 1 s doubling to 60 s). */
  deliveryPolicy?: DeliveryPolicy;
}

export interface CronFramework {
  frameworkId: string;
  service: CronService;
  store: CronStore;
  notifier: Notifier;
  stop(opts?: { failover?: boolean }): Promise<void>;
}

export async function startCronFramework(opts: CronFrameworkOptions): Promise<CronFramework> {
  const log = opts.log ?? createLogger('cron');
  const clock = opts.clock ?? systemClock;
  mkdirSync(opts.dataDir, { recursive: true });
  const store = new CronStore(join(opts.dataDir, 'cron.db'));
  const nc =
    opts.nc ?? (await connectNats({ servers: opts.natsUrl ?? 'nats://127.0.0.1:4222', name: 'framework:cron', log }));
  const notifier = new Notifier({ store, clock, log, transport: httpAndNats(nc), policy: opts.deliveryPolicy });
  const service = new CronService({
    store,
    clock,
    log,
    keepRunsPerJob: opts.keepRunsPerJob,
    maxRunAgeMs: opts.maxRunAgeMs,
    onNotificationsQueued: () => notifier.kick(),
  });

  const driver: SchedulerDriver = new SchedulerDriver({
    nc,
    log,
    framework: {
      id: store.getMeta('frameworkId'),
      name: opts.name ?? 'cron',
      roles: [opts.role ?? '*'],
      principal: opts.principal ?? 'cron',
      failoverTimeoutMs: opts.failoverTimeoutMs ?? 7 * 86_400_000,
      apiSubject: CRON_API_SUBJECT,
    },
    scheduler: {
      registered: async (_d, info) => {
        log.info({ frameworkId: info.frameworkId, reregistered: info.reregistered }, 'cron framework subscribed');
        await service.attach(port);
      },
      resourceOffers: (_d, offers) => service.onOffers(offers),
      statusUpdate: (_d, status) => service.onStatus(status),
      error: (_d, message) => {
        log.error({ message }, 'master reported an error');
      },
      disconnected: () => {
        log.warn('master unreachable; runs keep their state and resume on re-subscription');
      },
    },
  });
  const port: DriverPort = {
    launch: (ids, tasks, filters) => driver.launch(ids, tasks, filters),
    decline: (ids, filters) => driver.decline(ids, filters),
    kill: (taskId, agentId) => driver.kill(taskId, agentId),
    reconcile: (tasks) => driver.reconcile(tasks),
    revive: () => driver.revive(),
    suppress: () => driver.suppress(),
  };
  // Written before the first SUBSCRIBE: a restart, however abrupt, comes back as the same framework.
  store.setMeta('frameworkId', driver.frameworkId);

  const api = cronApi(service, () => clock.now());
  const sub = serveRequests(nc, CRON_API_SUBJECT, CronRequestSchema, (req) => api(req), log);
  await driver.start();
  notifier.kick(); // what a previous process still owed

  return {
    frameworkId: driver.frameworkId,
    service,
    store,
    notifier,
    async stop(stopOpts = {}) {
      await driver.stop({ failover: stopOpts.failover ?? true }); // no events after this
      service.detach();
      await notifier.stop(); // deliveries in flight are recorded before the store closes
      sub.unsubscribe();
      if (!opts.nc)
        await nc
          .drain()
          .catch((e: Error) => log.warn({ err: e.message }, 'NATS connection did not drain cleanly on stop'));
      store.close();
    },
  };
}
