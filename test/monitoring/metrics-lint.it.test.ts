/**
 * Every metric Agora exposes passes `promtool check metrics` (Prometheus's naming and type lint), on the output
 * of a real cluster doing something: a master, an agent with an HTTP port running a service app's task, the
 * service framework with one app deploying that can never be placed (a deployment series), and the cron
 * framework with a job whose run FAILED (a last-run series). The series the alerting rules are written against
 * are asserted present with the right values.
 */
import { join } from 'node:path';
import { connectNats, createLogger, request, type NatsConnection } from 'agora/sdk';
import { CRON_API_SUBJECT } from 'agora/sdk/cron';
import { eventually, startCluster, type TestCluster } from '../harness/cluster';
import { serviceClient } from '../harness/service-client';
import { startService, type RunningService } from '../../frameworks/service/main';
import { startCronFramework, type CronFramework } from '../../frameworks/cron/framework';
import { promtool } from './prometheus';

jest.setTimeout(90_000);

let cluster: TestCluster;
let svc: RunningService;
let cron: CronFramework;
let nc: NatsConnection;
const text = async (url: string) => {
  const res = await cluster.fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};
const lint = async (metrics: string) => {
  const r = await promtool(['check', 'metrics'], metrics);
  return { code: r.code, problems: `${r.stdout}${r.stderr}`.trim() };
};

beforeAll(async () => {
  cluster = await startCluster({ agents: [{ httpPort: 0, usageIntervalMs: 300 }] });
  const log = createLogger('monitoring-test', { level: 'silent' });
  svc = await startService({ natsUrl: cluster.natsUrl, dataDir: join(cluster.dir, 'service'), tickMs: 200, log });
  cron = await startCronFramework({ natsUrl: cluster.natsUrl, dataDir: join(cluster.dir, 'cron'), log });
  nc = await connectNats({ servers: cluster.natsUrl, name: 'metrics-lint-test' });
  const api = serviceClient(() => nc).api;
  const sleeper = await api({ type: 'deploy', app: { id: '/mon/sleeper', cmd: 'sleep 600', cpus: 0.1, mem: 32 } });
  await serviceClient(() => nc).succeeded(sleeper.deploymentId!, '/mon/sleeper deployed');
  await api({
    type: 'deploy',
    app: {
      id: '/mon/huge',
      cmd: 'sleep 600',
      cpus: 64,
      mem: 32,
      deployment: { progressDeadlineSeconds: 900, onDeadline: 'pause' },
    },
  });
  await request(nc, CRON_API_SUBJECT, { type: 'submit', job: { name: 'fails', cmd: 'exit 3', mem: 32 } });
  await request(nc, CRON_API_SUBJECT, { type: 'run', name: 'fails' });
  await eventually(
    async () =>
      (await request<{ run: { state: string } }>(nc, CRON_API_SUBJECT, { type: 'getRun', name: 'fails' })).run.state ===
      'FAILED',
    'the run FAILED',
    30_000,
  );
}, 90_000);

afterAll(async () => {
  await nc?.drain().catch(() => undefined);
  await cron?.stop({ failover: false }).catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await cluster?.stop();
}, 60_000);

it("the master's /metrics passes promtool check metrics and carries the alerting rules' series", async () => {
  const metrics = await text(`${cluster.masterHttpUrl}/metrics`);
  expect(await lint(metrics)).toEqual({ code: 0, problems: '' });
  const agentId = cluster.agents[0].agent.id;
  expect(metrics).toMatch(
    new RegExp(`agora_agent_reachable\\{agent="${agentId}",hostname="agent-0",master="[^"]+"\\} 1`),
  );
  expect(metrics).toMatch(/agora_framework_connected\{framework="[^"]+",name="service",master="[^"]+"\} 1/);
  expect(metrics).toMatch(
    /agora_framework_failover_timeout_seconds\{framework="[^"]+",name="cron",master="[^"]+"\} 604800/,
  );
  expect(metrics).toMatch(/agora_offers_oldest_age_seconds\{master="[^"]+"\} \d/);
  expect(metrics).toMatch(/agora_frameworks_failover_expired_total\{master="[^"]+"\} 0/);
  expect(metrics).toMatch(/agora_resources_capacity\{resource="cpus",master="[^"]+"\} 4/);
  expect(metrics).not.toMatch(/agora_resources_total/);
});

it("an agent's /metrics passes promtool check metrics", async () => {
  const port = new URL(cluster.agents[0].agent.info.httpUrl!).port;
  const url = `http://127.0.0.1:${port}/metrics`;
  await eventually(
    async () => /agora_agent_task_memory_bytes\{[^}]*task="mon_sleeper/.test(await text(url)),
    'usage sampled',
  );
  const metrics = await text(url);
  expect(await lint(metrics)).toEqual({ code: 0, problems: '' });
  expect(metrics).toMatch(/# TYPE agora_agent_task_cpu_seconds_total counter/);
  expect(metrics).toMatch(/agora_agent_launch_duration_seconds_count\{agent="[^"]+"\} [1-9]/);
});

it("the frameworks' /metrics/frameworks passes promtool check metrics and shows the deployment and the failed job", async () => {
  const metrics = await text(`${cluster.masterHttpUrl}/metrics/frameworks`);
  expect(await lint(metrics)).toEqual({ code: 0, problems: '' });
  expect(metrics).toMatch(/agora_framework_api_up\{api="service",master="[^"]+"\} 1/);
  expect(metrics).toMatch(/agora_framework_api_up\{api="cron",master="[^"]+"\} 1/);
  expect(metrics).toMatch(/agora_service_app_instances_ready\{app="\/mon\/sleeper",master="[^"]+"\} 1/);
  expect(metrics).toMatch(/agora_service_deployments\{state="RUNNING",master="[^"]+"\} 1/);
  expect(metrics).toMatch(
    /agora_service_deployment_since_progress_seconds\{app="\/mon\/huge",deployment="[^"]+",kind="deploy",state="RUNNING",master="[^"]+"\} \d/,
  );
  expect(metrics).toMatch(
    /agora_service_deployment_progress_deadline_seconds\{app="\/mon\/huge",deployment="[^"]+",kind="deploy",master="[^"]+"\} 900/,
  );
  expect(metrics).toMatch(
    /agora_cron_job_last_run\{cron_job="fails",state="FAILED",reason="EXITED",master="[^"]+"\} 1/,
  );
});

it('says a framework is down rather than failing the scrape', async () => {
  await cron.stop({ failover: true });
  const metrics = await text(`${cluster.masterHttpUrl}/metrics/frameworks`);
  expect(metrics).toMatch(/agora_framework_api_up\{api="cron",master="[^"]+"\} 0/);
  expect(metrics).not.toMatch(/agora_cron_job_last_run\{/);
  expect(await lint(metrics)).toEqual({ code: 0, problems: '' });
});
