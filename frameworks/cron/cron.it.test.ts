/**
 * The cron framework end to end on a real cluster (nats-server, master, one agent running real processes).
 * All jobs are submitted up front and run side by side; each test waits for its own job's history.
 */
import { connectNats, createLogger, request, type NatsConnection } from 'agora/sdk';
import { CRON_API_SUBJECT, type CronReplies, type CronRequest, type JobSpecInput, type RunView } from 'agora/sdk/cron';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { startCronFramework, type CronFramework } from './framework';

let cluster: TestCluster;
let cron: CronFramework;
let nc: NatsConnection;

const call = <K extends keyof CronReplies>(req: CronRequest & { type: K }) =>
  request<CronReplies[K]>(nc, CRON_API_SUBJECT, req, { timeoutMs: 5000 });
const history = async (name: string): Promise<RunView[]> =>
  (await call({ type: 'history', name, limit: 100 })).runs.slice().reverse();
const submit = (job: JobSpecInput) => call({ type: 'submit', job: { cpus: 0.1, mem: 32, ...job } });
const readStdout = async (taskId: string) => {
  const res = await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/tasks/${taskId}/files/read?path=stdout`);
  return ((await res.json()) as { data: string }).data;
};

beforeAll(async () => {
  cluster = await startCluster();
  cron = await startCronFramework({
    natsUrl: cluster.natsUrl,
    dataDir: `${cluster.dir}/cron`,
    log: createLogger('cron', { level: 'silent' }),
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'cron-test' });
  await submit({
    name: 'every2s',
    schedule: '*/2 * * * * *',
    epsilon: 'PT10S',
    cmd: 'echo "$AGORA_JOB run $AGORA_RUN_ID attempt $AGORA_ATTEMPT at $AGORA_SCHEDULED_TIME"',
  });
  await submit({
    name: 'flaky',
    retries: 2,
    backoff: { initial: 'PT1S', factor: 1 },
    cmd: 'echo attempt $AGORA_ATTEMPT; exit 7',
  });
  await submit({
    name: 'forbid',
    schedule: '*/2 * * * * *',
    epsilon: 'PT10S',
    concurrencyPolicy: 'Forbid',
    cmd: 'sleep 3',
  });
  await submit({
    name: 'replace',
    schedule: '*/3 * * * * *',
    epsilon: 'PT10S',
    concurrencyPolicy: 'Replace',
    cmd: 'sleep 60',
  });
  await submit({ name: 'starved', schedule: '*/2 * * * * *', epsilon: 'PT1S', mem: 100_000, cmd: 'true' });
  await submit({ name: 'parent-a', cmd: 'true' });
  await submit({ name: 'parent-b', cmd: 'exit $((AGORA_ATTEMPT == 1))', retries: 1, backoff: { initial: 'PT1S' } });
  await submit({ name: 'child', parents: ['parent-a', 'parent-b'], cmd: 'echo child ran' });
  await call({ type: 'run', name: 'flaky' });
}, 180_000);

afterAll(async () => {
  for (const name of ['every2s', 'forbid', 'replace', 'starved'])
    await call({ type: 'disable', name }).catch(() => undefined);
  await nc?.drain();
  await cron?.stop({ failover: false });
  await cluster?.stop();
}, 180_000);

it('runs a job every 2 s and records its history, with the run identity in its environment', async () => {
  const runs = await eventually(
    async () => {
      const done = (await history('every2s')).filter((r) => r.state === 'SUCCEEDED');
      return done.length >= 2 ? done : null;
    },
    'two successful runs of every2s',
    20_000,
  );
  // Slots of the 2 s schedule: on a busy machine a slot may be skipped (a run still going, or past its starting
  // deadline), never moved off the grid.
  const gap = runs[1]!.scheduledAt - runs[0]!.scheduledAt;
  expect(gap).toBeGreaterThan(0);
  expect(gap % 2000).toBe(0);
  for (const r of runs)
    expect(r).toMatchObject({
      trigger: 'schedule',
      attempt: 1,
      exitCode: 0,
      reason: 'EXITED',
      agentId: expect.any(String),
      taskId: `cron.every2s.${r.id}`,
    });
  const out = await readStdout(runs[0]!.taskId!);
  expect(out.trim()).toBe(`every2s run ${runs[0]!.id} attempt 1 at ${new Date(runs[0]!.scheduledAt).toISOString()}`);
}, 90_000);

it('retries a failing job N times, then records FAILED with its exit code', async () => {
  const runs = await eventually(
    async () => {
      const h = await history('flaky');
      return h.length === 3 && h.every((r) => r.state === 'FAILED') ? h : null;
    },
    'three failed attempts of flaky',
    20_000,
  );
  expect(runs.map((r) => [r.trigger, r.attempt, r.exitCode])).toEqual([
    ['manual', 1, 7],
    ['retry', 2, 7],
    ['retry', 3, 7],
  ]);
  expect(runs[1]!.startedAt! - runs[0]!.endedAt!).toBeGreaterThanOrEqual(1000);
  expect(await readStdout(runs[2]!.taskId!)).toBe('attempt 3\n');
}, 90_000);

it('Forbid skips a slot that would overlap the running one and records it', async () => {
  const skipped = await eventually(
    async () => (await history('forbid')).find((r) => r.reason === 'FORBID_OVERLAP'),
    'a FORBID_OVERLAP run',
    20_000,
  );
  expect(skipped).toMatchObject({ state: 'MISSED', message: expect.stringMatching(/still active/) });
  const h = await history('forbid');
  const started = h.filter((r) => r.startedAt !== undefined);
  // Never two at once: each started run began after the previous one ended.
  for (let i = 1; i < started.length; i++)
    if (started[i - 1]!.endedAt) expect(started[i]!.startedAt!).toBeGreaterThanOrEqual(started[i - 1]!.endedAt!);
}, 90_000);

it('Replace kills the running run when the next slot comes', async () => {
  const replaced = await eventually(
    async () => (await history('replace')).find((r) => r.state === 'KILLED'),
    'a replaced run',
    20_000,
  );
  expect(replaced).toMatchObject({ reason: 'REPLACED' });
  const next = await eventually(
    async () => (await history('replace')).find((r) => r.id > replaced.id && r.state === 'RUNNING'),
    'the replacing run running',
    10_000,
  );
  expect(next.scheduledAt).toBeGreaterThan(replaced.scheduledAt);
}, 90_000);

it('records MISSED when a run cannot start within epsilon', async () => {
  const missed = await eventually(
    async () => (await history('starved')).find((r) => r.state === 'MISSED'),
    'a MISSED run of starved',
    15_000,
  );
  expect(missed).toMatchObject({ reason: 'EPSILON_EXCEEDED', message: expect.stringMatching(/epsilon PT1S/) });
  expect((await history('starved')).some((r) => r.startedAt !== undefined)).toBe(false);
}, 60_000);

it('runs a child only after both parents succeeded', async () => {
  await call({ type: 'run', name: 'parent-a' });
  await eventually(async () => (await history('parent-a')).some((r) => r.state === 'SUCCEEDED'), 'parent-a success');
  // Negative window (no child with one parent done): a busy machine can only hide a wrong run, never make one.
  await new Promise((r) => setTimeout(r, 500));
  expect(await history('child')).toEqual([]);
  await call({ type: 'run', name: 'parent-b' }); // fails once, succeeds on its retry
  const child = await eventually(
    async () => (await history('child')).find((r) => r.state === 'SUCCEEDED'),
    'child success',
    15_000,
  );
  const b = (await history('parent-b')).map((r) => r.state);
  expect(b).toEqual(['FAILED', 'SUCCEEDED']);
  expect(child).toMatchObject({ trigger: 'dependency' });
  expect(child.startedAt!).toBeGreaterThanOrEqual((await history('parent-b'))[1]!.endedAt!);
  expect(await history('child')).toHaveLength(1);
}, 90_000);
