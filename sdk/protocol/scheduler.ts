/**
 * The scheduler API: calls a framework sends to the master (request/reply on
 * `agora.v1.master.scheduler.<principal>.<frameworkId>`) and events the master publishes to it
 * (`agora.v1.scheduler.<principal>.<frameworkId>.events`). Modelled on Mesos's v1 scheduler API.
 */
import { z } from 'zod';
import {
  AgentIdSchema, AttributeSchema, FrameworkIdSchema, OfferIdSchema, ResourceListSchema, RoleSchema, TaskIdSchema,
  TaskInfoSchema, TaskStatusSchema,
} from './common';

export const FrameworkInfoSchema = z.object({
  id: FrameworkIdSchema,
  name: z.string().min(1).max(256),
  roles: z.array(RoleSchema).min(1).max(64).default(['*']),
  /** Ignored on input: the master records the principal the framework authenticated as. */
  principal: z.string().max(256).optional(),
  user: z.string().max(64).optional(),
  hostname: z.string().max(256).optional(),
  /** How long the master keeps the framework's tasks running after it disconnects. 0: tear down at once. */
  failoverTimeoutMs: z.number().int().nonnegative().max(365 * 24 * 3600_000).default(7 * 24 * 3600_000),
  /** Optional URL of the framework's own UI/API, shown on the status page. */
  webuiUrl: z.string().max(1024).optional(),
  /** Subject of the framework's own request/reply API (e.g. `agora.v1.api.service`), for the status page. */
  apiSubject: z.string().max(256).optional(),
});
export type FrameworkInfo = z.infer<typeof FrameworkInfoSchema>;
export type FrameworkInfoInput = z.input<typeof FrameworkInfoSchema>;

export const FiltersSchema = z.object({ refuseSeconds: z.number().nonnegative().max(31_536_000).default(5) });
export type Filters = z.infer<typeof FiltersSchema>;

export const OperationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('LAUNCH'), tasks: z.array(TaskInfoSchema).min(1).max(10_000) }),
  z.object({ type: z.literal('RESERVE'), resources: ResourceListSchema }),
  z.object({ type: z.literal('UNRESERVE'), resources: ResourceListSchema }),
]);
export type Operation = z.infer<typeof OperationSchema>;
export type OperationInput = z.input<typeof OperationSchema>;

const roles = z.array(RoleSchema).max(64).optional();

export const SchedulerCallSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('SUBSCRIBE'), framework: FrameworkInfoSchema }),
  z.object({ type: z.literal('TEARDOWN') }),
  z.object({ type: z.literal('ACCEPT'), offerIds: z.array(OfferIdSchema).min(1).max(10_000), operations: z.array(OperationSchema).max(1000), filters: FiltersSchema.optional() }),
  z.object({ type: z.literal('DECLINE'), offerIds: z.array(OfferIdSchema).min(1).max(10_000), filters: FiltersSchema.optional() }),
  z.object({ type: z.literal('REVIVE'), roles }),
  z.object({ type: z.literal('SUPPRESS'), roles }),
  z.object({ type: z.literal('KILL'), taskId: TaskIdSchema, agentId: AgentIdSchema.optional(), gracePeriodMs: z.number().int().nonnegative().max(3_600_000).optional() }),
  z.object({ type: z.literal('RECONCILE'), tasks: z.array(z.object({ taskId: TaskIdSchema, agentId: AgentIdSchema.optional() })).max(100_000).default([]) }),
  z.object({ type: z.literal('HEARTBEAT') }),
]);
export type SchedulerCall = z.infer<typeof SchedulerCallSchema>;
export type SchedulerCallInput = z.input<typeof SchedulerCallSchema>;
export type SchedulerCallType = SchedulerCall['type'];

export const OfferSchema = z.object({
  id: OfferIdSchema,
  frameworkId: FrameworkIdSchema,
  agentId: AgentIdSchema,
  hostname: z.string(),
  role: RoleSchema,
  resources: ResourceListSchema,
  attributes: z.array(AttributeSchema),
  containerizers: z.array(z.enum(['native', 'docker'])),
});
export type Offer = z.infer<typeof OfferSchema>;

export const SchedulerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('SUBSCRIBED'), frameworkId: FrameworkIdSchema, masterId: z.string(), heartbeatIntervalMs: z.number(), reregistered: z.boolean() }),
  z.object({ type: z.literal('OFFERS'), offers: z.array(OfferSchema) }),
  z.object({ type: z.literal('RESCIND'), offerId: OfferIdSchema }),
  /** Reconciliation answers (no uuid, not acknowledged). Acknowledged updates arrive on the update stream. */
  z.object({ type: z.literal('UPDATE'), status: TaskStatusSchema }),
  z.object({ type: z.literal('FAILURE'), agentId: AgentIdSchema }),
  z.object({ type: z.literal('ERROR'), message: z.string() }),
  z.object({ type: z.literal('HEARTBEAT'), masterId: z.string() }),
]);
export type SchedulerEvent = z.infer<typeof SchedulerEventSchema>;
