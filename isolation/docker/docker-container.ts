/** One Docker task: waits on the engine, pumps logs into the sandbox, kills with a grace period. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import type { Logger } from '../../sdk/log';
import type { Container, ContainerCheckpoint, ContainerExit, ContainerUsage } from '../containerizer';
import { DockerEngineError, IsolationError, describeError } from '../errors';
import { EXEC_TIMEOUT_CODE } from '../exit-codes';
import { classifyDockerExit } from './docker-exit';
import type { LogPump } from './log-pump';
import type { LogRotation } from '../logs/log-state';

export interface DockerCheckpoint extends ContainerCheckpoint {
  kind: 'docker';
  containerId: string;
  sandboxDir: string;
  /** Rotation of the sandbox's stdout/stderr by the log pump, if any. */
  logRotation?: LogRotation;
}

export const DEFAULT_GRACE_MS = 3_000;
const LOG_DRAIN_MS = 2_000;
/** A timer that never holds the process open (races against exits and log drains). */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

/** The last 4 KiB of a sandbox file ('' when absent). */
function tail(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(4096, size));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export interface DockerContainerDeps {
  docker: Dockerode;
  container: Dockerode.Container;
  checkpoint: DockerCheckpoint;
  /** Resolves with the exit code when the container stops; undefined when it is gone. */
  stopped: Promise<number | undefined>;
  logs: LogPump;
  log: Logger;
  onDestroyed?: () => void;
}

export class DockerContainer implements Container {
  readonly taskId: string;
  readonly checkpoint: DockerCheckpoint;
  private killRequested = false;
  private memPeakBytes = 0;
  private destroyed?: Promise<void>;
  private readonly exit: Promise<ContainerExit>;

  constructor(private readonly d: DockerContainerDeps) {
    this.checkpoint = d.checkpoint;
    this.taskId = d.checkpoint.taskId;
    this.exit = d.stopped.then((code) => this.conclude(code));
  }

  private async conclude(code: number | undefined): Promise<ContainerExit> {
    await Promise.race([this.d.logs.done, sleep(LOG_DRAIN_MS)]);
    let state: { ExitCode?: number; OOMKilled?: boolean } = {};
    let memLimitBytes: number | undefined;
    try {
      const info = await this.d.container.inspect();
      state = info.State;
      memLimitBytes = info.HostConfig.Memory || undefined;
    } catch (err) {
      if (statusOf(err) !== 404) this.d.log.warn({ err, taskId: this.taskId }, 'cannot inspect the stopped container');
    }
    const exitCode = state.ExitCode ?? code;
    const exit = classifyDockerExit({
      exitCode,
      stderrTail: exitCode === 127 ? tail(path.join(this.checkpoint.sandboxDir, 'stderr')) : undefined,
      oomKilled: state.OOMKilled === true,
      killRequested: this.killRequested,
      memLimitBytes,
      memPeakBytes: this.memPeakBytes || undefined,
    });
    this.d.log.info({ taskId: this.taskId, ...exit }, 'docker task ended');
    return exit;
  }

  wait(): Promise<ContainerExit> {
    return this.exit;
  }

  private async signal(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    try {
      await this.d.container.kill({ signal });
    } catch (err) {
      // 404: gone; 409: not running. Both mean there is nothing left to signal.
      const s = statusOf(err);
      if (s !== 404 && s !== 409)
        throw new DockerEngineError(`cannot send ${signal} to task ${this.taskId}: ${describeError(err)}`, {
          cause: err,
        });
    }
  }

  async kill(gracePeriodMs = DEFAULT_GRACE_MS): Promise<void> {
    this.killRequested = true;
    if (gracePeriodMs > 0) {
      await this.signal('SIGTERM');
      const ended = await Promise.race([this.exit.then(() => true), sleep(gracePeriodMs).then(() => false)]);
      if (ended) return;
    }
    await this.signal('SIGKILL');
    await this.exit;
  }

  async usage(): Promise<ContainerUsage> {
    let s: Dockerode.ContainerStats;
    let info: Dockerode.ContainerInspectInfo;
    try {
      [s, info] = await Promise.all([
        this.d.container.stats({ stream: false, 'one-shot': true }),
        this.d.container.inspect(),
      ]);
    } catch (err) {
      throw new DockerEngineError(`no usage for task ${this.taskId}: ${describeError(err)}`, { cause: err });
    }
    const mem = s.memory_stats ?? {};
    const memBytes = mem.usage ?? 0;
    this.memPeakBytes = Math.max(this.memPeakBytes, mem.max_usage ?? memBytes);
    const nano = info.HostConfig.NanoCpus;
    return {
      cpuUserSeconds: (s.cpu_stats?.cpu_usage?.usage_in_usermode ?? 0) / 1e9,
      cpuSystemSeconds: (s.cpu_stats?.cpu_usage?.usage_in_kernelmode ?? 0) / 1e9,
      memBytes,
      memPeakBytes: this.memPeakBytes,
      memLimitBytes: info.HostConfig.Memory || undefined,
      cpusLimit: nano ? nano / 1e9 : undefined,
      timestamp: Date.now(),
    };
  }

  async exec(command: string, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    let output = '';
    try {
      const ex = await this.d.container.exec({
        Cmd: ['/bin/sh', '-c', command],
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await ex.start({ hijack: true, stdin: false });
      const sink = {
        write: (b: Buffer) => {
          if (output.length < 65_536) output += b.toString('utf8');
          return true;
        },
      };
      this.d.docker.modem.demuxStream(
        stream,
        sink as unknown as NodeJS.WritableStream,
        sink as unknown as NodeJS.WritableStream,
      );
      const finished = new Promise<boolean>((resolve) => {
        stream.once('end', () => resolve(true));
        stream.once('close', () => resolve(true));
      });
      const inTime = await Promise.race([finished, sleep(timeoutMs).then(() => false)]);
      if (!inTime) {
        stream.destroy();
        return { exitCode: EXEC_TIMEOUT_CODE, output: `${output}timed out after ${timeoutMs} ms` };
      }
      return { exitCode: (await ex.inspect()).ExitCode ?? 128, output };
    } catch (err) {
      throw new IsolationError(`cannot exec in task ${this.taskId}: ${describeError(err)}`, { cause: err });
    }
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.killRequested = true;
      try {
        await this.d.container.remove({ force: true, v: true });
      } catch (err) {
        const s = statusOf(err);
        if (s !== 404 && s !== 409)
          throw new DockerEngineError(`cannot remove the container of task ${this.taskId}: ${describeError(err)}`, {
            cause: err,
          });
      }
      this.d.logs.stop();
      this.d.onDestroyed?.();
    })();
    return this.destroyed;
  }
}
