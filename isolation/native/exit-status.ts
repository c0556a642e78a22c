/**
 * How a native task ended, from what is known afterwards: the status its pid 1 wrote to the sandbox,
 * the init's own exit (only while the agent that spawned it lives), the cgroup's OOM counter, and
 * whether the agent asked for the kill. A pure function, so every combination is unit-tested.
 */
import type { ContainerExit } from '../containerizer';
import { decodeStatus as decode } from '../exit-codes';

export interface ExitEvidence {
  /** Text of the status file, undefined when pid 1 never wrote one (killed with SIGKILL, never started). */
  statusText?: string;
  /** The init's exit as seen by the agent that spawned it; undefined after an agent restart. */
  init?: { code: number | null; signal: string | null };
  oomKills: number;
  memLimitBytes?: number;
  memPeakBytes: number;
  killRequested: boolean;
}

const MiB = 1024 * 1024;
const mib = (b: number | undefined): string => (b === undefined ? 'unlimited' : `${Math.round(b / MiB)} MiB`);

function parseStatus(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : undefined;
}

export function classifyExit(e: ExitEvidence): ContainerExit {
  const status = parseStatus(e.statusText);
  const decoded = status !== undefined ? decode(status) : { exitCode: null, signal: e.init?.signal ?? null };
  if (e.oomKills > 0) {
    return {
      exitCode: null,
      signal: decoded.signal ?? 'SIGKILL',
      reason: 'OOM',
      message: `OOM: limit ${mib(e.memLimitBytes)}, peak ${mib(e.memPeakBytes)}`,
      oom: { limitBytes: e.memLimitBytes ?? 0, peakBytes: e.memPeakBytes },
    };
  }
  if (e.killRequested) {
    const how = decoded.signal ? `ended by ${decoded.signal}` : `exited with code ${decoded.exitCode ?? 'unknown'}`;
    return { ...decoded, reason: 'KILLED', message: `killed (${how})` };
  }
  if (status !== undefined) {
    return decoded.signal
      ? { ...decoded, reason: 'SIGNALED', message: `ended by ${decoded.signal}` }
      : { ...decoded, reason: 'EXITED', message: `exited with code ${decoded.exitCode}` };
  }
  if (!e.init) {
    return {
      exitCode: null,
      signal: null,
      reason: 'AGENT_RESTART',
      message: 'task ended while the agent was away; its exit status is unknown',
    };
  }
  const how = e.init.signal ? `init ended by ${e.init.signal}` : `init exited with code ${e.init.code}`;
  return {
    exitCode: null,
    signal: e.init.signal,
    reason: 'LAUNCH_FAILED',
    message: `task did not start (${how}; see stderr)`,
  };
}
