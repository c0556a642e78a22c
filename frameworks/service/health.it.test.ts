/**
 * End to end with REAL health checks: a real nats-server, a master and three agents whose health monitor runs
 * each task's COMMAND/HTTP check, and the service framework in this process, driven through its NATS API.
 *
 * Health is steered from outside the task: most apps use the COMMAND check `test -f healthy`, run by the
 * agent inside the task's sandbox, and the test creates or removes that file in one instance's sandbox. The
 * HTTP case kills the task's `python3 -m http.server` by pid while the task itself keeps running.
 *
 * Besides polling the API, each test records the framework's instances after every reconciler tick (every
 * kill and every status update passes through one), so the bounds below are checked at every step, not
 * only at the moments a poll happens to look.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { type InstanceView } from 'agora/sdk/service';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { serviceClient } from '../../test/harness/service-client';
import { sandboxPath } from '../../agent/task-runner';
import { startService, type RunningService } from './main';
import { isReady, type Instance } from './core/types';

jest.setTimeout(180_000);

let cluster: TestCluster;
let svc: RunningService;
let nc: NatsConnection;

const { api, show, deployment, succeeded, removeApp } = serviceClient(() => nc);

/** The instance's sandbox on its agent, where its COMMAND check runs. */
function sandboxOf(i: InstanceView): string {
  const agent = cluster.agents.find((a) => a.agent.id === i.agentId);
  if (!agent) throw new Error(`no agent ${i.agentId}`);
  return sandboxPath(agent.agent.sandboxRoot, svc.driver.frameworkId, i.taskId);
}
const makeHealthy = (i: InstanceView) => writeFileSync(join(sandboxOf(i), 'healthy'), '');
const makeSick = (i: InstanceView) => rmSync(join(sandboxOf(i), 'healthy'));

/** Snapshots of one app's instances after every tick of the framework, until stopped. */
interface Recording {
  snapshots: Instance[][];
  stop(): void;
}
const recordings: Recording[] = [];
function record(appId: string): Recording {
  const fw = svc.framework;
  const original = fw.tick;
  const snapshots: Instance[][] = [];
  fw.tick = function tick(this: typeof fw) {
    original.call(this);
    snapshots.push([...this.instances.values()].filter((i) => i.appId === appId).map((i) => ({ ...i })));
  };
  const r: Recording = {
    snapshots,
    stop: () => {
      fw.tick = original;
    },
  };
  recordings.push(r);
  return r;
}

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
  nc = await connectNats({ servers: cluster.natsUrl, name: 'service-health-it' });
});
afterEach(() => {
  for (const r of recordings.splice(0).reverse()) r.stop();
});
afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
});

const small = { cpus: 0.1, mem: 16 };
/** Passes while the task's sandbox holds `healthy`; two failures in a row (~0.6 s) after a success make it unhealthy. */
const fileCheck = (gracePeriodSeconds = 2) => ({
  type: 'COMMAND' as const,
  command: 'test -f healthy',
  gracePeriodSeconds,
  intervalSeconds: 0.3,
  timeoutSeconds: 5,
  consecutiveFailures: 2,
});
const HALF = { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 };

