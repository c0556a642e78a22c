/**
 * The `agora job` CLI as a user runs it (a subprocess of bin/agora) against a real cluster with the cron
 * framework: inline submit, list --json, `run --wait` exiting with the job's exit code and streaming its
 * output, and the exit codes for an unknown job and an unreachable cluster.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from 'agora/sdk';
import { runAgora } from '../../test/harness/agora-cli';
import { startCluster, type TestCluster } from '../../test/harness/cluster';
import { startCronFramework, type CronFramework } from './framework';

let cluster: TestCluster;
let cron: CronFramework;
const agora = (args: string[], env: Record<string, string> = {}) => runAgora(cluster, args, env);

beforeAll(async () => {
  cluster = await startCluster();
  cron = await startCronFramework({
    natsUrl: cluster.natsUrl,
    dataDir: join(cluster.dir, 'cron'),
    log: createLogger('cron', { level: 'silent' }),
  });
}, 180_000);
afterAll(async () => {
  await cron?.stop({ failover: false });
  await cluster?.stop();
}, 180_000);

it("submits inline and from a file, lists, and `run --wait` streams output and exits with the job's exit code", async () => {
  const submitted = await agora([
    'job',
    'submit',
    '--name',
    'exit3',
    '--retries',
    '1',
    '--backoff',
    'PT1S',
    '--cpus',
    '0.1',
    '--mem',
    '32',
    '--env',
    'WHO=cli',
    '--',
    'sh',
    '-c',
    'echo "hi $WHO attempt $AGORA_ATTEMPT"; exit 3',
  ]);
  expect(submitted).toMatchObject({ code: 0, stdout: 'job exit3 created\n' });
  const file = join(cluster.dir, 'ok.yaml');
  writeFileSync(file, 'name: ok\ncmd: echo fine\nmem: 32\nlabels: { team: batch }\n');
  expect(await agora(['job', 'submit', file, '--json'])).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('"created": true'),
  });
  const list = await agora(['job', 'list', '--json']);
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout).map((j: { name: string }) => j.name)).toEqual(['exit3', 'ok']);

  const failed = await agora(['job', 'run', 'exit3', '--wait']);
  expect(failed.code).toBe(3); // both attempts exit 3: the last attempt's code
  expect(failed.stdout).toBe('hi cli attempt 1\nhi cli attempt 2\n');
  expect(failed.stderr).toMatch(/retry 2 due/);
  const ok = await agora(['job', 'run', 'ok', '--wait', '--quiet']);
  expect(ok).toMatchObject({ code: 0, stdout: 'fine\n', stderr: '' });
}, 180_000);

it('exits 4 for an unknown job and 3 when the cluster is unreachable, with one clear line', async () => {
  const unknown = await agora(['job', 'show', 'ghost']);
  expect(unknown.code).toBe(4);
  expect(unknown.stderr).toMatch(/^error: no job named 'ghost'/);
  const down = await agora(['job', 'list'], { AGORA_NATS: 'nats://127.0.0.1:1' });
  expect(down.code).toBe(3);
  expect(down.stderr).toMatch(/cannot reach the cluster's NATS server at nats:\/\/127.0.0.1:1/);
}, 90_000);
