/**
 * The SDK's internal barrel: every name in sdk/, for the code that implements Agora rather than uses it — the
 * master, the agent and isolation (which import it by relative path, `'../sdk'`), tests and benchmarks
 * (`agora/sdk/internal`). Nothing outside those may import it (scripts/check-layers.js).
 *
 * The entries meant for others, each naming what it exports:
 *   agora/sdk            sdk/public.ts           framework authors: driver, scheduler protocol, resources, errors
 *   agora/sdk/service    sdk/apps.ts             the service framework's API (its CLI, DNS and load balancer)
 *   agora/sdk/cron       sdk/jobs.ts             the cron framework's API (its CLI)
 *   agora/sdk/operator   sdk/operator.ts         operator tools (the CLI): the master's HTTP API shapes, data-dir locks
 *   agora/sdk/internal   sdk/index.ts (this)     the master↔agent protocol, subjects, streams and the rest
 */
export {
  AgentIdSchema, AttributeSchema, CommandInfoSchema, ContainerInfoSchema, ErrorBodySchema, FrameworkIdSchema,
  HealthCheckSchema, ID_RE, LabelsSchema, LogRotationSchema, OfferIdSchema, PortMappingSchema, ResourceListSchema,
  ResourceWireSchema, RoleSchema, TERMINAL_STATES, TaskIdSchema, TaskInfoSchema, TaskReasonSchema,
  TaskStateSchema, TaskStatusSchema, UsageSchema, VolumeSchema, isTerminal, type AgentId, type Attribute,
  type CommandInfo, type ContainerInfo, type ErrorBody, type FrameworkId, type HealthCheck, type LogRotation,
  type OfferId, type Reply, type ResourceWire, type TaskId, type TaskInfo, type TaskInfoInput, type TaskReason,
  type TaskState, type TaskStatus, type Usage, type Volume, PersistentVolumeSchema, type PersistentVolume,
} from './protocol/common';
export {
  FiltersSchema, FrameworkInfoSchema, OfferSchema, OperationSchema, SchedulerCallSchema, SchedulerEventSchema,
  type Filters, type FrameworkInfo, type FrameworkInfoInput, type Offer, type Operation, type OperationInput,
  type SchedulerCall, type SchedulerCallInput, type SchedulerCallType, type SchedulerEvent, TaskUsageReplySchema, type TaskUsageReply,
} from './protocol/scheduler';
export {
  AgentCallSchema, AgentCommandSchema, AgentInfoSchema, AgentTaskSchema, AgentUpdateSchema, FileEntrySchema,
  LaunchGrantsSchema, NO_LAUNCH_GRANTS, type LaunchGrants,
  type AgentCall, type AgentCallInput, type AgentCommand, type AgentCommandInput, type AgentInfo, type AgentTask,
  type AgentUpdate, type FileEntry,
} from './protocol/agent';
export {
  MASTER_UPDATES_CONSUMER, PREFIX, frameworkConsumerName, streams, subjects,
} from './protocol/subjects';
export {
  HTTP_PERMISSIONS, HTTP_ROLES, RoleNameSchema, RoleUpdateSchema, permissionsOf, type AgentDetailView, type AgentView,
  type AuthErrorBody, type AuthSelfView, type ClusterEventView, type FrameworkView, type HttpPermission, type HttpRole,
  type RoleUpdate, type RoleView, type SummaryView, type TaskView, type TokenView, type UtilizationSample,
} from './protocol/operator';
export {
  DEFAULT_MAX_MESSAGE_BYTES, DecodeError, decode, encode,
} from './codec';
export {
  ApiError, MAX_ISSUES, fieldPath, formatIssues, parseOrThrow, validationIssues, type ErrorCode, type Issue,
} from './errors';
export {
  ResourceError, Resources, UNRESERVED, isValidRole, normalizeRanges, toMilli, type Range, type ScalarEntry,
} from './resources';
export {
  request, serveRequests, type RequestOptions, type ServeOptions,
} from './rpc';
export {
  connectNats, type ConnectOptions, type NatsConnection,
} from './nats';
export {
  RateLimitedLog, createLogger, type Logger,
} from './log';
export {
  FakeClock, every, sleep, systemClock, type Clock, type TimerHandle,
} from './clock';
export {
  SchedulerDriver, type Scheduler, type SchedulerDriverOptions,
} from './driver/scheduler-driver';
export {
  UPDATE_ACK_WAIT_MS, UPDATE_PULL_EXPIRES_MS, consumeUpdates, ensureUpdateConsumer, keepWorking,
  type UpdateConsumerSpec,
} from './update-consumer';
export {
  APP_ID_RE, AppBackoffSchema, AppDefinitionSchema, AppDetailSchema, AppIdSchema, AppSummarySchema,
  CONSTRAINT_OPERATORS, ConstraintOperatorSchema, ConstraintSchema, DEFAULT_LB_DRAIN_SECONDS, DNS_AGENTS_LABEL,
  DNS_ZONE, DeploymentKindSchema, DeploymentPolicySchema, DeploymentStateSchema, DeploymentViewSchema,
  EndpointSchema, EndpointsChangedSchema, InstanceStateSchema, InstanceViewSchema, KillSelectionSchema,
  LoadBalancedAppSchema, LoadBalancerSchema, SERVICE_API_SUBJECT, SERVICE_ENDPOINTS_SUBJECT, ServiceRequestSchema,
  UpgradeStrategySchema, appDnsName, appIdDnsProblems, appTaskPrefix, drainSecondsOf, parseAppText, validateApp,
  type AppDefinition, type AppDefinitionInput, type AppDetail, type AppIssue, type AppSummary, type AppValidation,
  type Constraint, type ConstraintOperator, type DeploymentState, type DeploymentView, type Endpoint,
  type EndpointsChanged, type InstanceState, type InstanceView, type KillSelection, type LoadBalancedApp,
  type LoadBalancer, type ServiceReplies, type ServiceRequest, type ServiceRequestParsed, type ServiceRequestType,
} from './apps';
export {
  CRON_API_SUBJECT, ConcurrencyPolicySchema, CronRequestSchema, DeliveryAttemptSchema, FINAL_RUN_STATES,
  ISO_DURATION_RE, JOB_NAME_RE, JobBackoffSchema, JobDetailSchema, JobNameSchema, JobNotifySchema,
  JobParameterSchema, JobSpecSchema, JobSummarySchema, NOTIFY_SUBJECT_RE, NotificationViewSchema,
  NotifyEventSchema, RUN_ENV, RunReasonSchema, RunStateSchema, RunTriggerSchema, RunViewSchema, isFinalRunState,
  renderJobGraph, type ConcurrencyPolicy, type CronReplies, type CronRequest, type CronRequestParsed,
  type CronRequestType, type DeliveryAttempt, type JobDetail, type JobNotificationBody, type JobNotify,
  type JobParameter, type JobSpec, type JobSpecInput, type JobSummary, type NotificationView, type NotifyEvent,
  type RunReason, type RunState, type RunTrigger, type RunView,
} from './jobs';
export {
  parseDurationMs, type DurationUnit,
} from './duration';
export {
  handleProcessFailures, stopOnSignals,
} from './process';
export {
  DataDirInUseError, LOCK_FILE, holderIsLive, lockDataDir, parseLockHolder, processStartTicks, systemProcessProbe,
  type DataDirLock, type LockHolder, type ProcessProbe,
} from './data-dir-lock';
export {
  BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, retryWithBackoff, type RetryOptions,
} from './backoff';