it('kills and replaces unhealthy instances, never more than the kill budget (2 of 4 at minimumHealthCapacity 0.5) at once', async () => {
  const n = 4;
  const budget = 2; // max(1, floor((1 − 0.5) × 4))
  const { deploymentId } = await api({
    type: 'deploy',
    app: {
      id: '/sick',
      cmd: 'touch healthy; sleep 1100',
      instances: n,
      ...small,
      // A 1.5 s backoff keeps the replacements from running before every sick instance has been reported.
      upgradeStrategy: HALF,
      backoff: { backoffSeconds: 1.5 },
      healthChecks: [fileCheck()],
    },
  });
  await succeeded(deploymentId!, '4 healthy instances');
  const before = (await show('/sick')).instanceList;
  expect(before.every((i) => i.healthy === true && i.ready)).toBe(true);

  const rec = record('/sick');
  for (const i of before) makeSick(i); // all four fail their check within one interval
  const oldIds = new Set(before.map((i) => i.taskId));
  const after = await eventually(
    async () => {
      const a = await show('/sick');
      return a.ready === n && a.instanceList.length === n && a.instanceList.every((i) => !oldIds.has(i.taskId))
        ? a
        : undefined;
    },
    'all four replaced by healthy instances',
    40_000,
  );
  rec.stop();

  expect(after.endpoints.length).toBe(n);
  let maxDown = 0;
  let budgetFullWithSickWaiting = false;
  const killedForHealth = new Set<string>();
  for (const list of rec.snapshots) {
    const running = list.filter((i) => i.state === 'RUNNING').length; // KILLING ones are not RUNNING
    const down = n - running;
    maxDown = Math.max(maxDown, down);
    expect(list.filter((i) => i.killReason === 'UNHEALTHY').length).toBeLessThanOrEqual(budget);
    if (down === budget && list.some((i) => i.state === 'RUNNING' && i.healthy === false))
      budgetFullWithSickWaiting = true;
    for (const i of list)
      if (i.killReason) {
        expect(i.killReason).toBe('UNHEALTHY');
        killedForHealth.add(i.taskId);
      }
    expect(list.length).toBeLessThanOrEqual(n);
  }
  expect(maxDown).toBe(budget); // never more than the budget down, and the budget was used
  expect(budgetFullWithSickWaiting).toBe(true); // a sick instance kept running because the budget was full
  expect(killedForHealth).toEqual(oldIds); // every one of them killed for health, no other instance killed
  await removeApp('/sick');
});

it('replaces an instance whose HTTP health endpoint dies while the task keeps running', async () => {
  const { deploymentId } = await api({
    type: 'deploy',
    app: {
      id: '/web',
      cmd: 'python3 -m http.server $PORT0 --bind 127.0.0.1 & sleep 1150',
      instances: 2,
      cpus: 0.1,
      mem: 64,
      ports: [0],
      backoff: { backoffSeconds: 0.2 },
      // One agent: the test agents share this host and the same port range, so two agents could hand out one port.
      constraints: [['hostname', 'CLUSTER', 'agent-0']],
      healthChecks: [
        {
          type: 'HTTP',
          portIndex: 0,
          path: '/',
          gracePeriodSeconds: 10,
          intervalSeconds: 0.3,
          timeoutSeconds: 2,
          consecutiveFailures: 3,
        },
      ],
    },
  });
  await succeeded(deploymentId!, '2 instances passing their HTTP check', 30_000);
  const [victim, bystander] = (await show('/web')).instanceList;
  const rec = record('/web');
  const pids = await eventually(
    () =>
      execFileSync('pgrep', ['-f', `http.server ${victim.ports[0]} `])
        .toString()
        .trim()
        .split('\n')
        .map(Number),
    "the victim's server pid",
  );
  let signalled = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      signalled++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  expect(signalled).toBeGreaterThan(0);

  const after = await eventually(
    async () => {
      const a = await show('/web');
      return a.ready === 2 && !a.instanceList.some((i) => i.taskId === victim.taskId) ? a : undefined;
    },
    'the victim replaced by a healthy instance',
    30_000,
  );
  rec.stop();
  const killed = rec.snapshots.flat().filter((i) => i.killReason !== undefined);
  expect(new Set(killed.map((i) => `${i.taskId} ${i.killReason}`))).toEqual(new Set([`${victim.taskId} UNHEALTHY`]));
  expect(after.instanceList.map((i) => i.taskId)).toContain(bystander.taskId); // the healthy one was left alone
  expect(after.endpoints.map((e) => e.instanceId).sort()).toEqual(after.instanceList.map((i) => i.instanceId).sort());
  await removeApp('/web');
});

