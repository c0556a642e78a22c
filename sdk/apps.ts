/**
 * The service framework's app API: the app definition and every request and reply on its NATS subject
 * `agora.v1.api.service`. The service framework, the `agora app` CLI and the status page import these;
 * nobody re-declares a shape.
 *
 * Example (any NATS client; msgpack bodies; every reply is `{ ok: true, ... }` or `{ ok: false, error }`):
 *
 *   const { deploymentId } = await request(nc, SERVICE_API_SUBJECT, {
 *     type: 'deploy',
 *     app: { id: '/shop/cart', cmd: 'python3 -m http.server $PORT0', instances: 3, cpus: 0.2, mem: 128, ports: [0],
 *            constraints: [['hostname', 'UNIQUE']] },
 *   });
 *
 * Vocabulary: an *app* is a definition kept running; an *instance* is one running copy of it (one task);
 * a *version* is one configuration of an app (scaling does not make a new version, any other change does);
 * a *deployment* moves an app's instances from what runs to what is wanted, step by step.
 */
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import {
  AttributeSchema,
  ContainerInfoSchema,
  HealthCheckSchema,
  LabelsSchema,
  RoleSchema,
  SecretFilesSchema,
  SecretRefsSchema,
  VolumeSchema,
} from './protocol/common';

export const SERVICE_API_SUBJECT = 'agora.v1.api.service';

/** `/shop/cart`: one or more segments of lower-case letters, digits and inner hyphens. */
export const APP_ID_RE = /^(\/[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?){1,16}$/;
export const AppIdSchema = z
  .string()
  .regex(APP_ID_RE, 'an app id is a path like /shop/cart: segments of a-z 0-9 and inner -');

// ---- DNS names (the cluster's DNS server, dns/) ---------------------------------------------------------

/** The cluster's DNS zone: `/shop/cart` answers as `cart.shop.agora.`. */
export const DNS_ZONE = 'agora';
/** Agents' hosts answer as `<host>.agents.agora.` (the targets of SRV records), so no app may start with `/agents`. */
export const DNS_AGENTS_LABEL = 'agents';
/** A name longer than this (without the final dot) cannot be written in DNS (RFC 1035: 255 octets on the wire). */
const DNS_MAX_NAME = 253;
/** The longest prefix an app's DNS names get: the SRV name of port index 99. */
const LONGEST_SRV_PREFIX = '_port99._tcp.';

/** `/shop/cart` → `cart.shop.agora` (no final dot). */
export const appDnsName = (appId: string): string => `${appId.slice(1).split('/').reverse().join('.')}.${DNS_ZONE}`;

/** Why an app id cannot be a DNS name (empty when it can): labels are letters, digits, inner hyphens, ≤ 63 characters. */
export function appIdDnsProblems(appId: string): string[] {
  const out: string[] = [];
  const segments = appId.slice(1).split('/');
  for (const s of segments)
    if (s.length > 63) out.push(`segment '${s.slice(0, 20)}…' is ${s.length} characters; a DNS label holds at most 63`);
  if (segments[0] === DNS_AGENTS_LABEL)
    out.push(
      `'/${DNS_AGENTS_LABEL}' is reserved: agents' hosts answer as <host>.${DNS_AGENTS_LABEL}.${DNS_ZONE}. in the cluster's DNS`,
    );
  const longest = LONGEST_SRV_PREFIX.length + appDnsName(appId).length;
  if (longest > DNS_MAX_NAME)
    out.push(
      `too long for DNS: ${LONGEST_SRV_PREFIX}${appDnsName(appId).slice(0, 20)}… would be ${longest} characters (at most ${DNS_MAX_NAME}); shorten the id by ${longest - DNS_MAX_NAME}`,
    );
  return out;
}

/**
 * The service framework publishes one of these (core NATS, no reply) on `agora.v1.service.endpoints` whenever the
 * ready endpoints of apps change — an instance became ready or stopped being ready, an app came or went. It is a
 * nudge, not the data: a subscriber asks `endpoints` on the API for the current state (and asks again now and
 * then, since a core NATS message can be missed while disconnected).
 */
export const SERVICE_ENDPOINTS_SUBJECT = 'agora.v1.service.endpoints';
export const EndpointsChangedSchema = z.object({
  type: z.literal('endpoints-changed'),
  /** The apps whose ready endpoints (or existence) changed. */
  appIds: z.array(z.string()).max(10_000),
  at: z.number(),
});
export type EndpointsChanged = z.infer<typeof EndpointsChangedSchema>;

export const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER'] as const;
export const ConstraintOperatorSchema = z.enum(CONSTRAINT_OPERATORS);
export type ConstraintOperator = z.infer<typeof ConstraintOperatorSchema>;

/**
 * A placement rule on `hostname` or an agent attribute, as Marathon defines them. Written as a tuple
 * `["rack", "GROUP_BY", "3"]` or an object `{ field, operator, value }`; stored as the object.
 */
export const ConstraintSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { field: v[0], operator: v[1], ...(v.length > 2 ? { value: v[2] } : {}) } : v),
  z
    .object({
      field: z.string().min(1).max(64),
      operator: ConstraintOperatorSchema,
      value: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().max(1024)).optional(),
    })
    .superRefine((c, ctx) => {
      const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
      if (c.operator === 'UNIQUE' && c.value !== undefined && c.value !== '') bad('UNIQUE takes no value');
      if (c.operator === 'LIKE' || c.operator === 'UNLIKE') {
        if (!c.value) bad(`${c.operator} needs a regular expression value`);
        else {
          try {
            new RegExp(c.value);
          } catch (e) {
            bad(`not a valid regular expression: ${(e as Error).message}`);
          }
        }
      }
      if (c.operator === 'MAX_PER' && !/^[1-9]\d*$/.test(c.value ?? '')) bad('MAX_PER needs a positive integer value');
      if (c.operator === 'GROUP_BY' && c.value !== undefined && c.value !== '' && !/^[1-9]\d*$/.test(c.value))
        bad('GROUP_BY takes an optional positive integer (the number of groups)');
    }),
);
export type Constraint = z.infer<typeof ConstraintSchema>;

