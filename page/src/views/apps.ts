/**
 * The service framework's apps and the cron framework's jobs, through the master's proxy routes
 * (/api/v1/apps, /api/v1/jobs). A framework nobody answers for shows as unavailable; the rest still works.
 */
import { actionBar, changed } from '../actions';
import { get, HttpError, send } from '../api';
import { ago, dl, h, link, notice, replace, section, stateBadge, time } from '../dom';
import { DataTable } from '../table';
import type { View } from './view';
import type { AutoscaleView, LoadBalancer, VolumeView } from 'agora/sdk/service';

interface AppSummary {
  id: string;
  version: number;
  instances: number;
  running: number;
  ready: number;
  staging: number;
  waiting?: string;
  delayedUntil?: number;
  deploymentId?: string;
}
interface Instance {
  instanceId: string;
  taskId: string;
  hostname: string;
  state: string;
  healthy?: boolean;
  ready: boolean;
  ports: number[];
  launchedAt: number;
  version: number;
}
interface Deployment {
  id: string;
  kind: string;
  state: string;
  ready: number;
  target: number;
  old: number;
  message?: string;
  updatedAt: number;
}
interface AppDetail extends AppSummary {
  instanceList: Instance[];
  deployment?: Deployment;
  definition: { loadBalancer?: LoadBalancer };
  autoscale?: AutoscaleView;
  volumes?: VolumeView[];
}

/** The app's name in the cluster's DNS (dns/): `/shop/cart` → `cart.shop.agora.` (SRV: `_port0._tcp.` before it). */
export const dnsNameOf = (appId: string): string => `${appId.split('/').filter(Boolean).reverse().join('.')}.agora.`;

function autoscaleText(a: AutoscaleView): string {
  return `${a.min}–${a.max} instances, ${a.metric} toward ${a.target} of requested: ${a.status}`;
}
interface Run {
  id: number;
  state: string;
  trigger: string;
  attempt: number;
  scheduledAt: number;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  reason?: string;
  taskId?: string;
}
interface JobSummary {
  name: string;
  schedule?: string;
  timezone: string;
  parents: string[];
  disabled: boolean;
  nextRunAt?: number;
  lastRun?: Run;
  activeRuns: number;
  succeeded: number;
  finished: number;
}

/** Loads one framework's part; a 503 (nobody answers) becomes a notice instead of an error page. */
async function part<T>(what: string, load: () => Promise<T>, render: (x: T) => HTMLElement): Promise<HTMLElement> {
  try {
    return render(await load());
  } catch (e) {
    if (e instanceof HttpError && (e.status === 503 || e.status === 502))
      return notice(`${what} framework unavailable: ${e.message}`, 'error');
    throw e;
  }
}

export function appsView(): View {
  const apps = new DataTable<AppSummary>(
    [
      { key: 'id', title: 'App', cell: (a) => link(`#/apps${a.id}`, a.id), value: (a) => a.id },
      {
        key: 'instances',
        title: 'Instances',
        cell: (a) => `${a.running} running / ${a.instances} wanted`,
        value: (a) => a.instances,
        numeric: true,
      },
      {
        key: 'ready',
        title: 'Ready (healthy)',
        cell: (a) => `${a.ready} / ${a.instances}`,
        value: (a) => a.ready,
        numeric: true,
      },
      {
        key: 'deployment',
        title: 'Deployment',
        cell: (a) => (a.deploymentId ? stateBadge('DEPLOYING') : '-'),
        value: (a) => (a.deploymentId ? 1 : 0),
      },
      { key: 'version', title: 'Version', cell: (a) => a.version, numeric: true },
      {
        key: 'waiting',
        title: 'Waiting',
        cell: (a) => a.waiting ?? (a.delayedUntil ? `backoff until ${time(a.delayedUntil)}` : '-'),
      },
    ],
    { key: 'id', order: 'asc' },
    { label: 'Apps', empty: 'no apps deployed', rowKey: (a) => a.id },
  );
  const jobs = new DataTable<JobSummary>(
    [
      {
        key: 'name',
        title: 'Job',
        cell: (j) => link(`#/jobs/${encodeURIComponent(j.name)}`, j.name),
        value: (j) => j.name,
      },
      {
        key: 'schedule',
        title: 'Schedule',
        cell: (j) => j.schedule ?? (j.parents.length ? `after ${j.parents.join(', ')}` : 'manual'),
      },
      {
        key: 'next',
        title: 'Next run',
        cell: (j) => (j.disabled ? 'disabled' : j.nextRunAt ? ago(j.nextRunAt) : '-'),
        value: (j) => j.nextRunAt ?? Infinity,
      },
      {
        key: 'last',
        title: 'Last result',
        cell: (j) =>
          j.lastRun
            ? h('span', {}, stateBadge(j.lastRun.state), ` ${ago(j.lastRun.endedAt ?? j.lastRun.scheduledAt)}`)
            : '-',
        value: (j) => j.lastRun?.state,
      },
      { key: 'active', title: 'Active runs', cell: (j) => j.activeRuns, numeric: true },
      {
        key: 'success',
        title: 'Succeeded',
        cell: (j) => `${j.succeeded} / ${j.finished}`,
        value: (j) => (j.finished ? j.succeeded / j.finished : -1),
        numeric: true,
      },
    ],
    { key: 'name', order: 'asc' },
    { label: 'Jobs', empty: 'no jobs', rowKey: (j) => j.name },
  );
  const appsBox = h('div', {});
  const jobsBox = h('div', {});
  const el = h('div', {}, section('Apps (service framework)', appsBox), section('Jobs (cron framework)', jobsBox));
  return {
    el,
    title: 'Apps & jobs',
    async refresh() {
      const [a, j] = await Promise.all([
        part(
          'service',
          () => get<{ apps: AppSummary[] }>('/api/v1/apps'),
          (x) => {
            apps.setRows(x.apps);
            return apps.el;
          },
        ),
        part(
          'cron',
          () => get<{ jobs: JobSummary[] }>('/api/v1/jobs'),
          (x) => {
            jobs.setRows(x.jobs);
            return jobs.el;
          },
        ),
      ]);
      if (appsBox.firstChild !== a) replace(appsBox, a);
      if (jobsBox.firstChild !== j) replace(jobsBox, j);
    },
    wants: (e) => e.type === 'TASK_UPDATED' || e.type.startsWith('FRAMEWORK_'),
  };
}

