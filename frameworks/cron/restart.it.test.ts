/**
 * Crash and restart: the real `bin/agora-cron` process is killed with SIGKILL while a job fires every 2 s and a
 * long run is in flight, then started again on the same data dir. Every slot is run at most once (the job itself
 * appends its AGORA_SCHEDULED_TIME to a file), slots missed by more than epsilon are MISSED, the in-flight run is
 * reconciled and finishes SUCCEEDED. A notification whose webhook is down when the process is killed is sent
 * by the restarted process, its attempts from before the crash kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, request, type NatsConnection } from 'agora/sdk';
import { CRON_API_SUBJECT, type CronReplies, type CronRequest, type RunView } from 'agora/sdk/cron';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';

const BIN = join(__dirname, '..', '..', 'bin', 'agora-cron');
let cluster: TestCluster;
let nc: NatsConnection;
let proc: ChildProcess | undefined;

const call = <K extends keyof CronReplies>(req: CronRequest & { type: K }) =>
  request<CronReplies[K]>(nc, CRON_API_SUBJECT, req, { timeoutMs: 3000 });
const history = async (name: string): Promise<RunView[]> =>
  (await call({ type: 'history', name, limit: 200 })).runs.slice().reverse();

function startCron(dataDir: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, '--nats', cluster.natsUrl, '--data-dir', dataDir], {
    env: { ...process.env, AGORA_LOG_LEVEL: 'warn', AGORA_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}
const exited = (p: ChildProcess) =>
  new Promise<void>((r) => {
    if (p.exitCode !== null || p.signalCode !== null) r();
    else p.once('exit', () => r());
  });

beforeAll(async () => {
  cluster = await startCluster();
  nc = await connectNats({ servers: cluster.natsUrl, name: 'cron-restart-test' });
}, 180_000);
let hookServer: Server | undefined;
afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await exited(proc);
  }
  if (hookServer) await new Promise((r) => hookServer!.close(r));
  await nc?.drain();
  await cluster?.stop();
}, 180_000);

it('killed with SIGKILL and restarted, it runs no slot twice, records MISSED past epsilon and finishes the run in flight', async () => {
  const dataDir = join(cluster.dir, 'cron');
  const outDir = join(cluster.dir, 'out');
  mkdirSync(outDir, { recursive: true });
  chmodSync(outDir, 0o777);
  const fired = join(outDir, 'fired.log');
  // Every run is a task with a uid of its own: the shared evidence file must be writable by all of them.
  writeFileSync(fired, '');
  chmodSync(fired, 0o666);
  proc = startCron(dataDir);
  await eventually(() => call({ type: 'list' }), 'the cron API', 30_000);
  await call({
    type: 'submit',
    job: {
      name: 'tick',
      schedule: '*/2 * * * * *',
      epsilon: 'PT3S',
      cpus: 0.1,
      mem: 32,
      cmd: `echo "$AGORA_SCHEDULED_TIME $AGORA_RUN_ID" >> ${fired}`,
    },
  });
  await call({ type: 'submit', job: { name: 'long', cpus: 0.1, mem: 32, cmd: 'sleep 4; echo done' } });
  await eventually(
    async () => (await history('tick')).filter((r) => r.state === 'SUCCEEDED').length >= 2,
    'two runs before the crash',
    20_000,
  );
  const long = (await call({ type: 'run', name: 'long' })).run;
  const longTask = await eventually(async () => {
    const r = (await call({ type: 'getRun', name: 'long', runId: long.id })).run;
    return r.state === 'RUNNING' ? r.taskId : undefined;
  }, 'long running');

  proc.kill('SIGKILL');
  await exited(proc);
  const killedAt = Date.now();
  // Down until a slot's epsilon (3 s) has passed (a slot on the schedule, which is wall time) and `long` has
  // ended at the master: conditions, each met on a machine of any speed.
  const firstSlotDown = Math.ceil((killedAt + 1) / 2000) * 2000;
  await eventually(
    async () => {
      if (Date.now() <= firstSlotDown + 3000) return false;
      const state = (await (await cluster.fetch(`${cluster.masterHttpUrl}/api/v1/state`)).json()) as {
        tasks: { id: string; state: string }[];
      };
      return state.tasks.find((t) => t.id === longTask)?.state === 'TASK_FINISHED';
    },
    'a slot missed past epsilon and `long` finished while the framework is down',
    30_000,
  );
  proc = startCron(dataDir);
  await eventually(() => call({ type: 'list' }), 'the cron API after restart', 30_000);
  const restartedAt = Date.now();
  await eventually(
    async () =>
      (await history('tick')).filter((r) => r.state === 'SUCCEEDED' && r.scheduledAt > restartedAt).length >= 2,
    'two runs after the restart',
    20_000,
  );

  const runs = await history('tick');
  const slots = runs.map((r) => r.scheduledAt);
  expect(new Set(slots).size).toBe(slots.length); // one run per slot in the ledger's history
  const lines = readFileSync(fired, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[0]!);
  expect(new Set(lines).size).toBe(lines.length); // and the job itself never saw a slot twice
  const down = runs.filter((r) => r.scheduledAt > killedAt && r.scheduledAt < restartedAt - 3000);
  expect(down.length).toBeGreaterThanOrEqual(1);
  for (const r of down) expect(r).toMatchObject({ state: 'MISSED', reason: 'EPSILON_EXCEEDED' });
  for (const r of runs.filter((x) => x.state === 'SUCCEEDED'))
    expect(lines).toContain(new Date(r.scheduledAt).toISOString());
  const longAfter = await eventually(async () => {
    const r = (await call({ type: 'getRun', name: 'long', runId: long.id })).run;
    return r.state !== 'RUNNING' ? r : null;
  }, 'long reconciled');
  expect(longAfter).toMatchObject({ state: 'SUCCEEDED', exitCode: 0, attempt: 1 });
  expect(existsSync(fired)).toBe(true);
}, 270_000);

