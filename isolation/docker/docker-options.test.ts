import { removeTempSandboxes, shellSpec } from '../testing/fixtures';
import { DEFAULT_CAPS, SANDBOX_MOUNT, commandFields, createOptions, runsAsRoot } from './docker-options';
import { classifyDockerExit } from './docker-exit';
afterAll(removeTempSandboxes);

const docker = {
  image: 'img:1',
  pullPolicy: 'never' as const,
  portMappings: [],
  network: 'bridge' as const,
  readOnlyRootfs: false,
};

it('turns a spec into hardened create options', () => {
  const spec = shellSpec('echo hi', {
    taskId: 't.1',
    cpus: 1.5,
    memMb: 128,
    hostPorts: [31000, 31001],
    env: { A: 'b' },
    labels: { x: 'y' },
    docker: {
      ...docker,
      readOnlyRootfs: true,
      portMappings: [
        { containerPort: 80, hostPort: 0, protocol: 'tcp' },
        { containerPort: 53, hostPort: 5353, protocol: 'udp' },
      ],
    },
  });
  const o = createOptions(spec, { defaultPidsLimit: 1024 });
  expect(o).toMatchObject({
    Image: 'img:1',
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: ['echo hi'],
    WorkingDir: SANDBOX_MOUNT,
    Labels: { x: 'y', 'agora.task': 't.1', 'agora.framework': 'fw-test', 'agora.agent': 'agent-test' },
    ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    HostConfig: {
      Binds: [`${spec.sandboxDir}:${SANDBOX_MOUNT}`],
      PortBindings: { '80/tcp': [{ HostPort: '31000' }], '53/udp': [{ HostPort: '5353' }] },
      Memory: 128 << 20,
      MemorySwap: 128 << 20,
      CpuShares: 1536,
      PidsLimit: 1024,
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: DEFAULT_CAPS,
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Init: true,
    },
  });
  expect(o.HostConfig!.NanoCpus).toBeUndefined();
  expect(o.Env).toEqual(expect.arrayContaining(['A=b', `AGORA_SANDBOX=${SANDBOX_MOUNT}`, 'AGORA_TASK_ID=t.1']));
});

it('caps cpu with NanoCpus only when the task asks for a hard cap', () => {
  const o = createOptions(shellSpec('x', { cpus: 0.5, cpuHardCap: true, docker }), { defaultPidsLimit: 10 });
  expect(o.HostConfig!.NanoCpus).toBe(500_000_000);
});

it('refuses a port mapping with no host port to take', () => {
  const spec = shellSpec('x', {
    hostPorts: [],
    docker: { ...docker, portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }] },
  });
  expect(() => createOptions(spec, { defaultPidsLimit: 10 })).toThrow(
    'no host port for container port 80: the task has 0 port(s)',
  );
});

it('keeps the image entrypoint when the command has only arguments', () => {
  expect(commandFields({ shell: false, arguments: ['-v'] })).toEqual({ Cmd: ['-v'] });
  expect(commandFields({ shell: false, value: '/bin/echo', arguments: ['a'] })).toEqual({
    Entrypoint: ['/bin/echo'],
    Cmd: ['a'],
  });
});

it('classifies Docker exits', () => {
  const base = { oomKilled: false, killRequested: false };
  expect(classifyDockerExit({ ...base, exitCode: 0 })).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  expect(classifyDockerExit({ ...base, exitCode: 143 })).toMatchObject({ reason: 'SIGNALED', signal: 'SIGTERM' });
  expect(classifyDockerExit({ ...base, exitCode: 137, killRequested: true })).toMatchObject({
    reason: 'KILLED',
    signal: 'SIGKILL',
  });
  expect(classifyDockerExit({ ...base, exitCode: 137, oomKilled: true, memLimitBytes: 16 << 20 })).toMatchObject({
    reason: 'OOM',
    oom: { limitBytes: 16 << 20, peakBytes: 16 << 20 },
  });
  expect(classifyDockerExit({ ...base })).toMatchObject({ reason: 'AGENT_RESTART' });
  expect(
    classifyDockerExit({
      ...base,
      exitCode: 127,
      stderrTail: '[FATAL tini (7)] exec nope failed: No such file or directory\n',
    }),
  ).toMatchObject({ reason: 'LAUNCH_FAILED', message: 'command not found: nope (No such file or directory)' });
  expect(classifyDockerExit({ ...base, exitCode: 127, stderrTail: 'sh: nope: not found\n' })).toMatchObject({
    reason: 'EXITED',
    exitCode: 127,
  });
});

it('recognises a root image user: unset, root, 0, 0:gid', () => {
  for (const u of [undefined, '', 'root', '0', '0:0', 'root:root']) expect(runsAsRoot(u)).toBe(true);
  for (const u of ['1000', 'nobody', '65534:65534', 'app']) expect(runsAsRoot(u)).toBe(false);
});
