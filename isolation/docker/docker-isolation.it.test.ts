/** The Docker containerizer against the real engine: limits, ports, security, pull policies, failures. */
import * as net from 'node:net';
import * as fs from 'node:fs';
import type { Container } from '../containerizer';
import { TEST_LABEL, dockerSpec, readSandboxFile, removeTempSandboxes, uniqueId } from '../testing/fixtures';
import { containersOfTask, removeTestContainers } from '../testing/docker-cleanup';
import { DockerContainerizer } from './docker-containerizer';
import { LABEL_AGENT, LABEL_FRAMEWORK, LABEL_TASK } from './docker-options';
afterAll(removeTempSandboxes);

jest.setTimeout(180_000);
const run = uniqueId('run');
const labels = { [TEST_LABEL]: '1', [`${TEST_LABEL}.run`]: run };
const c = new DockerContainerizer({ agentId: 'agent-test' });
afterAll(() => removeTestContainers(c.docker, `${TEST_LABEL}.run=${run}`));

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function finish(k: Container): Promise<void> {
  await k.kill(0);
  await k.destroy();
}

it('ends a memory hog over its limit as OOM, with the limit', async () => {
  const k = await c.launch(dockerSpec('dd if=/dev/zero of=/dev/null bs=64M count=1', { memMb: 16, labels }));
  const exit = await k.wait();
  expect(exit).toMatchObject({ reason: 'OOM', signal: 'SIGKILL', oom: { limitBytes: 16 * 1024 * 1024 } });
  expect(exit.message).toBe('OOM: limit 16 MiB, peak 16 MiB');
  await k.destroy();
});

it('maps a container port to the task host port (busybox httpd answers on it)', async () => {
  const hostPort = await freePort();
  const spec = dockerSpec(
    'mkdir -p /tmp/www && echo hello-agora > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
    { labels, hostPorts: [hostPort] },
    { portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] },
  );
  const k = await c.launch(spec);
  let body = '';
  let lastError: unknown;
  for (let i = 0; i < 50 && body === ''; i++) {
    // httpd may not listen yet: keep the refusal and try again.
    body = await fetch(`http://127.0.0.1:${hostPort}/`).then(
      (r) => r.text(),
      (err: unknown) => {
        lastError = err;
        return '';
      },
    );
    if (body === '') await new Promise((r) => setTimeout(r, 100));
  }
  expect({ body, lastError: body ? undefined : String(lastError) }).toEqual({
    body: 'hello-agora\n',
    lastError: undefined,
  });
  await finish(k);
});

it('creates containers unprivileged, with capabilities dropped, no-new-privileges, limits and labels', async () => {
  const spec = dockerSpec('sleep 30', { labels, cpus: 0.25, cpuHardCap: true, pidsLimit: 77 });
  const k = await c.launch(spec);
  const info = await c.docker.getContainer(String(k.checkpoint.containerId)).inspect();
  expect(info.HostConfig).toMatchObject({
    Privileged: false,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: 77,
    NanoCpus: 250_000_000,
    Memory: 64 * 1024 * 1024,
    MemorySwap: 64 * 1024 * 1024,
  });
  expect(info.Config.Labels).toMatchObject({
    [LABEL_TASK]: spec.taskId,
    [LABEL_FRAMEWORK]: 'fw-test',
    [LABEL_AGENT]: 'agent-test',
  });
  expect((await k.usage()).cpusLimit).toBe(0.25);
  await finish(k);
});

it('honours a read-only root filesystem, with the sandbox still writable', async () => {
  const spec = dockerSpec(
    'touch /x 2>/dev/null && echo rootfs-writable; echo ok > $AGORA_SANDBOX/f && cat f',
    { labels },
    { readOnlyRootfs: true },
  );
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  expect(readSandboxFile(spec, 'stdout')).toBe('ok\n');
  await k.destroy();
});

