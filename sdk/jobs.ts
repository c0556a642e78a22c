/**
 * The cron framework's job API: the job definition and every request and reply on its NATS subject
 * `agora.v1.api.cron`. The cron framework, the `agora job` CLI and the status page import these; nobody
 * re-declares a shape.
 *
 * Example (any NATS client; msgpack bodies; every reply is `{ ok: true, ... }` or `{ ok: false, error }`):
 *
 *   const reply = await request(nc, CRON_API_SUBJECT, {
 *     type: 'submit',
 *     job: { name: 'nightly', schedule: '0 2 * * *', timezone: 'Europe/Paris', cmd: './backup.sh', cpus: 0.5, mem: 256 },
 *   }, { timeoutMs: 5000 });
 *
 * Vocabulary: a *job* is a definition; a *slot* is one instant its schedule names; a *run* is one attempt to
 * execute a job for a slot (retries are further runs of the same slot); the *ledger* records each slot once.
 */
import { z } from 'zod';
import { ContainerInfoSchema, SecretFilesSchema, SecretRefsSchema } from './protocol/common';

export const CRON_API_SUBJECT = 'agora.v1.api.cron';

/** Job names appear in task ids and CLI arguments: lower-case letters, digits, `-` and `_`. */
export const JOB_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const JobNameSchema = z
  .string()
  .regex(JOB_NAME_RE, 'a job name is 1–63 characters of a-z 0-9 - _, starting with a letter or digit');

/** ISO 8601 duration such as `PT30S`, `PT5M`, `P1D`, `P1DT12H` (weeks, days, hours, minutes, seconds). */
export const ISO_DURATION_RE = /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const duration = (example: string) =>
  z.string().regex(ISO_DURATION_RE, `an ISO 8601 duration such as ${example} (weeks, days, hours, minutes, seconds)`);

export const ConcurrencyPolicySchema = z.enum(['Allow', 'Forbid', 'Replace']);
export type ConcurrencyPolicy = z.infer<typeof ConcurrencyPolicySchema>;

export const JobBackoffSchema = z.object({
  /** Delay before the first retry; each further retry waits `factor` times longer, up to `max`. */
  initial: duration('PT10S').default('PT10S'),
  factor: z.number().min(1).max(10).default(2),
  max: duration('PT10M').default('PT10M'),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are letters, digits and _');

/**
 * A parameter a run receives as an environment variable. A manual run may set it (`agora job run nightly
 * --param DATE=2026-12-01`); otherwise it takes its `default`. A `required` parameter without a default must be
 * given on every manual run, so such a job cannot have a schedule or parents (those runs could not supply it).
 */
export const JobParameterSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
        'a parameter name is an environment variable name: letters, digits and _, not starting with a digit',
      ),
    default: z.string().max(65_536).optional(),
    description: z.string().max(1024).optional(),
    required: z.boolean().default(false),
  })
  .strict();
export type JobParameter = z.infer<typeof JobParameterSchema>;

/** Run outcomes a job can be notified about (FAILED: the slot's last attempt, after its retries). */
export const NotifyEventSchema = z.enum(['SUCCEEDED', 'FAILED', 'MISSED', 'KILLED']);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;
/** NATS subject tokens: no spaces or wildcards. */
export const NOTIFY_SUBJECT_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Where a run's outcome is sent: a webhook (HTTP POST of a JSON body) or a NATS subject (the same JSON body
 * published), for the events in `on`. Delivery is retried with backoff; each attempt is in the run's history.
 */
export const JobNotifySchema = z
  .object({
    on: z.array(NotifyEventSchema).min(1).max(4).default(['FAILED', 'MISSED']),
    webhook: z.string().max(2048).optional(),
    subject: z.string().max(256).optional(),
  })
  .strict();
export type JobNotify = z.infer<typeof JobNotifySchema>;

