/**
 * `--completed-task-history N`: the master keeps the N most recently completed tasks for the API and for
 * reconciliation, and forgets older ones (a master process started with the flag; agent and framework here).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskStatus } from 'agora/sdk';
import { startAgent, type RunningAgent } from '../../agent/main';
import { eventually } from '../harness/cluster';
import { NatsServer, freePort } from '../harness/nats-server';
import { QueueFramework } from '../harness/queue-framework';
import { Processes, removeAgentLeftovers } from './processes';
import { readAdminToken, withToken } from '../harness/auth';

describe('completed task history is bounded by --completed-task-history', () => {
  const procs = new Processes();
  let dir: string;
  let nats: NatsServer;
  let agent: RunningAgent | undefined;
  let fw: QueueFramework | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-faults-'));
    chmodSync(dir, 0o755);
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await fw?.driver.stop({ failover: false }).catch(() => undefined);
    await agent?.stop({ killTasks: true }).catch(() => undefined);
    if (agent) await removeAgentLeftovers(agent.agent.id);
    await procs.killAll();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the 5 latest completed tasks, answers reconciliation for those, and forgets the rest', async () => {
    const httpPort = await freePort();
    const master = procs.master(nats.url, join(dir, 'master'), httpPort, ['--completed-task-history', '5']);
    await master.waitForLog(/master listening/);
    agent = await startAgent({
      natsUrl: nats.url,
      hostname: 'history',
      workDir: join(dir, 'agent'),
      resources: 'cpus:2;mem:2048;disk:1000',
      containerizers: ['native'],
    });
    fw = new QueueFramework(nats.url, { name: 'history' });
    await fw.driver.start();
    // One after another, so "most recent" is well defined.
    for (let i = 0; i < 12; i++) {
      fw.add({ taskId: `done-${i}`, resources: 'cpus:0.1;mem:16', command: `exit ${i % 2}` });
      await eventually(
        () => ['TASK_FINISHED', 'TASK_FAILED'].includes(fw!.latest.get(`done-${i}`)?.state ?? ''),
        `done-${i} ended`,
      );
    }
    const state = (await (
      await fetch(`http://127.0.0.1:${httpPort}/api/v1/state`, withToken(readAdminToken(join(dir, 'master'))))
    ).json()) as { tasks: { id: string; state: string }[] };
    expect(state.tasks.map((t) => t.id).sort()).toEqual(['done-10', 'done-11', 'done-7', 'done-8', 'done-9']);
    expect(state.tasks.find((t) => t.id === 'done-8')?.state).toBe('TASK_FINISHED');
    expect(state.tasks.find((t) => t.id === 'done-9')?.state).toBe('TASK_FAILED');

    const answers: TaskStatus[] = [];
    const seen = fw.updates.length;
    await fw.driver.reconcile([
      { taskId: 'done-9', agentId: agent.agent.id },
      { taskId: 'done-0', agentId: agent.agent.id },
      { taskId: 'done-1' },
    ]);
    await eventually(() => {
      answers.splice(0, answers.length, ...fw!.updates.slice(seen).filter((u) => u.reason === 'RECONCILIATION'));
      return answers.length === 3;
    }, 'three reconciliation answers');
    const byId = new Map<string, string>(answers.map((a) => [a.taskId, a.state]));
    expect(byId.get('done-9')).toBe('TASK_FAILED'); // kept: its true terminal state
    expect(byId.get('done-0')).toBe('TASK_GONE'); // forgotten, on a registered agent that no longer reports it
    expect(byId.get('done-1')).toBe('TASK_UNKNOWN'); // forgotten, agent not named
  }, 180_000);
});