it('runs a COMMAND check inside the container, with a timeout', async () => {
  const k = await c.launch(dockerSpec('sleep 30', { labels }));
  expect(await k.exec('echo in-task; exit 3', 5_000)).toEqual({ exitCode: 3, output: 'in-task\n' });
  expect(await k.exec('sleep 5', 300)).toMatchObject({ exitCode: 124 });
  await finish(k);
});

it('fails with the registry message (rather than hanging) when pull policy is always and no registry answers', async () => {
  const k = await c.launch(dockerSpec('true', { labels }, { pullPolicy: 'always' }));
  const exit = await k.wait();
  expect(exit.reason).toBe('LAUNCH_FAILED');
  expect(exit.message).toMatch(/^image pull failed: agora-busybox:latest: .*(registry|lookup|dial|connect)/);
});

it('fails a missing image under pull policy never, and a command not in the image', async () => {
  const missing = await c.launch(dockerSpec('true', { labels }, { image: 'agora-no-such-image:1' }));
  expect(await missing.wait()).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: 'image missing: agora-no-such-image:1 (pull policy never)',
  });
  const pulled = await c.launch(
    dockerSpec('true', { labels }, { image: 'agora-no-such-image:2', pullPolicy: 'ifNotPresent' }),
  );
  expect(await pulled.wait()).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: expect.stringMatching(/^image pull failed: agora-no-such-image:2: /),
  });
  const bad = await c.launch(dockerSpec('', { labels, command: { shell: false, value: '/no/such/binary' } }));
  expect(await bad.wait()).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: 'command not found: /no/such/binary (No such file or directory)',
  });
  await bad.destroy();
});

it('removes a container whose start failed (host port taken) and reports the engine message', async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
  const hostPort = (taken.address() as net.AddressInfo).port;
  try {
    const spec = dockerSpec(
      'sleep 30',
      { labels, hostPorts: [hostPort] },
      { portMappings: [{ containerPort: 80, hostPort: 0, protocol: 'tcp' }] },
    );
    const k = await c.launch(spec);
    expect(await k.wait()).toMatchObject({
      reason: 'LAUNCH_FAILED',
      message: expect.stringMatching(/^cannot start container: .*(address already in use|port is already allocated)/),
    });
    expect(await containersOfTask(c.docker, spec.taskId)).toEqual([]);
  } finally {
    await new Promise((r) => taken.close(r));
  }
});

it('says why it is unavailable when the engine cannot be reached', async () => {
  const away = new DockerContainerizer({ agentId: 'agent-test', dockerHost: '/tmp/agora-no-docker.sock' });
  expect(await away.available()).toEqual({
    ok: false,
    reason: expect.stringMatching(/^Docker engine unreachable at \/tmp\/agora-no-docker.sock: .*ENOENT/),
  });
});

it('refuses an image whose user is root when the task names no user and root is not granted, saying why', async () => {
  const spec = dockerSpec('echo never', { labels, rootAllowed: false });
  const k = await c.launch(spec);
  const exit = await k.wait();
  expect(exit).toMatchObject({ reason: 'LAUNCH_FAILED' });
  expect(exit.message).toMatch(
    /image agora-busybox:latest runs as root \(its USER is 'unset'\) and running as root is not granted/,
  );
  await k.destroy();
  expect(await containersOfTask(c.docker, spec.taskId)).toEqual([]);
});

it('runs a task as the unprivileged uid it names, without a passwd entry, in its own sandbox', async () => {
  const spec = dockerSpec('id -u; id -g; touch /mnt/agora/sandbox/mine && echo wrote', {
    labels,
    user: '200123:200123',
    rootAllowed: false,
  });
  fs.chownSync(spec.sandboxDir, 200123, 200123);
  fs.chmodSync(spec.sandboxDir, 0o700);
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  expect(readSandboxFile(spec, 'stdout')).toBe('200123\n200123\nwrote\n');
  await k.destroy();
});