export const KillSelectionSchema = z.enum(['YOUNGEST_FIRST', 'OLDEST_FIRST']);
export type KillSelection = z.infer<typeof KillSelectionSchema>;

export const UpgradeStrategySchema = z.object({
  /** Share of `instances` that must stay healthy during a deployment (0..1). */
  minimumHealthCapacity: z.number().min(0).max(1).default(1),
  /** Share of `instances` that may run on top of `instances` during a deployment (0..1). */
  maximumOverCapacity: z.number().min(0).max(1).default(1),
});

export const AppBackoffSchema = z.object({
  /** Delay before relaunching after the first failure; each further failure multiplies it by `backoffFactor`. */
  backoffSeconds: z.number().min(0).max(3600).default(1),
  backoffFactor: z.number().min(1).max(100).default(1.15),
  maxLaunchDelaySeconds: z.number().min(0).max(86_400).default(300),
  /** The delay resets once an instance of the app has been healthy (or running, without checks) this long. */
  resetAfterSeconds: z.number().min(0).max(86_400).default(60),
});

export const DeploymentPolicySchema = z.object({
  /** A deployment that makes no progress for this long fails (default 10 minutes). */
  progressDeadlineSeconds: z.number().positive().max(86_400).default(600),
  /** What a deployment past its deadline does: roll back to the previous version, or pause for an operator. */
  onDeadline: z.enum(['rollback', 'pause']).default('rollback'),
});

/**
 * A load-balanced port: `agora lb` keeps an HAProxy listening on `port` in front of the app's ready
 * instances (their port `portIndex`), in `http` (per request) or `tcp` (per connection) mode.
 */
