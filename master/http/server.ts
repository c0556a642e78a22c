/**
 * The master's operator HTTP API (fastify): /health, /api/v1/state, agents, frameworks, tasks, roles, and
 * task sandbox files through the agents' file API. Bad parameters get 400 with a message, unknown ids 404.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Master } from '../master';
import { registerReadRoutes } from './read-routes';
import { registerRoleRoutes } from './role-routes';
import { registerFileRoutes } from './file-routes';

export async function startHttp(m: Master, host: string, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) m.log.error({ err }, 'HTTP handler failed');
    void reply.status(status).send({ error: status >= 500 ? 'internal error' : 'bad request', message: err.message });
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: 'not found', message: `no route ${req.method} ${req.url}` }));
  app.get('/health', async () => ({ status: 'ok', masterId: m.id }));
  registerReadRoutes(app, m);
  registerRoleRoutes(app, m);
  registerFileRoutes(app, m);
  await app.listen({ host, port });
  return app;
}
