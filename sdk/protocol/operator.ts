/**
 * Shapes of the master's operator HTTP API (`/api/v1/...`), shared by the master, the CLI and the page.
 */
import { z } from 'zod';
import { RoleSchema, SecretNameSchema, type Attribute, type Usage } from './common';

export const RoleUpdateSchema = z.object({
  weight: z.number().positive().max(1_000_000).optional(),
  /** Resource text (`cpus:4;mem:8192`) for the guarantee; `null` clears it. */
  guarantee: z.string().max(4096).nullable().optional(),
  /** Resource text for the limit; `null` clears it. */
  limit: z.string().max(4096).nullable().optional(),
});
export type RoleUpdate = z.infer<typeof RoleUpdateSchema>;

export const RoleNameSchema = RoleSchema;

export interface AgentView {
  id: string;
  hostname: string;
  state: 'ACTIVE' | 'UNREACHABLE' | 'DRAINING' | 'DRAINED';
  attributes: Attribute[];
  containerizers: string[];
  resources: { total: string; used: string; offered: string; available: string };
  totalScalars: Record<string, number>;
  usedScalars: Record<string, number>;
  taskCount: number;
  registeredAt: number;
  lastHeartbeatAt: number;
  httpUrl?: string;
}
export interface FrameworkView {
  id: string;
  name: string;
  roles: string[];
  principal?: string;
  connected: boolean;
  active: boolean;
  failoverTimeoutMs: number;
  disconnectedAt?: number;
  failoverDeadline?: number;
  registeredAt: number;
  allocated: string;
  allocatedScalars: Record<string, number>;
  offered: string;
  taskCount: number;
  apiSubject?: string;
  webuiUrl?: string;
}
export interface TaskView {
  id: string;
  name: string;
  frameworkId: string;
  agentId: string;
  hostname?: string;
  state: string;
  role: string;
  resources: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  healthy?: boolean;
  createdAt: number;
  updatedAt: number;
  ports?: number[];
  statuses: {
    state: string;
    timestamp: number;
    reason?: string;
    message?: string;
    healthy?: boolean;
    exitCode?: number;
  }[];
  usage?: Usage;
  container: string;
  command?: string;
}
/** `GET /api/v1/agents/:id`: the agent and its live tasks. */
export interface AgentDetailView extends AgentView {
  tasks: TaskView[];
}
/** `GET /api/v1/roles`: one role's weight, quota and what it holds. */
export interface RoleView {
  role: string;
  weight: number;
  guarantee: string | null;
  limit: string | null;
  allocated: string;
  allocatedScalars: Record<string, number>;
  share: number;
  frameworks: string[];
}
/** `GET /api/v1/summary`: what the overview needs without shipping every task. */
export interface SummaryView {
  masterId: string;
  startedAt: number;
  now: number;
  agents: Record<string, number>;
  tasks: Record<string, number>;
  frameworks: { total: number; connected: number };
  resources: { used: Record<string, number>; total: Record<string, number> };
  outstandingOffers: number;
  allocation: {
    intervalMs: number;
    cycles: number;
    lastMs: number | null;
    meanMs: number | null;
    p99Ms: number | null;
  };
  counters?: Record<string, number>;
}
/** One point of `GET /api/v1/utilization` (`[used, total]` pairs). */
export interface UtilizationSample {
  t: number;
  cpus: [used: number, total: number];
  mem: [used: number, total: number];
  disk: [used: number, total: number];
  running: number;
}
/** One event of `GET /api/v1/events` (server-sent events; the SSE event name is `type`). */
export interface ClusterEventView {
  type: string;
  seq: number;
  timestamp: number;
  [k: string]: unknown;
}

/**
 * The HTTP API's roles and what each may do (docs/security.md, "HTTP API and tokens"). Each role has the
 * permissions of the one before it.
 */
