/** Health checks against real tasks: they fail, and they recover. */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { systemClock } from '../../sdk/clock';
import { HealthCheckSchema, type HealthCheck } from '../../sdk/protocol/common';
import type { Container } from '../containerizer';
import { DockerContainerizer } from '../docker/docker-containerizer';
import { NativeContainerizer } from '../native/native-containerizer';
import {
  TEST_CGROUP_PREFIX,
  TEST_LABEL,
  dockerSpec,
  removeTempSandboxes,
  shellSpec,
  sweepCgroups,
  uniqueId,
} from '../testing/fixtures';
import { removeTestContainers } from '../testing/docker-cleanup';
import { HealthChecker } from './health-checker';
import { probeFor } from './probes';
afterAll(removeTempSandboxes);

jest.setTimeout(180_000);
const run = uniqueId('health');
const root = `${TEST_CGROUP_PREFIX}/${run}`;
const docker = new DockerContainerizer({ agentId: 'agent-test' });
const native = new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root });
afterAll(async () => {
  await removeTestContainers(docker.docker, `${TEST_LABEL}.run=${run}`);
  await sweepCgroups(root);
});

const fast = (over: Partial<HealthCheck> & Pick<HealthCheck, 'type'>): HealthCheck =>
  HealthCheckSchema.parse({
    gracePeriodSeconds: 0,
    intervalSeconds: 0.1,
    timeoutSeconds: 1,
    consecutiveFailures: 2,
    ...over,
  });

/** Starts a checker and returns a function that waits for the next reported transition. */
function watch(check: HealthCheck, container: Container, hostPorts: number[] = []) {
  const seen: boolean[] = [];
  const waiters: (() => void)[] = [];
  const checker = new HealthChecker({
    check,
    clock: systemClock,
    probe: probeFor(check, { container, hostPorts }),
    onChange: (h) => {
      seen.push(h);
      waiters.splice(0).forEach((w) => w());
    },
    onError: (err) => {
      throw err;
    },
  });
  checker.start();
  const next = async (count: number): Promise<boolean[]> => {
    while (seen.length < count) await new Promise<void>((r) => waiters.push(r));
    return seen.slice(0, count);
  };
  return { checker, next };
}

it('COMMAND check on a native task: healthy, unhealthy when the check fails, healthy again', async () => {
  const spec = shellSpec('sleep 60');
  const k = await native.launch(spec);
  fs.writeFileSync(path.join(spec.sandboxDir, 'ready'), '');
  const w = watch(fast({ type: 'COMMAND', command: 'test -f ready' }), k);
  expect(await w.next(1)).toEqual([true]);
  fs.rmSync(path.join(spec.sandboxDir, 'ready'));
  expect(await w.next(2)).toEqual([true, false]);
  fs.writeFileSync(path.join(spec.sandboxDir, 'ready'), '');
  expect(await w.next(3)).toEqual([true, false, true]);
  w.checker.stop();
  await k.kill(0);
  await k.destroy();
});

it('HTTP check on a Docker task behind a mapped port: fails on 404, recovers', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const hostPort = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const spec = dockerSpec(
    'mkdir -p /tmp/www && echo ok > /tmp/www/health && exec httpd -f -p 8080 -h /tmp/www',
    { hostPorts: [hostPort], labels: { [TEST_LABEL]: '1', [`${TEST_LABEL}.run`]: run } },
    { portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }] },
  );
  const k = await docker.launch(spec);
  const w = watch(fast({ type: 'HTTP', portIndex: 0, path: '/health', gracePeriodSeconds: 10 }), k, spec.hostPorts);
  expect(await w.next(1)).toEqual([true]);
  await k.exec('mv /tmp/www/health /tmp/www/gone', 5_000);
  expect(await w.next(2)).toEqual([true, false]);
  await k.exec('mv /tmp/www/gone /tmp/www/health', 5_000);
  expect(await w.next(3)).toEqual([true, false, true]);
  w.checker.stop();
  await k.kill(0);
  await k.destroy();
});

it('TCP check: unhealthy when nothing listens, healthy when something does', async () => {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const noExec = { exec: () => Promise.reject(new Error('unused')) } as unknown as Container;
  const w = watch(fast({ type: 'TCP', port }), noExec);
  expect(await w.next(1)).toEqual([false]);
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  expect(await w.next(2)).toEqual([false, true]);
  w.checker.stop();
  await new Promise((r) => srv.close(r));
});
