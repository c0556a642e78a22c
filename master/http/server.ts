/**
 * The master's operator HTTP API (fastify): /health, /api/v1/state, agents, frameworks, tasks, roles, task
 * sandbox files through the agents' file API, the event stream, maintenance (drain), the service and cron
 * frameworks' apps and jobs, /metrics (and the frameworks' at /metrics/frameworks, agents for Prometheus's
 * service discovery at /api/v1/sd/agents), the console's actions, tokens, secrets (names and grants; values go in, never out), and the status page at /. Bad
 * parameters get 400 with a message, unknown ids 404, a framework nobody answers for 503. Every route but
 * /health and the page's files needs a token's permission (auth.ts); 127.0.0.1 unless the operator opens it,
 * HTTPS when given a certificate. Routes are documented in docs/api.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HttpRole } from '../../sdk';
import type { Master } from '../master';
import { registerActionRoutes } from './action-routes';
import { installAuth } from './auth';
import { registerDrainRoutes } from './drain-routes';
import { registerEventRoutes } from './event-routes';
import { registerFileRoutes } from './file-routes';
import { registerFrameworkRoutes } from './framework-routes';
import { registerMetricsRoutes } from './metrics-routes';
import { registerOverviewRoutes } from './overview-routes';
import { registerPageRoutes } from './page-routes';
import { registerReadRoutes } from './read-routes';
import { registerRoleRoutes } from './role-routes';
import { registerSecretRoutes } from './secret-routes';
import { registerTokenRoutes } from './token-routes';
import { BOOTSTRAP_TOKEN_FILE, TokenStore } from './tokens';

export interface HttpOptions {
  host: string;
  port: number;
  /** PEM files; both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** The role of requests without a token (default: none — refused). */
  anonymousRole?: HttpRole;
  /** /metrics (and the frameworks' metrics and agent discovery) without a token, for Prometheus. */
  metricsAnonymous?: boolean;
}

/** Where a master writes its first admin token (in its data dir). */
export const bootstrapTokenFile = (dataDir: string) => join(dataDir, BOOTSTRAP_TOKEN_FILE);

const LABELS: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  502: 'bad gateway',
  503: 'unavailable',
};

export async function startHttp(m: Master, o: HttpOptions): Promise<FastifyInstance> {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
    throw new Error('HTTP TLS needs both --http-tls-cert and --http-tls-key');
  const https = o.tlsCert && o.tlsKey ? { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) } : undefined;
  const app = (
    https
      ? Fastify({ logger: false, bodyLimit: 1024 * 1024, https })
      : Fastify({ logger: false, bodyLimit: 1024 * 1024 })
  ) as FastifyInstance;
  const tokens = new TokenStore(m.config.dataDir, () => m.clock.now());
  app.addHook('onClose', async () => tokens.close());
  const file = tokens.bootstrap(bootstrapTokenFile(m.config.dataDir));
  if (file)
    m.log.info(
      { file },
      'created the first admin token (named bootstrap); keep the file safe, create others with agora token create',
    );
  installAuth(app, {
    tokens,
    anonymousRole: o.anonymousRole,
    metricsAnonymous: o.metricsAnonymous,
    log: m.log,
    now: () => m.clock.now(),
  });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 500) m.log.error({ err }, 'HTTP handler failed');
    const error =
      status === 503 && err.name === 'FrameworkUnavailable'
        ? 'framework unavailable'
        : (LABELS[status] ?? (status >= 500 ? 'internal error' : 'bad request'));
    void reply.status(status).send({ error, message: err.message });
  });
  app.setNotFoundHandler(
    (req, reply) => void reply.status(404).send({ error: 'not found', message: `no route ${req.method} ${req.url}` }),
  );
  app.get('/health', async () => ({ status: 'ok', masterId: m.id }));
  registerReadRoutes(app, m);
  registerRoleRoutes(app, m);
  registerFileRoutes(app, m);
  registerEventRoutes(app, m);
  registerDrainRoutes(app, m, m.drains);
  registerOverviewRoutes(app, m, m.utilization);
  registerFrameworkRoutes(app, m);
  registerPageRoutes(app, m);
  registerMetricsRoutes(app, m);
  registerActionRoutes(app, m);
  registerTokenRoutes(app, tokens);
  registerSecretRoutes(app, m);
  await app.listen({ host: o.host, port: o.port });
  return app;
}
