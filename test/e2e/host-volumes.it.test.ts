/**
 * Host volumes end to end: granted by the agent's --host-volume-acl, mounted into native and Docker tasks;
 * anything else refused as TASK_ERROR naming the field, before the task starts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { TEST_IMAGE } from '../../isolation/testing/fixtures';

jest.setTimeout(90_000);
let cluster: TestCluster;
let fw: QueueFramework;
const granted = mkdtempSync(join(tmpdir(), 'agora-volumes-'));
const other = mkdtempSync(join(tmpdir(), 'agora-volumes-other-'));

beforeAll(async () => {
  chmodSync(granted, 0o777);
  writeFileSync(join(granted, 'config'), 'from the host\n');
  chmodSync(join(granted, 'config'), 0o644);
  cluster = await startCluster({ agents: [{ containerizers: ['native', 'docker'], hostVolumeAcl: `*=${granted}/*` }] });
  fw = new QueueFramework(cluster.natsUrl, { name: 'volumes' });
  await fw.driver.start();
});

afterAll(async () => {
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
  for (const d of [granted, other]) rmSync(d, { recursive: true, force: true });
});

const ended = (id: string) =>
  eventually(
    () => {
      const s = fw.latest.get(id);
      return s && ['TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR', 'TASK_KILLED'].includes(s.state) ? s : undefined;
    },
    `${id} to end`,
    60_000,
  );
const stdout = async (id: string) =>
  (
    (await cluster
      .fetch(`${cluster.masterHttpUrl}/api/v1/tasks/${id}/files/read?path=stdout`)
      .then((r) => r.json())) as { data: string }
  ).data;

it('mounts a granted host directory into a native task (ro) and a Docker task (rw)', async () => {
  fw.add({
    taskId: 'native-vol',
    resources: 'cpus:0.1;mem:32',
    command: 'cat etc/config; touch etc/x 2>/dev/null || echo read-only',
    volumes: [{ containerPath: 'etc', hostPath: granted, mode: 'ro' }],
  });
  fw.add({
    taskId: 'docker-vol',
    resources: 'cpus:0.1;mem:32',
    container: { type: 'DOCKER', image: TEST_IMAGE, pullPolicy: 'never' },
    command: 'cat /mnt/agora/sandbox/shared/config && echo from-docker > /mnt/agora/sandbox/shared/written',
    volumes: [{ containerPath: 'shared', hostPath: granted, mode: 'rw' }],
  });
  expect(await ended('native-vol')).toMatchObject({ state: 'TASK_FINISHED' });
  expect(await stdout('native-vol')).toBe('from the host\nread-only\n');
  expect(await ended('docker-vol')).toMatchObject({ state: 'TASK_FINISHED' });
  expect(await stdout('docker-vol')).toBe('from the host\n');
  expect(readFileSync(join(granted, 'written'), 'utf8')).toBe('from-docker\n');
});

it('refuses a host path the agent did not grant as TASK_ERROR naming the field, and a container path outside the sandbox as bad input', async () => {
  fw.add({
    taskId: 'not-granted',
    resources: 'cpus:0.1;mem:32',
    command: 'true',
    volumes: [{ containerPath: 'x', hostPath: other, mode: 'ro' }],
  });
  const refused = await ended('not-granted');
  expect(refused).toMatchObject({ state: 'TASK_ERROR', reason: 'INVALID_TASK' });
  expect(refused.message).toContain(`task.volumes[0].hostPath: principal '*' may not mount '${other}'`);
  // A container path outside the sandbox is bad input: the whole call is refused at the master's edge, naming the field.
  const agentId = cluster.agents[0].agent.id;
  await expect(
    fw.driver.launch(
      ['any-offer'],
      [
        {
          taskId: 'escape',
          name: 'escape',
          agentId,
          resources: [],
          command: { value: 'true' },
          volumes: [{ containerPath: '../../x', hostPath: granted, mode: 'ro' }],
        },
      ],
    ),
  ).rejects.toThrow(/volumes.*0.*containerPath.*inside the sandbox/);
});
