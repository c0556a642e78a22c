/**
 * `agora up` leaves nothing behind, whatever ends it (issue 11):
 *  - a second `agora up` on the same data dir refuses at once, naming the first's pid; the first is unharmed;
 *    so does a standalone `agora master` on the master's data dir;
 *  - SIGKILL of `agora up` (as the OOM killer would): every process under it — nats-server, master, agent,
 *    frameworks and the running task — ends, its ports are free, and the next `agora up` on the data dir starts;
 *  - SIGHUP (a closed terminal) is an orderly stop: exit 0, and the agent removes its cgroups.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../harness/cluster';
import { freePort } from '../harness/nats-server';
import {
  AGORA,
  agoraAsync,
  describePids,
  killAgoraUp,
  portIsFree,
  processTree,
  startAgoraUp,
  stillRunning,
  type AgoraUp,
} from '../harness/agora-up';

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];

/** The agent's cgroup directories that exist now (v1: one per controller; v2: one). */
function agentCgroupDirs(agentId: string): string[] {
  const dirs = existsSync('/sys/fs/cgroup/cgroup.controllers')
    ? [`/sys/fs/cgroup/agora/${agentId}`]
    : V1_CONTROLLERS.map((c) => `/sys/fs/cgroup/${c}/agora/${agentId}`);
  return dirs.filter((d) => existsSync(d));
}

async function json<T>(u: AgoraUp, url: string): Promise<T> {
  return (await u.fetch(url)).json() as Promise<T>;
}

/** Starts a long task through `agora run` (a client that waits for it) and resolves once the master has it running. */
async function runLongTask(up: AgoraUp, seconds: number): Promise<ChildProcess> {
  const client = spawn(
    process.execPath,
    [AGORA, 'run', '--nats', up.natsUrl, '--master', up.masterUrl, '--quiet', '--', 'sleep', String(seconds)],
    { stdio: 'ignore', env: { ...process.env, AGORA_LOG_LEVEL: 'warn' } },
  );
  await eventually(
    async () => (await json<{ total: number }>(up, `${up.masterUrl}/api/v1/tasks?state=running`)).total === 1,
    'the long task to run',
    30_000,
  );
  return client;
}

describe('agora up: one per data dir, and nothing left behind when it ends', () => {
  let dir: string;
  let up: AgoraUp | undefined;
  const clients: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-up-life-'));
    chmodSync(dir, 0o755); // sandboxes stay in the data dir (the task user must reach them)
    up = await startAgoraUp({ dataDir: dir });
    await eventually(
      async () => (await json<{ agents: unknown[] }>(up!, `${up!.masterUrl}/api/v1/agents`)).agents.length === 1,
      'the agent to register',
      30_000,
    );
  }, 300_000);

  afterAll(() => {
    killAgoraUp(up);
    for (const c of clients) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second agora up on the same data dir refuses at once, naming the first; the first still serves', async () => {
    const second = await agoraAsync([
      'up',
      '--nats-port',
      String(await freePort()),
      '--http-port',
      String(await freePort()),
      '--data-dir',
      dir,
    ]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`the data dir ${dir} is in use by agora up (pid ${up!.proc.pid}`);
    expect(second.stderr).not.toMatch(/cluster is up/);
    expect((await fetch(`${up!.masterUrl}/health`)).ok).toBe(true);
    expect(up!.proc.exitCode).toBeNull();
  });

  it("a standalone agora master on the master's data dir refuses too, naming the running master", async () => {
    const masterPid = processTree(up!.proc.pid!).find((pid) => describePids([pid]).includes('agora-master'));
    const r = await agoraAsync([
      'master',
      '--nats',
      up!.natsUrl,
      '--http-port',
      String(await freePort()),
      '--data-dir',
      join(dir, 'master'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`is in use by agora master (pid ${masterPid}`);
    expect((await fetch(`${up!.masterUrl}/health`)).ok).toBe(true);
  });

  it('SIGKILL of agora up: every process under it ends (its task too), its ports are free, and agora up starts again', async () => {
    const seconds = 7000 + Math.floor(Math.random() * 1000);
    clients.push(await runLongTask(up!, seconds));
    // The task's init execs its command after launch() returns: wait until the command is in the tree.
    const wanted = new RegExp(`nats-server.*agora-master.*agora-agent.*sleep ${seconds}`, 's');
    const tree = await eventually(
      () => {
        const t = processTree(up!.proc.pid!);
        return wanted.test(describePids(t)) ? t : undefined;
      },
      `the task's sleep ${seconds} under agora up`,
      20_000,
      100,
    );
    expect(describePids(tree)).toMatch(wanted);
    const { natsPort, httpPort } = up!;

    process.kill(up!.proc.pid!, 'SIGKILL');
    expect(await up!.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await eventually(
      () => stillRunning(tree).length === 0,
      `every process under agora up to end (left: ${describePids(stillRunning(tree))})`,
      10_000,
      100,
    );
    expect(await portIsFree(natsPort)).toBe(true);
    expect(await portIsFree(httpPort)).toBe(true);

    // What a user does next: start again, on the same data dir and ports. The dead one's lock is stale.
    up = await startAgoraUp({ dataDir: dir, natsPort, httpPort, extraArgs: ['--no-frameworks'] });
    expect((await fetch(`${up.masterUrl}/health`)).ok).toBe(true);
  }, 300_000);

  it("SIGHUP is an orderly stop: exit 0, nothing left running, the agent's cgroups removed, the lock released", async () => {
    await eventually(
      async () => (await json<{ agents: unknown[] }>(up!, `${up!.masterUrl}/api/v1/agents`)).agents.length >= 1,
      'the agent to register',
      30_000,
    );
    clients.push(await runLongTask(up!, 7000 + Math.floor(Math.random() * 1000)));
    const { agents } = await json<{ agents: { id: string }[] }>(up!, `${up!.masterUrl}/api/v1/agents`);
    const agentId = agents[0]!.id;
    expect(agentCgroupDirs(agentId).length).toBeGreaterThan(0);
    const tree = processTree(up!.proc.pid!);

    process.kill(up!.proc.pid!, 'SIGHUP');
    expect(await up!.exited).toEqual({ code: 0, signal: null });
    expect(up!.output()).toMatch(/SIGHUP: stopping every component/);
    // Helpers of the children (tsx's esbuild service, the agent's launch server) end on their pipe's EOF, just after.
    await eventually(
      () => stillRunning(tree).length === 0,
      `every process under agora up to end (left: ${describePids(stillRunning(tree))})`,
      10_000,
      100,
    );
    expect(agentCgroupDirs(agentId)).toEqual([]);
    expect(existsSync(join(dir, 'agora.lock'))).toBe(false);
  }, 300_000);
});