it('a notification still owed when the process is SIGKILLed is delivered by the restarted process', async () => {
  const hook = { up: false, statuses: [] as number[] };
  hookServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = hook.up ? 200 : 503;
      hook.statuses.push(status);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => hookServer!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/`;
  const dataDir = join(cluster.dir, 'cron');
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) proc = startCron(dataDir);
  await eventually(() => call({ type: 'list' }), 'the cron API', 30_000);
  await call({ type: 'disable', name: 'tick' }).catch(() => undefined); // quieter: only this test's job from here
  await call({
    type: 'submit',
    job: { name: 'alerting', cpus: 0.1, mem: 32, cmd: 'exit 9', notify: [{ on: ['FAILED'], webhook: url }] },
  });
  const { run } = await call({ type: 'run', name: 'alerting' });
  const notification = async () =>
    (await call({ type: 'getRun', name: 'alerting', runId: run.id })).run.notifications?.[0];
  await eventually(
    async () => ((await notification())?.attempts.length ?? 0) >= 1,
    'a failed delivery attempt',
    30_000,
  );

  proc.kill('SIGKILL');
  await exited(proc);
  const failedBefore = hook.statuses.length;
  expect(hook.statuses).toEqual(Array(failedBefore).fill(503));
  hook.up = true;
  proc = startCron(dataDir);
  const delivered = await eventually(
    async () => {
      const n = await notification().catch(() => undefined); // the API answers again once the process is up
      return n?.state === 'DELIVERED' ? n : null;
    },
    'the notification delivered after the restart',
    60_000,
  );
  expect(delivered.attempts.map((a) => a.status)).toEqual([...Array(delivered.attempts.length - 1).fill(503), 200]);
  expect(delivered.attempts.length).toBeGreaterThanOrEqual(2); // the 503 recorded before the crash is kept
  expect(hook.statuses.at(-1)).toBe(200);
}, 300_000);
