/**
 * The Docker create options for a task: a pure function of the spec, so every field is unit-tested.
 * Never privileged; every capability dropped but a small default set; no-new-privileges; tini as pid 1
 * (`Init`) so SIGTERM reaches the command; the sandbox bind-mounted at /mnt/agora/sandbox.
 */
import type Dockerode from 'dockerode';
import type { ContainerSpec } from '../containerizer';
import { LaunchError } from '../errors';

export const SANDBOX_MOUNT = '/mnt/agora/sandbox';
export const LABEL_TASK = 'agora.task';
export const LABEL_FRAMEWORK = 'agora.framework';
export const LABEL_AGENT = 'agora.agent';

/** Enough for ordinary services (bind a low port, drop to a user, own files); everything else is dropped. */
export const DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
];

const MiB = 1024 * 1024;

export interface DockerOptionsContext {
  capAdd?: string[];
  defaultPidsLimit: number;
}

/** Entrypoint/Cmd from the task's command: `sh -c value`, or `value args…`, or the image's entrypoint + args. */
export function commandFields(command: ContainerSpec['command']): { Entrypoint?: string[]; Cmd?: string[] } {
  if (command.shell) return { Entrypoint: ['/bin/sh', '-c'], Cmd: [command.value ?? ''] };
  if (command.value !== undefined) return { Entrypoint: [command.value], Cmd: command.arguments ?? [] };
  return { Cmd: command.arguments ?? [] };
}

/** Port bindings: each mapping's host port, or (0/absent) the task's offered ports in order. */
export function portFields(spec: ContainerSpec): {
  ExposedPorts: Record<string, object>;
  PortBindings: Record<string, { HostPort: string }[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostPort: string }[]> = {};
  let next = 0;
  for (const m of spec.docker?.portMappings ?? []) {
    const hostPort = m.hostPort || spec.hostPorts[next++];
    if (!hostPort)
      throw new LaunchError(
        `no host port for container port ${m.containerPort}: the task has ${spec.hostPorts.length} port(s)`,
      );
    const key = `${m.containerPort}/${m.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostPort: String(hostPort) });
  }
  return { ExposedPorts: exposed, PortBindings: bindings };
}

/** Pure: whether a Docker `User` (the image's, or a container's config) means root: empty, `root`, `0`, `0:…`. */
export function runsAsRoot(user: string | undefined): boolean {
  const who = (user ?? '').split(':')[0]!.trim();
  return who === '' || who === 'root' || /^0+$/.test(who);
}

export function taskLabels(spec: ContainerSpec): Record<string, string> {
  return {
    ...spec.labels,
    [LABEL_TASK]: spec.taskId,
    [LABEL_FRAMEWORK]: spec.frameworkId,
    [LABEL_AGENT]: spec.agentId,
  };
}

export function containerName(spec: ContainerSpec): string {
  return `agora-${spec.agentId}-${spec.taskId}`.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 200);
}

export function createOptions(spec: ContainerSpec, ctx: DockerOptionsContext): Dockerode.ContainerCreateOptions {
  const d = spec.docker;
  if (!d) throw new LaunchError(`task ${spec.taskId} has no docker image`);
  const memory = Math.max(6, spec.memMb) * MiB; // Docker refuses limits under 6 MiB.
  const env = {
    ...spec.env,
    AGORA_SANDBOX: SANDBOX_MOUNT,
    AGORA_TASK_ID: spec.taskId,
    AGORA_FRAMEWORK_ID: spec.frameworkId,
    AGORA_AGENT_ID: spec.agentId,
  };
  const ports = portFields(spec);
  return {
    name: containerName(spec),
    Image: d.image,
    ...commandFields(spec.command),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    WorkingDir: SANDBOX_MOUNT,
    User: spec.user,
    Labels: taskLabels(spec),
    ExposedPorts: ports.ExposedPorts,
    HostConfig: {
      Binds: [
        `${spec.sandboxDir}:${SANDBOX_MOUNT}`,
        ...(spec.volumes ?? []).map(
          (v) => `${v.hostPath}:${SANDBOX_MOUNT}/${v.containerPath}:${v.readOnly ? 'ro' : 'rw'}`,
        ),
      ],
      PortBindings: ports.PortBindings,
      NetworkMode: d.network,
      Memory: memory,
      MemorySwap: memory,
      CpuShares: Math.max(2, Math.round(spec.cpus * 1024)),
      ...(spec.cpuHardCap ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      PidsLimit: spec.pidsLimit ?? ctx.defaultPidsLimit,
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: ctx.capAdd ?? DEFAULT_CAPS,
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: d.readOnlyRootfs,
      Init: true,
      LogConfig: { Type: 'json-file', Config: {} },
    },
  };
}
