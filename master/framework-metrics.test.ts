/** /metrics/frameworks: its pure core (series from the frameworks' replies and the clock), and whom its shell asks. */
import { SERVICE_API_SUBJECT, type DeploymentView, type JobSummary } from '../sdk';
import { frameworkMetricsText, frameworkSeries, renderSeries } from './framework-metrics';
import { testMaster } from './test-support';

const NOW = 1_000_000_000_000;
const deployment = (over: Partial<DeploymentView>): DeploymentView => ({
  id: 'd1',
  appId: '/shop/cart',
  kind: 'deploy',
  state: 'RUNNING',
  toVersion: 2,
  fromInstances: 0,
  toInstances: 3,
  ready: 1,
  target: 3,
  old: 0,
  createdAt: NOW - 900_000,
  updatedAt: NOW - 5000,
  lastProgressAt: NOW - 700_000,
  ...over,
});
const job = (over: Partial<JobSummary>): JobSummary => ({
  name: 'nightly',
  timezone: 'UTC',
  parents: [],
  disabled: false,
  concurrencyPolicy: 'Allow',
  activeRuns: 0,
  succeeded: 4,
  finished: 5,
  ...over,
});
const values = (series: ReturnType<typeof frameworkSeries>, name: string): Record<string, string | number>[] =>
  series.filter((s) => s.name === name).map((s) => ({ ...s.labels, value: s.value }));

it('says which framework answered', () => {
  expect(values(frameworkSeries({}, NOW), 'agora_framework_api_up')).toEqual([
    { api: 'service', value: 0 },
    { api: 'cron', value: 0 },
  ]);
});

it('gives active deployments their time since progress and their deadline; ended ones are left out', () => {
  const series = frameworkSeries(
    {
      service: {
        apps: [{ id: '/shop/cart', version: 2, instances: 3, running: 1, ready: 1, staging: 0, deploymentId: 'd1' }],
        deployments: [
          deployment({}),
          deployment({ id: 'd0', state: 'SUCCEEDED' }),
          deployment({ id: 'd2', appId: '/gone', kind: 'remove', state: 'PAUSED', lastProgressAt: NOW }),
        ],
        deadlineSeconds: new Map([['/shop/cart', 600]]),
      },
    },
    NOW,
  );
  expect(values(series, 'agora_service_deployments')).toEqual([
    { state: 'RUNNING', value: 1 },
    { state: 'PAUSED', value: 1 },
  ]);
  expect(values(series, 'agora_service_deployment_since_progress_seconds')).toEqual([
    { app: '/shop/cart', deployment: 'd1', kind: 'deploy', state: 'RUNNING', value: 700 },
    { app: '/gone', deployment: 'd2', kind: 'remove', state: 'PAUSED', value: 0 },
  ]);
  expect(values(series, 'agora_service_deployment_progress_deadline_seconds')).toEqual([
    { app: '/shop/cart', deployment: 'd1', kind: 'deploy', value: 600 },
  ]);
  expect(values(series, 'agora_service_app_instances_ready')).toEqual([{ app: '/shop/cart', value: 1 }]);
});

it("marks each job's newest run state with the label cron_job; no run, no last-run series", () => {
  const lastRun = {
    id: 7,
    job: 'nightly',
    scheduledAt: NOW - 60_000,
    trigger: 'schedule' as const,
    attempt: 2,
    state: 'FAILED' as const,
    dueAt: NOW - 60_000,
    endedAt: NOW - 1000,
    reason: 'EXITED' as const,
    exitCode: 3,
  };
  const series = frameworkSeries(
    { cron: { jobs: [job({ lastRun }), job({ name: 'fresh', finished: 0, succeeded: 0 })] } },
    NOW,
  );
  expect(values(series, 'agora_cron_job_last_run')).toEqual([
    { cron_job: 'nightly', state: 'FAILED', reason: 'EXITED', value: 1 },
  ]);
  expect(values(series, 'agora_cron_job_last_run_end_timestamp_seconds')).toEqual([
    { cron_job: 'nightly', value: (NOW - 1000) / 1000 },
  ]);
  expect(values(series, 'agora_cron_job_runs_finished').map((s) => s.cron_job)).toEqual(['nightly', 'fresh']);
});

it('renders one HELP/TYPE per metric, with the default labels', async () => {
  const { text } = await renderSeries(frameworkSeries({}, NOW), { master: 'm1' });
  expect(text).toBe(
    [
      '# HELP agora_framework_api_up Whether the framework API answered this scrape (api = service or cron)',
      '# TYPE agora_framework_api_up gauge',
      'agora_framework_api_up{api="service",master="m1"} 0',
      'agora_framework_api_up{api="cron",master="m1"} 0',
      '',
    ].join('\n'),
  );
});

it('asks only an API a subscribed framework declares as its apiSubject', async () => {
  const h = testMaster();
  try {
    const asked = () => h.nats.requests.map((r) => r.subject).filter((s) => s.startsWith('agora.v1.api.'));
    expect((await frameworkMetricsText(h.m)).text).toMatch(/agora_framework_api_up\{api="service",.*\} 0/);
    expect(asked()).toEqual([]);
    await h.call('svc', { type: 'SUBSCRIBE', framework: { id: 'svc', name: 'svc', apiSubject: SERVICE_API_SUBJECT } });
    h.nats.agentReply = (subject, call) =>
      subject === SERVICE_API_SUBJECT
        ? (call as { type: string }).type === 'list'
          ? { ok: true, apps: [] }
          : { ok: true, deployments: [] }
        : new Error('503 no responders');
    expect((await frameworkMetricsText(h.m)).text).toMatch(/agora_framework_api_up\{api="service",.*\} 1/);
    expect(asked().sort()).toEqual([SERVICE_API_SUBJECT, SERVICE_API_SUBJECT]);
  } finally {
    h.close();
  }
});
