/**
 * Pulling a task's image. A pull that fails (no registry, no such image) ends as a LaunchError carrying
 * the registry's own message; it never hangs past `timeoutMs`. Which policy pulls when is decided in
 * DockerContainerizer.create.
 */
import type Dockerode from 'dockerode';
import { LaunchError } from '../errors';

export type PullPolicy = 'ifNotPresent' | 'always' | 'never';

export async function pullImage(docker: Dockerode, image: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LaunchError(`image pull timed out after ${timeoutMs} ms: ${image}`)),
      timeoutMs,
    );
  });
  const pull = (async () => {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.pull(image);
    } catch (err) {
      throw new LaunchError(`image pull failed: ${image}: ${pullMessage(err)}`, { cause: err });
    }
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = err ?? output.find((o) => o.error);
        if (failed) reject(new LaunchError(`image pull failed: ${image}: ${pullMessage(failed)}`, { cause: failed }));
        else resolve();
      });
    });
  })();
  try {
    await Promise.race([pull, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The registry's words from a dockerode error (`json.message`) or a progress line (`error`). */
function pullMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; error?: string; message?: string };
  return e.json?.message ?? e.error ?? e.message ?? String(err);
}
