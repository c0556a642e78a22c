/**
 * Copies a container's stdout and stderr into the task's sandbox files as they come. Docker keeps the
 * whole log (json-file driver), so the pump always reads from the start and skips the bytes the files
 * already hold: after an agent restart the files continue exactly where they stopped, with no gap and
 * no repeat. The files are written by a RotatingLogWriter (never through a link the task planted), whose
 * state file keeps the stream's logical size across rotations and restarts: that is what is skipped then
 * (without rotation, the file's own size).
 */
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from '../../sdk/log';
import type { LogRotation } from '../logs/log-state';
import { RotatingLogWriter, SkippingRotatingStream } from '../logs/rotating-log-writer';

export interface LogPump {
  /** Resolves once the container's log stream ended and everything is on disk. */
  readonly done: Promise<void>;
  stop(): void;
}

/** The stream's writer; one that drops the output (said once) when the file cannot be opened, e.g. the task made it a link. */
function sandboxWriter(
  sandboxDir: string,
  stream: 'stdout' | 'stderr',
  rotation: LogRotation | undefined,
  log: Logger,
): Writable {
  try {
    const writer = new RotatingLogWriter(sandboxDir, stream, rotation);
    return new SkippingRotatingStream(writer, writer.written);
  } catch (err) {
    log.warn(
      { err, sandboxDir, stream },
      'cannot open the task output file in the sandbox (replaced by a link or a directory?): this output is dropped',
    );
    return new Writable({ write: (_chunk, _enc, cb) => cb() });
  }
}

export function pumpLogs(
  docker: Dockerode,
  container: Dockerode.Container,
  sandboxDir: string,
  log: Logger,
  rotation?: LogRotation,
): LogPump {
  const stdout = sandboxWriter(sandboxDir, 'stdout', rotation, log);
  const stderr = sandboxWriter(sandboxDir, 'stderr', rotation, log);
  for (const [w, stream] of [
    [stdout, 'stdout'],
    [stderr, 'stderr'],
  ] as const) {
    w.on('error', (err) =>
      log.warn({ err, container: container.id, stream }, 'cannot write task output to the sandbox'),
    );
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
        source!.once('error', (err) => {
          log.warn({ err, container: container.id }, 'log stream error');
          resolve();
        });
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
