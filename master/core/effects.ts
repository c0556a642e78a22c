/**
 * What the master core asks its shell to do. A transition of the core (core.ts) validates, changes state, and
 * returns a list of these; the shell (master.ts) carries them out in order. Nothing here performs I/O.
 *
 * Policy for an effect that fails (carried out by the shell, see master.ts `run`):
 *   PERSIST        — synchronous SQLite write, done before any other effect of the same transition; a failure
 *                    is fatal (logged, the master exits and a restart recovers from the registry), so nobody
 *                    is ever told about a change that is not stored.
 *   APPEND_UPDATE  — RETRY: appended to the framework's update stream in the background, with backoff, until
 *                    stored (the stream deduplicates by uuid). SURFACE: awaited by the caller, whose failure
 *                    is its own (an agent's update is nak'ed and redelivered).
 *   SEND_COMMAND   — a request to an agent; its outcome is fed back to the core (`commandSettled`), which
 *                    decides (a refused LAUNCH ends the task, an unconfirmed one is checked with
 *                    RECONCILE_LAUNCHES — launch-checks.ts; a failed KILL stays pending and is retried).
 *   SEND_EVENT     — an event on the framework's event subject: at most once (frameworks reconcile).
 *   DELETE_UPDATES — best-effort cleanup of a removed framework's consumer and updates: logged on failure.
 *   CLUSTER_EVENT, LOG, ALLOCATE_SOON, WAKE_AT — in-process; cannot fail.
 */
import type {
  AgentCommandInput,
  AgentId,
  AgentInfo,
  FrameworkId,
  FrameworkInfo,
  SchedulerEvent,
  TaskStatus,
} from '../../sdk';
import type { ClusterEvent } from '../cluster-events';

export interface StoredRole {
  role: string;
  weight: number;
  guarantee?: string;
  limit?: string;
}
export interface DrainState {
  deadline: number;
  drained: boolean;
}

/** A change to the registry (what must survive a master restart). */
export type RegistryChange =
  | { type: 'UPSERT_FRAMEWORK'; info: FrameworkInfo; at: number }
  | { type: 'REMOVE_FRAMEWORK'; frameworkId: FrameworkId; at: number }
  | { type: 'UPSERT_AGENT'; info: AgentInfo; at: number }
  | { type: 'REMOVE_AGENT'; agentId: AgentId; at: number }
  | { type: 'SET_RESERVATIONS'; agentId: AgentId; reservations: string }
  | { type: 'SET_DRAIN'; agentId: AgentId; drain: DrainState | undefined }
  | { type: 'SET_ROLE'; role: StoredRole };

/** Why a command was sent: decides what the core does with its outcome. */
export type CommandPurpose =
  | { kind: 'LAUNCH'; taskKey: string; launchId: string }
  | { kind: 'LAUNCH_CHECK'; taskKeys: string[] }
  | { kind: 'KILL'; taskKey: string }
  | { kind: 'CLEANUP'; what: string };

/**
 * How a command to an agent ended: answered (`reply`: the agent's reply fields, unchecked — the core validates
 * what it reads), or NO_RESPONDERS (the agent cannot have received it), TIMEOUT (it may have), REFUSED.
 */
export type CommandOutcome =
  { ok: true; reply?: object } | { ok: false; failure: 'NO_RESPONDERS' | 'TIMEOUT' | 'REFUSED'; message: string };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Effect =
  | { type: 'PERSIST'; change: RegistryChange }
  | { type: 'SEND_EVENT'; frameworkId: FrameworkId; event: SchedulerEvent }
  | { type: 'SEND_COMMAND'; agentId: AgentId; command: AgentCommandInput; timeoutMs: number; purpose: CommandPurpose }
  | { type: 'APPEND_UPDATE'; status: TaskStatus; policy: 'RETRY' | 'SURFACE' }
  | { type: 'DELETE_UPDATES'; frameworkId: FrameworkId }
  | { type: 'CLUSTER_EVENT'; event: ClusterEvent }
  | { type: 'ALLOCATE_SOON' }
  | { type: 'WAKE_AT'; at: number }
  | { type: 'LOG'; level: LogLevel; ctx: Record<string, unknown>; msg: string };

/**
 * A transition's result: the reply for the caller and the effects to carry out. With `error` the call failed
 * and changed nothing; its effects only report that (e.g. TASK_DROPPED for the tasks of a refused ACCEPT)
 * and are carried out before the error is returned to the caller.
 */
export interface Result<R = object> {
  reply: R;
  effects: Effect[];
  error?: Error;
}
