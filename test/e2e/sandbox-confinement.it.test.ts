/**
 * Tasks stay in their sandbox, end to end through a real master and agent (native and Docker):
 * sandbox reads never follow a task's symlinks and never cross frameworks; each task runs as its own uid
 * in a 0700 sandbox; a hostPort outside the offer and `network: host` without the grant are TASK_ERROR.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withToken } from '../harness/auth';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { TEST_IMAGE } from '../../isolation/testing/fixtures';

jest.setTimeout(90_000);
let cluster: TestCluster;
let a: QueueFramework;
let b: QueueFramework;

beforeAll(async () => {
  cluster = await startCluster({ agents: [{ containerizers: ['native', 'docker'] }] });
  a = new QueueFramework(cluster.natsUrl, { name: 'confine-a' });
  b = new QueueFramework(cluster.natsUrl, { name: 'confine-b' });
  await a.driver.start();
  await b.driver.start();
});

afterAll(async () => {
  for (const f of [a, b]) await f?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

const TERMINAL = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR', 'TASK_KILLED'];
const ended = (fw: QueueFramework, id: string) =>
  eventually(
    () => {
      const s = fw.latest.get(id);
      return s && TERMINAL.includes(s.state) ? s : undefined;
    },
    `${id} to end`,
    60_000,
  );
const running = (fw: QueueFramework, id: string) =>
  eventually(() => fw.latest.get(id)?.state === 'TASK_RUNNING' || undefined, `${id} running`, 60_000);
const read = async (fw: QueueFramework, id: string, path: string) => {
  const r = await fetch(
    `${cluster.masterHttpUrl}/api/v1/tasks/${id}/files/read?framework=${fw.driver.frameworkId}&path=${encodeURIComponent(path)}`,
    withToken(cluster.token),
  );
  return { status: r.status, text: await r.text() };
};
const sandboxOf = (fw: QueueFramework, id: string) =>
  join(cluster.agents[0].agent.sandboxRoot, fw.driver.frameworkId, id);

it('refuses to read through a symlink the task planted, to a file or through a directory', async () => {
  const secret = readFileSync('/etc/shadow', 'utf8').split('\n')[0]!;
  a.add({
    taskId: 'links',
    resources: 'cpus:0.1;mem:32',
    command: 'ln -s /etc/shadow x; ln -s /etc d; ln -sf /etc/shadow stderr; echo planted',
  });
  expect(await ended(a, 'links')).toMatchObject({ state: 'TASK_FINISHED' });
  expect((await read(a, 'links', 'stdout')).text).toContain('planted');
  for (const path of ['x', 'd/shadow']) {
    const r = await read(a, 'links', path);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/symbolic link|outside the sandbox/);
    expect(r.text).not.toContain(secret);
  }
});

it('two frameworks using one task id each read their own sandbox', async () => {
  a.add({ taskId: 'same-id', resources: 'cpus:0.1;mem:32', command: 'echo from-a' });
  expect(await ended(a, 'same-id')).toMatchObject({ state: 'TASK_FINISHED' });
  b.add({ taskId: 'same-id', resources: 'cpus:0.1;mem:32', command: 'echo from-b' });
  expect(await ended(b, 'same-id')).toMatchObject({ state: 'TASK_FINISHED' });
  expect(JSON.parse((await read(a, 'same-id', 'stdout')).text)).toMatchObject({ data: 'from-a\n' });
  expect(JSON.parse((await read(b, 'same-id', 'stdout')).text)).toMatchObject({ data: 'from-b\n' });
});

it("gives each native task its own uid and a 0700 sandbox, so one cannot read another's files", async () => {
  a.add({
    taskId: 'holder',
    resources: 'cpus:0.1;mem:32',
    command: 'id -u; echo private > secret; chmod 644 secret; sleep 60',
  });
  await running(a, 'holder');
  const holderSandbox = sandboxOf(a, 'holder');
  await eventually(() => {
    try {
      return readFileSync(join(holderSandbox, 'secret'), 'utf8') === 'private\n' || undefined;
    } catch {
      return undefined;
    }
  }, 'the secret written');
  b.add({
    taskId: 'snoop',
    resources: 'cpus:0.1;mem:32',
    command: `id -u; cat ${holderSandbox}/secret && echo READ-IT || echo refused`,
  });
  expect(await ended(b, 'snoop')).toMatchObject({ state: 'TASK_FINISHED' });
  const [snoopUid, verdict] = JSON.parse((await read(b, 'snoop', 'stdout')).text)
    .data.trim()
    .split('\n');
  expect(verdict).toBe('refused');
  const holderUid = JSON.parse((await read(a, 'holder', 'stdout')).text).data.trim();
  for (const uid of [holderUid, snoopUid]) expect(Number(uid)).toBeGreaterThanOrEqual(200000);
  expect(holderUid).not.toBe(snoopUid);
  const st = statSync(holderSandbox);
  expect(st.mode & 0o777).toBe(0o700);
  expect(String(st.uid)).toBe(holderUid);
  await a.driver.kill('holder', cluster.agents[0].agent.id);
  await ended(a, 'holder');
});

it('runs a Docker task as an unprivileged uid of its own by default', async () => {
  a.add({
    taskId: 'docker-uid',
    resources: 'cpus:0.1;mem:32',
    container: { type: 'DOCKER', image: TEST_IMAGE, pullPolicy: 'never' },
    command: 'id -u; touch /mnt/agora/sandbox/mine && echo can-write',
  });
  expect(await ended(a, 'docker-uid')).toMatchObject({ state: 'TASK_FINISHED' });
  const [uid, wrote] = JSON.parse((await read(a, 'docker-uid', 'stdout')).text)
    .data.trim()
    .split('\n');
  expect(Number(uid)).toBeGreaterThanOrEqual(200000);
  expect(wrote).toBe('can-write');
});

it('refuses a hostPort outside the offer and network host without the grant, as TASK_ERROR naming the field', async () => {
  const port = Number(/ports:\[(\d+)-/.exec(cluster.agents[0].agent.config.resources ?? '')?.[1]); // one of the agent's own
  a.add({
    taskId: 'port-grab',
    resources: `cpus:0.1;mem:32;ports:[${port}-${port}]`,
    command: 'true',
    container: {
      type: 'DOCKER',
      image: TEST_IMAGE,
      pullPolicy: 'never',
      portMappings: [{ containerPort: 80, hostPort: 22 }],
    },
  });
  const grab = await ended(a, 'port-grab');
  expect(grab).toMatchObject({ state: 'TASK_ERROR' });
  expect(grab.message).toMatch(
    new RegExp(
      `task\\.container\\.portMappings\\[0\\]\\.hostPort: host port 22 is not among the task's offered ports \\(its ports are ${port}\\)`,
    ),
  );
  a.add({
    taskId: 'host-net',
    resources: 'cpus:0.1;mem:32',
    command: 'true',
    container: { type: 'DOCKER', image: TEST_IMAGE, pullPolicy: 'never', network: 'host' },
  });
  const net = await ended(a, 'host-net');
  expect(net).toMatchObject({ state: 'TASK_ERROR' });
  expect(net.message).toMatch(/task\.container\.network: 'host' needs the hostNetwork grant/);
});
