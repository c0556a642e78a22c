/**
 * The Docker containerizer: tasks as containers of the local engine, through dockerode.
 *
 *   const c = new DockerContainerizer({ agentId: 'agent-1' });     // or { dockerHost: 'tcp://10.0.0.5:2375' }
 *   if (!(await c.available()).ok) …                                 // says why: engine unreachable at …
 *   const task = await c.launch({ ...spec, docker: { image: 'agora-busybox:latest', pullPolicy: 'never', … } });
 *   const exit = await task.wait();                                  // OOMKilled → reason OOM
 *
 * Containers carry the labels agora.task / agora.framework / agora.agent; recover() finds a task by
 * container id, or by label when the id is stale.
 */
import Dockerode from 'dockerode';
import { createLogger, type Logger } from '../../sdk/log';
import type { Container, ContainerCheckpoint, ContainerExit, Containerizer, ContainerSpec } from '../containerizer';
import { CheckpointError, DockerEngineError, LaunchError, describeError } from '../errors';
import { launchOrFail } from '../failed-container';
import { DockerContainer, type DockerCheckpoint } from './docker-container';
import { classifyDockerExit } from './docker-exit';
import { LABEL_AGENT, LABEL_TASK, createOptions, runsAsRoot } from './docker-options';
import { pullImage, type PullPolicy } from './image-pull';
import { pumpLogs } from './log-pump';

export interface DockerContainerizerOptions {
  agentId: string;
  /** Engine address: a unix socket path (`/var/run/docker.sock`, the default, or `unix://…`) or `tcp://host:port`. */
  dockerHost?: string;
  /** Capabilities kept after CapDrop ALL. Default: DEFAULT_CAPS. */
  capAdd?: string[];
  defaultPidsLimit?: number;
  /** A pull that takes longer fails the launch. Default 120 s. */
  pullTimeoutMs?: number;
  /** How long available() waits for the engine's answer. Default 3 s. */
  pingTimeoutMs?: number;
  log?: Logger;
}

