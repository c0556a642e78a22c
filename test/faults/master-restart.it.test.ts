/**
 * (1) kill -9 the master (a real `bin/agora-master` process) while a framework is launching 100 tasks, then
 * start it again on the same data dir: the agent (also a real process) re-registers, the framework
 * re-subscribes and reconciles, and every task ends up RUNNING exactly once with an update at the framework.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, request, type NatsConnection } from 'agora/sdk';
import { subjects } from 'agora/sdk/internal';
import { eventually } from '../harness/cluster';
import { NatsServer, freePort } from '../harness/nats-server';
import { FaultFramework } from './fault-framework';
import { Processes, StartsLog, agentIdOf, removeAgentLeftovers, report, type Proc } from './processes';
import { readAdminToken, withToken } from '../harness/auth';

const TASKS = 100;

describe('master kill -9 during a launch of 100 tasks', () => {
  const procs = new Processes();
  let dir: string;
  let nats: NatsServer;
  let nc: NatsConnection;
  let fw: FaultFramework | undefined;
  let agentId: string | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-faults-'));
    chmodSync(dir, 0o777);
    nats = await NatsServer.start();
    nc = await connectNats({ servers: nats.url, name: 'master-restart-test' });
  });
  afterAll(async () => {
    await fw?.stop(false).catch(() => undefined);
    await procs.killAll();
    if (agentId) await removeAgentLeftovers(agentId);
    await nc?.drain().catch(() => undefined);
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every task ends up RUNNING exactly once and the framework has an update for each', async () => {
    const starts = new StartsLog(join(dir, 'starts'));
    const httpPort = await freePort();
    const flags = [
      '--agent-ping-timeout',
      '300ms',
      '--max-agent-ping-timeouts',
      '3',
      '--framework-heartbeat-interval',
      '300ms',
    ];
    const startMasterProcess = async (): Promise<Proc> => {
      const m = procs.master(nats.url, join(dir, 'master'), httpPort, flags);
      await m.waitForLog(/master listening/);
      return m;
    };
    let master = await startMasterProcess();
    const agent = procs.agent(nats.url, join(dir, 'agent'), [
      '--hostname',
      'restart-agent',
      '--containerizers',
      'native',
    ]);
    agentId = await agentIdOf(agent);
    fw = new FaultFramework(nats.url, { name: 'master-restart', perAccept: 7, relaunch: true });
    await fw.driver.start();
    fw.want(Array.from({ length: TASKS }, (_, i) => ({ taskId: `t-${i}`, command: starts.command('sleep 600') })));

    // Mid-launch: some tasks have started, most have not.
    await eventually(() => starts.counts().size >= 15, 'the launch under way', 20_000, 5);
    const startedAtKill = starts.counts().size;
    const acceptedAtKill = fw.placed.size;
    await master.kill('SIGKILL');
    // Negative window: down for a moment, as after a crash; the assertions below hold for any length of it.
    await new Promise((r) => setTimeout(r, 500));
    master = await startMasterProcess();
    expect(master.matching(/recovered registry/).join('')).toMatch(/"frameworks":1/);

    await eventually(
      () => fw!.neverRunning().length === 0 && fw!.inState('TASK_RUNNING').length === TASKS,
      `all ${TASKS} RUNNING at the framework`,
      45_000,
    );
    const onAgent = (
      await request<{ tasks: { taskId: string; state: string }[] }>(nc, subjects.agentCommand(agentId), {
        type: 'STATE',
      })
    ).tasks;
    expect(onAgent.filter((t) => t.state === 'TASK_RUNNING')).toHaveLength(TASKS);
    const state = (await (
      await fetch(`http://127.0.0.1:${httpPort}/api/v1/state`, withToken(readAdminToken(join(dir, 'master'))))
    ).json()) as { tasks: { id: string; state: string }[] };
    expect(state.tasks.filter((t) => t.state === 'TASK_RUNNING')).toHaveLength(TASKS);

    // RUNNING is reported once the process is launched; give the last shells a moment to write their line.
    await eventually(() => starts.counts().size === TASKS, 'every task to record its start', 10_000).catch(
      () => undefined,
    );
    const counts = starts.counts();
    const lost = Array.from({ length: TASKS }, (_, i) => `t-${i}`).filter((id) => !counts.has(id)).length;
    const duplicated = starts.duplicated();
    const relaunched = fw.updates.filter((u) => u.state === 'TASK_DROPPED' || u.state === 'TASK_GONE').length;
    report('master kill -9 during 100 launches', {
      acceptedAtKill,
      startedAtKill,
      lost,
      duplicatedLaunches: duplicated,
      droppedOrGoneThenRelaunched: relaunched,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
  }, 270_000);
});
