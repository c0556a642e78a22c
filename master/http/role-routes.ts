/** Roles: weights and quotas, set at run time and persisted in the registry before the reply. */
import type { FastifyInstance } from 'fastify';
import { ApiError, RoleNameSchema, RoleUpdateSchema, formatIssues, validationIssues } from '../../sdk';
import type { Master } from '../master';
import { badRequest } from './errors';

export function registerRoleRoutes(app: FastifyInstance, m: Master): void {
  app.get('/api/v1/roles', async () => ({ roles: rolesView(m) }));
  app.put<{ Params: { role: string } }>('/api/v1/roles/*', async (req) => {
    const role = decodeURIComponent((req.params as Record<string, string>)['*']);
    if (!RoleNameSchema.safeParse(role).success || role === '*')
      throw badRequest(`role: '${role}' is not a valid role name (a path like eng/backend)`);
    const parsed = RoleUpdateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest(formatIssues(validationIssues(parsed.error)));
    const body = parsed.data;
    let next;
    try {
      next = m.run(
        m.core.setRole('operator', { role, weight: body.weight, guarantee: body.guarantee, limit: body.limit }),
      );
    } catch (e) {
      if (e instanceof ApiError) throw badRequest(e.message);
      throw e;
    }
    return rolesView(m).find((r) => r.role === role) ?? next;
  });
}

export function rolesView(m: Master): Array<{ role: string } & Record<string, unknown>> {
  const stored = m.core.roles;
  return m.allocator.roles().map((r) => ({
    role: r.role,
    weight: r.weight,
    guarantee: r.quota.guarantee?.format() ?? stored.get(r.role)?.guarantee ?? null,
    limit: r.quota.limit?.format() ?? stored.get(r.role)?.limit ?? null,
    allocated: r.allocated.format(),
    allocatedScalars: Object.fromEntries(r.allocated.scalars()),
    share: r.share,
    frameworks: r.frameworks,
  }));
}