/**
 * A job as submitted. `schedule` is a cron expression (5 fields, or 6 with seconds first; `@hourly`,
 * `@daily`, `@weekly`, `@monthly`, `@yearly`) read in `timezone`, or an ISO 8601 repeating interval
 * `R[n]/<start>/<period>` (`R/2026-01-01T00:00:00Z/PT1H`, `R5/2026-01-01T02:00:00+01:00/P1D`).
 * Without a schedule a job runs on demand (`agora job run`) or after all its `parents` succeeded.
 * Schedule syntax, time zones and the dependency graph are checked by the cron framework on submit.
 */
export const JobSpecSchema = z
  .object({
    name: JobNameSchema,
    description: z.string().max(1024).optional(),
    schedule: z.string().min(1).max(256).optional(),
    timezone: z.string().min(1).max(64).default('UTC'),
    /** A shell command (`/bin/sh -c`). */
    cmd: z.string().min(1).max(65_536).optional(),
    /** Or an executable and its arguments, run without a shell. */
    args: z.array(z.string().max(65_536)).min(1).max(1000).optional(),
    container: ContainerInfoSchema.optional(),
    cpus: z.number().positive().max(1024).default(0.1),
    /** Memory in MB. */
    mem: z.number().positive().max(4_194_304).default(64),
    /** Disk in MB. */
    disk: z.number().nonnegative().max(1e9).default(0),
    env: z.record(envName, z.string().max(65_536)).default({}),
    /** Environment variables from secrets (`{ DB_PASSWORD: 'db-pass' }`): names only; shown as `<secret:db-pass>`. */
    secrets: SecretRefsSchema.optional(),
    /** Files in each run's sandbox from secrets (`{ 'conf/key': 's3-key' }`): 0400, removed when it ends. */
    secretFiles: SecretFilesSchema.optional(),
    user: z.string().max(64).optional(),
    /** How many times a failed run is retried (0 = never). */
    retries: z.number().int().min(0).max(100).default(0),
    backoff: JobBackoffSchema.default({ initial: 'PT10S', factor: 2, max: 'PT10M' }),
    /** How late a run may still start; past it the run is recorded as MISSED. */
    epsilon: duration('PT1M').default('PT1M'),
    concurrencyPolicy: ConcurrencyPolicySchema.default('Allow'),
    /** A run still going after this long is killed and recorded FAILED (reason TIMEOUT). */
    timeout: duration('PT1H').optional(),
    parents: z.array(JobNameSchema).max(100).default([]),
    owner: z.string().max(256).optional(),
    labels: z.record(z.string().max(256), z.string().max(4096)).default({}),
    disabled: z.boolean().default(false),
    /** Declared run parameters (environment variables a manual run may set). */
    parameters: z.array(JobParameterSchema).max(100).default([]),
    /** Who hears about which run outcomes. */
    notify: z.array(JobNotifySchema).max(20).default([]),
  })
  .strict();
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type JobSpecInput = z.input<typeof JobSpecSchema>;

export const RunStateSchema = z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'MISSED', 'KILLED']);
export type RunState = z.infer<typeof RunStateSchema>;
export const FINAL_RUN_STATES: ReadonlySet<RunState> = new Set<RunState>(['SUCCEEDED', 'FAILED', 'MISSED', 'KILLED']);
export const isFinalRunState = (s: RunState): boolean => FINAL_RUN_STATES.has(s);

/** Why a run was created. */
export const RunTriggerSchema = z.enum(['schedule', 'manual', 'dependency', 'retry']);
export type RunTrigger = z.infer<typeof RunTriggerSchema>;

/**
 * Why a run ended the way it did. EXITED (with exitCode), SIGNALED, TIMEOUT, EPSILON_EXCEEDED (never started in
 * time), FORBID_OVERLAP (a slot skipped under Forbid), REPLACED (killed under Replace), KILLED (by request),
 * LOST (the cluster lost the task), LAUNCH_FAILED, JOB_REMOVED.
 */
