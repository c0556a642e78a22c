/**
 * The simulator's containerizer: no process, no cgroup, only a timer per task. A task starts after `startDelayMs`,
 * fails to launch with probability `failureRate` (LAUNCH_FAILED, as a real containerizer reports a missing
 * image), runs `runMs` (0: until killed) and exits with `exitCode`. A task's labels override its own figures:
 * `agora.sim/run-ms`, `agora.sim/exit-code`, `agora.sim/start-delay-ms`.
 */
import type {
  Container,
  ContainerCheckpoint,
  ContainerExit,
  Containerizer,
  ContainerizerKind,
  ContainerSpec,
  ContainerUsage,
} from '../../isolation';
import { FailedContainer } from '../../isolation/failed-container';

export interface SimBehaviour {
  /** How long a task runs before it exits by itself; 0: until killed. */
  runMs: number;
  exitCode: number;
  /** Time from LAUNCH to TASK_RUNNING. */
  startDelayMs: number;
  /** Fraction of launches (0–1) that fail with LAUNCH_FAILED. */
  failureRate: number;
}

export const DEFAULT_SIM_BEHAVIOUR: SimBehaviour = { runMs: 0, exitCode: 0, startDelayMs: 0, failureRate: 0 };

/** Counts shared by every simulated agent of one process (for the simulator's own figures). */
export interface SimCounters {
  launched: number;
  failed: number;
  running: number;
  ended: number;
}

const MiB = 1024 * 1024;

export class SimContainerizer implements Containerizer {
  readonly kind: ContainerizerKind = 'native';

  constructor(
    private readonly behaviour: SimBehaviour,
    private readonly counters: SimCounters,
    private readonly random: () => number = Math.random,
  ) {}

  async available(): Promise<{ ok: true }> {
    return { ok: true };
  }

  async launch(spec: ContainerSpec): Promise<Container> {
    const b = behaviourFor(spec, this.behaviour);
    if (b.startDelayMs > 0) await new Promise((r) => setTimeout(r, b.startDelayMs).unref());
    this.counters.launched++;
    if (this.random() < b.failureRate) {
      this.counters.failed++;
      return new FailedContainer(spec.taskId, this.kind, 'simulated launch failure (agora sim --failure-rate)');
    }
    return new SimContainer(spec, b, this.counters);
  }

  /** A simulated task lives in this process only: after a restart of the simulator it is gone. */
  async recover(checkpoint: ContainerCheckpoint): Promise<ContainerExit> {
    return {
      exitCode: null,
      signal: null,
      reason: 'AGENT_RESTART',
      message: `simulated task ${checkpoint.taskId} ended with the simulator that ran it`,
    };
  }
}

/** The behaviour of one task: the simulator's, with the task's `agora.sim/*` labels over it. */
export function behaviourFor(spec: Pick<ContainerSpec, 'labels'>, base: SimBehaviour): SimBehaviour {
  const num = (name: string, fallback: number) => {
    const v = spec.labels?.[`agora.sim/${name}`];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : fallback;
  };
  return {
    ...base,
    runMs: num('run-ms', base.runMs),
    exitCode: num('exit-code', base.exitCode),
    startDelayMs: num('start-delay-ms', base.startDelayMs),
  };
}

class SimContainer implements Container {
  readonly taskId: string;
  readonly checkpoint: ContainerCheckpoint;
  private exit?: ContainerExit;
  private readonly ended: Promise<ContainerExit>;
  private resolve!: (e: ContainerExit) => void;
  private timer?: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(
    private readonly spec: ContainerSpec,
    b: SimBehaviour,
    private readonly counters: SimCounters,
  ) {
    this.taskId = spec.taskId;
    this.checkpoint = { kind: 'native', taskId: spec.taskId, sim: true };
    this.ended = new Promise((r) => {
      this.resolve = r;
    });
    counters.running++;
    if (b.runMs > 0) {
      this.timer = setTimeout(
        () =>
          this.end(
            b.exitCode === 0
              ? { exitCode: 0, signal: null, reason: 'EXITED', message: 'exited with code 0' }
              : { exitCode: b.exitCode, signal: null, reason: 'EXITED', message: `exited with code ${b.exitCode}` },
          ),
        b.runMs,
      );
      this.timer.unref();
    }
  }

  private end(exit: ContainerExit): void {
    if (this.exit) return;
    clearTimeout(this.timer);
    this.exit = exit;
    this.counters.running--;
    this.counters.ended++;
    this.resolve(exit);
  }

  wait(): Promise<ContainerExit> {
    return this.ended;
  }
  async kill(): Promise<void> {
    this.end({ exitCode: null, signal: 'SIGTERM', reason: 'KILLED', message: 'killed (ended by SIGTERM)' });
  }
  async usage(): Promise<ContainerUsage> {
    const now = Date.now();
    return {
      cpuUserSeconds: ((now - this.startedAt) / 1000) * this.spec.cpus * 0.01,
      cpuSystemSeconds: 0,
      memBytes: MiB,
      memPeakBytes: MiB,
      memLimitBytes: this.spec.memMb * MiB,
      timestamp: now,
    };
  }
  async exec(): Promise<{ exitCode: number; output: string }> {
    return { exitCode: 0, output: '' };
  }
  async destroy(): Promise<void> {
    this.end({ exitCode: null, signal: 'SIGKILL', reason: 'KILLED', message: 'killed (ended by SIGKILL)' });
  }
}