export const LoadBalancerSchema = z
  .object({
    port: z.number().int().min(1, 'a load balancer port is 1–65535').max(65535, 'a load balancer port is 1–65535'),
    mode: z.enum(['http', 'tcp']).default('http'),
    /** Which of the app's `ports` the load balancer forwards to. */
    portIndex: z.number().int().min(0).max(99).default(0),
  })
  .strict();
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;

/**
 * Autoscaling (Kubernetes HPA's algorithm): the service framework reads the usage of the app's ready instances
 * and keeps `instances` between `min` and `max` so that the average usage — CPU time per second over `cpus`, or
 * memory over `mem` — approaches `target`. Scale-up happens at once; a scale-down takes the highest
 * recommendation of the last `stabilizationSeconds`, so a short dip does not remove instances.
 */
export const AUTOSCALE_METRICS = ['cpu', 'mem'] as const;
export const AutoscaleSchema = z
  .object({
    min: z
      .number({ message: 'autoscale.min is a whole number ≥ 1' })
      .int('autoscale.min is a whole number ≥ 1')
      .min(1, 'autoscale.min is a whole number ≥ 1')
      .max(10_000),
    max: z
      .number({ message: 'autoscale.max is a whole number ≥ 1' })
      .int('autoscale.max is a whole number ≥ 1')
      .min(1, 'autoscale.max is a whole number ≥ 1')
      .max(10_000),
    metric: z.enum(AUTOSCALE_METRICS, { message: "autoscale.metric is 'cpu' or 'mem'" }).default('cpu'),
    /** The wanted average usage as a share of what each instance asks for: 0 < target ≤ 1. */
    target: z
      .number({ message: 'autoscale.target is a number above 0 and at most 1' })
      .gt(0, 'autoscale.target is a share of the requested resource: above 0 and at most 1')
      .max(1, 'autoscale.target is a share of the requested resource: above 0 and at most 1'),
    /** A scale-down uses the highest recommendation over this many seconds (Kubernetes's default: 300). */
    stabilizationSeconds: z
      .number()
      .min(0, 'autoscale.stabilizationSeconds is 0–3600')
      .max(3600, 'autoscale.stabilizationSeconds is 0–3600')
      .default(300),
  })
  .strict();
export type Autoscale = z.infer<typeof AutoscaleSchema>;

/**
 * A local persistent volume per instance (Marathon's): `containerPath` inside the sandbox, `sizeMb` of the
 * agent's disk. Created on the agent at the instance's first launch; a replacement of the instance (after a
 * crash, a restart, an upgrade) goes back to the same agent and finds the same data; destroyed when the app is
 * removed (or by `destroyVolumes`).
 */
export const AppVolumeSchema = z
  .object({
    containerPath: VolumeSchema.shape.containerPath,
    persistent: z
      .object({
        sizeMb: z
          .number({ message: 'persistent.sizeMb is a size in MB above 0' })
          .positive('persistent.sizeMb is a size in MB above 0')
          .max(1e9),
      })
      .strict(),
  })
  .strict();
export type AppVolume = z.infer<typeof AppVolumeSchema>;

/** The disk an instance's persistent volumes take (MB), on top of the app's `disk`. */
export const volumeDiskMb = (def: { volumes?: readonly AppVolume[] }): number =>
  (def.volumes ?? []).reduce((n, v) => n + v.persistent.sizeMb, 0);

/** Drain delay when an app has a load balancer and sets no `drainSeconds`: several of the balancer's polls. */
export const DEFAULT_LB_DRAIN_SECONDS = 2;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _');

/** Accepts `docker`/`native` as well as the protocol's `DOCKER`/`NATIVE`. */
const AppContainerSchema = z.preprocess(
  (v) =>
    v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string'
      ? { ...(v as object), type: (v as { type: string }).type.toUpperCase() }
      : v,
  ContainerInfoSchema,
);

