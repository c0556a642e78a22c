/**
 * The containerizer port: how the agent runs one task isolated. Two real implementations — native
 * (cgroups + namespaces, the default) and Docker — held to one conformance suite.
 *
 * Life of a container:  launch(spec) → Container → wait() resolves once with a ContainerExit;
 * kill(gracePeriodMs) sends SIGTERM to every process of the task, SIGKILL after the grace period;
 * destroy() removes what is left (cgroup, docker container). The agent checkpoints `container.checkpoint`
 * so that after an agent restart `recover(checkpoint)` re-attaches to a task that is still running,
 * or reports how it ended.
 */
import type { LogRotation } from './logs/log-state';

export type ContainerizerKind = 'native' | 'docker';

export interface ContainerSpec {
  taskId: string;
  frameworkId: string;
  agentId: string;
  /** Existing directory: the task's working directory; stdout and stderr files are written here. */
  sandboxDir: string;
  /** shell: `/bin/sh -c value`; otherwise argv = [value, ...arguments] (docker: value may be absent → image default entrypoint + arguments). */
  command: { shell: boolean; value?: string; arguments?: string[] };
  env: Record<string, string>;
  /**
   * Variables of `env` holding secret values (the LAUNCH's `secretEnv`): the task gets them, but they are never
   * written to disk — not into a checkpoint. A container recovered after an agent restart runs its exec health
   * checks without them.
   */
  secretEnvNames?: readonly string[];
  /**
   * Unix user to run as: a name, or a number (a per-task uid with no passwd entry runs as uid:uid). Absent:
   * native, the containerizer's default task user; Docker, the image's own user, refused when that is root
   * unless `rootAllowed`.
   */
  user?: string;
  /** The principal was granted running as root (the agent checked a named user already; Docker: the image's user). */
  rootAllowed?: boolean;
  cpus: number;
  memMb: number;
  diskMb?: number;
  /** Hard cap cpu usage at `cpus` (CFS quota) rather than shares only. */
  cpuHardCap?: boolean;
  pidsLimit?: number;
  /** Host ports given to the task from its offer, in order. */
  hostPorts: number[];
  docker?: {
    image: string;
    pullPolicy: 'ifNotPresent' | 'always' | 'never';
    portMappings: { containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[];
    network: 'bridge' | 'host' | 'none';
    readOnlyRootfs: boolean;
  };
  labels: Record<string, string>;
  /** Rotate stdout/stderr by size (stdout, stdout.1 …); absent: one file each, unbounded. */
  logRotation?: LogRotation;
  /** Host directories bind-mounted at `<sandbox>/<containerPath>` (already granted by the agent). */
  volumes?: { hostPath: string; containerPath: string; readOnly: boolean }[];
}

export type ExitReason = 'EXITED' | 'SIGNALED' | 'OOM' | 'KILLED' | 'LAUNCH_FAILED' | 'AGENT_RESTART';

export interface ContainerExit {
  /** Process exit code when it exited normally. */
  exitCode: number | null;
  /** Signal name (SIGKILL…) when it was ended by a signal. */
  signal: string | null;
  reason: ExitReason;
  /** One line a person can read: `exited with code 3`, `OOM: limit 64 MiB, peak 64 MiB`, `image missing: foo:1`. */
  message: string;
  oom?: { limitBytes: number; peakBytes: number };
}

export interface ContainerUsage {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  memBytes: number;
  memPeakBytes: number;
  memLimitBytes?: number;
  cpusLimit?: number;
  timestamp: number;
}

/** Opaque, JSON-serialisable record the agent stores to re-attach after a restart. */
export interface ContainerCheckpoint {
  kind: ContainerizerKind;
  taskId: string;
  [k: string]: unknown;
}

export interface Container {
  readonly taskId: string;
  readonly checkpoint: ContainerCheckpoint;
  /** Resolves once, when the task has ended (for any reason). Never rejects. */
  wait(): Promise<ContainerExit>;
  /** SIGTERM to every process, SIGKILL to all that remain after gracePeriodMs (default 3000). Resolves when none is left. */
  kill(gracePeriodMs?: number): Promise<void>;
  usage(): Promise<ContainerUsage>;
  /** Runs a command inside the task's isolation (for COMMAND health checks). */
  exec(command: string, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** Frees everything (cgroup, container). Call after wait() resolved. Idempotent. */
  destroy(): Promise<void>;
}

export interface Containerizer {
  readonly kind: ContainerizerKind;
  /** Whether this containerizer can run tasks here, and why not. */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Starts the task. Rejects only on agent-side bugs; a task that cannot start resolves with a container whose wait() gives LAUNCH_FAILED. */
  launch(spec: ContainerSpec): Promise<Container>;
  /** Re-attaches after an agent restart: a live Container, or how it ended while the agent was away. */
  recover(checkpoint: ContainerCheckpoint): Promise<Container | ContainerExit>;
  /**
   * The agent is stopping: free what this containerizer made for it (native: the agent's cgroups) once no
   * task is left in it; tasks still running keep what they use. Rejects only when removal failed.
   */
  shutdown?(): Promise<void>;
}
