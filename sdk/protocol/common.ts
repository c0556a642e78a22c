/**
 * Shapes shared by every part of the protocol: ids, resources, attributes, tasks and their statuses.
 * Each is one zod schema; the TypeScript type is derived from it, so the check at the edge and the type
 * the code sees cannot drift apart.
 */
import { z } from 'zod';

/** Ids travel inside NATS subject tokens: no dots, spaces or wildcards. */
export const ID_RE = /^[A-Za-z0-9_-][A-Za-z0-9_:-]{0,127}$/;
const id = (what: string) =>
  z.string().regex(ID_RE, `${what} must be 1–128 characters of A-Z a-z 0-9 _ - : (no dots or spaces)`);

export const FrameworkIdSchema = id('framework id').brand<'FrameworkId'>();
export const AgentIdSchema = id('agent id').brand<'AgentId'>();
/** Task ids may contain dots (`shop_cart.1a2b`): they never appear in a subject. */
export const TaskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'task id must be 1–200 characters of A-Z a-z 0-9 _ . : -')
  .brand<'TaskId'>();
export const OfferIdSchema = z.string().min(1).max(128).brand<'OfferId'>();
export type FrameworkId = z.infer<typeof FrameworkIdSchema>;
export type AgentId = z.infer<typeof AgentIdSchema>;
export type TaskId = z.infer<typeof TaskIdSchema>;
export type OfferId = z.infer<typeof OfferIdSchema>;

export const RoleSchema = z
  .string()
  .regex(
    /^(\*|[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$/,
    'role must be * or a path like eng/backend',
  )
  .max(128);

const nonNeg = z.number().finite().nonnegative();
export const ResourceWireSchema = z
  .object({
    name: z.string().min(1).max(64),
    role: RoleSchema.optional(),
    scalar: nonNeg.optional(),
    ranges: z
      .array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]))
      .max(10_000)
      .optional(),
    set: z.array(z.string().max(256)).max(10_000).optional(),
  })
  .refine((r) => [r.scalar, r.ranges, r.set].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of scalar, ranges, set',
  });
export type ResourceWire = z.infer<typeof ResourceWireSchema>;
export const ResourceListSchema = z.array(ResourceWireSchema).max(1000);

/** Agent attributes for placement: text, scalar, or ranges. */
export const AttributeSchema = z.object({
  name: z.string().min(1).max(64),
  text: z.string().max(1024).optional(),
  scalar: z.number().finite().optional(),
  ranges: z
    .array(z.tuple([z.number(), z.number()]))
    .max(1000)
    .optional(),
});
export type Attribute = z.infer<typeof AttributeSchema>;

export const TaskStateSchema = z.enum([
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);
export type TaskState = z.infer<typeof TaskStateSchema>;
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);
export const isTerminal = (s: TaskState): boolean => TERMINAL_STATES.has(s);

/**
 * Whether `next` is older news than `last` about the same task: both made by the same agent (one clock), and
 * `next` was produced before `last`, or it is a non-terminal state that does not postdate a terminal one. An
 * agent sends a task's updates in order, so such an update can only be a redelivery (JetStream redelivers after
 * a lost ack, e.g. across a nats-server restart). Forwarding it would show a framework TASK_RUNNING after
 * TASK_FINISHED; the master drops it instead. Updates made by the master (another clock) are never compared.
 */
export function isStaleUpdate(
  last: Pick<TaskStatus, 'state' | 'timestamp' | 'agentId' | 'source'> | undefined,
  next: Pick<TaskStatus, 'state' | 'timestamp' | 'agentId' | 'source'>,
): boolean {
  if (!last || last.source !== 'AGENT' || next.source !== 'AGENT' || last.agentId !== next.agentId) return false;
  if (next.timestamp < last.timestamp) return true;
  return isTerminal(last.state) && !isTerminal(next.state) && next.timestamp <= last.timestamp;
}

export const HealthCheckSchema = z
  .object({
    type: z.enum(['COMMAND', 'HTTP', 'TCP']),
    command: z.string().max(4096).optional(),
    /** HTTP/TCP: the index into the task's ports resource (default 0), or a fixed port. */
    portIndex: z.number().int().nonnegative().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    path: z.string().max(1024).optional(),
    gracePeriodSeconds: nonNeg.default(15),
    intervalSeconds: z.number().positive().default(10),
    timeoutSeconds: z.number().positive().default(5),
    consecutiveFailures: z.number().int().positive().default(3),
    delaySeconds: nonNeg.default(0),
  })
  .superRefine((h, ctx) => {
    if (h.type === 'COMMAND' && !h.command)
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'required for a COMMAND check' });
  });
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

export const PortMappingSchema = z.object({
  containerPort: z.number().int().min(1).max(65535),
  /** 0 or absent: taken from the task's `ports` resource in order. */
  hostPort: z.number().int().min(0).max(65535).optional(),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});

