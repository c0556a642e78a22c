/**
 * The agent API: calls an agent sends to the master (request/reply on `agora.v1.master.agent.<agentId>`),
 * commands the master sends to an agent (request/reply on `agora.v1.agent.<agentId>`), and the status
 * updates an agent publishes to the AGORA_AGENT_UPDATES JetStream stream (`agora.v1.updates.agent.<agentId>`).
 */
import { z } from 'zod';
import {
  AgentIdSchema,
  AttributeSchema,
  FrameworkIdSchema,
  ResourceListSchema,
  TaskIdSchema,
  TaskInfoSchema,
  TaskStateSchema,
  PERSISTENCE_ID_RE,
  TaskStatusSchema,
  UsageSchema,
} from './common';
import { FrameworkInfoSchema } from './scheduler';

export const AgentInfoSchema = z.object({
  id: AgentIdSchema,
  hostname: z.string().min(1).max(256),
  resources: ResourceListSchema,
  attributes: z.array(AttributeSchema).max(256),
  containerizers: z.array(z.enum(['native', 'docker'])).max(2),
  /** Where the agent's own HTTP endpoint (metrics) listens, if any. */
  httpUrl: z.string().max(1024).optional(),
  version: z.string().max(64),
});
export type AgentInfo = z.infer<typeof AgentInfoSchema>;

/** A task as the agent knows it, sent on (re-)registration so the master can rebuild its view. */
export const AgentTaskSchema = z.object({
  task: TaskInfoSchema,
  frameworkId: FrameworkIdSchema,
  frameworkInfo: FrameworkInfoSchema.optional(),
  state: TaskStateSchema,
  /** The role the task's resources were allocated to. */
  role: z.string().max(128),
});
export type AgentTask = z.infer<typeof AgentTaskSchema>;

export const AgentCallSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('REGISTER'), agent: AgentInfoSchema, tasks: z.array(AgentTaskSchema).max(100_000) }),
  z.object({ type: z.literal('PING') }),
  z.object({
    type: z.literal('USAGE'),
    usage: z.array(z.object({ taskId: TaskIdSchema, frameworkId: FrameworkIdSchema, usage: UsageSchema })).max(100_000),
  }),
]);
export type AgentCall = z.infer<typeof AgentCallSchema>;
export type AgentCallInput = z.input<typeof AgentCallSchema>;

/**
 * What the framework's principal is granted for this task, attached to each LAUNCH by the master from its ACLs.
 * Never taken from the framework: an ACCEPT carries TaskInfos only (unknown keys are stripped), and the master
 * builds every LAUNCH itself. Absent: nothing granted (agent/task-confinement.ts).
 */
export const LaunchGrantsSchema = z
  .object({
    /** A Docker task may use `network: host`. */
    hostNetwork: z.boolean().default(false),
    /** A task may run as root (user `root` / uid 0). */
    runAsRoot: z.boolean().default(false),
  })
  .strict();
export type LaunchGrants = z.infer<typeof LaunchGrantsSchema>;
export const NO_LAUNCH_GRANTS: LaunchGrants = Object.freeze({ hostNetwork: false, runAsRoot: false });

/** Names one LAUNCH the master sent (a task id may be launched again after it ended: each launch has its own id). */
export const LaunchIdSchema = z.string().min(1).max(64);

/** A launch the master asks an agent about (RECONCILE_LAUNCHES). */
export const LaunchRefSchema = z.object({
  frameworkId: FrameworkIdSchema,
  taskId: TaskIdSchema,
  launchId: LaunchIdSchema,
});
export type LaunchRef = z.infer<typeof LaunchRefSchema>;

/**
 * The agent's answer to RECONCILE_LAUNCHES, one entry per launch asked about: `known` with the task's state on
 * the agent (its own updates follow), or not known — and then refused for good if that LAUNCH ever arrives.
 */
export const ReconcileLaunchesReplySchema = z.object({
  launches: z.array(LaunchRefSchema.extend({ known: z.boolean(), state: TaskStateSchema.optional() })).max(1000),
});
export type ReconcileLaunchesReply = z.infer<typeof ReconcileLaunchesReplySchema>;

export const AgentCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('LAUNCH'),
    frameworkId: FrameworkIdSchema,
    framework: FrameworkInfoSchema,
    role: z.string().max(128),
    task: TaskInfoSchema,
    /** Set by the master on every LAUNCH; RECONCILE_LAUNCHES names it. Absent (older masters): never refused. */
    launchId: LaunchIdSchema.optional(),
    grants: LaunchGrantsSchema.default({ hostNetwork: false, runAsRoot: false }),
    /**
     * Environment variables holding secret values (master/secrets/: resolved by the master from the task's
     * references, for this LAUNCH only). The agent passes them to the task and keeps them in memory only:
     * never in its checkpoint, its REGISTER, its logs or a status.
     */
    secretEnv: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), z.string().max(64 * 1024)).optional(),
    /** Secret files: sandbox path → value (the values of `task.secretFiles`, like `secretEnv`: memory only). */
    secretFiles: z.record(z.string().min(1).max(256), z.string().max(64 * 1024)).optional(),
  }),
  z.object({
    type: z.literal('KILL'),
    frameworkId: FrameworkIdSchema,
    taskId: TaskIdSchema,
    gracePeriodMs: z.number().int().nonnegative().optional(),
    reason: z.string().max(64).optional(),
  }),
  z.object({ type: z.literal('SHUTDOWN_FRAMEWORK'), frameworkId: FrameworkIdSchema }),
  /** FILES_*: a sandbox is found by framework and task id (two frameworks may use one task id). */
  z.object({ type: z.literal('FILES_LIST'), frameworkId: FrameworkIdSchema, taskId: TaskIdSchema }),
  z.object({
    type: z.literal('FILES_READ'),
    frameworkId: FrameworkIdSchema,
    taskId: TaskIdSchema,
    path: z.string().min(1).max(1024),
    offset: z.number().int().min(-1).default(0),
    length: z
      .number()
      .int()
      .nonnegative()
      .max(4 * 1024 * 1024)
      .default(65536),
  }),
  z.object({ type: z.literal('STATE') }),
  /**
   * Which of these launches does the agent know? Sent by the master when a LAUNCH was not confirmed in time (or a
   * task stays STAGING long). Each one the agent does not know it refuses from now on, before answering: the
   * master then declares the task TASK_DROPPED, and a LAUNCH arriving late can never start it.
   */
  z.object({ type: z.literal('RECONCILE_LAUNCHES'), launches: z.array(LaunchRefSchema).min(1).max(1000) }),
  /** Deletes the framework's persistent volumes named (refused with CONFLICT while a running task uses one). */
  z.object({
    type: z.literal('DESTROY_VOLUMES'),
    frameworkId: FrameworkIdSchema,
    persistenceIds: z.array(z.string().regex(PERSISTENCE_ID_RE)).min(1).max(1000),
  }),
]);
export type AgentCommand = z.infer<typeof AgentCommandSchema>;
export type AgentCommandInput = z.input<typeof AgentCommandSchema>;

/** One status update on the agent update stream. `uuid` is also the JetStream message id (dedupe). */
export const AgentUpdateSchema = z.object({
  status: TaskStatusSchema.required({ uuid: true, agentId: true }),
});
export type AgentUpdate = z.infer<typeof AgentUpdateSchema>;

export const FileEntrySchema = z.object({ path: z.string(), size: z.number(), mtimeMs: z.number() });
export type FileEntry = z.infer<typeof FileEntrySchema>;
