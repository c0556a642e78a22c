/** Roles: weights and quotas, set at run time and persisted in the registry before the reply. */
import type { FastifyInstance } from 'fastify';
import { Resources, RoleNameSchema, RoleUpdateSchema, formatIssues, validationIssues } from '../../sdk';
import type { Master } from '../master';
import { badRequest } from './errors';

export function registerRoleRoutes(app: FastifyInstance, m: Master): void {
  app.get('/api/v1/roles', async () => ({ roles: rolesView(m) }));
  app.put<{ Params: { role: string } }>('/api/v1/roles/*', async (req) => {
    const role = decodeURIComponent((req.params as Record<string, string>)['*']);
    if (!RoleNameSchema.safeParse(role).success || role === '*') throw badRequest(`role: '${role}' is not a valid role name (a path like eng/backend)`);
    const parsed = RoleUpdateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest(formatIssues(validationIssues(parsed.error)));
    const body = parsed.data;
    const current = m.registry.roles().find((r) => r.role === role) ?? { role, weight: 1 };
    const next = {
      role, weight: body.weight ?? current.weight,
      guarantee: body.guarantee === undefined ? current.guarantee : body.guarantee ?? undefined,
      limit: body.limit === undefined ? current.limit : body.limit ?? undefined,
    };
    const guarantee = parseResources(next.guarantee, 'guarantee');
    const limit = parseResources(next.limit, 'limit');
    if (guarantee && limit && !limit.contains(guarantee)) throw badRequest(`guarantee ${guarantee.format()} exceeds limit ${limit.format()}`);
    m.registry.setRole({ role, weight: next.weight, guarantee: guarantee?.format(), limit: limit?.format() });
    m.allocator.setWeight(role, next.weight);
    m.allocator.setQuota(role, { guarantee, limit });
    m.events.emit({ type: 'ROLE_UPDATED', role });
    m.allocation.soon();
    return rolesView(m).find((r) => r.role === role) ?? next;
  });
}

function parseResources(text: string | undefined, field: string): Resources | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const r = Resources.parse(text);
    if (r.roles().some((x) => x !== '*')) throw new Error('quota resources cannot carry a reservation role');
    return r;
  } catch (e) {
    throw badRequest(`${field}: ${(e as Error).message}`);
  }
}

export function rolesView(m: Master): Array<{ role: string } & Record<string, unknown>> {
  const stored = new Map(m.registry.roles().map((r) => [r.role, r]));
  return m.allocator.roles().map((r) => ({
    role: r.role, weight: r.weight, guarantee: r.quota.guarantee?.format() ?? stored.get(r.role)?.guarantee ?? null,
    limit: r.quota.limit?.format() ?? stored.get(r.role)?.limit ?? null, allocated: r.allocated.format(),
    allocatedScalars: Object.fromEntries(r.allocated.scalars()), share: r.share, frameworks: r.frameworks,
  }));
}