export const ContainerInfoSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('NATIVE') }),
  z.object({
    type: z.literal('DOCKER'),
    image: z.string().min(1).max(512),
    pullPolicy: z.enum(['ifNotPresent', 'always', 'never']).default('ifNotPresent'),
    portMappings: z.array(PortMappingSchema).max(100).default([]),
    network: z.enum(['bridge', 'host', 'none']).default('bridge'),
    readOnlyRootfs: z.boolean().default(false),
  }),
]);
export type ContainerInfo = z.infer<typeof ContainerInfoSchema>;

export const CommandInfoSchema = z
  .object({
    /** With shell (the default), `value` runs under `/bin/sh -c`; otherwise `value` is the executable and `arguments` its argv[1..]. */
    shell: z.boolean().default(true),
    value: z.string().max(65_536).optional(),
    arguments: z.array(z.string().max(65_536)).max(1000).optional(),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _'),
        z.string().max(65_536),
      )
      .default({}),
    user: z.string().max(64).optional(),
  })
  .refine((c) => c.value !== undefined || (c.arguments?.length ?? 0) > 0, {
    message: 'command needs value or arguments',
  });
export type CommandInfo = z.infer<typeof CommandInfoSchema>;

export const LabelsSchema = z.record(z.string().max(256), z.string().max(4096));

/** Per-task override of the agent's log rotation (`--log-max-size`, `--log-max-files`); a field left out keeps the agent's. */
export const LogRotationSchema = z.object({
  /** stdout/stderr are rotated once a file holds this many MiB. */
  maxSizeMb: z.number().positive().max(1_000_000).optional(),
  /** Files kept per stream, the current one included: at most maxSizeMb × maxFiles each for stdout and stderr. */
  maxFiles: z.number().int().min(1).max(100).optional(),
});
export type LogRotation = z.infer<typeof LogRotationSchema>;

/**
 * A host directory bind-mounted into the task's sandbox at `containerPath` (relative to the sandbox; for Docker
 * tasks the sandbox is /mnt/agora/sandbox). Only host paths the agent grants to the framework's principal
 * (`--host-volume-acl`) are allowed; never any by default.
 */
export const VolumeSchema = z.object({
  containerPath: z
    .string()
    .min(1)
    .max(256)
    .refine((p) => !p.startsWith('/'), 'must be relative to the sandbox (no leading /)')
    .refine((p) => !p.split('/').includes('..'), "must stay inside the sandbox (no '..')")
    .refine((p) => p.split('/').some((s) => s !== '' && s !== '.'), 'must name a directory below the sandbox'),
  hostPath: z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => p.startsWith('/'), 'must be absolute')
    .refine((p) => !p.split('/').includes('..'), "must not contain '..'"),
  mode: z.enum(['ro', 'rw']).default('ro'),
});
export type Volume = z.infer<typeof VolumeSchema>;

/**
 * A local persistent volume (Mesos's): a directory the agent keeps under its work dir
 * (`<workDir>/volumes/<persistenceId>`), created at the first launch that names it, mounted read-write at
 * `<sandbox>/<containerPath>`, and kept when the task ends, so a later task of the same framework naming the same
 * id on the same agent finds the data. Its `sizeMb` is part of the task's `disk` (enforced on sandbox and volumes
 * together). Only `DESTROY_VOLUMES` removes it.
 */
export const PERSISTENCE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const PersistentVolumeSchema = z.object({
  containerPath: VolumeSchema.shape.containerPath,
  persistenceId: z
    .string()
    .regex(PERSISTENCE_ID_RE, 'a persistence id is 1–128 letters, digits, ., _ or - (starting with a letter or digit)'),
  sizeMb: z.number().positive().max(1e9),
});
export type PersistentVolume = z.infer<typeof PersistentVolumeSchema>;

/**
 * Secrets (docs/security.md, "Secrets"): a secret is a named value the master keeps encrypted. A task names the
 * secrets it wants, `secrets: { DB_PASSWORD: 'db-pass' }` — an environment variable to a secret's name. Only
 * names travel here: the master puts the values into that task's LAUNCH alone, and only when the framework's
 * principal is granted each secret (`agora secret grant`); everywhere else a reference shows as
 * `<secret:db-pass>`. A variable named both in `command.env` and here gets the secret's value.
 */
export const SECRET_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const SecretNameSchema = z
  .string()
  .regex(
    SECRET_NAME_RE,
    'a secret name is 1–128 of a-z 0-9 . _ - (lower case, starting with a letter or digit; no slashes)',
  );
export const SecretRefsSchema = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'env names are letters, digits and _'), SecretNameSchema)
  .refine((r) => Object.keys(r).length <= 64, 'at most 64 secrets per task');
export type SecretRefs = z.infer<typeof SecretRefsSchema>;
/**
 * Secret files: a path relative to the sandbox → a secret's name. The agent writes each file (mode 0400, owned by
 * the task's user, parent directories 0700) before the task starts and removes it when the task ends; the
 * sandbox file API refuses to read it. Not `stdout`/`stderr` (or their rotations) nor a name starting with `.`.
 */
