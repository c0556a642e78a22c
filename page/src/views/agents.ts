/** Agents: the list, and one agent's page with its tasks. */
import { actionBar, changed } from '../actions';
import { get, send } from '../api';
import { ago, bar, dl, h, link, num, replace, section, stateBadge } from '../dom';
import { DataTable } from '../table';
import type { AgentDetailView, AgentView, TaskView } from '../types';
import { taskColumns } from './tasks';
import type { View } from './view';

const attrText = (a: AgentView) =>
  a.attributes
    .filter((x) => x.name !== 'containerizers')
    .map((x) => `${x.name}:${x.text ?? x.scalar ?? ''}`)
    .join(' ');
const usage = (a: AgentView, k: string) => `${num(a.usedScalars[k] ?? 0)} / ${num(a.totalScalars[k] ?? 0)}`;

export function agentsView(): View {
  const table = new DataTable<AgentView>(
    [
      {
        key: 'hostname',
        title: 'Hostname',
        cell: (a) => link(`#/agents/${encodeURIComponent(a.id)}`, a.hostname),
        value: (a) => a.hostname,
      },
      { key: 'state', title: 'State', cell: (a) => stateBadge(a.state), value: (a) => a.state },
      {
        key: 'cpus',
        title: 'CPUs used/total',
        cell: (a) => usage(a, 'cpus'),
        value: (a) => a.usedScalars.cpus ?? 0,
        numeric: true,
      },
      {
        key: 'mem',
        title: 'Mem MB used/total',
        cell: (a) => usage(a, 'mem'),
        value: (a) => a.usedScalars.mem ?? 0,
        numeric: true,
      },
      {
        key: 'disk',
        title: 'Disk MB used/total',
        cell: (a) => usage(a, 'disk'),
        value: (a) => a.usedScalars.disk ?? 0,
        numeric: true,
      },
      { key: 'tasks', title: 'Tasks', cell: (a) => a.taskCount, numeric: true },
      { key: 'containerizers', title: 'Containerizers', cell: (a) => a.containerizers.join(', ') },
      { key: 'attributes', title: 'Attributes', cell: attrText },
      {
        key: 'heartbeat',
        title: 'Last heartbeat',
        cell: (a) => ago(a.lastHeartbeatAt),
        value: (a) => -a.lastHeartbeatAt,
      },
    ],
    { key: 'hostname', order: 'asc' },
    { label: 'Agents', empty: 'no agents registered', rowKey: (a) => a.id },
  );
  const el = h('div', {}, section('Agents', table.el));
  return {
    el,
    title: 'Agents',
    async refresh() {
      table.setRows((await get<{ agents: AgentView[] }>('/api/v1/agents')).agents);
    },
    wants: (e) => e.type.startsWith('AGENT_') || e.type === 'TASK_UPDATED',
  };
}

export function agentView(id: string): View {
  const head = h('div', {});
  const tasks = new DataTable<TaskView>(
    taskColumns(),
    { key: 'name', order: 'asc' },
    { label: 'Tasks on this agent', empty: 'no live tasks on this agent' },
  );
  const el = h(
    'div',
    {},
    head,
    section(
      'Live tasks',
      tasks.el,
      h(
        'p',
        {},
        link(`#/tasks?agent=${encodeURIComponent(id)}`, 'all tasks of this agent, including completed ones →'),
      ),
    ),
  );
  return {
    el,
    title: 'Agent',
    async refresh() {
      const a = await get<AgentDetailView>(`/api/v1/agents/${encodeURIComponent(id)}`);
      replace(
        head,
        section(
          `Agent ${a.hostname}`,
          dl([
            ['id', a.id],
            ['state', stateBadge(a.state)],
            ['attributes', attrText(a) || '-'],
            ['containerizers', a.containerizers.join(', ')],
            ['resources', a.resources.total],
            ['offered', a.resources.offered || '-'],
            ['registered', ago(a.registeredAt)],
            ['last heartbeat', ago(a.lastHeartbeatAt)],
            ['metrics', a.httpUrl ? h('a', { href: `${a.httpUrl}/metrics` }, `${a.httpUrl}/metrics`) : '-'],
          ]),
          ...['cpus', 'mem', 'disk']
            .filter((k) => a.totalScalars[k] !== undefined)
            .map((k) => bar(k, a.usedScalars[k] ?? 0, a.totalScalars[k])),
          actionBar(
            a.state === 'ACTIVE' && {
              label: 'Drain',
              permission: 'agent:drain',
              danger: true,
              done: `${a.hostname} is draining`,
              after: changed,
              confirm: `Drain ${a.hostname}? It gets no new tasks; its tasks are killed if still running after the deadline.`,
              input: { label: 'deadline (minutes)', value: 10, min: 0, max: 43_200 },
              run: (minutes) =>
                send('POST', `/api/v1/agents/${encodeURIComponent(a.id)}/drain`, { deadline: `${minutes ?? 10}m` }),
            },
            (a.state === 'DRAINING' || a.state === 'DRAINED') && {
              label: 'Undrain',
              permission: 'agent:drain',
              done: `${a.hostname} takes tasks again`,
              after: changed,
              confirm: `Undrain ${a.hostname}? Its resources are offered again.`,
              run: () => send('POST', `/api/v1/agents/${encodeURIComponent(a.id)}/undrain`, {}),
            },
          ),
        ),
      );
      tasks.setRows(a.tasks);
    },
    wants: (e) => e.type.startsWith('AGENT_') || e.type === 'TASK_UPDATED',
  };
}
