/**
 * agora/sdk/operator — what operator tools (the `agora` CLI) use besides agora/sdk: the shapes of the master's
 * HTTP API (`/api/v1/...`), the data-dir lock `agora up` and the daemons take, and duration parsing for flags.
 * Not for frameworks: a framework speaks the scheduler protocol (agora/sdk), never the operator API.
 */
export {
  /** Validates a role update (weight, guarantee, limit) for `PUT /api/v1/roles/:role`. */
  RoleUpdateSchema,
  /** A role update. */
  type RoleUpdate,
  /** Validates a role name in the operator API. */
  RoleNameSchema,
  /** An agent as `GET /api/v1/agents` shows it. */
  type AgentView,
  /** A framework as `GET /api/v1/frameworks` shows it. */
  type FrameworkView,
  /** A task as `GET /api/v1/tasks` shows it. */
  type TaskView,
  /** An agent with its tasks (`GET /api/v1/agents/:id`). */
  type AgentDetailView,
  /** A role with its weight, quota and allocation (`GET /api/v1/roles`). */
  type RoleView,
  /** The cluster summary (`GET /api/v1/summary`). */
  type SummaryView,
  /** One utilization sample of the cluster (the page charts them). */
  type UtilizationSample,
  /** A cluster event as the event stream (`GET /api/v1/events`) sends it. */
  type ClusterEventView,
  /** The HTTP API's roles: viewer ⊂ operator ⊂ admin. */
  HTTP_ROLES,
  /** An HTTP API role. */
  type HttpRole,
  /** Every permission of the HTTP API, with what it allows. */
  HTTP_PERMISSIONS,
  /** An HTTP API permission. */
  type HttpPermission,
  /** The permissions a role holds (none for undefined: anonymous without a grant). */
  permissionsOf,
  /** Validates `PUT /api/v1/secrets/:name` ({ value, grants }). */
  SecretPutSchema,
  /** Validates `POST /api/v1/secrets/:name/grants` ({ grant, revoke }). */
  SecretGrantsChangeSchema,
  /** Validates a principal a secret is granted to (`*` or a name). */
  SecretPrincipalSchema,
  /** Validates a secret's name. */
  SecretNameParamSchema,
  /** The largest secret value accepted, in bytes. */
  MAX_SECRET_BYTES,
  /** A secret as `agora secret list` shows it (never its value). */
  type SecretView,
  /** A bearer token as `agora token list` shows it (never its secret). */
  type TokenView,
  /** Who the presented token is and what it may do (`GET /api/v1/auth/self`). */
  type AuthSelfView,
  /** The body of a 401/403 answer: the permission that was missing. */
  type AuthErrorBody,
} from './protocol/operator';
export {
  /** Takes a data dir for one process (refuses, naming the holder's pid, if another live process has it). */
  lockDataDir,
  /** A held data-dir lock (release it on exit). */
  type DataDirLock,
  /** The data dir is held by another live process. */
  DataDirInUseError,
} from './data-dir-lock';
export {
  /** `15s`, `500ms`, `2m` → milliseconds; undefined when not a duration. */
  parseDurationMs,
} from './duration';
export {
  /** The default secret key file of the cluster whose master keeps its data in the dir given (absolute). */
  defaultSecretKeyPath,
} from './secret-key-path';
