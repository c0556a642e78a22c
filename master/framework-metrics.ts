/**
 * `GET /metrics/frameworks`: the service and cron frameworks' numbers in Prometheus text, published through the
 * master. The frameworks have no HTTP endpoint of their own; at scrape time the master asks the NATS APIs the
 * SDK defines — only one a subscribed framework declares as its `apiSubject` — (`agora.v1.api.service`:
 * deployments, apps and each deploying app's definition; `agora.v1.api.cron`: jobs) with a short timeout,
 * validates the replies with the SDK's schemas, and turns them into gauges. An API nobody declares or that does
 * not answer shows as `agora_framework_api_up{api="service"} 0` and its series are absent.
 *
 *   shell: frameworkMetricsText(m)  — NATS requests (in parallel), then
 *   core:  frameworkSeries(snapshot, now) — a pure function of the replies and the clock
 */
import { Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import {
  AppSummarySchema,
  CRON_API_SUBJECT,
  DeploymentViewSchema,
  JobSummarySchema,
  SERVICE_API_SUBJECT,
  request,
  type AppSummary,
  type DeploymentView,
  type JobSummary,
} from '../sdk';
import type { Master } from './master';

const TIMEOUT_MS = 1500;

export interface FrameworkSnapshot {
  /** Undefined when the service framework did not answer. */
  service?: { apps: AppSummary[]; deployments: DeploymentView[]; deadlineSeconds: Map<string, number> };
  cron?: { jobs: JobSummary[] };
}

export interface Series {
  name: string;
  help: string;
  labels: Record<string, string>;
  value: number;
}

const HELP = {
  up: 'Whether the framework API answered this scrape (api = service or cron)',
  instances: 'Instances of the app wanted by its definition',
  ready: 'Instances of the app that are running and, with health checks, healthy',
  deployments: 'Active deployments by state (RUNNING or PAUSED)',
  sinceProgress: 'Per active deployment: time since it last made progress',
  deadline: "Per active deployment: its app's progressDeadlineSeconds",
  lastRun: 'Per job that has runs: 1, labelled with the state and reason of its newest run',
  lastRunEnd: 'Per job: when its newest run ended, Unix seconds (absent while it has not ended)',
  active: 'Per job: runs QUEUED or RUNNING',
  finished: 'Per job: finished runs among the runs kept',
  succeeded: 'Per job: SUCCEEDED runs among the runs kept',
} as const;

/** Pure: the series for one scrape. `cron_job` (not `job`, which Prometheus sets to the scrape job). */
export function frameworkSeries(s: FrameworkSnapshot, now: number): Series[] {
  const out: Series[] = [];
  const add = (name: string, help: string, labels: Record<string, string>, value: number) =>
    out.push({ name, help, labels, value });
  add('agora_framework_api_up', HELP.up, { api: 'service' }, s.service ? 1 : 0);
  add('agora_framework_api_up', HELP.up, { api: 'cron' }, s.cron ? 1 : 0);
  if (s.service) {
    for (const a of s.service.apps) {
      add('agora_service_app_instances', HELP.instances, { app: a.id }, a.instances);
      add('agora_service_app_instances_ready', HELP.ready, { app: a.id }, a.ready);
    }
    const active = s.service.deployments.filter((d) => d.state === 'RUNNING' || d.state === 'PAUSED');
    for (const state of ['RUNNING', 'PAUSED'])
      add('agora_service_deployments', HELP.deployments, { state }, active.filter((d) => d.state === state).length);
    for (const d of active) {
      const labels = { app: d.appId, deployment: d.id, kind: d.kind };
      add(
        'agora_service_deployment_since_progress_seconds',
        HELP.sinceProgress,
        { ...labels, state: d.state },
        Math.max(0, now - d.lastProgressAt) / 1000,
      );
      const deadline = s.service.deadlineSeconds.get(d.appId);
      if (deadline !== undefined)
        add('agora_service_deployment_progress_deadline_seconds', HELP.deadline, labels, deadline);
    }
  }
  for (const j of s.cron?.jobs ?? []) {
    const cron_job = j.name;
    if (j.lastRun) {
      add(
        'agora_cron_job_last_run',
        HELP.lastRun,
        { cron_job, state: j.lastRun.state, reason: j.lastRun.reason ?? '' },
        1,
      );
      if (j.lastRun.endedAt !== undefined)
        add('agora_cron_job_last_run_end_timestamp_seconds', HELP.lastRunEnd, { cron_job }, j.lastRun.endedAt / 1000);
    }
    add('agora_cron_job_active_runs', HELP.active, { cron_job }, j.activeRuns);
    add('agora_cron_job_runs_finished', HELP.finished, { cron_job }, j.finished);
    add('agora_cron_job_runs_succeeded', HELP.succeeded, { cron_job }, j.succeeded);
  }
  return out;
}

/** Renders series as Prometheus text through a registry made for this scrape. */
export async function renderSeries(
  series: Series[],
  defaultLabels: Record<string, string>,
): Promise<{ text: string; contentType: string }> {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  const gauges = new Map<string, Gauge>();
  for (const s of series) {
    let g = gauges.get(s.name);
    if (!g) {
      g = new Gauge({ name: s.name, help: s.help, labelNames: Object.keys(s.labels), registers: [registry] });
      gauges.set(s.name, g);
    }
    g.set(s.labels, s.value);
  }
  return { text: await registry.metrics(), contentType: registry.contentType };
}

/** The shell: asks both frameworks, logs (not throws) when one does not answer or answers nonsense. */
export async function frameworkMetricsText(m: Master): Promise<{ text: string; contentType: string }> {
  const [service, cron] = await Promise.all([
    askService(m).catch((e: Error) => {
      m.log.debug({ err: e.message }, 'metrics: service framework did not answer');
      return undefined;
    }),
    ask(m, CRON_API_SUBJECT, { type: 'list' }, z.object({ jobs: z.array(JobSummarySchema) })).catch((e: Error) => {
      m.log.debug({ err: e.message }, 'metrics: cron framework did not answer');
      return undefined;
    }),
  ]);
  return renderSeries(frameworkSeries({ service, cron }, m.clock.now()), { master: m.id });
}

async function askService(m: Master): Promise<NonNullable<FrameworkSnapshot['service']>> {
  const [{ apps }, { deployments }] = await Promise.all([
    ask(m, SERVICE_API_SUBJECT, { type: 'list' }, z.object({ apps: z.array(AppSummarySchema) })),
    ask(
      m,
      SERVICE_API_SUBJECT,
      { type: 'deployments', all: false },
      z.object({ deployments: z.array(DeploymentViewSchema) }),
    ),
  ]);
  const deploying = [...new Set(deployments.map((d) => d.appId))];
  const deadlineOf = z.object({
    app: z.object({ definition: z.object({ deployment: z.object({ progressDeadlineSeconds: z.number() }) }) }),
  });
  const deadlines = await Promise.all(
    deploying.map(async (appId) => {
      try {
        const { app } = await ask(m, SERVICE_API_SUBJECT, { type: 'show', appId }, deadlineOf);
        return [[appId, app.definition.deployment.progressDeadlineSeconds] as const];
      } catch (e) {
        // An app being removed may already be gone: its deployment shows without a deadline series.
        m.log.debug({ appId, err: (e as Error).message }, 'metrics: no deadline for a deploying app');
        return [];
      }
    }),
  );
  return { apps, deployments, deadlineSeconds: new Map(deadlines.flat()) };
}

/** Asks an API only a subscribed framework declares (its FrameworkInfo `apiSubject`): the master knows none by name. */
async function ask<T>(m: Master, subject: string, body: object, schema: z.ZodType<T>): Promise<T> {
  if (![...m.state.frameworks.values()].some((fw) => fw.info.apiSubject === subject))
    throw new Error(`no subscribed framework declares ${subject} as its apiSubject`);
  const reply = await request(m.nc, subject, body, { timeoutMs: TIMEOUT_MS });
  const parsed = schema.safeParse(reply);
  if (!parsed.success)
    throw new Error(
      `${subject} ${JSON.stringify(body)}: unexpected reply: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
