/**
 * The cron framework's NATS API (`agora.v1.api.cron`): one handler per request type, each a few lines over
 * the service and the store. Replies are the shapes declared in sdk/jobs.ts; refusals are ApiErrors that
 * name the field at fault.
 */
import { ApiError } from 'agora/sdk';
import {
  type CronReplies,
  type CronRequestParsed,
  type JobDetail,
  type JobSummary,
  type RunView,
} from 'agora/sdk/cron';
import { childrenOf } from './dag';
import { nextAfter, nextSlots } from './schedule';
import type { CronService } from './service';
import { toNotificationView, type RunRow, type StoredJob } from './store';
import { formatProblems, validateJob } from './validate';

type Handlers = { [K in keyof CronReplies]: (req: Extract<CronRequestParsed, { type: K }>) => CronReplies[K] };

export function cronApi(service: CronService, now: () => number): (req: CronRequestParsed) => object {
  const store = service.jobs;
  const graph = () => new Map(store.listJobs().map((j) => [j.spec.name, j.spec.parents]));
  const mustGet = (name: string): StoredJob => {
    const job = store.getJob(name);
    if (!job) throw new ApiError('NOT_FOUND', `no job named '${name}' (see: agora job list)`, 'name');
    return job;
  };
  const view = (r: RunRow): RunView => {
    const { killReason: _k, ...v } = r;
    return v;
  };
  /** Runs with their notifications and every delivery attempt (one query for the lot). */
  const views = (runs: RunRow[]): RunView[] => {
    const notes = store.notificationsOf(runs.map((r) => r.id));
    return runs.map((r) => {
      const n = notes.get(r.id);
      return n ? { ...view(r), notifications: n.map(toNotificationView) } : view(r);
    });
  };
  const summary = (j: StoredJob): JobSummary => {
    const schedule = service.scheduleOf(j.spec);
    const stats = store.stats(j.spec.name);
    const last = store.latestRun(j.spec.name);
    const next = schedule && !j.spec.disabled ? nextAfter(schedule, Math.max(j.cursorMs, now())) : null;
    return {
      name: j.spec.name,
      schedule: j.spec.schedule,
      timezone: j.spec.timezone,
      parents: j.spec.parents,
      disabled: j.spec.disabled,
      concurrencyPolicy: j.spec.concurrencyPolicy,
      ...(next !== null ? { nextRunAt: next } : {}),
      ...(last ? { lastRun: view(last) } : {}),
      activeRuns: store.activeRuns(j.spec.name).length,
      succeeded: stats.succeeded,
      finished: stats.finished,
    };
  };
  const detail = (name: string): JobDetail => {
    const j = mustGet(name);
    const schedule = service.scheduleOf(j.spec);
    return {
      spec: j.spec,
      summary: summary(j),
      children: childrenOf(graph(), name),
      createdAt: j.createdAt,
      updatedAt: j.updatedAt,
      nextRuns: schedule && !j.spec.disabled ? nextSlots(schedule, Math.max(j.cursorMs, now()), 5) : [],
    };
  };
  const runOf = (name: string, runId?: number): RunRow => {
    mustGet(name);
    const run = runId === undefined ? store.latestRun(name) : store.getRun(runId);
    if (!run || run.job !== name)
      throw new ApiError(
        'NOT_FOUND',
        runId === undefined ? `job '${name}' has no runs yet` : `job '${name}' has no run ${runId}`,
        'runId',
      );
    return run;
  };

  const handlers: Handlers = {
    submit: (req) => {
      const others = graph();
      const name = (req.job as { name?: unknown } | null)?.name;
      if (typeof name === 'string') others.delete(name);
      const v = validateJob(req.job, others);
      if (!v.ok) {
        throw new ApiError(
          'INVALID',
          `job refused (${v.problems.length} problem${v.problems.length > 1 ? 's' : ''}):\n${formatProblems(v.problems)}`,
          v.problems[0]!.field,
          { issues: v.problems.map((p) => ({ field: p.field, message: p.message })) },
        );
      }
      const { created } = store.putJob(v.spec, now());
      service.tick();
      return { job: detail(v.spec.name), created };
    },
    list: () => ({ jobs: store.listJobs().map(summary) }),
    show: (req) => ({ job: detail(req.name) }),
    run: (req) => ({ run: view(service.runNow(req.name, req.parameters)) }),
    history: (req) => {
      mustGet(req.name);
      return { runs: views(store.history(req.name, req.limit, req.beforeId)) };
    },
    getRun: (req) => ({ run: views([runOf(req.name, req.runId)])[0]! }),
    logs: (req) => {
      const run =
        req.runId === undefined
          ? (store.history(req.name, 1000).find((r) => r.taskId) ?? runOf(req.name))
          : runOf(req.name, req.runId);
      return {
        run: view(run),
        ...(run.taskId ? { taskId: run.taskId } : {}),
        ...(run.agentId ? { agentId: run.agentId } : {}),
        files: run.taskId ? ['stdout', 'stderr'] : [],
      };
    },
    enable: (req) => {
      mustGet(req.name);
      store.setDisabled(req.name, false, now());
      service.tick();
      return { job: detail(req.name) };
    },
    disable: (req) => {
      mustGet(req.name);
      store.setDisabled(req.name, true, now());
      service.tick();
      return { job: detail(req.name) };
    },
    remove: (req) => {
      mustGet(req.name);
      const children = childrenOf(graph(), req.name);
      if (children.length > 0)
        throw new ApiError(
          'CONFLICT',
          `'${req.name}' is a parent of ${children.join(', ')}; remove or change those first`,
          'name',
        );
      const killed = store.activeRuns(req.name).map((r) => r.id);
      for (const id of killed) service.killRun(id, 'JOB_REMOVED', `job '${req.name}' removed`);
      store.removeJob(req.name);
      service.tick();
      return { removed: req.name, killed };
    },
    kill: (req) => {
      const run = runOf(req.name, req.runId);
      if (run.state !== 'QUEUED' && run.state !== 'RUNNING')
        throw new ApiError('CONFLICT', `run ${run.id} already ended (${run.state})`, 'runId');
      service.killRun(run.id, 'KILLED', 'killed on request');
      return { run: view(store.getRun(run.id)!) };
    },
  };
  return (req) => (handlers[req.type] as (r: CronRequestParsed) => object)(req);
}
