/** Frameworks (connected or failing over, allocation, dominant share) and roles (weight, quota, allocation). */
import { get } from '../api';
import { ago, dur, h, num, section, stateBadge } from '../dom';
import { DataTable } from '../table';
import type { FrameworkView, RoleView, Summary } from '../types';
import type { View } from './view';

function connection(f: FrameworkView): HTMLElement {
  if (f.connected) return stateBadge('connected');
  const left = f.failoverDeadline ? Math.max(0, f.failoverDeadline - Date.now()) : 0;
  return h('span', {}, stateBadge('disconnected'), ` failing over, ${dur(left)} left`);
}

export function frameworksView(): View {
  let total: Record<string, number> = {};
  /** The framework's dominant share: its largest allocated fraction of any cluster resource (DRF). */
  const share = (f: FrameworkView) =>
    Math.max(0, ...Object.entries(f.allocatedScalars).map(([k, v]) => (total[k] ? v / total[k] : 0)));
  const fws = new DataTable<FrameworkView>(
    [
      {
        key: 'name',
        title: 'Name',
        cell: (f) => h('a', { href: `#/tasks?framework=${encodeURIComponent(f.id)}` }, f.name),
        value: (f) => f.name,
      },
      { key: 'id', title: 'Id', cell: (f) => h('code', {}, f.id), value: (f) => f.id },
      { key: 'roles', title: 'Roles', cell: (f) => f.roles.join(', ') },
      { key: 'principal', title: 'Principal', cell: (f) => f.principal ?? '-' },
      { key: 'connected', title: 'Connection', cell: connection, value: (f) => (f.connected ? 0 : 1) },
      {
        key: 'allocated',
        title: 'Allocated',
        cell: (f) => f.allocated || '-',
        value: (f) => f.allocatedScalars.cpus ?? 0,
      },
      { key: 'share', title: 'Dominant share', cell: (f) => `${num(share(f) * 100, 1)}%`, value: share, numeric: true },
      { key: 'tasks', title: 'Tasks', cell: (f) => f.taskCount, numeric: true },
      { key: 'registered', title: 'Registered', cell: (f) => ago(f.registeredAt), value: (f) => -f.registeredAt },
    ],
    { key: 'name', order: 'asc' },
    { label: 'Frameworks', empty: 'no frameworks', rowKey: (f) => f.id },
  );
  const roleTable = new DataTable<RoleView>(
    [
      { key: 'role', title: 'Role', cell: (r) => r.role },
      { key: 'weight', title: 'Weight', cell: (r) => num(r.weight), value: (r) => r.weight, numeric: true },
      { key: 'guarantee', title: 'Guarantee', cell: (r) => r.guarantee ?? '-' },
      { key: 'limit', title: 'Limit', cell: (r) => r.limit ?? '-' },
      { key: 'allocated', title: 'Allocated', cell: (r) => r.allocated || '-' },
      {
        key: 'share',
        title: 'Share (weighted)',
        cell: (r) => `${num(r.share * 100, 1)}%`,
        value: (r) => r.share,
        numeric: true,
      },
      { key: 'frameworks', title: 'Frameworks', cell: (r) => r.frameworks.length, numeric: true },
    ],
    { key: 'role', order: 'asc' },
    { label: 'Roles', empty: 'no roles yet' },
  );
  const el = h('div', {}, section('Frameworks', fws.el), section('Roles', roleTable.el));
  return {
    el,
    title: 'Frameworks',
    async refresh() {
      const [f, r, s] = await Promise.all([
        get<{ frameworks: FrameworkView[] }>('/api/v1/frameworks'),
        get<{ roles: RoleView[] }>('/api/v1/roles'),
        get<Summary>('/api/v1/summary'),
      ]);
      total = s.resources.total;
      roleTable.setRows(r.roles);
      fws.setRows(f.frameworks);
    },
    wants: (e) => e.type.startsWith('FRAMEWORK_') || e.type === 'ROLE_UPDATED' || e.type === 'TASK_UPDATED',
  };
}
