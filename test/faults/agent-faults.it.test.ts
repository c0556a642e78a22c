/**
 * Agent faults with a real `bin/agora-agent` process and real signals (the master runs in this process):
 *  (2) kill -9 the agent with 20 running tasks, 10 native and 10 Docker; restart it: the same processes and
 *      containers are re-attached (an exit after the restart is still reported), nothing launched twice;
 *  (3) SIGSTOP it past the ping timeout: TASK_UNREACHABLE reaches the framework; SIGCONT: RUNNING again;
 *  agent removal: stopped past --agent-removal-timeout → TASK_GONE; when it returns it is told to kill them.
 */
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats, request, type NatsConnection } from 'agora/sdk';
import { subjects } from 'agora/sdk/internal';
import { startMaster, type RunningMaster } from '../../master/main';
import { dockerClient } from '../../isolation/docker/docker-containerizer';
import { processesUnder } from '../../isolation/testing/fixtures';
import { eventually } from '../harness/cluster';
import { NatsServer } from '../harness/nats-server';
import { FaultFramework } from './fault-framework';
import {
  Processes,
  StartsLog,
  agentIdOf,
  containersOf,
  killTaskProcesses,
  pidsRunning,
  removeAgentLeftovers,
  report,
  type Proc,
} from './processes';
import { readAdminToken, withToken } from '../harness/auth';

/** Tasks test (2) ends on purpose: two while the agent is dead, two after it restarted. */
const ENDED = ['native-3', 'docker-13', 'native-5', 'docker-15'];
const DOCKER = { type: 'DOCKER' as const, image: 'agora-busybox:latest', pullPolicy: 'never' as const };

