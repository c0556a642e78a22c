/**
 * agora/sdk — what a framework author needs: the SchedulerDriver, the scheduler protocol (what is sent to and
 * received from the master), tasks and their statuses, resource arithmetic and errors; and, for a framework
 * that serves its own API over NATS as the shipped ones do, the connection, codec, request/reply and clock.
 * It depends on nothing else in this repository.
 *
 *   import { SchedulerDriver, Resources } from 'agora/sdk';
 *
 * Other entries (sdk/index.ts lists them): agora/sdk/service and agora/sdk/cron (the shipped frameworks' APIs),
 * agora/sdk/operator (operator tools), agora/sdk/internal (the master↔agent protocol; not for frameworks).
 * See docs/protocol.md for the wire protocol this implements.
 */

// ---- the driver -------------------------------------------------------------------------------------------
export {
  /** A framework's connection to the master: subscribe, offers, launch/kill, status updates, failover. */
  SchedulerDriver,
  /** The callbacks a framework implements (resourceOffers, statusUpdate, …); events arrive one at a time, in order. */
  type Scheduler,
  /** How to start a driver: NATS url or connection, the FrameworkInfo, the Scheduler, timeouts, clock. */
  type SchedulerDriverOptions,
} from './driver/scheduler-driver';

// ---- the scheduler protocol --------------------------------------------------------------------------------
export {
  /** Validates a FrameworkInfo (name, roles, principal, failover timeout, apiSubject, …). */
  FrameworkInfoSchema,
  /** A framework's description as the master keeps it. */
  type FrameworkInfo,
  /** A FrameworkInfo as written by hand (defaults not yet applied). */
  type FrameworkInfoInput,
  /** Validates an offer's refuse filter. */
  FiltersSchema,
  /** `{ refuseSeconds }`: how long declined resources are held back (only offers that fit in them). */
  type Filters,
  /** Validates a resource offer. */
  OfferSchema,
  /** Resources of one agent offered to one framework, with the agent's attributes. */
  type Offer,
  /** Validates an ACCEPT operation (LAUNCH, RESERVE, UNRESERVE, …). */
  OperationSchema,
  /** One operation of an ACCEPT, validated. */
  type Operation,
  /** One operation of an ACCEPT, as written by hand. */
  type OperationInput,
  /** Validates a framework → master call (SUBSCRIBE, ACCEPT, DECLINE, KILL, RECONCILE, …). */
  SchedulerCallSchema,
  /** A framework → master call, validated. */
  type SchedulerCall,
  /** A framework → master call, as written by hand (what `SchedulerDriver.call` takes). */
  type SchedulerCallInput,
  /** The call names: 'SUBSCRIBE' | 'ACCEPT' | …. */
  type SchedulerCallType,
  /** Validates a master → framework event (SUBSCRIBED, OFFERS, RESCIND, UPDATE, FAILURE, ERROR, HEARTBEAT). */
  SchedulerEventSchema,
  /** A master → framework event. */
  type SchedulerEvent,
  /** The reply to USAGE (`driver.usage()`): the agents' latest usage reports of the framework's live tasks. */
  type TaskUsageReply,
} from './protocol/scheduler';

