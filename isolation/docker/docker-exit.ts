/** How a Docker task ended, from the engine's container state: a pure function, unit-tested. */
import type { ContainerExit } from '../containerizer';
import { decodeStatus } from '../exit-codes';

export interface DockerExitEvidence {
  /** The end of the task's stderr: tini's own complaint when it could not exec the command. */
  stderrTail?: string;
  /** State.ExitCode / the wait result; undefined when the container is gone. */
  exitCode?: number;
  oomKilled: boolean;
  killRequested: boolean;
  memLimitBytes?: number;
  /** Highest memory use seen by usage(); the OOM report falls back to the limit (the cgroup reached it). */
  memPeakBytes?: number;
}

const mib = (b: number): string => `${Math.round(b / (1024 * 1024))} MiB`;

export function classifyDockerExit(e: DockerExitEvidence): ContainerExit {
  if (e.oomKilled) {
    const limit = e.memLimitBytes ?? 0;
    const peak = Math.max(e.memPeakBytes ?? 0, limit);
    return {
      exitCode: null,
      signal: 'SIGKILL',
      reason: 'OOM',
      message: `OOM: limit ${mib(limit)}, peak ${mib(peak)}`,
      oom: { limitBytes: limit, peakBytes: peak },
    };
  }
  if (e.exitCode === undefined) {
    return {
      exitCode: null,
      signal: null,
      reason: e.killRequested ? 'KILLED' : 'AGENT_RESTART',
      message: 'container is gone; its exit status is unknown',
    };
  }
  const notStarted =
    e.exitCode === 127 ? /\[FATAL tini \(\d+\)\] exec (.*) failed: (.*)$/m.exec(e.stderrTail ?? '') : null;
  if (notStarted) {
    return {
      exitCode: 127,
      signal: null,
      reason: 'LAUNCH_FAILED',
      message: `command not found: ${notStarted[1]} (${notStarted[2]!.trim()})`,
    };
  }
  const decoded = decodeStatus(e.exitCode);
  const how = decoded.signal ? `ended by ${decoded.signal}` : `exited with code ${decoded.exitCode}`;
  if (e.killRequested) return { ...decoded, reason: 'KILLED', message: `killed (${how})` };
  return { ...decoded, reason: decoded.signal ? 'SIGNALED' : 'EXITED', message: how };
}