export function dockerClient(dockerHost = '/var/run/docker.sock'): Dockerode {
  if (dockerHost.startsWith('/')) return new Dockerode({ socketPath: dockerHost });
  if (dockerHost.startsWith('unix://')) return new Dockerode({ socketPath: dockerHost.slice('unix://'.length) });
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Dockerode({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

export class DockerContainerizer implements Containerizer {
  readonly kind = 'docker' as const;
  readonly docker: Dockerode;
  private readonly log: Logger;
  private readonly live = new Map<string, DockerContainer>();

  constructor(private readonly o: DockerContainerizerOptions) {
    this.docker = dockerClient(o.dockerHost);
    this.log = o.log ?? createLogger('docker-containerizer');
  }

  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const where = this.o.dockerHost ?? '/var/run/docker.sock';
    const timeoutMs = this.o.pingTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.docker.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `Docker engine unreachable at ${where}: ${describeError(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  containers(): DockerContainer[] {
    return [...this.live.values()];
  }

  launch(spec: ContainerSpec): Promise<Container> {
    return launchOrFail('docker', spec, this.log, () => this.start(spec));
  }

  private async start(spec: ContainerSpec): Promise<DockerContainer> {
    if (!spec.docker?.image) throw new LaunchError(`task ${spec.taskId} has no docker image`);
    const options = createOptions(spec, { capAdd: this.o.capAdd, defaultPidsLimit: this.o.defaultPidsLimit ?? 1024 });
    const container = await this.create(options, spec.docker!.pullPolicy);
    try {
      if (spec.user === undefined && !spec.rootAllowed) await this.refuseRootImage(container, spec.docker.image);
      await container.start();
    } catch (err) {
      await container
        .remove({ force: true, v: true })
        .catch((rmErr: unknown) =>
          this.log.warn({ err: rmErr, taskId: spec.taskId }, 'cannot remove a container whose start failed'),
        );
      if (err instanceof LaunchError) throw err;
      throw new LaunchError(`cannot start container: ${engineMessage(err)}`, { cause: err });
    }
    const checkpoint: DockerCheckpoint = {
      kind: 'docker',
      taskId: spec.taskId,
      containerId: container.id,
      sandboxDir: spec.sandboxDir,
      logRotation: spec.logRotation,
    };
    this.log.debug({ taskId: spec.taskId, container: container.id }, 'docker task launched');
    return this.attach(container, checkpoint);
  }

  /** A task that names no user runs as the image's: refused when that is root and root was not granted. */
  private async refuseRootImage(container: Dockerode.Container, image: string): Promise<void> {
    const user = (await container.inspect()).Config.User;
    if (runsAsRoot(user)) {
      throw new LaunchError(
        `image ${image} runs as root (its USER is '${user || 'unset'}') and running as root is not granted: name an unprivileged user in task.command.user, or have the principal granted runAsRoot`,
      );
    }
  }

  /**
   * Creates the container, making sure of the image by pull policy. For ifNotPresent and never the create
   * itself tells whether the image is there (404 "No such image"): one engine round trip less per launch.
   */
  private async create(options: Dockerode.ContainerCreateOptions, policy: PullPolicy): Promise<Dockerode.Container> {
    const image = options.Image!;
    const timeoutMs = this.o.pullTimeoutMs ?? 120_000;
    if (policy === 'always') await pullImage(this.docker, image, timeoutMs);
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (!isNoSuchImage(err) || policy === 'always')
        throw new LaunchError(`cannot create container: ${engineMessage(err)}`, { cause: err });
    }
    if (policy === 'never') throw new LaunchError(`image missing: ${image} (pull policy never)`);
    await pullImage(this.docker, image, timeoutMs);
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      throw new LaunchError(`cannot create container: ${engineMessage(err)}`, { cause: err });
    }
  }

  /**
   * Follows a started container. `wait({condition: 'not-running'})` after start rather than `next-exit`
   * before it: nothing removes our containers on exit, so `not-running` cannot miss an exit that happened
   * before the wait reached the engine (a `next-exit` wait registered late would hang).
   */
  private attach(container: Dockerode.Container, checkpoint: DockerCheckpoint): DockerContainer {
    const stopped = (container.wait({ condition: 'not-running' }) as Promise<{ StatusCode: number }>).then(
      (r) => r.StatusCode,
      (err: unknown) => {
        if (statusOf(err) !== 404) this.log.warn({ err, taskId: checkpoint.taskId }, 'container wait failed');
        return undefined;
      },
    );
    const logs = pumpLogs(this.docker, container, checkpoint.sandboxDir, this.log, checkpoint.logRotation);
    const c = new DockerContainer({
      docker: this.docker,
      container,
      checkpoint,
      stopped,
      logs,
      log: this.log,
      onDestroyed: () => this.live.delete(checkpoint.taskId),
    });
    this.live.set(checkpoint.taskId, c);
    return c;
  }

  async recover(checkpoint: ContainerCheckpoint): Promise<Container | ContainerExit> {
    const cp = parseCheckpoint(checkpoint);
    const found = await this.find(cp);
    if (!found) {
      this.log.info({ taskId: cp.taskId }, 'docker task gone while the agent was away');
      return classifyDockerExit({ oomKilled: false, killRequested: false });
    }
    const c = this.attach(found.container, { ...cp, containerId: found.container.id });
    if (found.running) {
      this.log.info({ taskId: cp.taskId, container: found.container.id }, 'docker task re-attached');
      return c;
    }
    const exit = await c.wait();
    await c.destroy();
    return exit;
  }

  /** The task's container, by id, or by label when the id is stale (recreated engine state). */
  private async find(cp: DockerCheckpoint): Promise<{ container: Dockerode.Container; running: boolean } | undefined> {
    try {
      const info = await this.docker.getContainer(cp.containerId).inspect();
      return { container: this.docker.getContainer(info.Id), running: info.State.Running };
    } catch (err) {
      if (statusOf(err) !== 404)
        throw new DockerEngineError(`cannot inspect container of ${cp.taskId}: ${describeError(err)}`, { cause: err });
    }
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_TASK}=${cp.taskId}`, `${LABEL_AGENT}=${this.o.agentId}`] },
    });
    const hit = list[0];
    return hit ? { container: this.docker.getContainer(hit.Id), running: hit.State === 'running' } : undefined;
  }
}

function parseCheckpoint(c: ContainerCheckpoint): DockerCheckpoint {
  if (c.kind !== 'docker' || typeof c.containerId !== 'string' || typeof c.sandboxDir !== 'string') {
    throw new CheckpointError(`not a docker checkpoint: ${JSON.stringify(c).slice(0, 200)}`);
  }
  return c as DockerCheckpoint;
}

function isNoSuchImage(err: unknown): boolean {
  return statusOf(err) === 404 && /no such image/i.test(engineMessage(err));
}

/** The engine's own words (`json.message`) from a dockerode error. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e.json?.message ?? e.message ?? String(err);
}
