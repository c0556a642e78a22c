/** Maintenance: `POST /api/v1/agents/:id/drain` { deadline: '10m' | ms } and `POST /api/v1/agents/:id/undrain`. */
import type { FastifyInstance } from 'fastify';
import { DrainError, parseDeadline, type DrainController } from '../drain';
import type { Master } from '../master';
import { badRequest, notFound } from './errors';
import { agentView } from './views';

const DEFAULT_DEADLINE = '10m';

export function registerDrainRoutes(app: FastifyInstance, m: Master, drains: DrainController): void {
  const guarded = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof DrainError && e.code === 'NOT_FOUND') throw notFound(e.message);
      if (e instanceof DrainError) throw badRequest(e.message);
      throw e;
    }
  };
  app.post<{ Params: { id: string } }>('/api/v1/agents/:id/drain', async (req) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body))
      throw badRequest('body: expected a JSON object like {"deadline": "10m"}');
    for (const k of Object.keys(body))
      if (k !== 'deadline') throw badRequest(`body: unknown field '${k}' (known: deadline)`);
    const deadlineMs = parseDeadline(body.deadline ?? DEFAULT_DEADLINE);
    if (deadlineMs === undefined)
      throw badRequest(
        `deadline: ${JSON.stringify(body.deadline)} is not a duration (e.g. "10m", "30s", "0s", or milliseconds up to 30 days)`,
      );
    const a = guarded(() => drains.drain(req.params.id, deadlineMs));
    return { ...agentView(m, a), drain: a.drain };
  });
  app.post<{ Params: { id: string } }>('/api/v1/agents/:id/undrain', async (req) => {
    const a = guarded(() => drains.undrain(req.params.id));
    return agentView(m, a);
  });
}