export function appView(appId: string): View {
  const head = h('div', {});
  const instances = new DataTable<Instance>(
    [
      {
        key: 'instance',
        title: 'Instance',
        cell: (i) => link(`#/tasks/${encodeURIComponent(i.taskId)}`, i.instanceId),
        value: (i) => i.instanceId,
      },
      { key: 'state', title: 'State', cell: (i) => stateBadge(i.state), value: (i) => i.state },
      {
        key: 'health',
        title: 'Health',
        cell: (i) => (i.healthy === undefined ? '-' : stateBadge(i.healthy ? 'HEALTHY' : 'UNHEALTHY')),
      },
      { key: 'host', title: 'Host', cell: (i) => `${i.hostname}${i.ports.length ? `:${i.ports.join(',')}` : ''}` },
      { key: 'version', title: 'Version', cell: (i) => i.version, numeric: true },
      { key: 'launched', title: 'Launched', cell: (i) => ago(i.launchedAt), value: (i) => -i.launchedAt },
    ],
    { key: 'instance', order: 'asc' },
    { label: 'Instances', empty: 'no instances' },
  );
  const volumes = new DataTable<VolumeView>(
    [
      { key: 'path', title: 'Path', cell: (v) => v.containerPath },
      { key: 'size', title: 'Size', cell: (v) => `${v.sizeMb} MB`, value: (v) => v.sizeMb, numeric: true },
      { key: 'host', title: 'Host', cell: (v) => v.hostname },
      {
        key: 'held',
        title: 'Held by',
        cell: (v) => (v.destroying ? 'being destroyed' : (v.instanceId ?? 'free (its next instance goes here)')),
      },
      { key: 'id', title: 'Persistence id', cell: (v) => v.persistenceId },
    ],
    { key: 'path', order: 'asc' },
    { label: 'Persistent volumes', empty: 'no persistent volumes' },
  );
  const volumesBox = h('div', {});
  const el = h('div', {}, head, section('Instances', instances.el), volumesBox);
  return {
    el,
    title: `App ${appId}`,
    async refresh() {
      const { app } = await get<{ app: AppDetail }>(`/api/v1/apps${appId}`);
      const d = app.deployment;
      replace(
        head,
        section(
          `App ${app.id}`,
          dl([
            ['version', String(app.version)],
            ['instances', `${app.running} running, ${app.ready} ready of ${app.instances}`],
            [
              'deployment',
              d
                ? h(
                    'span',
                    {},
                    stateBadge(d.state),
                    ` ${d.kind}: ${d.ready}/${d.target} ready, ${d.old} old${d.message ? ` — ${d.message}` : ''}`,
                  )
                : 'none in progress',
            ],
            ['waiting', app.waiting ?? '-'],
            ['DNS', `${dnsNameOf(app.id)} (A), _port0._tcp.${dnsNameOf(app.id)} (SRV)`],
            [
              'load balancer',
              app.definition.loadBalancer
                ? `port ${app.definition.loadBalancer.port} (${app.definition.loadBalancer.mode}) → the app's port ${app.definition.loadBalancer.portIndex ?? 0}`
                : 'none',
            ],
            ['autoscale', app.autoscale ? autoscaleText(app.autoscale) : 'off'],
          ]),
          appActions(app),
        ),
      );
      instances.setRows(app.instanceList);
      if (app.volumes && app.volumes.length > 0) {
        volumes.setRows(app.volumes);
        if (volumesBox.firstChild === null) volumesBox.append(section('Persistent volumes', volumes.el));
      }
    },
  };
}

