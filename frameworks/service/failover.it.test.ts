/**
 * The framework as a real process (`bin/agora-service`), killed with SIGKILL in the middle of a deployment and
 * started again on the same data dir: it re-subscribes with its framework id, reconciles, keeps the old
 * version's instances (nothing restarted) and finishes the deployment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, request, type NatsConnection } from 'agora/sdk';
import { SERVICE_API_SUBJECT, type AppDetail, type ServiceReplies, type ServiceRequest } from 'agora/sdk/service';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';

jest.setTimeout(360_000);

const ROOT = join(__dirname, '..', '..');
let cluster: TestCluster;
let nc: NatsConnection;
let child: ChildProcess | undefined;

async function api<K extends ServiceRequest['type']>(
  body: Extract<ServiceRequest, { type: K }>,
): Promise<ServiceReplies[K]> {
  return request<ServiceReplies[K] & object>(nc, SERVICE_API_SUBJECT, body, { timeoutMs: 5000 });
}
const show = async (appId: string): Promise<AppDetail> => (await api({ type: 'show', appId })).app;

function startFramework(): ChildProcess {
  const out = openSync(join(cluster.dir, 'service.log'), 'a');
  const p = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'agora-service'), '--nats', cluster.natsUrl, '--data-dir', join(cluster.dir, 'service')],
    {
      cwd: ROOT,
      stdio: ['ignore', out, out],
      env: { ...process.env, AGORA_LOG_LEVEL: 'info', AGORA_LOG_FORMAT: 'json' },
    },
  );
  return p;
}

async function sigkill(p: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  cluster = await startCluster({
    agents: [0, 1, 2].map((i) => ({ hostname: `agent-${i}`, attributes: `rack:r${i + 1}` })),
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'service-failover-it' });
});
afterAll(async () => {
  if (child && child.exitCode === null) await sigkill(child);
  await nc?.drain().catch(() => undefined);
  await cluster?.stop();
});

it('resumes an unfinished deployment after SIGKILL without restarting the running instances', async () => {
  child = startFramework();
  await eventually(() => api({ type: 'list' }).then(() => true), 'the framework API', 30_000);
  const def = {
    id: '/resume',
    cmd: 'sleep 1100',
    instances: 3,
    cpus: 0.1,
    mem: 16,
    constraints: [['hostname', 'LIKE', 'agent-[0-2]']],
  };
  const v1 = await api({ type: 'deploy', app: def });
  await eventually(
    async () => (await api({ type: 'deployment', deploymentId: v1.deploymentId! })).deployment.state === 'SUCCEEDED',
    'v1 up',
  );
  const v1Tasks = (await show('/resume')).instanceList.map((i) => i.taskId).sort();

  // v2 can only go to agent-3, which does not exist yet: the deployment waits, v1 keeps serving (minimumHealthCapacity 1).
  const v2 = await api({
    type: 'deploy',
    app: { ...def, cmd: 'sleep 1101', constraints: [['hostname', 'LIKE', 'agent-3']] },
  });
  await eventually(
    async () => (await show('/resume')).waiting === 'waiting: 3 offers violated LIKE hostname agent-3',
    'v2 waiting for agent-3',
  );

  await sigkill(child);
  child = startFramework();
  await eventually(() => api({ type: 'list' }).then(() => true), 'the framework API again', 30_000);

  const resumed = await show('/resume');
  expect(resumed.deployment).toMatchObject({ id: v2.deploymentId, state: 'RUNNING' });
  await eventually(async () => (await show('/resume')).ready === 3, 'v1 instances reconciled as running');
  expect(
    (await show('/resume')).instanceList
      .filter((i) => i.version === 1)
      .map((i) => i.taskId)
      .sort(),
  ).toEqual(v1Tasks);

  await cluster.addAgent({ hostname: 'agent-3', attributes: 'rack:r4' });
  await eventually(
    async () => (await api({ type: 'deployment', deploymentId: v2.deploymentId! })).deployment.state === 'SUCCEEDED',
    'v2 finished',
    30_000,
  );
  const done = await show('/resume');
  expect(done.instanceList.map((i) => [i.version, i.hostname])).toEqual([
    [2, 'agent-3'],
    [2, 'agent-3'],
    [2, 'agent-3'],
  ]);
  expect(done.instanceList.some((i) => v1Tasks.includes(i.taskId))).toBe(false);

  await api({ type: 'remove', appId: '/resume' });
  await eventually(async () => (await api({ type: 'list' })).apps.length === 0, 'app removed', 20_000);
  child.kill('SIGTERM');
  await new Promise((r) => child!.once('exit', r));
});
