/**
 * Typed errors of the isolation layer. Each carries the `cause` it wraps, so a log line shows the
 * whole chain (`cannot create cgroup … ← EACCES: permission denied, mkdir …`).
 */
export class IsolationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A cgroup file could not be created, written, read or removed. */
export class CgroupError extends IsolationError {}

/** The host cannot run this containerizer (no cgroups, not root, no Docker engine…). */
export class UnavailableError extends IsolationError {}

/** A task could not be started; the message says why (image missing, unknown user…). */
export class LaunchError extends IsolationError {}

/** The Docker engine answered with an error or could not be reached. */
export class DockerEngineError extends IsolationError {}

/** A checkpoint could not be understood (wrong kind, missing fields). */
export class CheckpointError extends IsolationError {}

/** A health check was misconfigured (no port, no command). */
export class HealthCheckConfigError extends IsolationError {}

/** Short text of any thrown value, for one-line messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
