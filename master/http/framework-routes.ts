/**
 * Frameworks' own APIs, proxied for the page and tools. The master knows no framework by name: it forwards
 * only to the request/reply subject a subscribed framework declares in its FrameworkInfo (`apiSubject`),
 * with the SDK's `request()`.
 *
 *   POST /api/v1/frameworks/:id/api   body → the framework's apiSubject, its reply back (generic)
 *   GET  /api/v1/apps[/…], /api/v1/deployments   the page's views of the service API (sdk/apps.ts)
 *   GET  /api/v1/jobs[/…]                        the page's views of the cron API (sdk/jobs.ts)
 *
 * The page's views are for APIs the SDK defines (SERVICE_API_SUBJECT, CRON_API_SUBJECT): they go to the
 * subscribed framework that declares that subject, whatever its name. When none does, or nobody answers, the
 * reply is 503 `{ error: 'framework unavailable' }`, so the page can say so instead of breaking.
 */
import type { FastifyInstance } from 'fastify';
import {
  ApiError,
  CRON_API_SUBJECT,
  JobNameSchema,
  AppIdSchema,
  SERVICE_API_SUBJECT,
  request,
  type FrameworkId,
} from '../../sdk';
import type { Master } from '../master';
import { HttpError, badRequest, notFound } from './errors';

const TIMEOUT_MS = 3000;

export function registerFrameworkRoutes(app: FastifyInstance, m: Master): void {
  app.post<{ Params: { id: string }; Body: unknown }>('/api/v1/frameworks/:id/api', async (req) => {
    const fw = m.state.frameworks.get(req.params.id as FrameworkId);
    if (!fw) throw notFound(`no framework '${req.params.id}'`);
    if (!fw.info.apiSubject) throw notFound(`framework '${req.params.id}' declares no apiSubject`);
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
      throw badRequest('body: must be a JSON object (the framework API request)');
    return proxy(m, fw.info.apiSubject, req.body);
  });
  const service = (body: object) => proxy(m, declared(m, SERVICE_API_SUBJECT), body);
  const cron = (body: object) => proxy(m, declared(m, CRON_API_SUBJECT), body);
  app.get('/api/v1/apps', async () => service({ type: 'list' }));
  app.get('/api/v1/apps/*', async (req) => {
    const appId = `/${decodeURIComponent((req.params as Record<string, string>)['*'])}`.replace(/\/+$/, '');
    if (!AppIdSchema.safeParse(appId).success)
      throw badRequest(`appId: '${appId}' is not an app id (a path like /shop/cart)`);
    return service({ type: 'show', appId });
  });
  app.get('/api/v1/deployments', async () => service({ type: 'deployments', all: false }));
  app.get('/api/v1/jobs', async () => cron({ type: 'list' }));
  app.get<{ Params: { name: string } }>('/api/v1/jobs/:name', async (req) =>
    cron({ type: 'show', name: jobName(req.params.name) }),
  );
  app.get<{ Params: { name: string }; Querystring: { limit?: string } }>('/api/v1/jobs/:name/runs', async (req) => {
    const raw = req.query.limit ?? '20';
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000)
      throw badRequest(`limit: '${raw}' must be an integer from 1 to 1000`);
    return cron({ type: 'history', name: jobName(req.params.name), limit: Number(raw) });
  });
}

/** `subject` when a subscribed framework declares it as its apiSubject; otherwise 503. */
export function declared(m: Master, subject: string): string {
  for (const fw of m.state.frameworks.values()) if (fw.info.apiSubject === subject) return subject;
  throw new FrameworkUnavailable(`nobody answers on ${subject}: no subscribed framework declares it as its apiSubject`);
}

export function jobName(name: string): string {
  if (!JobNameSchema.safeParse(name).success)
    throw badRequest(`name: '${name}' is not a job name (1–63 of a-z 0-9 - _)`);
  return name;
}

export async function proxy(m: Master, subject: string, body: object): Promise<object> {
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
  constructor(message: string) {
    super(503, message);
    this.name = 'FrameworkUnavailable';
  }
}
