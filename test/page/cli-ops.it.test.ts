/**
 * The operator CLI (cli/commands/ops.ts) against a real cluster: `agents`, `frameworks`, `tasks --state`,
 * `task`, `logs [--stderr] [--follow]`, `agents drain|undrain` and `agent drain|undrain` (beside the
 * `agora agent` daemon passthrough), `events`; tables, --json, exit codes. Most commands run in this process
 * through the real commander program (`buildProgram`, ~3 s saved per command); `bin/agora` itself is run for
 * a table, the daemon passthrough and the event stream.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildProgram } from '../../cli/main';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';

jest.setTimeout(180_000);

const AGORA = join(__dirname, '..', '..', 'bin', 'agora');
let cluster: TestCluster;
let fw: QueueFramework;

function agora(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [AGORA, ...args], {
      env: { ...process.env, AGORA_MASTER: cluster.masterHttpUrl, AGORA_TOKEN: cluster.token, NO_COLOR: '1' },
    });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs `agora …` in this process, capturing what it prints and its exit code. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [],
    err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.env.AGORA_MASTER = cluster.masterHttpUrl;
  process.env.AGORA_TOKEN = cluster.token;
  process.stdout.write = ((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await buildProgram()
      .exitOverride()
      .parseAsync(['node', 'agora', ...args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

beforeAll(async () => {
  cluster = await startCluster();
  fw = new QueueFramework(cluster.natsUrl, { name: 'cli-ops' });
  await fw.driver.start();
  fw.add({ taskId: 'server', resources: 'cpus:0.1;mem:32', command: 'echo serving; echo warning >&2; sleep 600' });
  fw.add({
    taskId: 'counter',
    resources: 'cpus:0.1;mem:32',
    command: 'for i in 1 2 3 4; do echo line-$i; sleep 0.4; done',
  });
  await eventually(() => fw.latest.get('server')?.state === 'TASK_RUNNING', 'server running');
});

afterAll(async () => {
  await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

it('lists agents, frameworks and tasks as tables and JSON', async () => {
  const agents = await agora('agents');
  const agentsJson = await cli('agents', '--json'); // in-process runs capture stdout: one at a time
  const frameworks = await cli('frameworks');
  const running = await cli('tasks', '--state', 'running');
  const tasksJson = await cli('tasks', '--json');
  expect(agents.stdout).toMatch(/^ID\s+HOSTNAME\s+STATE\s+CPUS/);
  expect(agents.stdout).toMatch(/agent-0\s+ACTIVE\s+0\.[12]\/4/);
  expect(JSON.parse(agentsJson.stdout)[0].hostname).toBe('agent-0');
  expect(frameworks.stdout).toMatch(/cli-ops\s+\*\s+connected/);
  expect(running.stdout).toMatch(/server\s+server\s+RUNNING/);
  expect(JSON.parse(tasksJson.stdout).total).toBeGreaterThanOrEqual(2);
});

it('shows one task with its status history, and 404s as exit code 4', async () => {
  const t = await cli('task', 'server');
  expect(t.code).toBe(0);
  expect(t.stdout).toMatch(/state\s+TASK_RUNNING/);
  expect(t.stdout).toMatch(/TIME\s+STATE\s+REASON/);
  const missing = await cli('task', 'nope');
  expect(missing.code).toBe(4);
  expect(missing.stderr).toMatch(/error: no task 'nope'/);
  const bad = await cli('tasks', '--state', 'sleepy');
  expect(bad.code).toBe(2);
});

it('prints and follows logs through the files API', async () => {
  const out = await cli('logs', 'server');
  const err = await cli('logs', 'server', '--stderr');
  expect(out.stdout).toBe('serving\n');
  expect(err.stdout).toBe('warning\n');
  await eventually(() => fw.latest.get('counter')?.state === 'TASK_FINISHED', 'counter to finish printing', 20_000);
  expect((await cli('logs', 'counter')).stdout).toBe('line-1\nline-2\nline-3\nline-4\n');
  fw.add({
    taskId: 'streamer',
    resources: 'cpus:0.1;mem:32',
    command: 'for i in 1 2 3 4 5; do echo part-$i; sleep 0.4; done',
  });
  await eventually(() => fw.latest.get('streamer')?.state === 'TASK_RUNNING', 'streamer running');
  const followed = await cli('logs', 'streamer', '--follow');
  expect(followed.code).toBe(0);
  // It waited for the task to write and end: part-5 is written last, after the task's sleeps (no elapsed ms).
  expect(followed.stdout).toBe('part-1\npart-2\npart-3\npart-4\npart-5\n');
});

it('follows logs across rotations, losing nothing, and reads the newest output of a rotated log', async () => {
  // ~1 KiB files, 3 kept; 400 lines of 9 bytes written 4 every 50 ms: three rotations while the CLI follows
  // (it polls every 500 ms, far less than the 3 KiB kept between two of its reads).
  fw.add({
    taskId: 'rotating',
    resources: 'cpus:0.1;mem:32',
    logRotation: { maxSizeMb: 1 / 1024, maxFiles: 3 },
    command:
      'i=0; while [ $i -lt 400 ]; do printf "row-%04d\\n" $i; i=$((i+1)); [ $((i % 4)) -eq 0 ] && sleep 0.05; done',
  });
  await eventually(() => fw.latest.get('rotating')?.state === 'TASK_RUNNING', 'rotating running');
  const followed = await cli('logs', 'rotating', '--follow');
  const rows = Array.from({ length: 400 }, (_, i) => `row-${String(i).padStart(4, '0')}\n`).join('');
  expect(followed.stdout).toBe(rows);
  const tail = await cli('logs', 'rotating', '--tail', '18');
  expect(tail.stdout).toBe('row-0398\nrow-0399\n');
  const list = (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/tasks/rotating/files`).then((r) => r.json())) as {
    files: { path: string; size: number }[];
  };
  const kept = list.files.filter((f) => /^stdout(\.\d+)?$/.test(f.path));
  expect(kept.map((f) => f.path).sort()).toEqual(['stdout', 'stdout.1', 'stdout.2']);
  expect(kept.reduce((n, f) => n + f.size, 0)).toBeLessThanOrEqual(3 * 1024);
  const whole = await cli('logs', 'rotating');
  expect(whole.stdout).toBe(rows.slice(3600 - kept.reduce((n, f) => n + f.size, 0)));
  expect(whole.stderr).toMatch(/rotated away/);
});

it('drains and undrains under both `agora agents` and `agora agent`, keeping the daemon passthrough', async () => {
  const id = cluster.agents[0].agent.id;
  const drained = await cli('agent', 'drain', id, '--deadline', '10m');
  expect(drained.stdout).toMatch(/DRAINING, tasks killed after/);
  expect((await cli('agents', 'undrain', id)).stdout).toMatch(/: ACTIVE/);
  expect((await cli('agents', 'drain', id, '--deadline', 'soon')).code).toBe(2);
  expect((await cli('agents', 'drain', 'nobody')).code).toBe(4);
  expect(JSON.parse((await cli('agent', 'undrain', id, '--json')).stdout).state).toBe('ACTIVE');
  const daemonHelp = await agora('agent', '--help');
  expect(daemonHelp.stdout).toMatch(/Run an Agora agent/);
});

it('follows the event stream', async () => {
  const p = spawn(process.execPath, [AGORA, 'events', '--types', 'TASK_UPDATED'], {
    env: { ...process.env, AGORA_MASTER: cluster.masterHttpUrl, AGORA_TOKEN: cluster.token, NO_COLOR: '1' },
  });
  let out = '',
    err = '';
  p.stdout.on('data', (d) => {
    out += d;
  });
  p.stderr.on('data', (d) => {
    err += d;
  });
  try {
    await eventually(() => /following the events of master-/.test(err), 'the CLI connected', 20_000);
    fw.add({ taskId: 'announced', resources: 'cpus:0.1;mem:32', command: 'true' });
    await eventually(() => /TASK_UPDATED\s+announced TASK_FINISHED/.test(out), 'event printed', 15_000);
  } finally {
    p.kill('SIGTERM');
  }
});
