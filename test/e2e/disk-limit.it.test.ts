/**
 * Disk limits end to end: a task's `disk` is enforced on its sandbox (native and Docker), measured every
 * 200 ms here (`diskCheckIntervalMs`); over it the task ends TASK_FAILED / DISK_LIMIT; the figure shows in
 * the task's usage through the master's API.
 */
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { TEST_IMAGE } from '../../isolation/testing/fixtures';

jest.setTimeout(90_000);
let cluster: TestCluster;
let fw: QueueFramework;

beforeAll(async () => {
  cluster = await startCluster({
    agents: [{ containerizers: ['native', 'docker'], diskCheckIntervalMs: 200, usageIntervalMs: 300 }],
  });
  fw = new QueueFramework(cluster.natsUrl, { name: 'disk' });
  await fw.driver.start();
});

afterAll(async () => {
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

const task = async (id: string) =>
  (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/tasks/${id}`).then((r) => r.json())) as {
    state: string;
    usage?: { diskUsedMb?: number; diskLimitMb?: number };
  };

it('a native task writing past its disk limit ends TASK_FAILED with reason DISK_LIMIT', async () => {
  fw.add({
    taskId: 'filler',
    resources: 'cpus:0.1;mem:64;disk:4',
    command: 'dd if=/dev/zero of=big bs=1M count=16 2>/dev/null; sleep 600',
  });
  const end = await eventually(
    () => {
      const s = fw.latest.get('filler');
      return s && s.state !== 'TASK_RUNNING' && s.state !== 'TASK_STAGING' && s.state !== 'TASK_KILLING'
        ? s
        : undefined;
    },
    'filler to end',
    30_000,
  );
  expect(end).toMatchObject({ state: 'TASK_FAILED', reason: 'DISK_LIMIT' });
  expect(end.message).toMatch(/^disk limit: sandbox uses \d+\.\d MB, limit 4 MB$/);
});

it('a task within its limit keeps running, with its disk use in its usage', async () => {
  fw.add({
    taskId: 'modest',
    resources: 'cpus:0.1;mem:64;disk:8',
    command: 'dd if=/dev/zero of=some bs=1M count=2 2>/dev/null; sleep 600',
  });
  const usage = await eventually(
    async () => {
      const u = (await task('modest')).usage;
      return u?.diskUsedMb !== undefined && u.diskUsedMb >= 2 ? u : undefined;
    },
    'disk figure of modest',
    30_000,
  );
  expect(usage.diskUsedMb).toBeLessThan(3);
  expect(usage.diskLimitMb).toBe(8);
  expect(fw.latest.get('modest')?.state).toBe('TASK_RUNNING');
});

it('a Docker task writing past its disk limit into its sandbox ends TASK_FAILED with reason DISK_LIMIT', async () => {
  fw.add({
    taskId: 'docker-filler',
    resources: 'cpus:0.1;mem:64;disk:4',
    container: { type: 'DOCKER', image: TEST_IMAGE, pullPolicy: 'never' },
    command: 'dd if=/dev/zero of=/mnt/agora/sandbox/big bs=1M count=16 2>/dev/null; sleep 600',
  });
  const end = await eventually(
    () => {
      const s = fw.latest.get('docker-filler');
      return s && ['TASK_FAILED', 'TASK_FINISHED', 'TASK_KILLED', 'TASK_ERROR'].includes(s.state) ? s : undefined;
    },
    'docker-filler to end',
    60_000,
  );
  expect(end).toMatchObject({ state: 'TASK_FAILED', reason: 'DISK_LIMIT' });
});
