/** Read-only API routes: state, agents, frameworks, tasks (with filters and paging). */
import type { FastifyInstance } from 'fastify';
import { AgentIdSchema, FrameworkIdSchema, TaskStateSchema } from '../../sdk';
import type { Master } from '../master';
import { badRequest, notFound } from './errors';
import type { TaskRecord } from '../state';
import { agentView, allTasks, frameworkView, stateView, taskView } from './views';
import { defaultOrderPage } from './task-page';
import { maskSecretRefs } from '../secrets/access';

const KNOWN_TASK_PARAMS = new Set(['state', 'framework', 'agent', 'name', 'limit', 'offset', 'sort', 'order']);
/** `?sort=` keys of /api/v1/tasks; the default keeps live tasks first, newest first. */
const TASK_SORTS: Record<string, (t: TaskRecord) => string | number> = {
  id: (t) => t.info.taskId,
  name: (t) => t.info.name,
  state: (t) => t.state,
  framework: (t) => t.frameworkId,
  agent: (t) => t.agentId,
  role: (t) => t.role,
  created: (t) => t.createdAt,
  updated: (t) => t.updatedAt,
};

function sortTasks(tasks: TaskRecord[], q: Record<string, string | undefined>): TaskRecord[] {
  const order = q.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw badRequest(`order: '${order}' must be asc or desc`);
  if (q.sort === undefined || q.sort === '') return order === 'desc' ? tasks.reverse() : tasks;
  const key = TASK_SORTS[q.sort];
  if (!key) throw badRequest(`sort: '${q.sort}' is not a sort key (known: ${Object.keys(TASK_SORTS).join(', ')})`);
  const dir = order === 'desc' ? -1 : 1;
  const keyed = tasks.map((t) => [key(t), t] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -dir : a[0] > b[0] ? dir : 0));
  return keyed.map((k) => k[1]);
}

function intParam(q: Record<string, string | undefined>, name: string, dflt: number, max: number): number {
  const raw = q[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw badRequest(`${name}: '${raw}' is not a non-negative integer`);
  const n = Number(raw);
  if (n > max) throw badRequest(`${name}: ${n} exceeds the maximum of ${max}`);
  return n;
}

export function registerReadRoutes(app: FastifyInstance, m: Master): void {
  app.get('/api/v1/state', async () => stateView(m));
  app.get('/api/v1/agents', async () => ({
    agents: [...m.state.agents.values()].filter((a) => a.state !== 'REMOVED').map((a) => agentView(m, a)),
  }));
  app.get<{ Params: { id: string } }>('/api/v1/agents/:id', async (req) => {
    const id = AgentIdSchema.safeParse(req.params.id);
    const a = id.success ? m.state.agents.get(id.data) : undefined;
    if (!a || a.state === 'REMOVED') throw notFound(`no agent '${req.params.id}'`);
    const tasks = [...a.tasks]
      .map((k) => m.state.tasks.get(k)!)
      .filter(Boolean)
      .map((t) => taskView(m, t));
    return { ...agentView(m, a), tasks };
  });
  app.get('/api/v1/frameworks', async () => ({
    frameworks: [...m.state.frameworks.values()].map((f) => frameworkView(m, f)),
  }));
  app.get<{ Params: { id: string } }>('/api/v1/frameworks/:id', async (req) => {
    const id = FrameworkIdSchema.safeParse(req.params.id);
    const f = id.success ? m.state.frameworks.get(id.data) : undefined;
    if (!f) throw notFound(`no framework '${req.params.id}'`);
    return {
      ...frameworkView(m, f),
      tasks: [...f.tasks]
        .map((k) => m.state.tasks.get(k)!)
        .filter(Boolean)
        .map((t) => taskView(m, t)),
    };
  });
  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/tasks', async (req) => {
    const q = req.query;
    for (const k of Object.keys(q))
      if (!KNOWN_TASK_PARAMS.has(k))
        throw badRequest(`unknown query parameter '${k}' (known: ${[...KNOWN_TASK_PARAMS].join(', ')})`);
    let state: string | undefined;
    if (q.state) {
      state = q.state.toUpperCase().startsWith('TASK_') ? q.state.toUpperCase() : `TASK_${q.state.toUpperCase()}`;
      if (!TaskStateSchema.safeParse(state).success)
        throw badRequest(`state: '${q.state}' is not a task state (e.g. running, finished, TASK_FAILED)`);
    }
    const limit = intParam(q, 'limit', 100, 10_000);
    const offset = intParam(q, 'offset', 0, 10_000_000);
    const name = q.name?.toLowerCase();
    const match = (t: TaskRecord) =>
      (!state || t.state === state) &&
      (!q.framework || t.frameworkId === q.framework) &&
      (!q.agent || t.agentId === q.agent) &&
      (!name || t.info.name.toLowerCase().includes(name) || t.info.taskId.toLowerCase().includes(name));
    if (q.sort === undefined || q.sort === '') {
      // The default order (what the page asks for): one page without sorting every task (task-page.ts).
      const order = q.order ?? 'asc';
      if (order !== 'asc' && order !== 'desc') throw badRequest(`order: '${order}' must be asc or desc`);
      const { total, page } = defaultOrderPage(
        { live: m.state.tasks.values(), completed: m.state.completed },
        match,
        offset,
        limit,
        order === 'desc',
      );
      return { total, offset, limit, tasks: page.map((t) => taskView(m, t)) };
    }
    const matches = sortTasks(allTasks(m).filter(match), q);
    return {
      total: matches.length,
      offset,
      limit,
      tasks: matches.slice(offset, offset + limit).map((t) => taskView(m, t)),
    };
  });
  app.get<{ Params: { id: string }; Querystring: { framework?: string } }>('/api/v1/tasks/:id', async (req) => {
    const t = m.state.findTask(req.params.id, req.query.framework);
    if (!t) throw notFound(`no task '${req.params.id}'`);
    // Secret references show as `<secret:name>` (the values never reach the master's state at all).
    const info = t.info.secrets ? { ...t.info, secrets: maskSecretRefs(t.info.secrets) } : t.info;
    return { ...taskView(m, t), info };
  });
}
