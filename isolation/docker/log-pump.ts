/**
 * Copies a container's stdout and stderr into the task's sandbox files as they come. Docker keeps the
 * whole log (json-file driver), so the pump always reads from the start and skips the bytes the files
 * already hold: after an agent restart the files continue exactly where they stopped, with no gap and
 * no repeat. With rotation the files are written by a RotatingLogWriter, whose state file keeps the
 * stream's logical size across rotations and restarts: that is what is skipped then.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from '../../sdk/log';
import type { LogRotation } from '../logs/log-state';
import { RotatingLogWriter, SkippingRotatingStream } from '../logs/rotating-log-writer';

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** Appends to `file`, dropping the first `skip` bytes written to it. */
class SkippingFileWriter extends Writable {
  private skip: number;
  private readonly out: fs.WriteStream;

  constructor(file: string) {
    super();
    this.skip = sizeOf(file);
    this.out = fs.createWriteStream(file, { flags: 'a' });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let data = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
    }
    if (data.length === 0) cb();
    else this.out.write(data, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.out.end(cb);
  }
}

export interface LogPump {
  /** Resolves once the container's log stream ended and everything is on disk. */
  readonly done: Promise<void>;
  stop(): void;
}

function sandboxWriter(sandboxDir: string, stream: 'stdout' | 'stderr', rotation: LogRotation | undefined): Writable {
  if (!rotation) return new SkippingFileWriter(path.join(sandboxDir, stream));
  const writer = new RotatingLogWriter(sandboxDir, stream, rotation);
  return new SkippingRotatingStream(writer, writer.written);
}

export function pumpLogs(docker: Dockerode, container: Dockerode.Container, sandboxDir: string, log: Logger, rotation?: LogRotation): LogPump {
  const stdout = sandboxWriter(sandboxDir, 'stdout', rotation);
  const stderr = sandboxWriter(sandboxDir, 'stderr', rotation);
  for (const [w, stream] of [[stdout, 'stdout'], [stderr, 'stderr']] as const) {
    w.on('error', (err) => log.warn({ err, container: container.id, stream }, 'cannot write task output to the sandbox'));
  }
  let source: NodeJS.ReadableStream | undefined;
  let stopped = false;
  const finish = (w: Writable): Promise<void> => new Promise((resolve) => w.end(() => resolve()));
  const done = (async () => {
    try {
      source = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
      if (stopped) (source as unknown as { destroy(): void }).destroy();
      docker.modem.demuxStream(source, stdout, stderr);
      await new Promise<void>((resolve) => {
        source!.once('end', resolve);
        source!.once('close', resolve);
        source!.once('error', (err) => { log.warn({ err, container: container.id }, 'log stream error'); resolve(); });
      });
    } catch (err) {
      log.warn({ err, container: container.id }, 'cannot follow container logs');
    } finally {
      await Promise.all([finish(stdout), finish(stderr)]);
    }
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      (source as unknown as { destroy?(): void } | undefined)?.destroy?.();
    },
  };
}
