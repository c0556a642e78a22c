/** A container that never started: wait() gives LAUNCH_FAILED with the cause; nothing to kill or free. */
import type { Logger } from '../sdk/log';
import type { Container, ContainerCheckpoint, ContainerExit, ContainerSpec, ContainerUsage } from './containerizer';
import { IsolationError, LaunchError } from './errors';

/**
 * Runs a containerizer's start step: a LaunchError (image missing, command not found, limit unsupported…)
 * becomes a container whose wait() reports LAUNCH_FAILED with the cause; anything else is an agent-side bug.
 */
export async function launchOrFail(
  kind: ContainerCheckpoint['kind'],
  spec: ContainerSpec,
  log: Logger,
  start: () => Promise<Container>,
): Promise<Container> {
  try {
    return await start();
  } catch (err) {
    if (!(err instanceof LaunchError)) throw err;
    log.warn({ taskId: spec.taskId, err }, `${kind} launch failed`);
    return new FailedContainer(spec.taskId, kind, err.message);
  }
}

export function launchFailed(message: string): ContainerExit {
  return { exitCode: null, signal: null, reason: 'LAUNCH_FAILED', message };
}

export class FailedContainer implements Container {
  readonly checkpoint: ContainerCheckpoint;
  private readonly exit: ContainerExit;

  constructor(
    readonly taskId: string,
    kind: ContainerCheckpoint['kind'],
    message: string,
  ) {
    this.checkpoint = { kind, taskId, failed: true };
    this.exit = launchFailed(message);
  }

  wait(): Promise<ContainerExit> {
    return Promise.resolve(this.exit);
  }

  kill(): Promise<void> {
    return Promise.resolve();
  }

  usage(): Promise<ContainerUsage> {
    return Promise.resolve({
      cpuUserSeconds: 0,
      cpuSystemSeconds: 0,
      memBytes: 0,
      memPeakBytes: 0,
      timestamp: Date.now(),
    });
  }

  exec(): Promise<{ exitCode: number; output: string }> {
    return Promise.reject(new IsolationError(`task ${this.taskId} never started: ${this.exit.message}`));
  }

  destroy(): Promise<void> {
    return Promise.resolve();
  }
}
