/**
 * Run parameters, outcome notifications and Docker jobs end to end: a real cluster (nats-server, master, one
 * agent with the native and Docker containerizers), the cron framework, the `agora` CLI as a subprocess, a
 * webhook receiver on a local HTTP server and a NATS subscriber.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNats, createLogger, request, type NatsConnection } from 'agora/sdk';
import {
  CRON_API_SUBJECT,
  type CronReplies,
  type CronRequest,
  type JobNotificationBody,
  type JobSpecInput,
  type RunView,
} from 'agora/sdk/cron';
import { runAgora } from '../../test/harness/agora-cli';
import { eventually, startCluster, type TestCluster } from '../../test/harness/cluster';
import { startCronFramework, type CronFramework } from './framework';

const IMAGE = 'agora-busybox:latest'; // built by scripts/docker-up.sh
let cluster: TestCluster;
let cron: CronFramework;
let nc: NatsConnection;
let hookServer: Server;
let hookUrl: string;
/** What the webhook received; it answers 500 to the first `failures` requests, then 204. */
const hook = { received: [] as { id: string; body: JobNotificationBody; status: number }[], failures: 1 };

const agora = (...args: string[]) => runAgora(cluster, args);
const call = <K extends keyof CronReplies>(req: CronRequest & { type: K }) =>
  request<CronReplies[K]>(nc, CRON_API_SUBJECT, req, { timeoutMs: 5000 });
const submit = (job: JobSpecInput) => call({ type: 'submit', job: { cpus: 0.1, mem: 32, ...job } });

