/**
 * A LAUNCH lost between the master and the agent (real nats-server, master and agent; the loss made by the
 * test-only connection wrapper of test/harness/held-launches.ts): the master's LAUNCH times out, it asks the agent
 * (RECONCILE_LAUNCHES), the agent does not know the launch, and the framework gets TASK_DROPPED (TASK_UNKNOWN).
 * The same LAUNCH handed to the agent afterwards — arriving late — is refused, and no process of it ever starts.
 */
import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, type NatsConnection } from 'agora/sdk/internal';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { holdLaunches, type HeldLaunches } from '../harness/held-launches';
import { QueueFramework } from '../harness/queue-framework';
import type { RunningAgent } from '../../agent/main';

describe('a lost LAUNCH', () => {
  let cluster: TestCluster;
  let nc: NatsConnection;
  let link: HeldLaunches;
  let agent: RunningAgent;
  let fw: QueueFramework;
  let marks: string;
  /** Each task writes a mark when its process starts (as the task user), then stays running. */
  const command = () => `echo up > ${marks}/started-$AGORA_TASK_ID; exec sleep 600`;

  beforeAll(async () => {
    cluster = await startCluster({ agents: [] });
    marks = join(cluster.dir, 'marks');
    mkdirSync(marks);
    chmodSync(marks, 0o777);
    nc = await connectNats({ servers: cluster.natsUrl, name: 'agent with a lossy link' });
    link = holdLaunches(nc, (launch) => launch.task.taskId === 'lost');
    agent = await cluster.addAgent({}, { nc: link.nc });
  });
  afterAll(async () => {
    await fw?.driver.stop({ failover: false });
    await cluster?.stop();
    await nc?.close();
  });

  it('becomes TASK_DROPPED at the framework; arriving late, it is refused and never runs', async () => {
    fw = new QueueFramework(cluster.natsUrl, { name: 'lost-launch' });
    await fw.driver.start();
    fw.add(
      { taskId: 'control', resources: 'cpus:0.1;mem:32', command: command() },
      { taskId: 'lost', resources: 'cpus:0.1;mem:32', command: command() },
    );
    // The control task's process runs and leaves its mark: the mark is a working witness of a start.
    await eventually(() => fw.latest.get('control')?.state === 'TASK_RUNNING', 'control task running', 30_000);
    await eventually(() => existsSync(join(marks, 'started-control')), 'the control task mark', 30_000);
    expect(link.held()).toEqual(['lost']);

    // The master waits out its LAUNCH (10 s), asks the agent, and drops the task.
    const dropped = await eventually(
      () => (fw.latest.get('lost')?.state === 'TASK_DROPPED' ? fw.latest.get('lost') : undefined),
      'TASK_DROPPED for the lost launch',
      60_000,
    );
    expect(dropped.reason).toBe('TASK_UNKNOWN');
    expect(dropped.source).toBe('MASTER');
    expect(fw.statesOf('lost')).toEqual(['TASK_DROPPED']);

    // The LAUNCH arrives now, late: refused, nothing made of it.
    const reply = await link.deliver('lost');
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe('CONFLICT');
    const key = `${fw.driver.frameworkId}/lost`;
    expect(agent.agent.runners.has(key)).toBe(false);
    expect(agent.agent.checkpoint.tasks().map((t) => t.taskId)).toEqual(['control']);
    expect(existsSync(join(marks, 'started-lost'))).toBe(false);

    // The master's view agrees, and the framework heard nothing more of the task.
    const state = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/state`)).json()) as {
      tasks: { id: string; state: string }[];
    };
    expect(state.tasks.find((t) => t.id === 'lost')?.state).toBe('TASK_DROPPED');
    expect(fw.statesOf('lost')).toEqual(['TASK_DROPPED']);
    expect(fw.latest.get('control')?.state).toBe('TASK_RUNNING');
    expect(link.failures()).toEqual([]);
  });
});
