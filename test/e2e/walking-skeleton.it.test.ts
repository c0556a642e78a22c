/**
 * The whole path with real parts: nats-server, master, agent with the native containerizer, and a framework
 * written only against agora/sdk. 20 tasks reach FINISHED with their own output in their sandboxes.
 */
import { readFileSync } from 'node:fs';
import { sandboxPath } from '../../agent/task-runner';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';

describe('walking skeleton: offer → accept → launch → status', () => {
  let cluster: TestCluster;
  let fw: QueueFramework;

  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await fw?.driver.stop({ failover: false });
    await cluster?.stop();
  });

  it('launches 20 tasks that all finish with their own output', async () => {
    fw = new QueueFramework(cluster.natsUrl, { name: 'skeleton' });
    await fw.driver.start();
    for (let i = 0; i < 20; i++)
      fw.add({ taskId: `t-${i}`, resources: 'cpus:0.1;mem:32', command: 'echo $AGORA_TASK_ID' });
    await eventually(() => fw.finished().length === 20, '20 terminal updates', 30_000);
    const agent = cluster.agents[0].agent;
    for (let i = 0; i < 20; i++) {
      const id = `t-${i}`;
      expect(fw.latest.get(id)?.state).toBe('TASK_FINISHED');
      expect(fw.latest.get(id)?.exitCode).toBe(0);
      expect(fw.statesOf(id)).toEqual(expect.arrayContaining(['TASK_RUNNING', 'TASK_FINISHED']));
      expect(readFileSync(`${sandboxPath(agent.sandboxRoot, fw.driver.frameworkId, id)}/stdout`, 'utf8')).toBe(
        `${id}\n`,
      );
    }
    const state = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/state`)).json()) as {
      agents: { id: string; resources: { total: string } }[];
      tasks: { id: string; state: string }[];
      frameworks: { id: string }[];
    };
    expect(state.agents).toHaveLength(1);
    expect(state.agents[0].resources.total).toContain('cpus:4');
    expect(state.frameworks.map((f) => f.id)).toContain(fw.driver.frameworkId);
    expect(state.tasks.filter((t) => t.state === 'TASK_FINISHED')).toHaveLength(20);
  });

  it('reports a failing task as FAILED with its exit code', async () => {
    fw.add({ taskId: 'fails', resources: 'cpus:0.1;mem:32', command: 'echo oops >&2; exit 3' });
    const s = await eventually(() => {
      const x = fw.latest.get('fails');
      return x && x.state !== 'TASK_RUNNING' && x.state !== 'TASK_STAGING' ? x : undefined;
    }, 'terminal update');
    expect(s.state).toBe('TASK_FAILED');
    expect(s.exitCode).toBe(3);
    const health = await cluster.fetch(`${cluster.masterHttpUrl}/health`);
    expect(health.status).toBe(200);
  });
});
