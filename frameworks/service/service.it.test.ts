/**
 * End to end: a real nats-server, a master and three agents (hostnames agent-0..2, attribute rack r1..r3),
 * the service framework in this process, spoken to only through its NATS API.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { serviceClient } from '../../test/harness/service-client';
import { startService, type RunningService } from './main';

jest.setTimeout(360_000);

let cluster: TestCluster;
let svc: RunningService;
let nc: NatsConnection;

const { api, show, deployment, removeApp } = serviceClient(() => nc);

beforeAll(async () => {
  cluster = await startCluster({
    agents: [0, 1, 2].map((i) => ({ hostname: `agent-${i}`, attributes: `rack:r${i + 1}` })),
  });
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: createLogger('service', { level: 'silent' }),
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'service-it' });
});
afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
});

const small = { cpus: 0.1, mem: 16 };

it('places 3 of 5 UNIQUE-hostname instances and says why 2 wait', async () => {
  await api({
    type: 'deploy',
    app: { id: '/uniq', cmd: 'sleep 1000', instances: 5, ...small, constraints: [['hostname', 'UNIQUE']] },
  });
  const app = await eventually(async () => {
    const a = await show('/uniq');
    return a.ready === 3 && a.waiting ? a : undefined;
  }, '3 ready, 2 waiting');
  expect(new Set(app.instanceList.map((i) => i.hostname))).toEqual(new Set(['agent-0', 'agent-1', 'agent-2']));
  // How many offers the last cycle saw depends on when each agent's offer came back: the reason is what counts.
  expect(app.waiting).toMatch(/^waiting: \d+ offers? violated UNIQUE hostname$/);
  expect(app.deployment?.state).toBe('RUNNING');
  await removeApp('/uniq');
});

it('spreads GROUP_BY rack evenly', async () => {
  // With the number of racks given (Marathon's ["rack", "GROUP_BY", "3"]): without it a framework knows only the
  // racks of the offers in front of it, and a busy machine may show it one agent's offer at a time.
  const { deploymentId } = await api({
    type: 'deploy',
    app: { id: '/spread', cmd: 'sleep 1000', instances: 6, ...small, constraints: [['rack', 'GROUP_BY', '3']] },
  });
  await eventually(async () => (await deployment(deploymentId!)).state === 'SUCCEEDED', 'spread deployment done');
  const app = await show('/spread');
  const perRack = new Map<string, number>();
  for (const i of app.instanceList) {
    const r = i.attributes.find((a) => a.name === 'rack')!.text!;
    perRack.set(r, (perRack.get(r) ?? 0) + 1);
  }
  expect(Object.fromEntries(perRack)).toEqual({ r1: 2, r2: 2, r3: 2 });
  expect(app.endpoints.length).toBe(6);
  await removeApp('/spread');
});

it('rolls 6 instances to a new version never below 3 ready (sampled every 100 ms)', async () => {
  const def = {
    id: '/roll',
    cmd: 'sleep 1001',
    instances: 6,
    ...small,
    upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
  };
  const first = await api({ type: 'deploy', app: def });
  await eventually(async () => (await deployment(first.deploymentId!)).state === 'SUCCEEDED', 'v1 up');
  const second = await api({ type: 'deploy', app: { ...def, cmd: 'sleep 1002' } });
  const samples: number[] = [];
  for (;;) {
    const [app, dep] = await Promise.all([show('/roll'), deployment(second.deploymentId!)]);
    samples.push(app.ready);
    if (dep.state !== 'RUNNING') {
      expect(dep.state).toBe('SUCCEEDED');
      break;
    }
    if (samples.length > 400) throw new Error('rolling upgrade did not finish in ~40 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(3);
  const app = await show('/roll');
  expect(app.instanceList.map((i) => i.version)).toEqual([2, 2, 2, 2, 2, 2]);
  expect(app.ready).toBe(6);
  await removeApp('/roll');
});

it('backs off a crash-looping app: relaunch delays grow as configured', async () => {
  // At each launch, the framework's backoff state for the app and the framework's clock (Date.now).
  const launches: { at: number; delayMs: number; notBefore: number; failures: number }[] = [];
  const launch = svc.driver.launch.bind(svc.driver);
  svc.driver.launch = async (offerIds, tasks, filters) => {
    const backoff = svc.framework.apps.get('/crash')?.backoff;
    if (backoff && tasks.some((t) => t.name === '/crash')) launches.push({ at: Date.now(), ...backoff });
    return launch(offerIds, tasks, filters);
  };
  try {
    await api({
      type: 'deploy',
      app: {
        id: '/crash',
        cmd: 'sleep 0.1; exit 1',
        instances: 1,
        ...small,
        backoff: { backoffSeconds: 0.5, backoffFactor: 2, maxLaunchDelaySeconds: 2 },
      },
    });
    await eventually(() => launches.length >= 5, '5 launches', 30_000);
  } finally {
    svc.driver.launch = launch;
  }
  // The k-th relaunch is held back by the k-th delay: 0.5, 1, 2 s, then capped at maxLaunchDelaySeconds. No
  // elapsed ms (a busy machine only adds to them): the delays the framework applied, and that each launch came
  // no earlier than its notBefore on the framework's clock. The exact timing is backoff.test.ts's.
  expect(launches.slice(1, 5).map((l) => [l.failures, l.delayMs])).toEqual([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [4, 2000],
  ]);
  for (const l of launches.slice(1, 5)) expect(l.at).toBeGreaterThanOrEqual(l.notBefore);
  await removeApp('/crash');
});

it('replaces an instance whose process is killed directly', async () => {
  const { deploymentId } = await api({
    type: 'deploy',
    app: { id: '/victim', cmd: 'sleep 1077', instances: 1, ...small, backoff: { backoffSeconds: 0.2 } },
  });
  await eventually(async () => (await deployment(deploymentId!)).state === 'SUCCEEDED', 'victim up');
  const before = (await show('/victim')).instanceList[0].taskId;
  const pids = execFileSync('pgrep', ['-f', 'sleep 1077']).toString().trim().split('\n').map(Number);
  // pgrep also matches short-lived wrappers of the launch chain: one may be gone already (ESRCH).
  let killed = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  expect(killed).toBeGreaterThan(0);
  const after = await eventually(
    async () => {
      const a = await show('/victim');
      return a.ready === 1 && a.instanceList[0].taskId !== before ? a : undefined;
    },
    'a replacement',
    20_000,
  );
  expect(after.instanceList.length).toBe(1);
  await removeApp('/victim');
});

describe('the agora app CLI', () => {
  const cli = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(__dirname, '..', '..', 'bin', 'agora'), ...args, '--nats', cluster.natsUrl],
        { env: { ...process.env, AGORA_FROM_SOURCE: '1' }, timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('deploys with --wait, lists, shows, refuses a bad file, fails a stuck deployment, removes', async () => {
    const file = join(cluster.dir, 'cli-app.yaml');
    writeFileSync(file, 'id: /cli\ncmd: sleep 1200\ninstances: 2\ncpus: 0.1\nmem: 16\nports: [0]\n');
    const deployed = await cli('app', 'deploy', file, '--wait');
    expect(deployed.stderr).toMatch(/2\/2 ready\s+SUCCEEDED/);
    expect(deployed.code).toBe(0);
    const listed = await cli('app', 'list', '--json');
    // Only this test's app is asserted: an earlier test that failed may have left its own app behind.
    const cliApps = (JSON.parse(listed.stdout) as { id: string }[]).filter((a) => a.id === '/cli');
    expect(cliApps).toEqual([expect.objectContaining({ id: '/cli', ready: 2, instances: 2 })]);
    const shown = await cli('app', 'show', '/cli');
    expect(shown.stdout).toMatch(/endpoints: agent-\d:\d+ agent-\d:\d+/); // each agent's own leased port range
    expect(shown.stdout).toMatch(/^dns: cli\.agora\.  SRV _port0\._tcp\.cli\.agora\.$/m);

    writeFileSync(file, 'id: Bad\ninstances: -1\n');
    const bad = await cli('app', 'deploy', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/id: .*\n\s+instances: /);

    writeFileSync(
      file,
      JSON.stringify({
        id: '/stuck',
        cmd: 'sleep 1',
        cpus: 0.1,
        mem: 16,
        constraints: [['hostname', 'LIKE', 'nowhere']],
        deployment: { progressDeadlineSeconds: 1 },
      }),
    );
    const stuck = await cli('app', 'deploy', file, '--wait');
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toMatch(/FAILED/);
    const removed = await cli('app', 'remove', '/cli', '--wait');
    expect(removed.code).toBe(0);
    await removeApp('/stuck');
  });
});

it('rolls back by itself when a deployment makes no progress before its deadline', async () => {
  const def = {
    id: '/deadline',
    cmd: 'sleep 1300',
    instances: 2,
    ...small,
    deployment: { progressDeadlineSeconds: 1 },
  };
  const v1 = await api({ type: 'deploy', app: def });
  await eventually(async () => (await deployment(v1.deploymentId!)).state === 'SUCCEEDED', 'v1 up');
  const v1Tasks = (await show('/deadline')).instanceList.map((i) => i.taskId).sort();
  const v2 = await api({ type: 'deploy', app: { ...def, cmd: 'sleep 1301', constraints: [['rack', 'LIKE', 'r9']] } });
  const failed = await eventually(
    async () => {
      const d = await deployment(v2.deploymentId!);
      return d.state === 'FAILED' ? d : undefined;
    },
    'deadline passed',
    10_000,
  );
  expect(failed.message).toMatch(/no progress for 1s/);
  const rollback = (await api({ type: 'deployments', appId: '/deadline', all: true })).deployments.find(
    (d) => d.rollbackOf === v2.deploymentId,
  )!;
  await eventually(async () => (await deployment(rollback.id)).state === 'SUCCEEDED', 'rollback done');
  const app = await show('/deadline');
  expect(app.version).toBe(1);
  expect(app.instanceList.map((i) => i.taskId).sort()).toEqual(v1Tasks); // the running v1 instances were never touched
  await removeApp('/deadline');
});