beforeAll(async () => {
  hookServer = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => {
      const status = hook.failures-- > 0 ? 500 : 204;
      hook.received.push({
        id: String(req.headers['x-agora-notification-id']),
        body: JSON.parse(text) as JobNotificationBody,
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hooks/jobs`;
  cluster = await startCluster({ agents: [{ containerizers: ['native', 'docker'] }] });
  cron = await startCronFramework({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'cron'),
    log: createLogger('cron', { level: 'silent' }),
    deliveryPolicy: { maxAttempts: 5, initialDelayMs: 300, factor: 2, maxDelayMs: 2000, maxInFlight: 16 },
  });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'cron-features-test' });
}, 240_000);

afterAll(async () => {
  await call({ type: 'disable', name: 'starved' }).catch(() => undefined);
  await nc?.drain();
  await cron?.stop({ failover: false });
  await cluster?.stop();
  await new Promise((r) => hookServer?.close(r));
}, 240_000);

it('passes --param values and defaults to the run as environment, records them, and refuses unknown or missing ones', async () => {
  const file = join(cluster.dir, 'params.yaml');
  writeFileSync(
    file,
    [
      'name: params',
      'cmd: echo "date=$DATE mode=$MODE"',
      'mem: 32',
      'parameters:',
      '  - { name: DATE, required: true, description: the day to process }',
      '  - { name: MODE, default: full }',
      '',
    ].join('\n'),
  );
  expect(await agora('job', 'submit', file)).toMatchObject({ code: 0 });
  const ran = await agora('job', 'run', 'params', '--param', 'DATE=2026-12-01', '--wait', '--quiet');
  expect(ran).toMatchObject({ code: 0, stdout: 'date=2026-12-01 mode=full\n' });

  const unknown = await agora('job', 'run', 'params', '--param', 'DATE=x', '--param', 'DAET=y');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown parameter 'DAET': the job declares DATE, MODE/);
  const missing = await agora('job', 'run', 'params');
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/parameter 'DATE' is required \(the day to process\)/);

  const runs = JSON.parse((await agora('job', 'history', 'params', '--json')).stdout) as RunView[];
  expect(runs.map((r) => r.parameters)).toEqual([{ DATE: '2026-12-01', MODE: 'full' }]); // refused runs left no trace
  expect((await agora('job', 'show', 'params', '--run', String(runs[0]!.id))).stdout).toMatch(
    /parameters\s+DATE=2026-12-01 MODE=full/,
  );
}, 240_000);

it('calls a webhook on failure, retries it after a 500, and records each delivery attempt', async () => {
  await submit({ name: 'hooked', cmd: 'exit 4', notify: [{ on: ['FAILED'], webhook: hookUrl }] });
  const { run } = await call({ type: 'run', name: 'hooked' });
  const done = await eventually(
    async () => {
      const r = (await call({ type: 'getRun', name: 'hooked', runId: run.id })).run;
      return r.notifications?.[0]?.state === 'DELIVERED' ? r : null;
    },
    'the failure notification delivered',
    30_000,
  );
  expect(done.notifications![0]!.attempts).toMatchObject([
    { ok: false, status: 500, error: 'HTTP 500 Internal Server Error' },
    { ok: true, status: 204 },
  ]);
  expect(hook.received.map((h) => h.status)).toEqual([500, 204]); // one notification, two deliveries
  expect(new Set(hook.received.map((h) => h.id)).size).toBe(1);
  expect(hook.received[1]!.body).toEqual({
    job: 'hooked',
    runId: run.id,
    slot: new Date(run.scheduledAt).toISOString(),
    state: 'FAILED',
    event: 'FAILED',
    trigger: 'manual',
    attempt: 1,
    retries: 0,
    exitCode: 4,
    reason: 'EXITED',
    message: 'exited with code 4',
    parameters: {},
    startedAt: expect.any(String),
    endedAt: expect.any(String),
    agentId: expect.any(String),
    taskId: `cron.hooked.${run.id}`,
  });
  const shown = await agora('job', 'show', 'hooked', '--run', String(run.id));
  expect(shown.stdout).toMatch(new RegExp(`notify\\s+FAILED → ${hookUrl}: DELIVERED`));
  expect(shown.stdout).toMatch(/failed 500 HTTP 500 Internal Server Error\n.* ok 204\n/);
  expect((await agora('job', 'history', 'hooked')).stdout).toMatch(/1 delivered/);
}, 240_000);

it('publishes success and MISSED notifications on a NATS subject', async () => {
  const subject = `ops.jobs.${process.pid}`;
  const got: JobNotificationBody[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => {
      got.push(JSON.parse(new TextDecoder().decode(m.data)) as JobNotificationBody);
    },
  });
  try {
    await submit({ name: 'announced', cmd: 'true', notify: [{ on: ['SUCCEEDED'], subject }] });
    await submit({
      name: 'starved',
      schedule: '*/2 * * * * *',
      epsilon: 'PT1S',
      mem: 100_000,
      cmd: 'true',
      notify: [{ on: ['MISSED'], subject }],
    });
    const { run } = await call({ type: 'run', name: 'announced' });
    await eventually(
      () => got.some((b) => b.job === 'announced') && got.some((b) => b.job === 'starved'),
      'both notifications on the subject',
      30_000,
    );
    expect(got.find((b) => b.job === 'announced')).toMatchObject({
      runId: run.id,
      state: 'SUCCEEDED',
      event: 'SUCCEEDED',
      exitCode: 0,
    });
    expect(got.find((b) => b.job === 'starved')).toMatchObject({
      state: 'MISSED',
      event: 'MISSED',
      reason: 'EPSILON_EXCEEDED',
    });
    const recorded = await eventually(async () => {
      const r = (await call({ type: 'getRun', name: 'announced', runId: run.id })).run;
      return r.notifications?.[0]?.state === 'DELIVERED' ? r.notifications[0] : null;
    }, 'the NATS delivery recorded');
    expect(recorded).toMatchObject({ event: 'SUCCEEDED', target: { subject }, attempts: [{ ok: true }] });
  } finally {
    sub.unsubscribe();
  }
}, 240_000);

it('runs a Docker job through `agora job run --wait`: image, memory limit, retries, output in its history', async () => {
  const cmd = 'echo "limit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) attempt $AGORA_ATTEMPT"; exit 5';
  const submitted = await agora(
    'job',
    'submit',
    '--name',
    'indocker',
    '--image',
    IMAGE,
    '--cpus',
    '0.2',
    '--mem',
    '48',
    '--retries',
    '2',
    '--backoff',
    'PT1S',
    '--',
    cmd,
  );
  expect(submitted).toMatchObject({ code: 0 });
  const failed = await agora('job', 'run', 'indocker', '--wait');
  expect(failed.code).toBe(5);
  expect(failed.stdout).toBe([1, 2, 3].map((a) => `limit ${48 * 1024 * 1024} attempt ${a}\n`).join(''));
  expect(failed.stderr).toMatch(/retry 3 due/);

  const runs = JSON.parse((await agora('job', 'history', 'indocker', '--json')).stdout) as RunView[];
  expect(runs.map((r) => [r.trigger, r.attempt, r.state, r.exitCode]).reverse()).toEqual([
    ['manual', 1, 'FAILED', 5],
    ['retry', 2, 'FAILED', 5],
    ['retry', 3, 'FAILED', 5],
  ]);
  expect(await agora('job', 'logs', 'indocker', '--run', String(runs[1]!.id))).toMatchObject({
    code: 0,
    stdout: `limit ${48 * 1024 * 1024} attempt 2\n`,
  });
  const shown = await agora('job', 'show', 'indocker');
  expect(shown.stdout).toMatch(new RegExp(`container\\s+${IMAGE}`));

  expect(
    await agora(
      'job',
      'submit',
      '--name',
      'docker-ok',
      '--image',
      IMAGE,
      '--mem',
      '32',
      '--',
      'cat /etc/hostname >/dev/null && echo from docker',
    ),
  ).toMatchObject({ code: 0 });
  expect(await agora('job', 'run', 'docker-ok', '--wait', '--quiet')).toMatchObject({
    code: 0,
    stdout: 'from docker\n',
    stderr: '',
  });
}, 300_000);