export const RunReasonSchema = z.enum([
  'EXITED',
  'SIGNALED',
  'TIMEOUT',
  'EPSILON_EXCEEDED',
  'FORBID_OVERLAP',
  'REPLACED',
  'KILLED',
  'LOST',
  'LAUNCH_FAILED',
  'JOB_REMOVED',
]);
export type RunReason = z.infer<typeof RunReasonSchema>;

/** One try at delivering a notification. */
export const DeliveryAttemptSchema = z.object({
  at: z.number(),
  ok: z.boolean(),
  /** The webhook's HTTP status, when it answered. */
  status: z.number().int().optional(),
  error: z.string().optional(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

/** A notification of a run's outcome: pending (retrying), delivered, or failed (attempts exhausted). */
export const NotificationViewSchema = z.object({
  id: z.number().int(),
  event: NotifyEventSchema,
  target: z.object({ webhook: z.string().optional(), subject: z.string().optional() }),
  state: z.enum(['PENDING', 'DELIVERED', 'FAILED']),
  /** When the next attempt is due (PENDING only). */
  nextAt: z.number().optional(),
  attempts: z.array(DeliveryAttemptSchema),
});
export type NotificationView = z.infer<typeof NotificationViewSchema>;

/** The JSON body a webhook receives (POST) and a NATS subject gets published. */
export interface JobNotificationBody {
  job: string;
  runId: number;
  /** The slot, ISO 8601 UTC. */
  slot: string;
  state: RunState;
  event: NotifyEvent;
  trigger: RunTrigger;
  attempt: number;
  /** The job's `retries` (attempt ≤ retries + 1). */
  retries: number;
  exitCode?: number;
  reason?: RunReason;
  message?: string;
  parameters: Record<string, string>;
  startedAt?: string;
  endedAt?: string;
  agentId?: string;
  taskId?: string;
}

export const RunViewSchema = z.object({
  id: z.number().int(),
  job: JobNameSchema,
  /** The slot this run belongs to (ms since the epoch). */
  scheduledAt: z.number(),
  trigger: RunTriggerSchema,
  attempt: z.number().int().min(1),
  state: RunStateSchema,
  /** Earliest start (after a retry's backoff); the run is MISSED if not started by `dueAt + epsilon`. */
  dueAt: z.number(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  exitCode: z.number().int().optional(),
  reason: RunReasonSchema.optional(),
  message: z.string().optional(),
  agentId: z.string().optional(),
  taskId: z.string().optional(),
  /** The parameters the run got (given on a manual run, defaults otherwise). */
  parameters: z.record(z.string(), z.string()).optional(),
  /** Notifications of this run's outcome and every delivery attempt. */
  notifications: z.array(NotificationViewSchema).optional(),
});
export type RunView = z.infer<typeof RunViewSchema>;

export const JobSummarySchema = z.object({
  name: JobNameSchema,
  schedule: z.string().optional(),
  timezone: z.string(),
  parents: z.array(JobNameSchema),
  disabled: z.boolean(),
  concurrencyPolicy: ConcurrencyPolicySchema,
  nextRunAt: z.number().optional(),
  lastRun: RunViewSchema.optional(),
  activeRuns: z.number().int(),
  /** Over the runs kept: finished runs that SUCCEEDED / all finished runs. */
  succeeded: z.number().int(),
  finished: z.number().int(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

export const JobDetailSchema = z.object({
  spec: JobSpecSchema,
  summary: JobSummarySchema,
  nextRuns: z.array(z.number()),
  children: z.array(JobNameSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type JobDetail = z.infer<typeof JobDetailSchema>;

const named = { name: JobNameSchema };
/** Every call on `agora.v1.api.cron`, discriminated by `type`. */
export const CronRequestSchema = z.discriminatedUnion('type', [
  /** Creates or replaces a job. Reply: `{ job: JobDetail, created }`. */
  z.object({ type: z.literal('submit'), job: z.unknown() }),
  /** Reply: `{ jobs: JobSummary[] }`. */
  z.object({ type: z.literal('list') }),
  /** Reply: `{ job: JobDetail }`. */
  z.object({ type: z.literal('show'), ...named }),
  /**
   * Starts a run now (trigger `manual`) with `parameters` (declared names only; defaults fill the rest).
   * Reply: `{ run: RunView }`.
   */
  z.object({ type: z.literal('run'), ...named, parameters: z.record(z.string(), z.string().max(65_536)).default({}) }),
  /** Newest first. Reply: `{ runs: RunView[] }`. */
  z.object({
    type: z.literal('history'),
    ...named,
    limit: z.number().int().min(1).max(1000).default(20),
    beforeId: z.number().int().optional(),
  }),
  /** One run (the newest when `runId` is absent). Reply: `{ run: RunView }`. */
  z.object({ type: z.literal('getRun'), ...named, runId: z.number().int().optional() }),
  /** Where a run's output lives: `{ run, taskId, agentId, files: ['stdout', 'stderr'] }`; read them from the master. */
  z.object({ type: z.literal('logs'), ...named, runId: z.number().int().optional() }),
  z.object({ type: z.literal('enable'), ...named }),
  z.object({ type: z.literal('disable'), ...named }),
  /** Kills the job's active runs, deletes the job, keeps its history. Reply: `{ removed: name, killed: runIds }`. */
  z.object({ type: z.literal('remove'), ...named }),
  /** Kills one active run (reason KILLED). Reply: `{ run }`. */
  z.object({ type: z.literal('kill'), ...named, runId: z.number().int() }),
]);
export type CronRequest = z.input<typeof CronRequestSchema>;
export type CronRequestParsed = z.infer<typeof CronRequestSchema>;

export interface CronReplies {
  submit: { job: JobDetail; created: boolean };
  list: { jobs: JobSummary[] };
  show: { job: JobDetail };
  run: { run: RunView };
  history: { runs: RunView[] };
  getRun: { run: RunView };
  logs: { run: RunView; taskId?: string; agentId?: string; files: string[] };
  enable: { job: JobDetail };
  disable: { job: JobDetail };
  remove: { removed: string; killed: number[] };
  kill: { run: RunView };
}
export type CronRequestType = keyof CronReplies;

/** The environment every run's task receives, so a job can guard its own side effects. */
export const RUN_ENV = {
  job: 'AGORA_JOB',
  runId: 'AGORA_RUN_ID',
  scheduledTime: 'AGORA_SCHEDULED_TIME',
  attempt: 'AGORA_ATTEMPT',
} as const;

/**
 * The dependency graph as an indented text tree (`agora job graph`, the status page): jobs without parents at
 * the left, each child under each of its parents, marked `(also after …)` when it waits for others too.
 */
export function renderJobGraph(jobs: readonly { name: string; parents: readonly string[] }[]): string[] {
  const parentsOf = new Map(jobs.map((j) => [j.name, j.parents]));
  const childrenOf = (name: string) =>
    jobs
      .filter((j) => j.parents.includes(name))
      .map((j) => j.name)
      .sort();
  const lines: string[] = [];
  const walk = (job: string, depth: number, via: string | null, trail: ReadonlySet<string>): void => {
    const others = (parentsOf.get(job) ?? []).filter((p) => p !== via);
    const note = via !== null && others.length > 0 ? `  (also after ${others.join(', ')})` : '';
    lines.push(`${depth === 0 ? '' : '  '.repeat(depth - 1) + '└─ '}${job}${note}`);
    if (trail.has(job)) return;
    for (const child of childrenOf(job)) walk(child, depth + 1, job, new Set(trail).add(job));
  };
  for (const root of jobs
    .filter((j) => j.parents.length === 0)
    .map((j) => j.name)
    .sort())
    walk(root, 0, null, new Set());
  return lines;
}
