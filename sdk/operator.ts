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
