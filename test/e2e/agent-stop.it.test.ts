/**
 * An agent stopped with `killTasks: false` (an upgrade: tasks stay for the next agent) must not fail when a
 * task ends afterwards, and the next agent on the same work dir reports how it ended.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTerminal } from 'agora/sdk';
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
  // Where the task says it is ending: open to the task's own uid, outside any agent's directories.
  const marks = mkdtempSync(join(tmpdir(), 'agora-agent-stop-'));
  chmodSync(marks, 0o1777);
  afterAll(async () => {
    rmSync(marks, { recursive: true, force: true });
    process.off('unhandledRejection', onUnhandled);
    await fw?.driver.stop({ failover: false });
    await cluster?.stop();
  });

  it('leaves the task alone, writes nothing after stopping, and the next agent reports its end', async () => {
    fw = new QueueFramework(cluster.natsUrl, { name: 'upgrade' });
    await fw.driver.start();
    const ending = join(marks, 'ending');
    fw.add({ taskId: 'outlives', resources: 'cpus:0.1;mem:32', command: `sleep 1.5; touch ${ending}; exit 7` });
    await eventually(() => fw.latest.get('outlives')?.state === 'TASK_RUNNING', 'the task to run');
    const first = cluster.agents[0];
    await first.stop({ killTasks: false });
    // The task ends while no agent runs (a condition, not a time: it says so just before it exits).
    await eventually(() => existsSync(ending), 'the task to end while its agent is stopped', 30_000);
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
        // TASK_UNREACHABLE may come first (the master's view while no agent answered): not the end.
        return s && isTerminal(s.state) ? s : undefined;
      },
      'the end reported by the next agent',
      20_000,
    );
    expect(end).toMatchObject({ state: 'TASK_FAILED', exitCode: 7 });
  });
});
