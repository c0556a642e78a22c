/**
 * Who may call which route of the HTTP API. Every route is classified when it is registered (`onRoute`): open
 * (`/health` and the page's files — the page asks for a token itself), or one permission of
 * sdk/protocol/operator.ts (`HTTP_PERMISSIONS`: viewer ⊂ operator ⊂ admin). A route that changes something and
 * is not classified here makes the master refuse to start, so a new write route cannot be open by accident.
 *
 * Each request (`onRequest`, before its body is read, so a refused request changes nothing):
 *   Authorization: Bearer <secret>  → the token's role (unknown or revoked → 401)
 *   no header                       → the anonymous role (none unless `--anonymous viewer`; `/metrics` also
 *                                     with `--metrics-anonymous`)
 *   role lacks the permission       → 401 without a token, 403 with one; `{ error, permission, message }`
 * Refusals are logged once a minute per (token, permission), with the token's name and how many were refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  HTTP_PERMISSIONS,
  HTTP_ROLES,
  permissionsOf,
  type AuthErrorBody,
  type HttpPermission,
  type HttpRole,
  type TokenView,
} from '../../sdk';
import type { Logger } from '../../sdk';
import type { TokenStore } from './tokens';

export type RouteAccess = HttpPermission | 'open' | 'authenticated';

export interface AuthOptions {
  tokens: TokenStore;
  /** The role of a request without a token: none (refused), or viewer. */
  anonymousRole?: HttpRole;
  /** Lets Prometheus scrape /metrics, /metrics/frameworks and /api/v1/sd/agents without a token. */
  metricsAnonymous?: boolean;
  log: Logger;
  now: () => number;
}

/** The caller of a request: a token, or anonymous. */
export interface Principal {
  token?: TokenView;
  role?: HttpRole;
}

const OPEN = new Set(['/health', '/', '/index.html', '/app.js', '/style.css', '/favicon.svg']);
const METRICS = new Set(['/metrics', '/metrics/frameworks', '/api/v1/sd/agents']);
/** Routes that change something, by `METHOD url` as registered. */
const WRITES: Record<string, HttpPermission> = {
  'POST /api/v1/agents/:id/drain': 'agent:drain',
  'POST /api/v1/agents/:id/undrain': 'agent:drain',
  'POST /api/v1/tasks/:id/kill': 'task:kill',
  'POST /api/v1/frameworks/:id/api': 'framework:operate',
  'POST /api/v1/apps/*': 'framework:operate',
  'DELETE /api/v1/apps/*': 'framework:operate',
  'POST /api/v1/deployments/:id/cancel': 'framework:operate',
  'POST /api/v1/jobs/:name/run': 'framework:operate',
  'PUT /api/v1/roles/*': 'role:write',
  'POST /api/v1/tokens': 'token:manage',
  'DELETE /api/v1/tokens/:accessor': 'token:manage',
  'PUT /api/v1/secrets/:name': 'secret:manage',
  'DELETE /api/v1/secrets/:name': 'secret:manage',
  'POST /api/v1/secrets/:name/grants': 'secret:manage',
};

/** What a route needs; throws for a write route nobody classified. */
export function routeAccess(method: string, url: string): RouteAccess {
  if (OPEN.has(url)) return 'open';
  if (url === '/api/v1/auth/self') return 'authenticated';
  if (METRICS.has(url)) return 'metrics:read';
  if (url.startsWith('/api/v1/tasks/:id/files')) return 'sandbox:read';
  if (url === '/api/v1/tokens') return 'token:manage';
  if (url === '/api/v1/secrets') return 'secret:manage'; // even the list: names and grants are for admins
  if (method === 'GET' || method === 'HEAD') return 'cluster:read';
  const p = WRITES[`${method} ${url}`];
  if (!p) throw new Error(`HTTP route ${method} ${url} has no permission: classify it in master/http/auth.ts`);
  return p;
}

const principals = new WeakMap<FastifyRequest, Principal>();
export const principalOf = (req: FastifyRequest): Principal => principals.get(req) ?? {};

export function installAuth(app: FastifyInstance, o: AuthOptions): void {
  if (o.anonymousRole !== undefined && !(HTTP_ROLES as readonly string[]).includes(o.anonymousRole))
    throw new Error(`anonymous role: '${o.anonymousRole}' is not a role`);
  const refusals = new RefusalLog(o.log, o.now);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const access = routeAccess(method, route.url);
      route.config = { ...(route.config as object), access } as typeof route.config;
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    const access = (req.routeOptions.config as { access?: RouteAccess } | undefined)?.access;
    if (access === undefined || access === 'open') return;
    const header = req.headers.authorization;
    let token: TokenView | undefined;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      token = m ? o.tokens.resolve(m[1]) : undefined;
      if (!token) {
        const why = m ? 'the token is unknown or revoked' : 'the Authorization header must be "Bearer <secret>"';
        return refuse(
          reply,
          refusals,
          req,
          401,
          access,
          `${why} (${access === 'authenticated' ? 'any token' : `permission '${access}'`} required)`,
          'invalid token',
        );
      }
    }
    const role = token?.role ?? (access === 'metrics:read' && o.metricsAnonymous ? 'viewer' : o.anonymousRole);
    principals.set(req, { token, role });
    if (access === 'authenticated') return;
    if (permissionsOf(role).includes(access)) return;
    if (!token)
      return refuse(
        reply,
        refusals,
        req,
        401,
        access,
        `permission '${access}' required: send a token (Authorization: Bearer <secret>; agora token create)`,
        'anonymous',
      );
    return refuse(
      reply,
      refusals,
      req,
      403,
      access,
      `token '${token.name}' (${token.role}) lacks permission '${access}' (needs ${HTTP_PERMISSIONS[access]})`,
      `${token.name} (${token.accessor})`,
    );
  });
}

function refuse(
  reply: FastifyReply,
  log: RefusalLog,
  req: FastifyRequest,
  status: 401 | 403,
  access: RouteAccess,
  message: string,
  who: string,
): FastifyReply {
  log.refused(who, access, `${req.method} ${req.url.split('?')[0]}`, status);
  const permission = (access === 'authenticated' ? 'cluster:read' : access) as HttpPermission;
  const body: AuthErrorBody = { error: status === 401 ? 'unauthorized' : 'forbidden', permission, message };
  return reply.status(status).header('www-authenticate', 'Bearer realm="agora"').send(body);
}

/** Logs a refusal the first time, then at most once a minute per (who, permission) with the count refused since. */
export class RefusalLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly everyMs = 60_000,
  ) {}

  refused(who: string, permission: string, route: string, status: number): void {
    const key = `${who}\u0000${permission}`;
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.everyMs) {
      seen.suppressed++;
      return;
    }
    if (this.last.size >= 10_000) this.last.clear();
    this.last.set(key, { at: t, suppressed: 0 });
    this.log.warn(
      { token: who, permission, route, status, refusedSinceLastLog: seen?.suppressed ?? 0 },
      'HTTP request refused',
    );
  }
}
