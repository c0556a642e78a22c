/**
 * Tasks: filter by state, framework, agent and name; sorted and paginated by the master (`/api/v1/tasks`
 * with sort/order/limit/offset), so 10,000 tasks cost one page of rows. Filters live in the URL hash.
 */
import { background, get, q } from '../api';
import { ago, h, link, replace, section, stateBadge } from '../dom';
import { DataTable, type Column, type SortState } from '../table';
import type { AgentView, FrameworkView, TaskView } from '../types';
import type { View } from './view';

export const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
];
const PAGE_SIZE = 100;

/** Framework names by id, learnt when the filter options load; ids are shown until then. */
const frameworkNames = new Map<string, string>();

export const taskHref = (t: TaskView) =>
  `#/tasks/${encodeURIComponent(t.id)}?framework=${encodeURIComponent(t.frameworkId)}`;

export function taskColumns(): Column<TaskView>[] {
  return [
    { key: 'name', title: 'Name', cell: (t) => link(taskHref(t), t.name), value: (t) => t.name },
    { key: 'id', title: 'Id', cell: (t) => h('code', {}, t.id), value: (t) => t.id },
    {
      key: 'state',
      title: 'State',
      cell: (t) => h('span', {}, stateBadge(t.state), t.healthy === false ? stateBadge('UNHEALTHY') : null),
      value: (t) => t.state,
    },
    {
      key: 'framework',
      title: 'Framework',
      cell: (t) => h('span', { title: t.frameworkId }, frameworkNames.get(t.frameworkId) ?? t.frameworkId),
      value: (t) => t.frameworkId,
    },
    {
      key: 'agent',
      title: 'Agent',
      cell: (t) => link(`#/agents/${encodeURIComponent(t.agentId)}`, t.hostname ?? t.agentId),
      value: (t) => t.hostname ?? t.agentId,
    },
    { key: 'resources', title: 'Resources', cell: (t) => t.resources, sortable: false },
    { key: 'updated', title: 'Updated', cell: (t) => ago(t.updatedAt), value: (t) => -t.updatedAt },
  ];
}

interface Filters {
  state: string;
  framework: string;
  agent: string;
  name: string;
  sort: string;
  order: string;
  page: number;
}

export function tasksView(params: URLSearchParams): View {
  const f: Filters = {
    state: params.get('state') ?? '',
    framework: params.get('framework') ?? '',
    agent: params.get('agent') ?? '',
    name: params.get('name') ?? '',
    sort: params.get('sort') ?? 'updated',
    order: params.get('order') ?? 'desc',
    page: Number(params.get('page') ?? 0) || 0,
  };
  const onSort = (s: SortState) => {
    f.sort = s.key;
    f.order = s.order;
    f.page = 0;
    background(load(), 'loading tasks');
  };
  const table = new DataTable<TaskView>(
    taskColumns(),
    { key: f.sort, order: f.order as 'asc' },
    { label: 'Tasks', empty: 'no tasks match', onSort, rowKey: (t) => `${t.frameworkId}/${t.id}` },
  );
  const select = (label: string, key: 'state' | 'framework' | 'agent', options: [string, string][]) => {
    const el = h(
      'select',
      {
        id: `filter-${key}`,
        onchange: () => {
          f[key] = el.value;
          f.page = 0;
          background(load(), 'loading tasks');
        },
      },
      h('option', { value: '' }, `any ${label}`),
      ...options.map(([v, text]) => h('option', { value: v, selected: v === f[key] }, text)),
    );
    return h('label', {}, `${label} `, el);
  };
  let nameTimer: number | undefined;
  const name = h('input', {
    id: 'filter-name',
    type: 'search',
    placeholder: 'name or id contains…',
    value: f.name,
    oninput: () => {
      clearTimeout(nameTimer);
      nameTimer = window.setTimeout(() => {
        f.name = name.value;
        f.page = 0;
        background(load(), 'loading tasks');
      }, 200);
    },
  });
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of tasks' });
  const el = h('div', {}, section('Tasks', filters, table.el, pager));

  async function options(): Promise<void> {
    const [fw, ag] = await Promise.all([
      get<{ frameworks: FrameworkView[] }>('/api/v1/frameworks'),
      get<{ agents: AgentView[] }>('/api/v1/agents'),
    ]);
    for (const x of fw.frameworks) frameworkNames.set(x.id, x.name);
    replace(
      filters,
      select(
        'state',
        'state',
        TASK_STATES.map((s) => [s, s.replace('TASK_', '').toLowerCase()]),
      ),
      select(
        'framework',
        'framework',
        fw.frameworks.map((x) => [x.id, x.name]),
      ),
      select(
        'agent',
        'agent',
        ag.agents.map((x) => [x.id, x.hostname]),
      ),
      h('label', {}, 'name ', name),
    );
  }

  async function load(): Promise<void> {
    const query = {
      state: f.state,
      framework: f.framework,
      agent: f.agent,
      name: f.name,
      sort: f.sort,
      order: f.order,
    };
    history.replaceState(null, '', `#/tasks${q({ ...query, page: f.page || undefined })}`);
    const res = await get<{ total: number; tasks: TaskView[] }>(
      `/api/v1/tasks${q({ ...query, limit: PAGE_SIZE, offset: f.page * PAGE_SIZE })}`,
    );
    table.setRows(res.tasks);
    const pages = Math.max(1, Math.ceil(res.total / PAGE_SIZE));
    const go = (p: number) => () => {
      f.page = p;
      background(load(), 'loading tasks');
    };
    replace(
      pager,
      h(
        'button',
        { type: 'button', disabled: f.page === 0, onclick: go(f.page - 1), 'aria-label': 'previous page' },
        '‹ prev',
      ),
      h(
        'span',
        { class: 'count', 'aria-live': 'polite' },
        res.total === 0
          ? '0 tasks'
          : `${f.page * PAGE_SIZE + 1}–${Math.min(res.total, (f.page + 1) * PAGE_SIZE)} of ${res.total} · page ${f.page + 1} of ${pages}`,
      ),
      h(
        'button',
        { type: 'button', disabled: f.page >= pages - 1, onclick: go(f.page + 1), 'aria-label': 'next page' },
        'next ›',
      ),
    );
  }

  let optionsLoaded = false;
  return {
    el,
    title: 'Tasks',
    async refresh() {
      if (!optionsLoaded) {
        optionsLoaded = true;
        void options().catch(() => {
          optionsLoaded = false;
        });
      }
      await load();
    },
    wants: (e) => e.type === 'TASK_UPDATED',
  };
}
