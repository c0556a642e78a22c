/**
 * Secrets end to end, against a real cluster (nats-server, master, agent running native tasks), the `agora` CLI
 * and the service framework:
 *   - `agora secret put --file … --grant`, `list` (table and --json), `grant`, `rm`; bad input refused naming
 *     the field (empty name, a name with a slash, a value too large), a viewer token refused, nothing changed;
 *   - a granted framework's task gets the value as an environment variable (it prints it into its sandbox);
 *     an app of the service framework too (`secrets` in its definition), shown as `<secret:db-pass>`;
 *   - an ungranted framework's launch is refused as TASK_ERROR naming the secret and the permission, and
 *     nothing runs; a secret that does not exist likewise;
 *   - the value is searched for and not found in: the state API and every view the page reads, the cluster
 *     events, every NATS message but the LAUNCH to the agent (so neither the framework's events nor its status
 *     updates), the master's and the agent's log output (debug level), `agora app show`, and the master's
 *     data dir and the agent's work dir outside the task's sandbox.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { connectNats, createLogger, type NatsConnection } from 'agora/sdk';
import { decode, subjects } from 'agora/sdk/internal';
import { startService, type RunningService } from '../../frameworks/service/main';
import { runAgora } from '../harness/agora-cli';
import { createToken, withToken } from '../harness/auth';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { QueueFramework } from '../harness/queue-framework';
import { serviceClient } from '../harness/service-client';

jest.setTimeout(240_000);

const VALUE = `s3cr3t-${randomBytes(12).toString('hex')}`;
let logs = '';
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logs += chunk.toString('utf8');
    done();
  },
});
let cluster: TestCluster;
let spark: QueueFramework;
let intruder: QueueFramework;
let svc: RunningService;
let nc: NatsConnection;
let agentId: string;
const clusterEvents: unknown[] = [];
const messages: { subject: string; reply?: string; data: Buffer }[] = [];
const { api, show } = serviceClient(() => nc);

const http = async (method: string, path: string, body?: unknown, token = cluster.token) => {
  const res = await fetch(
    `${cluster.masterHttpUrl}${path}`,
    withToken(token, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, text, body: (/^[[{]/.test(text) ? JSON.parse(text) : undefined) as Record<string, any> };
};
const agora = (...args: string[]) => runAgora(cluster, args);
/** The CLI with `input` on its stdin (asynchronously: the master runs in this process). */
const agoraWithStdin = (args: string[], input: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'agora'), ...args], {
      env: {
        ...process.env,
        AGORA_FROM_SOURCE: '1',
        AGORA_MASTER: cluster.masterHttpUrl,
        AGORA_TOKEN: cluster.token,
        NO_COLOR: '1',
      },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
const secretList = async () => (await http('GET', '/api/v1/secrets')).body.secrets as Record<string, unknown>[];
const ended = (fw: QueueFramework, id: string) =>
  eventually(
    () => {
      const s = fw.latest.get(id);
      return s && ['TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR', 'TASK_KILLED'].includes(s.state) ? s : undefined;
    },
    `${id} to end`,
    60_000,
  );
const sandboxFile = async (taskId: string, path: string) =>
  (await http('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}/files/read?path=${path}`)).body.data as string;

beforeAll(async () => {
  cluster = await startCluster({ log: pino({ level: 'debug' }, logSink) });
  agentId = cluster.agents[0].agent.id;
  cluster.master.master.events.subscribe((e) => clusterEvents.push(e));
  nc = await connectNats({ servers: cluster.natsUrl, name: 'secrets-it' });
  nc.subscribe('>', {
    callback: (_err, msg) => {
      messages.push({ subject: msg.subject, reply: msg.reply, data: Buffer.from(msg.data) });
    },
  });
  await nc.flush();
  spark = new QueueFramework(cluster.natsUrl, { name: 'spark', principal: 'spark' });
  intruder = new QueueFramework(cluster.natsUrl, { name: 'intruder', principal: 'intruder' });
  await spark.driver.start();
  await intruder.driver.start();
  svc = await startService({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'service'),
    tickMs: 200,
    log: createLogger('service', { level: 'silent' }),
  });
}, 120_000);

afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  for (const fw of [spark, intruder]) await fw?.driver.stop({ failover: false }).catch(() => undefined);
  await cluster?.stop();
});

