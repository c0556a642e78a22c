/** One task: its status history, resources, usage, health, and its sandbox's stdout/stderr (tail and follow). */
import { actionBar, changed } from '../actions';
import { background, get, q, send } from '../api';
import { can } from '../session';
import { bytes, dl, h, link, num, replace, section, stateBadge, time } from '../dom';
import { DataTable } from '../table';
import type { TaskView } from '../types';
import type { View } from './view';

type Status = TaskView['statuses'][number];
const TAIL_BYTES = 64 * 1024;
const FOLLOW_MS = 1000;
const ENDED = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

export function taskView(id: string, framework: string): View {
  const head = h('div', {});
  const history = new DataTable<Status>(
    [
      { key: 'time', title: 'Time', cell: (s) => time(s.timestamp), value: (s) => s.timestamp },
      { key: 'state', title: 'State', cell: (s) => stateBadge(s.state), value: (s) => s.state },
      {
        key: 'healthy',
        title: 'Health',
        cell: (s) => (s.healthy === undefined ? '-' : s.healthy ? 'healthy' : 'unhealthy'),
      },
      { key: 'reason', title: 'Reason', cell: (s) => s.reason ?? '-' },
      { key: 'message', title: 'Message', cell: (s) => s.message ?? '-' },
    ],
    { key: 'time', order: 'asc' },
    { label: 'Status history' },
  );
  const logs = new LogPane(id, framework);
  const el = h('div', {}, head, section('Status history', history.el), logs.el);
  return {
    el,
    title: `Task ${id}`,
    async refresh() {
      const t = await get<TaskView & { info: unknown }>(`/api/v1/tasks/${encodeURIComponent(id)}${q({ framework })}`);
      const u = t.usage;
      replace(
        head,
        section(
          `Task ${t.name}`,
          dl([
            ['id', h('code', {}, t.id)],
            ['state', stateBadge(t.state)],
            [
              'health',
              t.healthy === undefined
                ? 'no health checks reported'
                : t.healthy
                  ? stateBadge('HEALTHY')
                  : stateBadge('UNHEALTHY'),
            ],
            ['framework', link(`#/tasks?framework=${encodeURIComponent(t.frameworkId)}`, t.frameworkId)],
            ['agent', link(`#/agents/${encodeURIComponent(t.agentId)}`, t.hostname ?? t.agentId)],
            ['role', t.role],
            ['resources', t.resources],
            ['ports', t.ports?.length ? t.ports.join(', ') : '-'],
            ['container', t.container],
            ['command', h('code', {}, t.command ?? '-')],
            ['reason', t.reason ?? '-'],
            ['message', t.message ?? '-'],
            ['exit code', t.exitCode === undefined ? '-' : String(t.exitCode)],
            ['created', time(t.createdAt)],
            [
              'usage',
              u
                ? `cpu ${num(u.cpuUserSeconds + u.cpuSystemSeconds)} s · mem ${bytes(u.memBytes)} (peak ${bytes(u.memPeakBytes)}${u.memLimitBytes ? `, limit ${bytes(u.memLimitBytes)}` : ''})${u.diskUsedMb !== undefined ? ` · disk ${num(u.diskUsedMb)} MB${u.diskLimitMb ? ` of ${num(u.diskLimitMb)}` : ''}` : ''} · sampled ${time(u.timestamp)}`
                : 'no sample yet',
            ],
          ]),
          actionBar(
            !ENDED.has(t.state) && {
              label: 'Kill task',
              permission: 'task:kill',
              danger: true,
              done: `kill of ${t.id} sent`,
              after: changed,
              confirm: `Kill task ${t.id} on ${t.hostname ?? t.agentId}? Its framework sees it as TASK_KILLED (a service framework starts a replacement).`,
              run: () =>
                send('POST', `/api/v1/tasks/${encodeURIComponent(t.id)}/kill${q({ framework: t.frameworkId })}`, {}),
            },
          ),
        ),
      );
      history.setRows(t.statuses);
      await logs.start();
    },
    wants: (e) => e.type === 'TASK_UPDATED' && (e.task as { id?: string })?.id === id,
    dispose: () => logs.stop(),
  };
}

/** stdout/stderr of the task: the last 64 KiB, then (with follow) what is appended, once a second. */
class LogPane {
  readonly el: HTMLElement;
  private readonly pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'task output', 'aria-live': 'off' });
  private readonly status = h('span', { class: 'muted' });
  private path = 'stdout';
  private offset = -1;
  private timer?: number;
  private started = false;
  private readonly follow: HTMLInputElement;

  constructor(
    private readonly id: string,
    private readonly framework: string,
  ) {
    this.follow = h('input', { type: 'checkbox', id: 'follow', checked: true, onchange: () => this.schedule() });
    const tab = (p: string) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${p}`,
          'aria-selected': p === this.path ? 'true' : 'false',
          onclick: () => this.switchTo(p),
        },
        p,
      );
    this.el = section(
      'Sandbox output',
      h(
        'div',
        { class: 'log-bar', role: 'tablist' },
        tab('stdout'),
        tab('stderr'),
        h('label', {}, this.follow, ' follow'),
        this.status,
      ),
      this.pre,
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (!can('sandbox:read')) {
      this.status.textContent = 'reading a sandbox needs an operator token';
      return;
    }
    this.started = true;
    await this.poll();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.started = false;
  }

  private switchTo(p: string): void {
    this.path = p;
    this.offset = -1;
    this.pre.textContent = '';
    for (const b of this.el.querySelectorAll('[role=tab]'))
      b.setAttribute('aria-selected', String(b.id === `tab-${p}`));
    clearTimeout(this.timer);
    background(this.poll(), 'reading the sandbox');
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.follow.checked && this.started)
      this.timer = window.setTimeout(() => background(this.poll(), 'reading the sandbox'), FOLLOW_MS);
  }

  private async poll(): Promise<void> {
    const path = this.path;
    try {
      const r = await get<{ offset: number; size: number; data: string }>(
        `/api/v1/tasks/${encodeURIComponent(this.id)}/files/read${q({ framework: this.framework, path, offset: this.offset, length: TAIL_BYTES })}`,
      );
      if (path !== this.path) return;
      const atBottom = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 8;
      if (r.data) this.pre.append(r.data);
      this.offset = r.offset + new TextEncoder().encode(r.data).length;
      this.status.textContent = `${bytes(r.size)}${this.follow.checked ? ' · following' : ''}`;
      if (atBottom) this.pre.scrollTop = this.pre.scrollHeight;
    } catch (e) {
      this.status.textContent = `cannot read ${path}: ${(e as Error).message}`;
    }
    this.schedule();
  }
}
