/**
 * The console's actions (the page and the CLI use the same routes; permissions in auth.ts):
 *   POST   /api/v1/tasks/:id/kill[?framework=]    kill a live task as its framework would (task:kill)
 *   POST   /api/v1/apps/<app-id>/scale            { instances }              (framework:operate, service API)
 *   POST   /api/v1/apps/<app-id>/restart          {}                         (framework:operate)
 *   POST   /api/v1/apps/<app-id>/suspend          {} — scale to 0 instances  (framework:operate)
 *   DELETE /api/v1/apps/<app-id>                  remove the app             (framework:operate)
 *   POST   /api/v1/deployments/:id/cancel         cancel a deployment        (framework:operate)
 *   POST   /api/v1/jobs/:name/run                 { parameters? } run now    (framework:operate, cron API)
 * App and job actions go to the framework that declares the service or cron API, like the page's views.
 */
import type { FastifyInstance } from 'fastify';
import { AppIdSchema, CRON_API_SUBJECT, SERVICE_API_SUBJECT, isTerminal } from '../../sdk';
import type { Master } from '../master';
import { HttpError, badRequest, notFound } from './errors';
import { declared, jobName, proxy } from './framework-routes';
import { principalOf } from './auth';

const APP_ACTIONS = ['scale', 'restart', 'suspend'] as const;

function objectBody(body: unknown, known: string[]): Record<string, unknown> {
  const b = body ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('body: expected a JSON object');
  for (const k of Object.keys(b))
    if (!known.includes(k))
      throw badRequest(`body: unknown field '${k}'${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  return b as Record<string, unknown>;
}

function appIdOf(path: string): string {
  const appId = `/${decodeURIComponent(path)}`.replace(/\/+$/, '');
  if (!AppIdSchema.safeParse(appId).success)
    throw badRequest(`appId: '${appId}' is not an app id (a path like /shop/cart)`);
  return appId;
}

export function registerActionRoutes(app: FastifyInstance, m: Master): void {
  const service = (body: object) => proxy(m, declared(m, SERVICE_API_SUBJECT), body);
  app.post<{ Params: { id: string }; Querystring: { framework?: string } }>('/api/v1/tasks/:id/kill', async (req) => {
    objectBody(req.body, []);
    const t = m.state.findTask(req.params.id, req.query.framework);
    if (!t) throw notFound(`no task '${req.params.id}'`);
    if (isTerminal(t.state)) throw new HttpError(409, `task '${t.info.taskId}' has ended (${t.state})`);
    if (!m.state.frameworks.has(t.frameworkId)) throw notFound(`the framework of task '${t.info.taskId}' is gone`);
    const r = m.run(
      m.core.operatorKill(principalOf(req).token?.name ?? 'anonymous', t.frameworkId, t.info.taskId, m.clock.now()),
    );
    m.log.info({ taskId: t.info.taskId, frameworkId: t.frameworkId }, 'task kill requested over HTTP');
    return { taskId: t.info.taskId, frameworkId: t.frameworkId, ...r };
  });
  app.post('/api/v1/apps/*', async (req) => {
    const rest = (req.params as Record<string, string>)['*'];
    const i = rest.lastIndexOf('/');
    const action = rest.slice(i + 1);
    if (i < 0 || !(APP_ACTIONS as readonly string[]).includes(action))
      throw notFound(
        `no app action '${action}' (known: ${APP_ACTIONS.join(', ')}) — POST /api/v1/apps/<app-id>/<action>`,
      );
    const appId = appIdOf(rest.slice(0, i));
    if (action === 'scale') {
      const { instances } = objectBody(req.body, ['instances']);
      if (typeof instances !== 'number' || !Number.isInteger(instances) || instances < 0 || instances > 10_000)
        throw badRequest(`instances: ${JSON.stringify(instances)} must be an integer from 0 to 10000`);
      return service({ type: 'scale', appId, instances });
    }
    objectBody(req.body, []);
    return action === 'restart' ? service({ type: 'restart', appId }) : service({ type: 'scale', appId, instances: 0 });
  });
  app.delete('/api/v1/apps/*', async (req) =>
    service({ type: 'remove', appId: appIdOf((req.params as Record<string, string>)['*']) }),
  );
  app.post<{ Params: { id: string } }>('/api/v1/deployments/:id/cancel', async (req) => {
    objectBody(req.body, []);
    return service({ type: 'cancel', deploymentId: req.params.id });
  });
  app.post<{ Params: { name: string } }>('/api/v1/jobs/:name/run', async (req) => {
    const { parameters } = objectBody(req.body, ['parameters']);
    if (
      parameters !== undefined &&
      (typeof parameters !== 'object' ||
        parameters === null ||
        Array.isArray(parameters) ||
        Object.values(parameters).some((v) => typeof v !== 'string'))
    ) {
      throw badRequest('parameters: expected an object of strings');
    }
    return proxy(m, declared(m, CRON_API_SUBJECT), {
      type: 'run',
      name: jobName(req.params.name),
      parameters: parameters ?? {},
    });
  });
}
