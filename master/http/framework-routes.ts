/**
 * The service framework's apps and the cron framework's jobs, for the page, proxied over their NATS APIs
 * (`agora.v1.api.service`, `agora.v1.api.cron`) with the SDK's `request()`. When nobody answers the reply is
 * 503 `{ error: 'framework unavailable' }`, so the page can say so instead of breaking.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, CRON_API_SUBJECT, JobNameSchema, AppIdSchema, SERVICE_API_SUBJECT, request } from '../../sdk';
import type { Master } from '../master';
import { HttpError, badRequest, notFound } from './errors';

const TIMEOUT_MS = 3000;

export function registerFrameworkRoutes(app: FastifyInstance, m: Master): void {
  const ask = (subject: string, body: object) => proxy(m, subject, body);
  app.get('/api/v1/apps', async () => ask(SERVICE_API_SUBJECT, { type: 'list' }));
  app.get('/api/v1/apps/*', async (req) => {
    const appId = `/${decodeURIComponent((req.params as Record<string, string>)['*'])}`.replace(/\/+$/, '');
    if (!AppIdSchema.safeParse(appId).success) throw badRequest(`appId: '${appId}' is not an app id (a path like /shop/cart)`);
    return ask(SERVICE_API_SUBJECT, { type: 'show', appId });
  });
  app.get('/api/v1/deployments', async () => ask(SERVICE_API_SUBJECT, { type: 'deployments', all: false }));
  app.get('/api/v1/jobs', async () => ask(CRON_API_SUBJECT, { type: 'list' }));
  app.get<{ Params: { name: string } }>('/api/v1/jobs/:name', async (req) => ask(CRON_API_SUBJECT, { type: 'show', name: jobName(req.params.name) }));
  app.get<{ Params: { name: string }; Querystring: { limit?: string } }>('/api/v1/jobs/:name/runs', async (req) => {
    const raw = req.query.limit ?? '20';
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) throw badRequest(`limit: '${raw}' must be an integer from 1 to 1000`);
    return ask(CRON_API_SUBJECT, { type: 'history', name: jobName(req.params.name), limit: Number(raw) });
  });
}

function jobName(name: string): string {
  if (!JobNameSchema.safeParse(name).success) throw badRequest(`name: '${name}' is not a job name (1–63 of a-z 0-9 - _)`);
  return name;
}

async function proxy(m: Master, subject: string, body: object): Promise<object> {
  try {
    const reply = await request<Record<string, unknown>>(m.nc, subject, body, { timeoutMs: TIMEOUT_MS });
    const { ok: _ok, ...rest } = reply;
    return rest;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'NOT_FOUND') throw notFound(e.message);
    if (e instanceof ApiError && e.code === 'INVALID') throw badRequest(e.message);
    if (e instanceof ApiError && e.code === 'UNAVAILABLE') throw new FrameworkUnavailable(e.message);
    throw new HttpError(502, `${subject}: ${(e as Error).message}`);
  }
}

export class FrameworkUnavailable extends HttpError {
  constructor(message: string) { super(503, message); this.name = 'FrameworkUnavailable'; }
}