export const HTTP_ROLES = ['viewer', 'operator', 'admin'] as const;
export type HttpRole = (typeof HTTP_ROLES)[number];
export const HTTP_PERMISSIONS = {
  /** State, agents, frameworks, tasks, roles, events, apps and jobs as the page shows them. */
  'cluster:read': 'viewer',
  /** /metrics, /metrics/frameworks and the agents' service discovery for Prometheus. */
  'metrics:read': 'viewer',
  /** A task's sandbox files (its output may hold anything the task printed). */
  'sandbox:read': 'operator',
  'agent:drain': 'operator',
  'task:kill': 'operator',
  /** Apps and jobs: scale, restart, suspend, remove, run now, cancel a deployment; any framework API call. */
  'framework:operate': 'operator',
  /** Role weights and quotas. */
  'role:write': 'admin',
  'token:manage': 'admin',
  /** Secrets: put, list (names, sizes, grants — never values), remove, grant and revoke. */
  'secret:manage': 'admin',
} as const satisfies Record<string, HttpRole>;
export type HttpPermission = keyof typeof HTTP_PERMISSIONS;

/** The permissions a role holds (its own and those of the roles below it). */
export function permissionsOf(role: HttpRole | undefined): HttpPermission[] {
  if (role === undefined) return [];
  const rank = HTTP_ROLES.indexOf(role);
  return (Object.keys(HTTP_PERMISSIONS) as HttpPermission[]).filter(
    (p) => HTTP_ROLES.indexOf(HTTP_PERMISSIONS[p]) <= rank,
  );
}

/** A token as the API lists it: never its secret (that is shown once, by `POST /api/v1/tokens`). */
export interface TokenView {
  accessor: string;
  name: string;
  role: HttpRole;
  createdAt: number;
}
/** `GET /api/v1/auth/self`: who the request's token is and what it may do (anonymous when no token was sent). */
export interface AuthSelfView {
  anonymous: boolean;
  accessor?: string;
  name: string;
  role?: HttpRole;
  permissions: HttpPermission[];
}
/** A refused request: 401 (no or unknown token) or 403 (the token's role lacks the permission). */
export interface AuthErrorBody {
  error: 'unauthorized' | 'forbidden';
  permission: HttpPermission;
  message: string;
}

/**
 * A principal a secret may be granted to: a framework's principal (`FrameworkInfo.principal`), or `*` for every
 * framework (one without a principal included).
 */
export const SecretPrincipalSchema = z
  .string()
  .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._@:-]{0,255})$/, 'a principal is * or 1–256 of A-Z a-z 0-9 . _ @ : - (no spaces)');
/** Values larger than this are refused: a secret is a password or a key, not a file system. */
export const MAX_SECRET_BYTES = 64 * 1024;
/** `PUT /api/v1/secrets/:name`: the value (UTF-8 text) and principals to grant besides those it has. */
export const SecretPutSchema = z
  .object({
    value: z
      .string()
      .min(1, 'the value is empty')
      .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SECRET_BYTES, {
        message: `the value is larger than ${MAX_SECRET_BYTES} bytes`,
      })
      .refine((v) => !v.includes('\u0000'), 'the value holds a NUL byte (an environment variable cannot)'),
    grants: z.array(SecretPrincipalSchema).max(256).default([]),
  })
  .strict();
export type SecretPut = z.infer<typeof SecretPutSchema>;
/** `POST /api/v1/secrets/:name/grants`: principals to grant and to revoke. */
export const SecretGrantsChangeSchema = z
  .object({
    grant: z.array(SecretPrincipalSchema).max(256).default([]),
    revoke: z.array(SecretPrincipalSchema).max(256).default([]),
  })
  .strict();
export type SecretGrantsChange = z.infer<typeof SecretGrantsChangeSchema>;
export const SecretNameParamSchema = SecretNameSchema;
/** A secret as `GET /api/v1/secrets` lists it: never its value. */
export interface SecretView {
  name: string;
  bytes: number;
  createdAt: number;
  updatedAt: number;
  /** Principals that may read it (in a LAUNCH of their framework's tasks). */
  grants: string[];
}
