/**
 * Tokens and identity (docs/api.md, "Authentication"):
 *   GET    /api/v1/auth/self          who the request's token is and what it may do (any valid token, or anonymous)
 *   GET    /api/v1/tokens             every token, without secrets                  (token:manage)
 *   POST   /api/v1/tokens             { name, role } → the token with its secret, shown this once (token:manage)
 *   DELETE /api/v1/tokens/:accessor   revoke by accessor id or name                 (token:manage)
 */
import type { FastifyInstance } from 'fastify';
import { permissionsOf, type AuthSelfView } from '../../sdk';
import { principalOf } from './auth';
import { badRequest, notFound } from './errors';
import { TokenError, type TokenStore } from './tokens';

export function registerTokenRoutes(app: FastifyInstance, tokens: TokenStore): void {
  app.get('/api/v1/auth/self', async (req): Promise<AuthSelfView> => {
    const { token, role } = principalOf(req);
    return token
      ? {
          anonymous: false,
          accessor: token.accessor,
          name: token.name,
          role: token.role,
          permissions: permissionsOf(token.role),
        }
      : { anonymous: true, name: 'anonymous', role, permissions: permissionsOf(role) };
  });
  app.get('/api/v1/tokens', async () => ({ tokens: tokens.list() }));
  app.post('/api/v1/tokens', async (req, reply) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('body: expected a JSON object like {"name": "ci", "role": "operator"}');
    for (const k of Object.keys(body))
      if (k !== 'name' && k !== 'role') throw badRequest(`body: unknown field '${k}' (known: name, role)`);
    const { name, role } = body as { name?: unknown; role?: unknown };
    if (typeof name !== 'string') throw badRequest('name: required, a string');
    if (typeof role !== 'string') throw badRequest('role: required, one of viewer, operator, admin');
    const created = guarded(() => tokens.create(name, role));
    return reply.status(201).send(created);
  });
  app.delete<{ Params: { accessor: string } }>('/api/v1/tokens/:accessor', async (req) => ({
    revoked: guarded(() => tokens.revoke(req.params.accessor)),
  }));
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TokenError) throw e.code === 'NOT_FOUND' ? notFound(e.message) : badRequest(e.message);
    throw e;
  }
}