it('agora secret put/list/grant: the value goes in from a file and never comes back out', async () => {
  const file = join(cluster.dir, 'db-pass.txt');
  writeFileSync(file, `${VALUE}\n`, { mode: 0o600 });
  const put = await agora('secret', 'put', 'db-pass', '--file', file, '--grant', 'spark');
  expect(put).toMatchObject({ code: 0, stderr: '' });
  expect(put.stdout).toBe(`created secret db-pass (${VALUE.length} bytes); readable by spark\n`); // newline dropped
  expect((await agora('secret', 'grant', 'db-pass', 'service')).stdout).toBe(
    'secret db-pass readable by service, spark\n',
  );
  const table = await agora('secret', 'list');
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^NAME\s+BYTES\s+CREATED\s+UPDATED\s+GRANTS\n/);
  expect(table.stdout).toMatch(new RegExp(`^db-pass\\s+${VALUE.length}\\s+\\S+\\s+\\S+\\s+service,spark$`, 'm'));
  const json = JSON.parse((await agora('secret', 'list', '--json')).stdout) as Record<string, unknown>[];
  expect(json).toEqual([
    {
      name: 'db-pass',
      bytes: VALUE.length,
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
      grants: ['service', 'spark'],
    },
  ]);
  for (const out of [put.stdout, table.stdout, JSON.stringify(json)]) expect(out).not.toContain(VALUE);
  expect((await agora('secret', 'put', '--help')).stdout).toContain('Examples:');
  // From stdin, as `printf … | agora secret put` (one trailing newline dropped).
  const piped = await agoraWithStdin(['secret', 'put', 'api-key', '--grant', '*'], 'from-stdin-value\n');
  expect(piped).toMatchObject({ code: 0, stdout: 'created secret api-key (16 bytes); readable by *\n' });
  expect((await agora('secret', 'rm', 'api-key')).code).toBe(0);
});

it('refuses bad input naming the field, and a viewer token, changing nothing', async () => {
  const before = await secretList();
  const empty = await agora('secret', 'put', '', '--file', join(cluster.dir, 'db-pass.txt'));
  expect(empty).toMatchObject({ code: 2 });
  expect(empty.stderr).toContain('name: required');
  const slash = await http('PUT', '/api/v1/secrets/a%2Fb', { value: 'x' });
  expect(slash.status).toBe(400);
  expect(slash.body.message).toMatch(/^name: 'a\/b' is not a secret name/);
  const big = await http('PUT', '/api/v1/secrets/big', { value: 'x'.repeat(64 * 1024 + 1) });
  expect(big.status).toBe(400);
  expect(big.body.message).toMatch(/value.*larger than 65536 bytes/);
  const bigFile = join(cluster.dir, 'big.txt');
  writeFileSync(bigFile, 'y'.repeat(70_000));
  const bigCli = await agora('secret', 'put', 'big', '--file', bigFile);
  expect(bigCli).toMatchObject({ code: 2 });
  expect(bigCli.stderr).toContain('value: 70000 bytes, more than 65536');
  const grantee = await http('PUT', '/api/v1/secrets/ok', { value: 'x', grants: ['has space'] });
  expect(grantee.status).toBe(400);
  expect(grantee.body.message).toMatch(/^grants\[0\]: a principal is \*/);
  const viewer = (await createToken(cluster.masterHttpUrl, cluster.token, 'watcher', 'viewer')).secret;
  const read = await http('GET', '/api/v1/secrets', undefined, viewer);
  expect(read.status).toBe(403);
  expect(read.body).toMatchObject({ error: 'forbidden', permission: 'secret:manage' });
  expect((await http('PUT', '/api/v1/secrets/db-pass', { value: 'overwritten' }, viewer)).status).toBe(403);
  expect((await http('DELETE', '/api/v1/secrets/db-pass', undefined, viewer)).status).toBe(403);
  expect(await secretList()).toEqual(before);
});

it("a granted framework's task gets the value as an environment variable", async () => {
  spark.add({
    taskId: 'reader',
    resources: 'cpus:0.1;mem:32',
    command: 'printf %s "$DB_PASSWORD" > got.txt',
    secrets: { DB_PASSWORD: 'db-pass' },
  });
  expect(await ended(spark, 'reader')).toMatchObject({ state: 'TASK_FINISHED' });
  expect(await sandboxFile('reader', 'got.txt')).toBe(VALUE);
  const detail = await http('GET', '/api/v1/tasks/reader');
  expect(detail.body.info.secrets).toEqual({ DB_PASSWORD: '<secret:db-pass>' });
});