/** Marathon's defaults for apps with persistent volumes: kill first, then relaunch where the volume is. */
export const RESIDENT_UPGRADE_STRATEGY = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } as const;
const withResidentDefaults = (v: unknown): unknown => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as { volumes?: unknown; upgradeStrategy?: unknown };
  return Array.isArray(o.volumes) && o.volumes.length > 0 && o.upgradeStrategy === undefined
    ? { ...o, upgradeStrategy: RESIDENT_UPGRADE_STRATEGY }
    : v;
};

const AppDefinitionObject = z
  .object({
    id: AppIdSchema,
    /** A shell command (`/bin/sh -c`); `$PORT0`…, `$PORTS` (comma-separated), `$HOST`, `$AGORA_APP_ID`, `$AGORA_APP_VERSION` are set. */
    cmd: z.string().min(1).max(65_536).optional(),
    /** Or an executable and its arguments, run without a shell. */
    args: z.array(z.string().max(65_536)).min(1).max(1000).optional(),
    container: AppContainerSchema.optional(),
    instances: z.number().int().min(0).max(10_000).default(1),
    cpus: z.number().positive().max(1024).default(0.1),
    /** Memory in MB. */
    mem: z.number().positive().max(4_194_304).default(64),
    /** Disk in MB. */
    disk: z.number().min(0).max(1e9).default(0),
    /** Host ports per instance: 0 takes any offered port, a number asks for exactly that port. */
    ports: z.array(z.number().int().min(0).max(65535)).max(100).default([]),
    env: z.record(envName, z.string().max(65_536)).default({}),
    /**
     * Environment variables from secrets (`{ DB_PASSWORD: 'db-pass' }`, `agora secret put`): names only, here and
     * in every view; the master gives the values to the instances when the service framework's principal is granted.
     */
    secrets: SecretRefsSchema.optional(),
    /** Files in each instance's sandbox from secrets (`{ 'conf/db.pass': 'db-pass' }`): 0400, removed when it ends. */
    secretFiles: SecretFilesSchema.optional(),
    labels: LabelsSchema.default({}),
    role: RoleSchema.optional(),
    constraints: z.array(ConstraintSchema).max(50).default([]),
    healthChecks: z
      .array(HealthCheckSchema)
      .max(1, 'one health check per app (the agent runs one per task)')
      .default([]),
    upgradeStrategy: UpgradeStrategySchema.default({ minimumHealthCapacity: 1, maximumOverCapacity: 1 }),
    backoff: AppBackoffSchema.default({
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300,
      resetAfterSeconds: 60,
    }),
    killSelection: KillSelectionSchema.default('YOUNGEST_FIRST'),
    deployment: DeploymentPolicySchema.default({ progressDeadlineSeconds: 600, onDeadline: 'rollback' }),
    /** SIGTERM → SIGKILL grace when an instance is killed. */
    killGracePeriodSeconds: z.number().min(0).max(3600).optional(),
    /** One HAProxy port in front of the app's ready instances (see `agora lb`). */
    loadBalancer: LoadBalancerSchema.optional(),
    /**
     * How long a ready instance is *draining* — out of the ready set (load balancer, DNS, endpoints) but still
     * running — before it is killed by a deployment, a scale-down or a removal. Default: 2 s with a load
     * balancer, 0 without.
     */
    drainSeconds: z.number().min(0).max(3600).optional(),
    /** Local persistent volumes, one set per instance (see `AppVolumeSchema`). */
    volumes: z.array(AppVolumeSchema).max(32).optional(),
    /** Scale `instances` with load between `min` and `max` (see `AutoscaleSchema`); `agora app scale` is then refused. */
    autoscale: AutoscaleSchema.optional(),
  })
  .strict()
  .superRefine((app, ctx) => {
    if ((app.volumes ?? []).length > 0 && app.upgradeStrategy.maximumOverCapacity > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['upgradeStrategy', 'maximumOverCapacity'],
        message:
          'must be 0 for an app with persistent volumes: a replacement goes where its volume is, once the instance holding it is gone (the default for such apps is minimumHealthCapacity 0.5, maximumOverCapacity 0)',
      });
    }
    (app.volumes ?? []).forEach((v, i) => {
      if (
        (app.volumes ?? []).findIndex(
          (w) => w.containerPath.replace(/\/+$/, '') === v.containerPath.replace(/\/+$/, ''),
        ) !== i
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['volumes', i, 'containerPath'],
          message: `${v.containerPath} is mounted twice`,
        });
      }
    });
    if (app.autoscale && app.autoscale.min > app.autoscale.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoscale', 'min'],
        message: `autoscale.min ${app.autoscale.min} is above autoscale.max ${app.autoscale.max}`,
      });
    }
    for (const message of appIdDnsProblems(app.id)) ctx.addIssue({ code: 'custom', path: ['id'], message });
    if (app.cmd === undefined && app.args === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['cmd'],
        message: "cmd or args is required (in a docker container too: the image's own entrypoint is not used)",
      });
    if (app.cmd !== undefined && app.args !== undefined)
      ctx.addIssue({ code: 'custom', path: ['args'], message: 'give cmd or args, not both' });
    const fixed = app.ports.filter((p) => p !== 0);
    if (new Set(fixed).size !== fixed.length)
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'a fixed port is listed twice' });
    const { minimumHealthCapacity: minH, maximumOverCapacity: over } = app.upgradeStrategy;
    if (minH === 1 && over === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['upgradeStrategy'],
        message: 'minimumHealthCapacity 1 with maximumOverCapacity 0 leaves no room to replace any instance',
      });
    }
    if (app.loadBalancer && app.loadBalancer.portIndex >= app.ports.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['loadBalancer', 'portIndex'],
        message: `the load balancer forwards to port index ${app.loadBalancer.portIndex} but the app asks for ${app.ports.length} port(s)`,
      });
    }
    app.healthChecks.forEach((h, i) => {
      if (h.type !== 'COMMAND' && h.port === undefined && (h.portIndex ?? 0) >= app.ports.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['healthChecks', i, 'portIndex'],
          message: `port index ${h.portIndex ?? 0} but the app asks for ${app.ports.length} port(s)`,
        });
      }
    });
  });