export const SecretFilePathSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((p) => !p.startsWith('/'), 'must be relative to the sandbox (no leading /)')
  .refine(
    (p) => p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'),
    "must name a file below the sandbox (no empty, '.' or '..' parts)",
  )
  .refine(
    (p) => !/^(stdout|stderr)(\.\d+)?$/.test(p.split('/')[0]!) && !p.split('/').some((seg) => seg.startsWith('.')),
    'must not be stdout, stderr or a name starting with . (the agent keeps those)',
  );
export const SecretFilesSchema = z
  .record(SecretFilePathSchema, SecretNameSchema)
  .refine((r) => Object.keys(r).length <= 16, 'at most 16 secret files per task');

export const TaskInfoSchema = z.object({
  taskId: TaskIdSchema,
  name: z.string().min(1).max(256),
  agentId: AgentIdSchema,
  resources: ResourceListSchema,
  command: CommandInfoSchema,
  container: ContainerInfoSchema.default({ type: 'NATIVE' }),
  healthCheck: HealthCheckSchema.optional(),
  labels: LabelsSchema.default({}),
  killGracePeriodMs: z.number().int().nonnegative().max(3_600_000).optional(),
  /** Hard cap on cpu (CFS quota) instead of proportional shares only. */
  cpuHardCap: z.boolean().optional(),
  logRotation: LogRotationSchema.optional(),
  volumes: z.array(VolumeSchema).max(32).optional(),
  persistentVolumes: z.array(PersistentVolumeSchema).max(32).optional(),
  /** Environment variables from secrets: variable → secret name (see `SecretRefsSchema`). */
  secrets: SecretRefsSchema.optional(),
  /** Files in the sandbox from secrets: path → secret name (see `SecretFilesSchema`). */
  secretFiles: SecretFilesSchema.optional(),
});
export type TaskInfo = z.infer<typeof TaskInfoSchema>;
export type TaskInfoInput = z.input<typeof TaskInfoSchema>;

export const TaskReasonSchema = z.enum([
  'EXITED',
  'SIGNALED',
  'OOM',
  'KILLED',
  'LAUNCH_FAILED',
  'AGENT_RESTART',
  'INVALID_TASK',
  'INVALID_OFFERS',
  'RESOURCES_UNAVAILABLE',
  'AGENT_UNREACHABLE',
  'AGENT_REMOVED',
  'AGENT_UNKNOWN',
  'FRAMEWORK_REMOVED',
  'RECONCILIATION',
  'HEALTH_CHECK_FAILED',
  'KILLED_BY_OPERATOR',
  'TASK_UNKNOWN',
  'AGENT_DRAINED',
  'TIMEOUT',
  'DISK_LIMIT',
]);
export type TaskReason = z.infer<typeof TaskReasonSchema>;

export const UsageSchema = z.object({
  cpuUserSeconds: nonNeg,
  cpuSystemSeconds: nonNeg,
  memBytes: nonNeg,
  memPeakBytes: nonNeg,
  memLimitBytes: nonNeg.optional(),
  cpusLimit: nonNeg.optional(),
  timestamp: z.number(),
  /** The sandbox's size on disk at the last disk check (MiB), and the task's `disk` limit. */
  diskUsedMb: nonNeg.optional(),
  diskLimitMb: nonNeg.optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const TaskStatusSchema = z.object({
  taskId: TaskIdSchema,
  frameworkId: FrameworkIdSchema,
  agentId: AgentIdSchema.optional(),
  state: TaskStateSchema,
  reason: TaskReasonSchema.optional(),
  source: z.enum(['MASTER', 'AGENT']),
  message: z.string().max(8192).optional(),
  exitCode: z.number().int().optional(),
  signal: z.string().max(32).optional(),
  healthy: z.boolean().optional(),
  /** Milliseconds since the epoch when the state was produced. */
  timestamp: z.number(),
  /** Present on updates that travel through the acknowledged stream; absent on reconciliation answers. */
  uuid: z.string().max(64).optional(),
  /** Host ports the task was given, for service discovery. */
  ports: z.array(z.number().int()).max(1000).optional(),
  hostname: z.string().max(256).optional(),
});
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** The reply every request/reply call gets: `{ ok: true, ... }` or `{ ok: false, error }`. */
export const ErrorBodySchema = z.object({
  code: z.enum([
    'INVALID',
    'NOT_FOUND',
    'NOT_SUBSCRIBED',
    'CONFLICT',
    'FORBIDDEN',
    'UNAVAILABLE',
    'INTERNAL',
    'TOO_LARGE',
  ]),
  message: z.string(),
  field: z.string().optional(),
  /** Every problem by field path (at most 20), when the request failed validation. */
  issues: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .max(100)
    .optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export type Reply<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
