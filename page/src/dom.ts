/** Tiny DOM helpers and formatters for the page (no framework). */
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}

export function replace(el: Element, ...children: Child[]): void {
  el.textContent = '';
  append(el, children);
}

export const link = (href: string, text: Child, attrs: Record<string, unknown> = {}) =>
  h('a', { href, ...attrs }, text);

export function ago(ms: number | undefined, now = Date.now()): string {
  if (!ms) return '-';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return `in ${dur(-s * 1000)}`;
  return s < 2 ? 'just now' : `${dur(s * 1000)} ago`;
}

export function dur(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export const time = (ms: number | undefined) => (ms ? new Date(ms).toLocaleString() : '-');

export function num(n: number | undefined | null, digits = 2): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '-';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** `TASK_RUNNING` → a coloured badge reading `RUNNING`. */
export function stateBadge(state: string | undefined): HTMLElement {
  const s = state ?? '-';
  const kind = /FINISHED|SUCCEEDED|RUNNING|ACTIVE|HEALTHY|connected/.test(s)
    ? 'ok'
    : /FAILED|ERROR|LOST|GONE|KILLED|MISSED|UNREACHABLE|DROPPED|disconnected|UNHEALTHY/.test(s)
      ? 'bad'
      : 'warn';
  return h('span', { class: `badge ${kind}` }, s.replace(/^TASK_/, ''));
}

/** A used/total bar with its numbers. */
export function bar(label: string, used: number, total: number, unit = ''): HTMLElement {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  return h(
    'div',
    {
      class: 'bar',
      role: 'meter',
      'aria-label': label,
      'aria-valuemin': 0,
      'aria-valuemax': total,
      'aria-valuenow': used,
    },
    h(
      'div',
      { class: 'bar-label' },
      h('span', {}, label),
      h('span', {}, `${num(used)}${unit} / ${num(total)}${unit} (${pct.toFixed(0)}%)`),
    ),
    h(
      'div',
      { class: 'bar-track' },
      h('div', { class: `bar-fill${pct > 90 ? ' hot' : ''}`, style: `width:${pct.toFixed(1)}%` }),
    ),
  );
}

export function dl(pairs: [string, Child][]): HTMLElement {
  const el = h('dl', { class: 'facts' });
  for (const [k, v] of pairs) el.append(h('dt', {}, k), h('dd', {}, v ?? '-'));
  return el;
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function notice(text: string, kind: 'info' | 'error' = 'info'): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