it('a secret file: 0400 and owned by the task user while it runs, unreadable through the sandbox API, gone when it ends', async () => {
  spark.add({
    taskId: 'filer',
    resources: 'cpus:0.1;mem:32',
    command:
      'test "$(cat conf/db.pass)" = "$DB_PASSWORD" && stat -c "%a %u" conf/db.pass > mode.txt && id -u >> mode.txt; exec sleep 600',
    secrets: { DB_PASSWORD: 'db-pass' },
    secretFiles: { 'conf/db.pass': 'db-pass' },
  });
  const mode = await eventually(
    () => sandboxFile('filer', 'mode.txt').then((t) => (t && t.split('\n').length >= 3 ? t : undefined)),
    'mode.txt',
  );
  const [stat, uid] = mode.split('\n');
  expect(stat).toBe(`400 ${uid}`);
  expect(uid).not.toBe('0'); // the task's own uid, not the agent's root
  const read = await http('GET', '/api/v1/tasks/filer/files/read?path=conf/db.pass');
  expect(read.status).toBe(403);
  expect(read.body.message).toContain("path: 'conf/db.pass' is a secret file");
  expect(read.text).not.toContain(VALUE);
  await spark.driver.kill('filer');
  expect(await ended(spark, 'filer')).toMatchObject({ state: 'TASK_KILLED' });
  const files = (await http('GET', '/api/v1/tasks/filer/files')).body.files as { path: string }[];
  expect(files.map((f) => f.path)).toContain('mode.txt');
  expect(files.map((f) => f.path)).not.toContain('conf/db.pass');
});

it("an ungranted framework's launch is refused with TASK_ERROR naming the secret and the permission; nothing runs", async () => {
  intruder.add(
    { taskId: 'thief', resources: 'cpus:0.1;mem:32', command: 'printf %s "$X" > got.txt', secrets: { X: 'db-pass' } },
    { taskId: 'ghost', resources: 'cpus:0.1;mem:32', command: 'true', secrets: { X: 'no-such' } },
  );
  const thief = await ended(intruder, 'thief');
  expect(thief).toMatchObject({ state: 'TASK_ERROR', reason: 'INVALID_TASK' });
  expect(thief.message).toBe(
    "operations[0].tasks[0].secrets.X: principal 'intruder' may not read secret 'db-pass' (permission secret:read not granted; agora secret grant db-pass intruder)",
  );
  const ghost = await ended(intruder, 'ghost');
  expect(ghost).toMatchObject({ state: 'TASK_ERROR', reason: 'INVALID_TASK' });
  expect(ghost.message).toContain("secrets.X: no secret 'no-such'");
  expect(intruder.statesOf('thief')).toEqual(['TASK_ERROR']);
  intruder.add({ taskId: 'file-thief', resources: 'cpus:0.1;mem:32', command: 'true', secretFiles: { k: 'db-pass' } });
  expect((await ended(intruder, 'file-thief')).message).toMatch(
    /secretFiles\.k: principal 'intruder' may not read secret 'db-pass'/,
  );
  const agent = await http('GET', `/api/v1/agents/${agentId}`);
  expect(agent.body.tasks.map((t: { id: string }) => t.id)).not.toContain('thief');
  expect((await http('GET', '/api/v1/tasks/thief')).status).toBe(404); // never a task of the master's
  // Revoking takes effect at the next launch.
  await agora('secret', 'revoke', 'db-pass', 'spark');
  spark.add({ taskId: 'revoked', resources: 'cpus:0.1;mem:32', command: 'true', secrets: { P: 'db-pass' } });
  expect(await ended(spark, 'revoked')).toMatchObject({ state: 'TASK_ERROR' });
  await agora('secret', 'grant', 'db-pass', 'spark');
});

