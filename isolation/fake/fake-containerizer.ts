/**
 * An in-memory containerizer for unit tests of the agent: no processes, time from an injected clock,
 * held to the same conformance suite as the real ones. Tasks run a tiny shell subset (see fake-script).
 *
 *   const world = new FakeWorld();
 *   const c = new FakeContainerizer({ world, clock });        // a second instance on the same world = agent restart
 *   const k = await c.launch(spec);                            // 'sleep 600' runs until killed or clock moves
 *   world.task(spec.taskId)!.end({ reason: 'OOM', … });       // script any ending
 *   world.failNextLaunch('image missing: x');                  // next launch → LAUNCH_FAILED
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../../sdk/clock';
import type {
  Container,
  ContainerCheckpoint,
  ContainerExit,
  Containerizer,
  ContainerizerKind,
  ContainerSpec,
  ContainerUsage,
} from '../containerizer';
import { decodeStatus } from '../exit-codes';
import { CheckpointError, IsolationError } from '../errors';
import { FailedContainer } from '../failed-container';
import { parseFakeScript, type FakeStep } from './fake-script';

const MiB = 1024 * 1024;

/** One task as the fake "host" knows it; survives containerizer instances (agent restarts). */
export class FakeTask {
  exit?: ContainerExit;
  destroyed = false;
  output = { stdout: '', stderr: '' };
  /** Answers exec() (COMMAND health checks); default: exit 0. */
  execHandler: (command: string) => { exitCode: number; output: string } = () => ({ exitCode: 0, output: '' });
  private timer?: TimerHandle;
  private readonly waiters: ((e: ContainerExit) => void)[] = [];

  constructor(
    readonly spec: ContainerSpec,
    private readonly clock: Clock,
    readonly startedAt: number,
  ) {}

  run(steps: FakeStep[]): void {
    const step = steps.shift();
    if (!step) return this.end({ exitCode: 0, signal: null, reason: 'EXITED', message: 'exited with code 0' });
    switch (step.op) {
      case 'echo':
        this.write(step.stream, step.text);
        return this.run(steps);
      case 'sleep':
        this.timer = this.clock.setTimeout(() => this.run(steps), step.ms);
        return;
      case 'exit':
        return this.end(exitOf(step.code));
      case 'unknown':
        this.write('stderr', `sh: ${step.command}: not found\n`);
        return this.end(exitOf(127));
    }
  }

  private write(stream: 'stdout' | 'stderr', text: string): void {
    this.output[stream] += text;
    if (fs.existsSync(this.spec.sandboxDir)) fs.appendFileSync(path.join(this.spec.sandboxDir, stream), text);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Ends the task now (first ending wins). */
  end(exit: ContainerExit): void {
    if (this.exit) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.exit = exit;
    this.waiters.splice(0).forEach((w) => w(exit));
  }

  ended(): Promise<ContainerExit> {
    return this.exit ? Promise.resolve(this.exit) : new Promise((r) => this.waiters.push(r));
  }
}

function exitOf(status: number): ContainerExit {
  const d = decodeStatus(status);
  return d.signal
    ? { ...d, reason: 'SIGNALED', message: `ended by ${d.signal}` }
    : { ...d, reason: 'EXITED', message: `exited with code ${d.exitCode}` };
}

/** The fake host: every task ever launched, shared by containerizer instances. */
export class FakeWorld {
  readonly tasks = new Map<string, FakeTask>();
  private failures: string[] = [];
  task(taskId: string): FakeTask | undefined {
    return this.tasks.get(taskId);
  }
  failNextLaunch(message: string): void {
    this.failures.push(message);
  }
  takeFailure(): string | undefined {
    return this.failures.shift();
  }
  running(): FakeTask[] {
    return [...this.tasks.values()].filter((t) => t.running && !t.destroyed);
  }
}

class FakeContainer implements Container {
  readonly taskId: string;
  readonly checkpoint: ContainerCheckpoint;
  constructor(
    private readonly t: FakeTask,
    kind: ContainerizerKind,
    private readonly clock: Clock,
  ) {
    this.taskId = t.spec.taskId;
    this.checkpoint = { kind, taskId: this.taskId, fake: true };
  }
  wait(): Promise<ContainerExit> {
    return this.t.ended();
  }
  async kill(): Promise<void> {
    this.t.end({ exitCode: null, signal: 'SIGTERM', reason: 'KILLED', message: 'killed (ended by SIGTERM)' });
    await this.t.ended();
  }
  async usage(): Promise<ContainerUsage> {
    if (this.t.destroyed) throw new IsolationError(`no usage for task ${this.taskId}: destroyed`);
    const s = this.t.spec;
    const secs = (this.clock.now() - this.t.startedAt) / 1000;
    return {
      cpuUserSeconds: secs * s.cpus * 0.01,
      cpuSystemSeconds: 0,
      memBytes: MiB,
      memPeakBytes: MiB,
      memLimitBytes: s.memMb * MiB,
      cpusLimit: s.cpuHardCap ? s.cpus : undefined,
      timestamp: this.clock.now(),
    };
  }
  async exec(command: string): Promise<{ exitCode: number; output: string }> {
    if (!this.t.running) throw new IsolationError(`task ${this.taskId} is not running`);
    return this.t.execHandler(command);
  }
  async destroy(): Promise<void> {
    this.t.end({ exitCode: null, signal: 'SIGKILL', reason: 'KILLED', message: 'killed (ended by SIGKILL)' });
    this.t.destroyed = true;
  }
}

export interface FakeContainerizerOptions {
  world?: FakeWorld;
  clock?: Clock;
  kind?: ContainerizerKind;
  /** What available() answers. Default ok. */
  unavailableReason?: string;
}

export class FakeContainerizer implements Containerizer {
  readonly kind: ContainerizerKind;
  readonly world: FakeWorld;
  private readonly clock: Clock;
  private readonly unavailable?: string;

  constructor(o: FakeContainerizerOptions = {}) {
    this.world = o.world ?? new FakeWorld();
    this.clock = o.clock ?? systemClock;
    this.kind = o.kind ?? 'native';
    this.unavailable = o.unavailableReason;
  }

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    return this.unavailable ? { ok: false, reason: this.unavailable } : { ok: true };
  }

  async launch(spec: ContainerSpec): Promise<Container> {
    const failure =
      this.world.takeFailure() ??
      (this.unavailable ? `${this.kind} containerizer unavailable: ${this.unavailable}` : undefined);
    if (failure) return new FailedContainer(spec.taskId, this.kind, failure);
    const task = new FakeTask(spec, this.clock, this.clock.now());
    this.world.tasks.set(spec.taskId, task);
    const script = spec.command.shell
      ? (spec.command.value ?? '')
      : [spec.command.value, ...(spec.command.arguments ?? [])].join(' ');
    task.run(parseFakeScript(script));
    return new FakeContainer(task, this.kind, this.clock);
  }

  async recover(checkpoint: ContainerCheckpoint): Promise<Container | ContainerExit> {
    if (checkpoint.fake !== true)
      throw new CheckpointError(`not a fake checkpoint: ${JSON.stringify(checkpoint).slice(0, 200)}`);
    const task = this.world.task(checkpoint.taskId);
    if (!task || task.destroyed)
      return {
        exitCode: null,
        signal: null,
        reason: 'AGENT_RESTART',
        message: 'task ended while the agent was away; its exit status is unknown',
      };
    if (task.exit) {
      task.destroyed = true;
      return task.exit;
    }
    return new FakeContainer(task, this.kind, this.clock);
  }
}
