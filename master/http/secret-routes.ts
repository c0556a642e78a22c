/**
 * Secrets (docs/api.md, "Secrets"; all need `secret:manage`, an admin token). Values go in and never come out:
 *   GET    /api/v1/secrets               every secret: name, bytes, created, updated, grants (never a value)
 *   PUT    /api/v1/secrets/:name         { value, grants? } → created (201) or replaced (200); grants are added
 *   DELETE /api/v1/secrets/:name         remove it (tasks naming it are refused from then on)
 *   POST   /api/v1/secrets/:name/grants  { grant?, revoke? } → the grants after
 * Bad input gets 400 naming the field, an unknown secret 404; nothing changes then. Each change is logged with
 * the token that made it (the name and size, never the value).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SecretGrantsChangeSchema, SecretPutSchema, formatIssues, validationIssues, type SecretView } from '../../sdk';
import type { Master } from '../master';
import { SecretInputError } from '../secrets/secret-store';
import { principalOf } from './auth';
import { badRequest, notFound } from './errors';

type Named = { Params: { name: string } };

export function registerSecretRoutes(app: FastifyInstance, m: Master): void {
  const by = (req: FastifyRequest) => principalOf(req).token?.name ?? 'anonymous';
  app.get('/api/v1/secrets', async (): Promise<{ secrets: SecretView[] }> => ({ secrets: m.secrets.list() }));
  app.put<Named>('/api/v1/secrets/:name', async (req, reply) => {
    const body = SecretPutSchema.safeParse(req.body ?? {});
    if (!body.success) throw badRequest(formatIssues(validationIssues(body.error)));
    const { name } = req.params;
    const value = Buffer.from(body.data.value, 'utf8');
    const { created } = guarded(() => m.secrets.put(name, value, body.data.grants));
    const view = m.secrets.list().find((s) => s.name === name);
    m.log.info(
      { secret: name, bytes: value.length, grants: view?.grants, by: by(req) },
      created ? 'secret created' : 'secret replaced',
    );
    return reply.status(created ? 201 : 200).send({ created, ...view });
  });
  app.delete<Named>('/api/v1/secrets/:name', async (req) => {
    const { name } = req.params;
    if (!guarded(() => m.secrets.remove(name))) throw notFound(`name: no secret '${name}'`);
    m.log.info({ secret: name, by: by(req) }, 'secret removed');
    return { removed: name };
  });
  app.post<Named>('/api/v1/secrets/:name/grants', async (req) => {
    const body = SecretGrantsChangeSchema.safeParse(req.body ?? {});
    if (!body.success) throw badRequest(formatIssues(validationIssues(body.error)));
    const { name } = req.params;
    const grants = guarded(() => m.secrets.changeGrants(name, body.data.grant, body.data.revoke));
    m.log.info(
      { secret: name, granted: body.data.grant, revoked: body.data.revoke, grants, by: by(req) },
      'secret grants changed',
    );
    return { name, grants };
  });
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SecretInputError) throw e.code === 'NOT_FOUND' ? notFound(e.message) : badRequest(e.message);
    throw e;
  }
}
