/**
 * (5) kill -9 framework processes. One re-subscribes with its id within its failoverTimeout: its tasks were
 * never touched and the updates produced while it was dead (two tasks finished meanwhile) are delivered to
 * the new process. The other does not come back within its (short) timeout: it is removed and its tasks are
 * killed. Master and agent run in this process; the frameworks are real processes (framework-process.ts).
 */
import { join } from 'node:path';
import { processesUnder } from '../../isolation/testing/fixtures';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { Processes, StartsLog, pidsRunning, report, type Proc } from './processes';

interface Ev {
  event: string;
  taskId?: string;
  state?: string;
  uuid?: string | null;
  reregistered?: boolean;
}
const events = (p: Proc): Ev[] =>
  p.lines.flatMap((l) => {
    try {
      const o = JSON.parse(l) as Ev;
      return o.event ? [o] : [];
    } catch {
      return [];
    }
  });
const latestStates = (p: Proc) =>
  new Map(
    events(p)
      .filter((e) => e.event === 'update')
      .map((e) => [e.taskId!, e.state!]),
  );

describe('framework kill -9 and failover', () => {
  const procs = new Processes();
  let cluster: TestCluster;
  let starts: StartsLog;

  beforeAll(async () => {
    // Heartbeats every second (silence noticed after ~3 s) and fw-b's failover timeout of 5 s: short enough to
    // watch, long enough that a framework process slowed by a busy machine is not taken for dead while it starts.
    cluster = await startCluster({ master: { frameworkHeartbeatIntervalMs: 1000 } });
    starts = new StartsLog(join(cluster.dir, 'starts'));
  });
  afterAll(async () => {
    await procs.killAll();
    await cluster?.stop();
  });

  const framework = (id: string, failoverMs: number, tasks: { taskId: string; command: string }[]) =>
    procs.script(id, 'framework-process.ts', [cluster.natsUrl, id, String(failoverMs), JSON.stringify(tasks)]);

  it('a framework back within failoverTimeout finds its tasks untouched and gets its updates; one that is not has its tasks killed', async () => {
    const aTasks = [
      ...['a-long-0', 'a-long-1', 'a-long-2'].map((taskId) => ({ taskId, command: starts.command('sleep 600') })),
      ...['a-short-0', 'a-short-1'].map((taskId) => ({ taskId, command: starts.command('sleep 3') })),
    ];
    const bTasks = ['b-0', 'b-1', 'b-2'].map((taskId) => ({ taskId, command: starts.command('sleep 600') }));
    let a = framework('fw-a', 120_000, aTasks);
    const b = framework('fw-b', 5000, bTasks);
    await eventually(
      () => [...latestStates(a).values()].filter((s) => s === 'TASK_RUNNING').length === 5,
      'fw-a: 5 running',
      90_000,
    );
    await eventually(
      () => [...latestStates(b).values()].filter((s) => s === 'TASK_RUNNING').length === 3,
      'fw-b: 3 running',
      90_000,
    );
    const agentId = cluster.agents[0].agent.id;
    const longs = ['a-long-0', 'a-long-1', 'a-long-2'];
    const sleepers = () => longs.map((id) => pidsRunning(`agora/${agentId}/${id}`, 'sleep'));
    const aPids = await eventually(() => {
      const p = sleepers();
      return p.every((x) => x.length === 1) ? p : undefined;
    }, "fw-a's sleeps started");

    await Promise.all([a.kill('SIGKILL'), b.kill('SIGKILL')]);
    const runners = cluster.agents[0].agent.runners;
    // fw-b's timeout (5 s after the master notices, ~3 s) passes: it is removed and its tasks killed.
    await eventually(
      () => bTasks.every((t) => !runners.has(`fw-b/${t.taskId}`)),
      "fw-b's tasks killed on the agent",
      60_000,
    );
    await eventually(
      () => bTasks.every((t) => processesUnder(`agora/${agentId}/${t.taskId}`).length === 0),
      "fw-b's processes gone",
      10_000,
    );
    const state = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/state`)).json()) as {
      frameworks: { id: string }[];
      tasks: { id: string; frameworkId: string; state: string }[];
    };
    expect(state.frameworks.map((f) => f.id)).not.toContain('fw-b');
    expect(state.tasks.filter((t) => t.frameworkId === 'fw-b').map((t) => t.state)).toEqual([
      'TASK_KILLED',
      'TASK_KILLED',
      'TASK_KILLED',
    ]);
    // What AgoraFrameworkFailoverExpired (deploy/prometheus/agora-rules.yml) alerts on; fw-a is away but within its timeout.
    const metrics = await (await cluster.fetch(`${cluster.masterHttpUrl}/metrics`)).text();
    expect(metrics).toMatch(/agora_frameworks_failover_expired_total\{[^}]*\} 1\n/);
    expect(metrics).toMatch(/agora_framework_connected\{framework="fw-a",[^}]*\} 0\n/);
    // Meanwhile fw-a's two short tasks finished with nobody listening.
    await eventually(
      () => !runners.has('fw-a/a-short-0') && !runners.has('fw-a/a-short-1'),
      "fw-a's short tasks finished",
      15_000,
    );

    a = framework('fw-a', 120_000, []);
    await eventually(
      () => events(a).some((e) => e.event === 'registered' && e.reregistered),
      'fw-a re-subscribed',
      20_000,
    );
    await eventually(
      () =>
        ['a-short-0', 'a-short-1'].every((id) =>
          events(a).some((e) => e.taskId === id && e.state === 'TASK_FINISHED' && e.uuid),
        ),
      'the updates produced while fw-a was dead',
      15_000,
    );
    await eventually(
      () => ['a-long-0', 'a-long-1', 'a-long-2'].every((id) => latestStates(a).get(id) === 'TASK_RUNNING'),
      'reconciliation: long tasks running',
      10_000,
    );
    expect(sleepers()).toEqual(aPids);

    const lost =
      ['a-short-0', 'a-short-1'].filter((id) => !events(a).some((e) => e.taskId === id && e.state === 'TASK_FINISHED'))
        .length + ['a-long-0', 'a-long-1', 'a-long-2'].filter((id) => !runners.has(`fw-a/${id}`)).length;
    const duplicated = starts.duplicated();
    report('framework kill -9, failover within / past timeout', {
      lost,
      duplicatedLaunches: duplicated,
      bTasksKilled: bTasks.length,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(starts.counts().size).toBe(8);
  }, 270_000);
});
