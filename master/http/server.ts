/**
 * The master's operator HTTP API (fastify): /health, /api/v1/state, agents, frameworks, tasks, roles, task
 * sandbox files through the agents' file API, the event stream, maintenance (drain), the service and cron
 * frameworks' apps and jobs, /metrics (and the frameworks' at /metrics/frameworks, agents for Prometheus's
 * service discovery at /api/v1/sd/agents), and the status page at /. Bad parameters get 400 with a message,
 * unknown ids 404, a framework nobody answers for 503. Routes are documented in docs/api.md.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Master } from '../master';
import { registerDrainRoutes } from './drain-routes';
import { registerEventRoutes } from './event-routes';
import { registerFileRoutes } from './file-routes';
import { registerFrameworkRoutes } from './framework-routes';
import { registerMetricsRoutes } from './metrics-routes';
import { registerOverviewRoutes } from './overview-routes';
import { registerPageRoutes } from './page-routes';
import { registerReadRoutes } from './read-routes';
import { registerRoleRoutes } from './role-routes';

const LABELS: Record<number, string> = { 400: 'bad request', 404: 'not found', 409: 'conflict', 502: 'bad gateway', 503: 'unavailable' };

export async function startHttp(m: Master, host: string, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 500) m.log.error({ err }, 'HTTP handler failed');
    const error = status === 503 && err.name === 'FrameworkUnavailable' ? 'framework unavailable' : LABELS[status] ?? (status >= 500 ? 'internal error' : 'bad request');
    void reply.status(status).send({ error, message: err.message });
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: 'not found', message: `no route ${req.method} ${req.url}` }));
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
  await app.listen({ host, port });
  return app;
}
