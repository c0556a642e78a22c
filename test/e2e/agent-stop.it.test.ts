/**
 * An agent stopped with `killTasks: false` (an upgrade: tasks stay for the next agent) must not fail when a
 * task ends afterwards, and the next agent on the same work dir reports how it ended.
 */
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';

describe('agent stopped without killing its tasks', () => {
  let cluster: TestCluster;
  let fw: QueueFramework;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => {
    unhandled.push(e);
  };
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await startCluster();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await fw?.driver.stop({ failover: false });
    await cluster?.stop();
  });

  it('leaves the task alone, writes nothing after stopping, and the next agent reports its end', async () => {
    fw = new QueueFramework(cluster.natsUrl, { name: 'upgrade' });
    await fw.driver.start();
    fw.add({ taskId: 'outlives', resources: 'cpus:0.1;mem:32', command: 'sleep 1.5; exit 7' });
    await eventually(() => fw.latest.get('outlives')?.state === 'TASK_RUNNING', 'the task to run');
    const first = cluster.agents[0];
    await first.stop({ killTasks: false });
    await new Promise((r) => setTimeout(r, 2500));
    expect(unhandled).toEqual([]);
    await cluster.addAgent({
      agentId: first.agent.id,
      hostname: first.agent.config.hostname,
      workDir: first.agent.config.workDir,
      resources: first.agent.config.resources,
    });
    const end = await eventually(
      () => {
        const s = fw.latest.get('outlives');
        return s && s.state !== 'TASK_RUNNING' ? s : undefined;
      },
      'the end reported by the next agent',
      20_000,
    );
    expect(end).toMatchObject({ state: 'TASK_FAILED', exitCode: 7 });
  });
});