// ---- tasks, statuses, ids ----------------------------------------------------------------------------------
export {
  /** Validates a framework id (and brands it: a FrameworkId is not an AgentId). */
  FrameworkIdSchema,
  /** A framework's id (branded string). */
  type FrameworkId,
  /** Validates an agent id (branded). */
  AgentIdSchema,
  /** An agent's id (branded string). */
  type AgentId,
  /** Validates a task id (branded): 1–200 characters of A-Z a-z 0-9 _ . : -. */
  TaskIdSchema,
  /** A task's id, unique within its framework (branded string). */
  type TaskId,
  /** Validates an offer id (branded). */
  OfferIdSchema,
  /** An offer's id (branded string). */
  type OfferId,
  /** Validates a role name (`*` or a name like `eng`). */
  RoleSchema,
  /** Validates a task to launch: id, name, agent, resources, command, container, health check, volumes. */
  TaskInfoSchema,
  /** A task to launch, validated. */
  type TaskInfo,
  /** A task to launch, as written by hand (what `SchedulerDriver.launch` takes). */
  type TaskInfoInput,
  /** A task's command: a shell string or argv, env, user. */
  type CommandInfo,
  /** A task's container: NATIVE, or DOCKER with an image and port mappings. */
  type ContainerInfo,
  /** Validates a task's health check (COMMAND, HTTP or TCP). */
  HealthCheckSchema,
  /** A task's health check. */
  type HealthCheck,
  /** A host path mounted into a task. */
  type Volume,
  /** A persistent volume of a task (`task.persistentVolumes[]`): kept on its agent across the task's restarts. */
  type PersistentVolume,
  /** Validates a task's secret references (`secrets: { DB_PASSWORD: 'db-pass' }`: env variable → secret name). */
  SecretRefsSchema,
  /** A task's secret references: environment variable → secret name. */
  type SecretRefs,
  /** Validates a secret's name: 1–128 of a-z 0-9 . _ - (no slashes). */
  SecretNameSchema,
  /** A task's own stdout/stderr rotation (overrides the agent's). */
  type LogRotation,
  /** Validates a task status update. */
  TaskStatusSchema,
  /** A task's status: state, reason, message, exit code, health, timestamp, uuid (acknowledged by the driver). */
  type TaskStatus,
  /** Validates a task state name, exactly as on the wire (`TASK_RUNNING`, …). */
  TaskStateSchema,
  /** A task state: TASK_STAGING … TASK_FINISHED / FAILED / KILLED / LOST / DROPPED / GONE / UNKNOWN …. */
  type TaskState,
  /** The states a task never leaves. */
  TERMINAL_STATES,
  /** True for a state a task never leaves. */
  isTerminal,
  /** True when a status is older news than the newest one of its task (a redelivery): ack it, do not act on it. */
  isStaleUpdate,
  /** Validates a status reason (EXITED, OOM, KILLED, AGENT_REMOVED, …). */
  TaskReasonSchema,
  /** Why a task reached its state. */
  type TaskReason,
  /** An agent attribute (`rack:r1`), offered with its resources. */
  type Attribute,
  /** Resources as sent on the wire (use `Resources.fromWire` to compute with them). */
  type ResourceWire,
  /** A task's resource usage as its agent reports it. */
  type Usage,
} from './protocol/common';

// ---- resources ---------------------------------------------------------------------------------------------
export {
  /** Resource arithmetic: parse `cpus:1;mem:128;ports:[31000-31010]`, add, subtract, contains, roles, reservations. */
  Resources,
  /** A resource text or operation that does not make sense (names the resource). */
  ResourceError,
  /** The role of unreserved resources: `*`. */
  UNRESERVED,
  /** A port range, both ends included. */
  type Range,
} from './resources';

// ---- errors ------------------------------------------------------------------------------------------------
export {
  /** The error every refused call throws: a code (INVALID, NOT_FOUND, NOT_SUBSCRIBED, …), a message, the field. */
  ApiError,
  /** The codes an ApiError carries. */
  type ErrorCode,
  /** One field's problem in an INVALID error. */
  type Issue,
} from './errors';
export {
  /** Validates the `error` of a refused reply. */
  ErrorBodySchema,
  /** The `error` of a refused reply: code, message, field. */
  type ErrorBody,
} from './protocol/common';

// ---- running a framework: connection, log, clock, codec, request/reply -------------------------------------
export {
  /** Connects to NATS, retrying at start and logging reconnects. */
  connectNats,
  /** Options of connectNats. */
  type ConnectOptions,
  /** A NATS connection (the driver's, or one passed in). */
  type NatsConnection,
} from './nats';
export {
  /** A pino logger named for a component (level from AGORA_LOG_LEVEL). */
  createLogger,
  /** The logger type the driver and helpers take. */
  type Logger,
  /** Logs a repeating problem at most once per interval, counting what it held back. */
  RateLimitedLog,
} from './log';
export {
  /** Injectable time: now, setTimeout, clearTimeout. */
  type Clock,
  /** A timer a Clock returns. */
  type TimerHandle,
  /** The real clock (its timers do not keep the process alive). */
  systemClock,
  /** A clock that moves only when a test advances it; timers fire in order. */
  FakeClock,
} from './clock';
export {
  /** msgpack encoding, as on the wire. */
  encode,
  /** msgpack decoding; throws DecodeError on malformed or oversized input. */
  decode,
  /** A message that is not valid msgpack (or too large). */
  DecodeError,
} from './codec';
export {
  /** Request/reply: sends a msgpack request, returns `{ ok: true, … }` replies, throws ApiError otherwise. */
  request,
  /** Serves requests on a subject: validates with a zod schema, answers `{ ok, … }` or an error body. */
  serveRequests,
  /** Options of request (timeout). */
  type RequestOptions,
  /** Options of serveRequests (message size limit, queue group). */
  type ServeOptions,
} from './rpc';
export {
  /** Runs a shutdown function on SIGINT/SIGTERM, once, then exits. */
  stopOnSignals,
} from './process';
