/**
 * The README's promise, as a user meets it: `agora up` brings up a cluster as child processes, `agora run`
 * runs a task against it (output and exit code), and SIGINT on `agora up` stops everything, tasks included.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../harness/cluster';
import { AGORA, agora, agoraAsync, killAgoraUp, startAgoraUp, type AgoraUp } from '../harness/agora-up';
import { dig } from '../harness/dig';

describe('agora up + agora run (subprocesses)', () => {
  let up: ChildProcess;
  let started: AgoraUp | undefined;
  let dir: string;
  let natsUrl: string;
  let httpPort: number;
  let dnsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-up-'));
    chmodSync(dir, 0o755);
    started = await startAgoraUp({ dataDir: dir });
    ({ proc: up, natsUrl, httpPort, dnsPort } = started);
    await eventually(
      async () =>
        ((await (await started!.fetch(`http://127.0.0.1:${httpPort}/api/v1/agents`)).json()) as { agents: unknown[] })
          .agents.length === 1,
      'the agent to register',
      20_000,
    );
  }, 180_000);

  afterAll(async () => {
    killAgoraUp(started);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the shipped frameworks, which register with the master', async () => {
    const names = await eventually(
      async () => {
        const r = (await (await started!.fetch(`http://127.0.0.1:${httpPort}/api/v1/frameworks`)).json()) as {
          frameworks: { name: string; connected: boolean }[];
        };
        const n = r.frameworks
          .filter((f) => f.connected)
          .map((f) => f.name)
          .sort();
        return n.includes('service') && n.includes('cron') ? n : undefined;
      },
      'service and cron to subscribe',
      30_000,
    );
    expect(names).toEqual(expect.arrayContaining(['cron', 'service']));
  });

  it("runs the cluster's DNS server on --dns-port, authoritative for agora.", async () => {
    const soa = await eventually(
      async () => {
        const r = await dig(dnsPort, 'agora', 'SOA');
        return r.answer.length === 1 ? r : undefined;
      },
      'the DNS server to answer',
      20_000,
    );
    expect(soa.flags).toContain('aa');
    expect(soa.answer[0].slice(0, 4)).toEqual(['agora.', '5', 'IN', 'SOA']);
    expect((await dig(dnsPort, 'nothing-here.agora', 'A', ['+tcp'])).status).toBe('NXDOMAIN');
  });

  it('sets and lists role weights and quotas through agora role', () => {
    // The CLI finds the admin token `agora up` wrote through AGORA_HOME, as on the machine running `npm start`.
    const env = { AGORA_MASTER: `http://127.0.0.1:${httpPort}`, AGORA_HOME: dir };
    const set = agora(['role', 'set', 'eng', '--weight', '2', '--quota', 'cpus:1;mem:256'], env);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/role eng: weight 2, guarantee cpus:1;mem:256/);
    const list = agora(['role', 'list', '--json'], env);
    expect(JSON.parse(list.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ role: 'eng', weight: 2, guarantee: 'cpus:1;mem:256' })]),
    );
    const table = agora(['role', 'list'], env);
    expect(table.stdout).toMatch(/^ROLE\s+WEIGHT/m);
    expect(table.stdout).toMatch(/^eng\s+2\s+cpus:1;mem:256/m);
    const bad = agora(['role', 'set', 'eng', '--quota', 'cpus:many'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/guarantee: resource 'cpus:many'/);
  });

  it('manages HTTP tokens through agora token; a revoked or too weak token is refused with exit code 6', async () => {
    // agoraAsync, not spawnSync: a blocked event loop would leave this process's idle HTTP connections to the master stale.
    const env = { AGORA_MASTER: `http://127.0.0.1:${httpPort}`, AGORA_HOME: dir };
    const none = await agoraAsync(['role', 'list'], {
      AGORA_MASTER: env.AGORA_MASTER,
      AGORA_HOME: join(dir, 'elsewhere'),
    });
    expect(none.status).toBe(6);
    expect(none.stderr).toMatch(/permission 'cluster:read' required/);
    const created = await agoraAsync(['token', 'create', '--role', 'viewer', '--name', 'ci', '--json'], env);
    expect(created.stderr).toBe('');
    const ci = JSON.parse(created.stdout) as { secret: string; accessor: string; role: string };
    expect(ci.role).toBe('viewer');
    const table = await agoraAsync(['token', 'list'], env);
    expect(table.stdout).toMatch(/^ACCESSOR\s+NAME\s+ROLE\s+CREATED/m);
    expect(table.stdout).toMatch(new RegExp(`^${ci.accessor}\\s+ci\\s+viewer`, 'm'));
    expect(table.stdout).not.toContain(ci.secret);
    const asViewer = { ...env, AGORA_TOKEN: ci.secret };
    expect((await agoraAsync(['role', 'list', '--json'], asViewer)).status).toBe(0);
    const denied = await agoraAsync(['role', 'set', 'ci-role', '--weight', '5'], asViewer);
    expect(denied.status).toBe(6);
    expect(denied.stderr).toMatch(/token 'ci' \(viewer\) lacks permission 'role:write'/);
    expect(
      JSON.parse((await agoraAsync(['role', 'list', '--json'], env)).stdout).map((r: { role: string }) => r.role),
    ).not.toContain('ci-role');
    expect((await agoraAsync(['token', 'revoke', 'ci'], env)).stdout).toMatch(/revoked token ci \(viewer/);
    const revoked = await agoraAsync(['role', 'list'], asViewer);
    expect(revoked.status).toBe(6);
    expect(revoked.stderr).toMatch(/unknown or revoked/);
    expect(
      (JSON.parse((await agoraAsync(['token', 'list', '--json'], env)).stdout) as { name: string }[]).map(
        (t) => t.name,
      ),
    ).toEqual(['bootstrap']);
  });

  it('prints the task output, its life, and exits with its exit code', () => {
    const r = agora(
      ['run', '--nats', natsUrl, '--master', `http://127.0.0.1:${httpPort}`, '--', 'sh', '-c', 'echo hello; exit 3'],
      { AGORA_HOME: dir },
    ); // the token agora up wrote (its output is read through the master's authorized file API)
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toMatch(/TASK_RUNNING/);
    expect(r.stderr).toMatch(/TASK_FAILED exit code 3/);
    expect(r.status).toBe(3);
  });

  it('passes --env, --name, --cpus and --mem, and reaches the cluster through AGORA_NATS and AGORA_MASTER', async () => {
    const r = agora(
      [
        'run',
        '--name',
        'greeter',
        '--cpus',
        '0.2',
        '--mem',
        '48',
        '--env',
        'GREETING=hi there',
        '--',
        'echo "$GREETING from $AGORA_TASK_NAME"',
      ],
      { AGORA_NATS: natsUrl, AGORA_MASTER: `http://127.0.0.1:${httpPort}`, AGORA_HOME: dir },
    );
    expect(r.stdout).toBe('hi there from greeter\n');
    expect(r.status).toBe(0);
    const tasks = (await (await started!.fetch(`http://127.0.0.1:${httpPort}/api/v1/tasks?name=greeter`)).json()) as {
      tasks: { resources: string; state: string }[];
    };
    expect(tasks.tasks[0]).toMatchObject({ resources: 'cpus:0.2;mem:48', state: 'TASK_FINISHED' });
  });

  it('says clearly when the cluster cannot be reached', () => {
    const r = agora(['run', '--nats', 'nats://127.0.0.1:1', '--', 'true']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the cluster/);
  });

  it('stops every component and running task on SIGINT', async () => {
    // A duration no other test on this machine uses (two suites may run at once): pgrep below finds only ours.
    const secs = `300.${process.pid}`;
    const longRun = spawn(process.execPath, [AGORA, 'run', '--nats', natsUrl, '--quiet', '--', 'sleep', secs], {
      stdio: 'ignore',
      env: { ...process.env, AGORA_LOG_LEVEL: 'warn' },
    });
    await eventually(
      async () =>
        (
          (await (await started!.fetch(`http://127.0.0.1:${httpPort}/api/v1/tasks?state=running`)).json()) as {
            total: number;
          }
        ).total === 1,
      'the long task to run',
    );
    const exited = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
    // As Ctrl-C in a terminal does: SIGINT to the whole process group of `agora up` (spawned detached here).
    process.kill(-up.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(spawnSync('pgrep', ['-f', dir]).stdout.toString().trim()).toBe('');
    expect(spawnSync('pgrep', ['-x', 'sleep', '-a']).stdout.toString()).not.toContain(`sleep ${secs}`);
    longRun.kill('SIGKILL');
  });
});
