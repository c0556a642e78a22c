/**
 * Through the whole stack (SDK → master → agent → containerizer): a Docker task, `agora run --image`, and
 * health checks whose verdicts reach the framework as `healthy` in status updates.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { sandboxPath } from '../../agent/task-runner';
import { readFileSync } from 'node:fs';

const IMAGE = 'agora-busybox:latest';

function run(args: string[], token: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'agora'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // agora run reads the task's output through the master's file API, which needs a token
      env: { ...process.env, AGORA_TOKEN: token },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('exit', (code) => resolve({ stdout, stderr, code }));
  });
}

describe('containers and health through the stack', () => {
  let cluster: TestCluster;
  let fw: QueueFramework;
  beforeAll(async () => {
    cluster = await startCluster({ agents: [{ containerizers: ['native', 'docker'] }] });
    fw = new QueueFramework(cluster.natsUrl, { name: 'containers' });
    await fw.driver.start();
  });
  afterAll(async () => {
    await fw?.driver.stop({ failover: false });
    await cluster?.stop();
  });

  it('advertises both containerizers and runs a Docker task to completion with its output', async () => {
    const agents = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/agents`)).json()) as {
      agents: { containerizers: string[] }[];
    };
    expect(agents.agents[0].containerizers).toEqual(['native', 'docker']);
    fw.add({
      taskId: 'in-docker',
      resources: 'cpus:0.2;mem:64',
      command: 'echo "sh is $(readlink /bin/sh)"; exit 4',
      container: { type: 'DOCKER', image: IMAGE },
    });
    const s = await eventually(
      () => fw.finished().find((x) => x.taskId === 'in-docker'),
      'the docker task to end',
      30_000,
    );
    expect(s).toMatchObject({ state: 'TASK_FAILED', exitCode: 4 });
    const out = readFileSync(
      join(sandboxPath(cluster.agents[0].agent.sandboxRoot, fw.driver.frameworkId, 'in-docker'), 'stdout'),
      'utf8',
    );
    expect(out).toBe('sh is busybox\n'); // on the host /bin/sh is dash: this ran in the image
  });

  it('fails a Docker task whose image is missing with LAUNCH_FAILED naming the image', async () => {
    fw.add({
      taskId: 'no-image',
      resources: 'cpus:0.1;mem:32',
      command: 'true',
      container: { type: 'DOCKER', image: 'agora-missing:never', pullPolicy: 'never' },
    });
    const s = await eventually(() => fw.finished().find((x) => x.taskId === 'no-image'), 'the launch failure', 30_000);
    expect(s).toMatchObject({ state: 'TASK_FAILED', reason: 'LAUNCH_FAILED' });
    expect(s.message).toMatch(/agora-missing:never/);
  });

  it('reports health turning from failing to passing (COMMAND check)', async () => {
    const hc = {
      type: 'COMMAND' as const,
      command: 'test -f ready',
      gracePeriodSeconds: 0,
      intervalSeconds: 0.3,
      timeoutSeconds: 2,
      consecutiveFailures: 1,
    };
    fw.add({
      taskId: 'becomes-healthy',
      resources: 'cpus:0.1;mem:32',
      command: 'sleep 1.5; touch ready; sleep 600',
      healthCheck: hc,
    });
    await eventually(
      () => fw.updates.some((u) => u.taskId === 'becomes-healthy' && u.healthy === true),
      'healthy: true',
      20_000,
    );
    const verdicts = fw.updates
      .filter((u) => u.taskId === 'becomes-healthy' && u.healthy !== undefined)
      .map((u) => u.healthy);
    expect(verdicts[0]).toBe(false);
    expect(verdicts.at(-1)).toBe(true);
    expect(fw.latest.get('becomes-healthy')?.state).toBe('TASK_RUNNING');
    await fw.driver.kill('becomes-healthy');
  });

  it("reports an HTTP check passing against the task's own port", async () => {
    const hc = {
      type: 'HTTP' as const,
      portIndex: 0,
      path: '/',
      gracePeriodSeconds: 5,
      intervalSeconds: 0.3,
      timeoutSeconds: 2,
      consecutiveFailures: 1,
    };
    const port = Number(/ports:\[(\d+)-/.exec(cluster.agents[0].agent.config.resources ?? '')?.[1]); // one of the agent's own
    fw.add({
      taskId: 'web',
      resources: `cpus:0.1;mem:64;ports:[${port}-${port}]`,
      command: 'exec python3 -m http.server $PORT0 --bind 127.0.0.1',
      healthCheck: hc,
    });
    await eventually(
      () => fw.updates.some((u) => u.taskId === 'web' && u.healthy === true),
      'the HTTP check to pass',
      20_000,
    );
    expect(fw.latest.get('web')?.ports).toEqual([port]);
    await fw.driver.kill('web');
  });

  it('runs agora run --image in Docker', async () => {
    // Not spawnSync: the master runs in this process and must keep answering.
    const r = await run(
      [
        'run',
        '--quiet',
        '--nats',
        cluster.natsUrl,
        '--master',
        cluster.masterHttpUrl,
        '--image',
        IMAGE,
        '--',
        'sh',
        '-c',
        'echo hi from $(readlink /bin/sh); exit 2',
      ],
      cluster.token,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi from busybox\n');
    expect(r.code).toBe(2);
  });
});