/** An app definition; apps with persistent volumes get Marathon's resident upgrade strategy unless they give one. */
export const AppDefinitionSchema = z.preprocess(withResidentDefaults, AppDefinitionObject);
export type AppDefinition = z.infer<typeof AppDefinitionSchema>;

/** The drain delay of an app's instances, in seconds (see `drainSeconds`). */
export const drainSecondsOf = (def: Pick<AppDefinition, 'drainSeconds' | 'loadBalancer'>): number =>
  def.drainSeconds ?? (def.loadBalancer ? DEFAULT_LB_DRAIN_SECONDS : 0);
export type AppDefinitionInput = z.input<typeof AppDefinitionObject>;

export interface AppIssue {
  field: string;
  message: string;
}
export type AppValidation = { ok: true; app: AppDefinition } | { ok: false; issues: AppIssue[] };

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(app)' : out;
}

/** Validates a definition as a whole: every problem, by field path; nothing is taken from an invalid one. */
export function validateApp(input: unknown): AppValidation {
  const r = AppDefinitionSchema.safeParse(input);
  if (r.success) return { ok: true, app: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ field: pathText(i.path), message: i.message })) };
}

/** Reads an app file's text: JSON, or YAML (which JSON is a subset of). Throws on a syntax error. */
export function parseAppText(text: string, fileName = 'app'): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch (e) {
      throw new Error(`${fileName}: not valid JSON: ${(e as Error).message}`);
    }
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new Error(`${fileName}: not valid YAML: ${(e as Error).message}`);
  }
}