it('rolls out a new version counting new instances only once their health checks pass', async () => {
  const def = {
    id: '/rolling',
    cmd: 'touch healthy; sleep 1200',
    instances: 4,
    ...small,
    upgradeStrategy: HALF,
    healthChecks: [fileCheck()],
  };
  const v1 = await api({ type: 'deploy', app: def });
  await succeeded(v1.deploymentId!, 'v1 up');
  const rec = record('/rolling');
  // v2 runs at once but only passes its check 1.5 s later: counted as running ready, it would let v1 go too early.
  const v2 = await api({ type: 'deploy', app: { ...def, cmd: 'sleep 1.5; touch healthy; sleep 1201' } });
  await succeeded(v2.deploymentId!, 'v2 rolled out', 40_000);
  rec.stop();

  let sawRunningUnready = false;
  for (const list of rec.snapshots) {
    expect(list.filter(isReady).length).toBeGreaterThanOrEqual(2); // ceil(0.5 × 4), at every step
    expect(list.filter((i) => i.state !== 'UNREACHABLE').length).toBeLessThanOrEqual(4); // maximumOverCapacity 0
    if (list.some((i) => i.version === 2 && i.state === 'RUNNING' && !isReady(i))) sawRunningUnready = true;
  }
  expect(sawRunningUnready).toBe(true);
  const app = await show('/rolling');
  expect(app.instanceList.map((i) => [i.version, i.healthy, i.ready])).toEqual(Array(4).fill([2, true, true]));
  await removeApp('/rolling');
});

it('stalls a version whose health check never passes with the old healthy instances up, then rolls back at the deadline', async () => {
  const deadlineS = 5;
  const def = {
    id: '/never',
    cmd: 'touch healthy; sleep 1300',
    instances: 4,
    ...small,
    upgradeStrategy: HALF,
    healthChecks: [fileCheck(0.5)],
    deployment: { progressDeadlineSeconds: deadlineS },
  };
  const v1 = await api({ type: 'deploy', app: def });
  await succeeded(v1.deploymentId!, 'v1 up');
  const v1Tasks = new Set((await show('/never')).instanceList.map((i) => i.taskId));
  const rec = record('/never');
  const v2 = await api({ type: 'deploy', app: { ...def, cmd: 'sleep 1301' } }); // never creates `healthy`

  // Stuck: the budget's 2 old instances replaced by 2 new ones that run but fail their check, and no further.
  const stuck = await eventually(
    async () => {
      const [a, d] = await Promise.all([show('/never'), deployment(v2.deploymentId!)]);
      const fresh = a.instanceList.filter((i) => i.version === 2);
      return d.state === 'RUNNING' &&
        d.old === 2 &&
        fresh.length === 2 &&
        fresh.every((i) => i.state === 'RUNNING' && i.healthy === false)
        ? a
        : undefined;
    },
    'v2 stuck unhealthy',
    10_000,
  );
  const survivors = stuck.instanceList.filter((i) => i.version === 1);
  expect(survivors.map((i) => [i.healthy, i.ready])).toEqual([
    [true, true],
    [true, true],
  ]);
  expect(stuck.endpoints.map((e) => e.instanceId).sort()).toEqual(survivors.map((i) => i.instanceId).sort());
  for (let k = 0; k < 5; k++) {
    // and it stays so until the deadline
    const d = await deployment(v2.deploymentId!);
    if (d.state !== 'RUNNING') break;
    expect([d.ready, d.old]).toEqual([0, 2]);
    await new Promise((r) => setTimeout(r, 300)); // a polling step: samples the stall until the deadline ends it
  }

  const failed = await eventually(
    async () => {
      const d = await deployment(v2.deploymentId!);
      return d.state === 'FAILED' ? d : undefined;
    },
    'the deadline',
    15_000,
  );
  expect(failed.message).toMatch(new RegExp(`no progress for ${deadlineS}s`));
  expect(failed.ready).toBe(0);
  const rollback = (await api({ type: 'deployments', appId: '/never', all: true })).deployments.find(
    (d) => d.rollbackOf === v2.deploymentId,
  )!;
  expect(rollback.kind).toBe('rollback');
  await succeeded(rollback.id, 'rolled back to v1');
  rec.stop();

  for (const list of rec.snapshots) {
    expect(list.filter((i) => i.version === 1 && isReady(i)).length).toBeGreaterThanOrEqual(2); // old healthy ones stayed up
    expect(list.filter((i) => i.version === 2 && isReady(i)).length).toBe(0);
    expect(list.filter((i) => i.state !== 'UNREACHABLE').length).toBeLessThanOrEqual(4);
  }
  const app = await show('/never');
  expect(app.version).toBe(1);
  expect(app.instanceList.map((i) => [i.version, i.ready])).toEqual(Array(4).fill([1, true]));
  for (const s of survivors) {
    expect(v1Tasks.has(s.taskId)).toBe(true);
    expect(app.instanceList.map((i) => i.taskId)).toContain(s.taskId);
  }
  await removeApp('/never');
});