describe('agent faults: kill -9, SIGSTOP, removal', () => {
  const procs = new Processes();
  let dir: string;
  let nats: NatsServer;
  let master: RunningMaster;
  let nc: NatsConnection;
  let fw: FaultFramework;
  let agent: Proc;
  let agentId: string;
  let starts: StartsLog;
  let originalContainers: string[] = [];
  /** Native tasks started twice (starts log) plus Docker containers created after the first launch. */
  const duplicatedLaunches = async () =>
    starts.duplicated() + (await containersOf(agentId)).filter((c) => !originalContainers.includes(c.id)).length;
  const ids = Array.from({ length: 20 }, (_, i) => (i < 10 ? `native-${i}` : `docker-${i}`));

  const agentTasks = async () =>
    (
      await request<{ tasks: { taskId: string; state: string }[] }>(nc, subjects.agentCommand(agentId), {
        type: 'STATE',
      })
    ).tasks;
  /** Explicit reconciliation of tasks on this agent: taskId → the master's answer. */
  const reconcile = async (taskIds: string[]) => {
    const seen = fw.updates.length;
    await fw.driver.reconcile(taskIds.map((taskId) => ({ taskId, agentId })));
    const answers = await eventually(() => {
      const a = fw.updates
        .slice(seen)
        .filter((u) => u.reason === 'RECONCILIATION' && !u.uuid && taskIds.includes(u.taskId));
      return a.length >= taskIds.length ? a : undefined;
    }, 'reconciliation answers');
    return Object.fromEntries(answers.map((a) => [a.taskId, a.state]));
  };
  const startAgent = () => {
    agent = procs.agent(nats.url, join(dir, 'agent'), ['--hostname', 'fault-agent']);
    return agentIdOf(agent);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-faults-'));
    chmodSync(dir, 0o777);
    starts = new StartsLog(join(dir, 'starts'));
    nats = await NatsServer.start();
    master = await startMaster({
      natsUrl: nats.url,
      httpHost: '127.0.0.1',
      httpPort: 0,
      dataDir: join(dir, 'master'),
      allocationIntervalMs: 100,
      // Long enough that a restarted agent is back before it (starting node and recovering 20 tasks takes seconds
      // on a busy machine); the removal test shortens it for itself.
      agentPingTimeoutMs: 300,
      maxAgentPingTimeouts: 3,
      agentRemovalTimeoutMs: 10 * 60_000,
    });
    nc = await connectNats({ servers: nats.url, name: 'agent-faults-test' });
    agentId = await startAgent();
    fw = new FaultFramework(nats.url, { name: 'agent-faults' });
    await fw.driver.start();
    fw.want(
      ids.map((taskId) =>
        taskId.startsWith('native')
          ? { taskId, command: starts.command('sleep 600') }
          : { taskId, command: 'sleep 600', container: DOCKER },
      ),
    );
    await eventually(() => fw.inState('TASK_RUNNING').length === 20, '20 tasks running', 40_000);
  }, 180_000);

  afterAll(async () => {
    await fw?.stop(false).catch(() => undefined);
    await procs.killAll();
    if (agentId) await removeAgentLeftovers(agentId);
    await nc?.drain().catch(() => undefined);
    await master?.stop().catch(() => undefined);
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('(2) kill -9 the agent with 20 running tasks (native and Docker); restarted, it re-attaches all of them', async () => {
    const natives = ids.filter((id) => id.startsWith('native'));
    const sleeps = () => new Map(natives.map((id) => [id, pidsRunning(`agora/${agentId}/${id}`, 'sleep')]));
    const pidsBefore = await eventually(() => {
      const m = sleeps();
      return [...m.values()].every((p) => p.length === 1) ? m : undefined;
    }, 'every native sleep started');
    const containersBefore = (await containersOf(agentId)).map((c) => c.id).sort();
    originalContainers = containersBefore;
    const dockerVictimId = (await containersOf(agentId)).find((c) => c.taskId === 'docker-13')!.id;
    expect(containersBefore).toHaveLength(10);
    await agent.kill('SIGKILL');
    // While the agent is dead, one native task and one container end: the restarted agent must report how.
    expect(killTaskProcesses(`agora/${agentId}/native-3`)).toBeGreaterThan(0);
    await dockerClient()
      .getContainer((await containersOf(agentId)).find((c) => c.taskId === 'docker-13')!.id)
      .kill();
    expect(await startAgent()).toBe(agentId);
    await eventually(
      async () => (await agentTasks()).filter((t) => t.state === 'TASK_RUNNING').length === 18,
      'the agent reports 18 running',
      20_000,
    );
    await eventually(
      () => fw.latest.get('native-3')?.state === 'TASK_FAILED' && fw.latest.get('docker-13')?.state === 'TASK_FAILED',
      'both exits during the outage reported',
      15_000,
    );
    const pidsAfter = sleeps();
    expect(natives.filter((id) => id !== 'native-3').map((id) => [id, pidsAfter.get(id)])).toEqual(
      natives.filter((id) => id !== 'native-3').map((id) => [id, pidsBefore.get(id)]),
    );
    expect((await containersOf(agentId)).map((c) => c.id).sort()).toEqual(
      containersBefore.filter((id) => id !== dockerVictimId),
    );
    const state = (await (
      await fetch(`${master.httpUrl}/api/v1/state`, withToken(readAdminToken(join(dir, 'master'))))
    ).json()) as { tasks: { id: string; state: string }[] };
    expect(
      state.tasks
        .filter((t) => t.state === 'TASK_RUNNING')
        .map((t) => t.id)
        .sort(),
    ).toEqual(ids.filter((id) => id !== 'native-3' && id !== 'docker-13').sort());
    // Re-attached, not merely remembered: exits after the restart are still seen and reported.
    expect(killTaskProcesses(`agora/${agentId}/native-5`)).toBeGreaterThan(0);
    await dockerClient()
      .getContainer((await containersOf(agentId)).find((c) => c.taskId === 'docker-15')!.id)
      .kill();
    await eventually(
      () => fw.latest.get('native-5')?.state === 'TASK_FAILED' && fw.latest.get('docker-15')?.state === 'TASK_FAILED',
      'both exits after the restart reported',
      15_000,
    );
    // A task that ended is reported with how it ended, once: never also TASK_LOST.
    expect(fw.updates.filter((u) => u.state === 'TASK_LOST').map((u) => u.taskId)).toEqual([]);
    const lost = ids.filter((id) => !ENDED.includes(id) && fw.latest.get(id)?.state !== 'TASK_RUNNING').length;
    const duplicated = await duplicatedLaunches();
    report('agent kill -9 (20 tasks, native+docker; 2 end during the outage)', {
      lost,
      duplicatedLaunches: duplicated,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
  }, 180_000);

  it('(3) SIGSTOP past the ping timeout: TASK_UNREACHABLE reaches the framework; SIGCONT: RUNNING again, nothing duplicated', async () => {
    const live = ids.filter((id) => fw.latest.get(id)?.state === 'TASK_RUNNING');
    expect(live).toHaveLength(16);
    const seen = fw.updates.length;
    agent.signal('SIGSTOP');
    await eventually(
      () => live.every((id) => fw.latest.get(id)?.state === 'TASK_UNREACHABLE'),
      'TASK_UNREACHABLE for every task',
      10_000,
    );
    // Partition-aware reconciliation: a known and an unknown task on the unreachable agent are both UNREACHABLE.
    expect(await reconcile([live[0], 'never-launched-1'])).toEqual({
      [live[0]]: 'TASK_UNREACHABLE',
      'never-launched-1': 'TASK_UNREACHABLE',
    });
    agent.signal('SIGCONT');
    await eventually(() => live.every((id) => fw.latest.get(id)?.state === 'TASK_RUNNING'), 'RUNNING again', 10_000);
    const after = fw.updates.slice(seen);
    const lost = live.filter((id) => !after.some((u) => u.taskId === id && u.state === 'TASK_UNREACHABLE')).length;
    const duplicatedUpdates = live.reduce(
      (n, id) =>
        n + Math.max(0, after.filter((u) => u.uuid && u.taskId === id && u.state === 'TASK_UNREACHABLE').length - 1),
      0,
    );
    const duplicated = await duplicatedLaunches();
    report('agent SIGSTOP/SIGCONT (16 tasks)', {
      lost,
      duplicatedLaunches: duplicated,
      redeliveredUpdates: duplicatedUpdates,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect((await agentTasks()).filter((t) => t.state === 'TASK_RUNNING')).toHaveLength(16);
  }, 90_000);

  it('removal: stopped past --agent-removal-timeout, its tasks are TASK_GONE; when it returns it kills them', async () => {
    const live = ids.filter((id) => fw.latest.get(id)?.state === 'TASK_RUNNING');
    (master.master.config as { agentRemovalTimeoutMs: number }).agentRemovalTimeoutMs = 3000; // --agent-removal-timeout 3s from here on
    agent.signal('SIGSTOP');
    await eventually(
      () => live.every((id) => fw.latest.get(id)?.state === 'TASK_GONE'),
      'TASK_GONE for every task',
      15_000,
    );
    const removed = (await (
      await fetch(`${master.httpUrl}/api/v1/state`, withToken(readAdminToken(join(dir, 'master'))))
    ).json()) as { agents: { id: string }[]; tasks: { id: string; state: string }[] };
    expect(removed.agents.map((a) => a.id)).not.toContain(agentId);
    expect(await reconcile([live[0], 'never-launched-2'])).toEqual({
      [live[0]]: 'TASK_GONE',
      'never-launched-2': 'TASK_GONE',
    });
    agent.signal('SIGCONT');
    await eventually(async () => (await agentTasks()).length === 0, 'the returning agent killed its tasks', 15_000);
    await eventually(() => processesUnder(`agora/${agentId}`).length === 0, 'no native task process left', 10_000);
    await eventually(
      async () => (await containersOf(agentId)).every((c) => c.state !== 'running'),
      'no container running',
      10_000,
    );
    // TASK_GONE is terminal: the kills the returning agent carries out are not reported as new states.
    // Negative window: a busy machine can only hide a wrong late update here, never make one up.
    await new Promise((r) => setTimeout(r, 500));
    const afterGone = live.flatMap((id) =>
      fw.updates
        .slice(fw.updates.findIndex((u) => u.taskId === id && u.state === 'TASK_GONE') + 1)
        .filter((u) => u.taskId === id && u.uuid)
        .map((u) => `${id}: ${u.state}`),
    );
    expect(afterGone).toEqual([]);
    const lost = live.filter((id) => !fw.updates.some((u) => u.taskId === id && u.state === 'TASK_GONE')).length;
    const duplicated = await duplicatedLaunches();
    report('agent removal (16 tasks)', { lost, duplicatedLaunches: duplicated });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
  }, 120_000);
});