/** The task-id prefix of an app: `/shop/cart` → `shop_cart`. */
export const appTaskPrefix = (appId: string): string => appId.slice(1).replace(/\//g, '_');

// ---- views returned by the API -------------------------------------------------------------------------

export const InstanceStateSchema = z.enum(['STAGING', 'RUNNING', 'KILLING', 'UNREACHABLE']);
export type InstanceState = z.infer<typeof InstanceStateSchema>;

export const InstanceViewSchema = z.object({
  instanceId: z.string(),
  taskId: z.string(),
  version: z.number().int(),
  agentId: z.string(),
  hostname: z.string(),
  attributes: z.array(AttributeSchema),
  ports: z.array(z.number().int()),
  state: InstanceStateSchema,
  /** true/false once health checks report; absent before the first report or without checks. */
  healthy: z.boolean().optional(),
  /**
   * The framework's verdict, the one every client routes by (endpoints, `agora lb`, DNS): running, health
   * checks pass (when the app has any), and not draining.
   */
  ready: z.boolean(),
  /** Being taken out: no longer ready, still running until its drain delay ends, then killed. */
  draining: z.boolean(),
  /** When a draining instance will be killed. */
  drainingUntil: z.number().optional(),
  launchedAt: z.number(),
  killReason: z.string().optional(),
});
export type InstanceView = z.infer<typeof InstanceViewSchema>;

export const DeploymentKindSchema = z.enum(['deploy', 'scale', 'restart', 'remove', 'rollback']);
export const DeploymentStateSchema = z.enum(['RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
export type DeploymentState = z.infer<typeof DeploymentStateSchema>;

export const DeploymentViewSchema = z.object({
  id: z.string(),
  appId: z.string(),
  kind: DeploymentKindSchema,
  state: DeploymentStateSchema,
  fromVersion: z.number().int().optional(),
  toVersion: z.number().int(),
  fromInstances: z.number().int(),
  toInstances: z.number().int(),
  /** Instances of the target version that are ready, and how many are wanted. */
  ready: z.number().int(),
  target: z.number().int(),
  /** Instances of other versions still running. */
  old: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
  lastProgressAt: z.number(),
  message: z.string().optional(),
  rollbackOf: z.string().optional(),
});
export type DeploymentView = z.infer<typeof DeploymentViewSchema>;

/** One app behind `agora lb`: its balancer and every instance it holds (ready ones serve, draining ones drain). */
export const LoadBalancedAppSchema = z.object({
  appId: z.string(),
  loadBalancer: LoadBalancerSchema,
  instances: z.array(InstanceViewSchema),
});
export type LoadBalancedApp = z.infer<typeof LoadBalancedAppSchema>;

export const EndpointSchema = z.object({ host: z.string(), ports: z.array(z.number().int()), instanceId: z.string() });
export type Endpoint = z.infer<typeof EndpointSchema>;

export const AppSummarySchema = z.object({
  id: z.string(),
  version: z.number().int(),
  instances: z.number().int(),
  running: z.number().int(),
  ready: z.number().int(),
  staging: z.number().int(),
  /** Why instances are not placed, e.g. `waiting: 2 offers lacked mem, 1 violated UNIQUE hostname`. */
  waiting: z.string().optional(),
  /** When the next launch may happen, if held back by the crash backoff. */
  delayedUntil: z.number().optional(),
  deploymentId: z.string().optional(),
});
export type AppSummary = z.infer<typeof AppSummarySchema>;

/** What the autoscaler of an app thinks and last did (`autoscale` in the app's detail). */
export const AutoscaleViewSchema = z.object({
  min: z.number().int(),
  max: z.number().int(),
  metric: z.enum(AUTOSCALE_METRICS),
  target: z.number(),
  stabilizationSeconds: z.number(),
  /** The last average usage of the ready instances, as a share of what each asks for, and how many were measured. */
  usage: z.number().optional(),
  measured: z.number().int(),
  /** In words: `steady at 3: cpu 0.48 of 0.5 target`, `holding 4: …`, `waiting: …`, or the last decision. */
  status: z.string(),
  lastDecision: z
    .object({ at: z.number(), from: z.number().int(), to: z.number().int(), message: z.string() })
    .optional(),
});
export type AutoscaleView = z.infer<typeof AutoscaleViewSchema>;

/** One persistent volume of an app (`volumes` in the app's detail). */
export const VolumeViewSchema = z.object({
  persistenceId: z.string(),
  containerPath: z.string(),
  sizeMb: z.number(),
  agentId: z.string(),
  hostname: z.string(),
  createdAt: z.number(),
  /** The instance holding it now; absent while free (its next instance goes to this agent). */
  instanceId: z.string().optional(),
  /** Its app was removed or an operator destroyed it: being deleted on the agent. */
  destroying: z.boolean().optional(),
});
export type VolumeView = z.infer<typeof VolumeViewSchema>;

export const AppDetailSchema = AppSummarySchema.extend({
  definition: z.unknown(),
  instanceList: z.array(InstanceViewSchema),
  endpoints: z.array(EndpointSchema),
  deployment: DeploymentViewSchema.optional(),
  /** Present on an autoscaled app. */
  autoscale: AutoscaleViewSchema.optional(),
  /** Present on an app with persistent volumes. */
  volumes: z.array(VolumeViewSchema).optional(),
});
export type AppDetail = Omit<z.infer<typeof AppDetailSchema>, 'definition'> & { definition: AppDefinition };

// ---- requests on agora.v1.api.service ------------------------------------------------------------------

const app = { appId: AppIdSchema };
/** Every call on `agora.v1.api.service`, discriminated by `type`. */
export const ServiceRequestSchema = z.discriminatedUnion('type', [
  /** Create or change an app; `app` is checked as a whole by `validateApp`. `force` replaces a running deployment. */
  z.object({ type: z.literal('deploy'), app: z.unknown(), force: z.boolean().default(false) }),
  z.object({ type: z.literal('list') }),
  z.object({ type: z.literal('show'), ...app }),
  z.object({
    type: z.literal('scale'),
    ...app,
    instances: z.number().int().min(0).max(10_000),
    force: z.boolean().default(false),
  }),
  z.object({ type: z.literal('restart'), ...app, force: z.boolean().default(false) }),
  z.object({ type: z.literal('remove'), ...app }),
  z.object({ type: z.literal('deployments'), appId: AppIdSchema.optional(), all: z.boolean().default(false) }),
  z.object({ type: z.literal('deployment'), deploymentId: z.string().min(1).max(64) }),
  z.object({ type: z.literal('cancel'), deploymentId: z.string().min(1).max(64) }),
  z.object({ type: z.literal('endpoints'), appId: AppIdSchema.optional() }),
  /**
   * Destroys persistent volumes of an app by hand: those named (or all) that no instance holds. Their slots are
   * gone: the next instance that needs one makes a new, empty volume.
   */
  z.object({
    type: z.literal('destroyVolumes'),
    ...app,
    persistenceIds: z.array(z.string().min(1).max(200)).max(1000).optional(),
  }),
  /** Every app with a `loadBalancer`, with its instances (what `agora lb` polls). */
  z.object({ type: z.literal('loadBalancers') }),
]);
export type ServiceRequest = z.input<typeof ServiceRequestSchema>;
export type ServiceRequestParsed = z.infer<typeof ServiceRequestSchema>;

/** The reply fields (beside `ok: true`) of each call. */
export interface ServiceReplies {
  deploy: { deploymentId?: string; version: number; unchanged: boolean };
  list: { apps: AppSummary[] };
  show: { app: AppDetail };
  scale: { deploymentId?: string };
  restart: { deploymentId: string; version: number };
  remove: { deploymentId: string };
  deployments: { deployments: DeploymentView[] };
  deployment: { deployment: DeploymentView };
  cancel: { deploymentId: string; rollbackDeploymentId?: string };
  /** `portCount`: how many ports the app's current version asks for (its SRV names in DNS exist even with no ready instance). */
  endpoints: { endpoints: { appId: string; portCount: number; endpoints: Endpoint[] }[] };
  loadBalancers: { loadBalancers: LoadBalancedApp[] };
  destroyVolumes: { destroying: string[] };
}
export type ServiceRequestType = keyof ServiceReplies;