it("an app's instances get the secret; agora app show shows <secret:db-pass>", async () => {
  await api({
    type: 'deploy',
    app: {
      id: '/db',
      cmd: 'printf %s "$DB_PASSWORD" > got.txt; exec sleep 600',
      cpus: 0.1,
      mem: 16,
      secrets: { DB_PASSWORD: 'db-pass' },
    },
  });
  const app = await eventually(async () => {
    const a = await show('/db');
    return a.running === 1 ? a : undefined;
  }, 'the app to run');
  const instance = app.instanceList[0].instanceId;
  expect(await eventually(() => sandboxFile(instance, 'got.txt').catch(() => undefined), 'got.txt')).toBe(VALUE);
  const shown = await agora('app', 'show', '/db');
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain('secrets: DB_PASSWORD=<secret:db-pass>');
  const shownJson = await agora('app', 'show', '/db', '--json');
  expect(JSON.parse(shownJson.stdout).definition.secrets).toEqual({ DB_PASSWORD: 'db-pass' });
  for (const out of [shown.stdout, shown.stderr, shownJson.stdout]) expect(out).not.toContain(VALUE);
});

it('the value appears nowhere but in the LAUNCH to the agent and in the tasks themselves', async () => {
  const ids = ['reader', 'filer', (await show('/db')).instanceList[0].instanceId];
  const views = [
    '/api/v1/state',
    '/api/v1/summary',
    '/api/v1/agents',
    `/api/v1/agents/${agentId}`,
    '/api/v1/frameworks',
    '/api/v1/tasks?limit=1000',
    '/api/v1/roles',
    '/api/v1/secrets',
    '/api/v1/apps',
    '/api/v1/apps/db',
    '/api/v1/deployments',
    '/',
    ...ids.map((id) => `/api/v1/tasks/${encodeURIComponent(id)}`),
  ];
  for (const path of views) {
    const r = await http('GET', path);
    expect([path, r.status]).toEqual([path, 200]);
    expect([path, r.text.includes(VALUE)]).toEqual([path, false]);
  }
  expect(JSON.stringify(clusterEvents)).not.toContain(VALUE);
  expect(clusterEvents.length).toBeGreaterThan(0);
  // Every NATS message: the framework's events, its status updates, agent calls, the APIs — only LAUNCHes hold it.
  // Replies to FILES_READ carry the task's own sandbox files (this test reads got.txt): the task's output, not a leak.
  const fileReplies = new Set(
    messages
      .filter(
        (m) =>
          m.subject === subjects.agentCommand(agentId) && (decode(m.data) as { type: string }).type === 'FILES_READ',
      )
      .map((m) => m.reply),
  );
  const holding = messages.filter((m) => m.data.includes(Buffer.from(VALUE)) && !fileReplies.has(m.subject));
  expect(holding.length).toBeGreaterThanOrEqual(2); // the task's LAUNCH and the app instance's
  expect(new Set(holding.map((m) => m.subject))).toEqual(new Set([subjects.agentCommand(agentId)]));
  expect(new Set(holding.map((m) => (decode(m.data) as { type: string }).type))).toEqual(new Set(['LAUNCH']));
  expect(messages.some((m) => m.subject.includes('.scheduler.') || m.subject.includes('update'))).toBe(true);
  // Log output of the master and the agent, at debug level.
  expect(logs).toContain('secret created');
  expect(logs).toContain('"secret":"db-pass"');
  expect(logs).not.toContain(VALUE);
  // At rest: the master's data dir (secrets.db holds it sealed) and the agent's work dir outside sandboxes.
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) return [];
      return st.isDirectory() ? (n === 'sandboxes' || n === 'runs' ? [] : files(p)) : st.isFile() ? [p] : [];
    });
  const atRest = [...files(join(cluster.dir, 'master')), ...files(join(cluster.dir, 'agent-0'))];
  expect(atRest.some((f) => f.endsWith('secrets.db'))).toBe(true);
  expect(atRest.filter((f) => readFileSync(f).includes(Buffer.from(VALUE)))).toEqual([]);
});

it('agora secret rm: tasks naming it are refused from then on', async () => {
  expect((await agora('secret', 'rm', 'db-pass')).stdout).toBe('removed secret db-pass\n');
  expect(await secretList()).toEqual([]);
  spark.add({ taskId: 'after-rm', resources: 'cpus:0.1;mem:32', command: 'true', secrets: { P: 'db-pass' } });
  const s = await ended(spark, 'after-rm');
  expect(s).toMatchObject({ state: 'TASK_ERROR' });
  expect(s.message).toContain("no secret 'db-pass'");
  expect((await agora('secret', 'rm', 'db-pass')).code).toBe(4);
});