it('lists as endpoints only the instances whose health checks pass', async () => {
  // A long grace period: instances that never pass stay unready (not killed) until their file appears.
  const { deploymentId } = await api({
    type: 'deploy',
    app: {
      id: '/endpoints',
      cmd: 'sleep 1400',
      instances: 3,
      ...small,
      ports: [0],
      backoff: { backoffSeconds: 0.2 },
      // Each run of the check leaves a line in `checks`, so the test can wait for runs, not for time.
      healthChecks: [{ ...fileCheck(60), command: 'echo >> checks; test -f healthy' }],
    },
  });
  const endpoints = async () =>
    (await api({ type: 'endpoints', appId: '/endpoints' })).endpoints[0].endpoints.map((e) => e.instanceId);
  const running = await eventually(async () => {
    const a = await show('/endpoints');
    return a.running === 3 ? a : undefined;
  }, '3 running');
  const checkRuns = (i: InstanceView): number => {
    const file = join(sandboxOf(i), 'checks');
    return existsSync(file) ? readFileSync(file, 'utf8').length : 0; // one '\n' per run
  };
  // Negative window counted in check runs: three failed checks on every instance, still no verdict, no endpoint.
  await eventually(() => running.instanceList.every((i) => checkRuns(i) >= 3), 'three failed checks on each', 30_000);
  expect(await endpoints()).toEqual([]);
  expect((await show('/endpoints')).ready).toBe(0);
  expect((await deployment(deploymentId!)).state).toBe('RUNNING');

  const [a, b, c] = running.instanceList;
  makeHealthy(a);
  await eventually(async () => (await endpoints()).join() === a.instanceId, 'a listed');
  makeHealthy(b);
  const both = [a, b]
    .sort((x, y) => x.launchedAt - y.launchedAt || x.instanceId.localeCompare(y.instanceId))
    .map((i) => i.instanceId)
    .join();
  await eventually(async () => (await endpoints()).join() === both, 'a and b listed');
  const shown = await show('/endpoints');
  expect(shown.endpoints.map((e) => e.instanceId).join()).toBe(both);
  expect(
    shown.endpoints.every((e) => {
      const i = shown.instanceList.find((x) => x.instanceId === e.instanceId)!;
      return i.healthy === true && e.host === i.hostname && e.ports.join() === i.ports.join();
    }),
  ).toBe(true);
  expect(shown.instanceList.find((i) => i.instanceId === c.instanceId)?.ready).toBe(false);

  makeSick(a); // a fails its check: dropped from the endpoints at once, then killed and replaced
  await eventually(async () => (await endpoints()).join() === b.instanceId, 'only b listed');
  const after = await eventually(async () => {
    const x = await show('/endpoints');
    return x.instanceList.length === 3 && !x.instanceList.some((i) => i.instanceId === a.instanceId) && x.running === 3
      ? x
      : undefined;
  }, 'a replaced');
  expect(after.endpoints.map((e) => e.instanceId)).toEqual([b.instanceId]); // its replacement has not passed yet
  await removeApp('/endpoints');
});