export function jobView(name: string): View {
  const head = h('div', {});
  const runs = new DataTable<Run>(
    [
      { key: 'id', title: 'Run', cell: (r) => `#${r.id}`, value: (r) => r.id, numeric: true },
      { key: 'state', title: 'State', cell: (r) => stateBadge(r.state), value: (r) => r.state },
      {
        key: 'trigger',
        title: 'Trigger',
        cell: (r) => `${r.trigger}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`,
      },
      { key: 'scheduled', title: 'Scheduled', cell: (r) => time(r.scheduledAt), value: (r) => r.scheduledAt },
      {
        key: 'ended',
        title: 'Ended',
        cell: (r) => (r.endedAt ? ago(r.endedAt) : '-'),
        value: (r) => r.endedAt ?? Infinity,
      },
      {
        key: 'result',
        title: 'Result',
        cell: (r) => [r.reason, r.exitCode === undefined ? '' : `exit ${r.exitCode}`].filter(Boolean).join(' ') || '-',
      },
      {
        key: 'task',
        title: 'Task',
        cell: (r) => (r.taskId ? link(`#/tasks/${encodeURIComponent(r.taskId)}`, r.taskId) : '-'),
        value: (r) => r.taskId,
      },
    ],
    { key: 'id', order: 'desc' },
    { label: 'Run history', empty: 'no runs yet' },
  );
  const el = h('div', {}, head, section('Run history', runs.el));
  return {
    el,
    title: `Job ${name}`,
    async refresh() {
      const [{ job }, { runs: list }] = await Promise.all([
        get<{ job: { summary: JobSummary; nextRuns: number[]; children: string[] } }>(
          `/api/v1/jobs/${encodeURIComponent(name)}`,
        ),
        get<{ runs: Run[] }>(`/api/v1/jobs/${encodeURIComponent(name)}/runs?limit=50`),
      ]);
      const s = job.summary;
      replace(
        head,
        section(
          `Job ${s.name}`,
          dl([
            ['schedule', s.schedule ?? '-'],
            ['time zone', s.timezone],
            ['state', s.disabled ? 'disabled' : 'enabled'],
            [
              'next runs',
              job.nextRuns
                .slice(0, 3)
                .map((t) => time(t))
                .join(' · ') || '-',
            ],
            ['after', s.parents.join(', ') || '-'],
            ['children', job.children.join(', ') || '-'],
          ]),
          actionBar({
            label: 'Run now',
            permission: 'framework:operate',
            done: `${s.name}: run started`,
            after: changed,
            confirm: `Run job ${s.name} now (outside its schedule)?`,
            run: () => send('POST', `/api/v1/jobs/${encodeURIComponent(s.name)}/run`, {}),
          }),
        ),
      );
      runs.setRows(list);
    },
    wants: (e) => e.type === 'TASK_UPDATED',
  };
}

/** Scale, restart, suspend, remove, and cancel the deployment in progress — Marathon's app actions. */
function appActions(app: AppDetail): HTMLElement {
  const path = `/api/v1/apps${app.id}`;
  const d = app.deployment;
  return actionBar(
    {
      label: 'Scale',
      permission: 'framework:operate',
      done: `${app.id}: scaling`,
      after: changed,
      confirm: `Scale ${app.id} to how many instances?`,
      input: { label: 'instances', value: app.instances, min: 0, max: 10_000 },
      run: (instances) => send('POST', `${path}/scale`, { instances }),
    },
    {
      label: 'Restart',
      permission: 'framework:operate',
      done: `${app.id}: restarting`,
      after: changed,
      confirm: `Restart ${app.id}? Its instances are replaced by a rolling deployment.`,
      run: () => send('POST', `${path}/restart`, {}),
    },
    app.instances > 0 && {
      label: 'Suspend',
      permission: 'framework:operate',
      danger: true,
      done: `${app.id}: suspended`,
      after: changed,
      confirm: `Suspend ${app.id}? It is scaled to 0 instances (scale it up again to resume).`,
      run: () => send('POST', `${path}/suspend`, {}),
    },
    d &&
      d.state !== 'SUCCEEDED' &&
      d.state !== 'CANCELLED' &&
      d.state !== 'FAILED' && {
        label: 'Cancel deployment',
        permission: 'framework:operate',
        danger: true,
        done: `deployment ${d.id} cancelled`,
        after: changed,
        confirm: `Cancel deployment ${d.id} (${d.kind}) of ${app.id}?`,
        run: () => send('POST', `/api/v1/deployments/${encodeURIComponent(d.id)}/cancel`, {}),
      },
    {
      label: 'Remove',
      permission: 'framework:operate',
      danger: true,
      done: `${app.id}: removed`,
      after: () => {
        location.hash = '#/apps';
      },
      confirm: `Remove ${app.id}? Every instance is killed and the app is forgotten.`,
      run: () => send('DELETE', path),
    },
  );
}
