/**
 * The Agora status page: a hash-routed single page (#/, #/agents, #/agents/<id>, #/frameworks, #/tasks?…,
 * #/tasks/<id>?framework=, #/apps, #/apps/<app-id>, #/jobs/<name>) that reloads the current view when the
 * master's event stream (/api/v1/events) reports something it shows, and says when the master is unreachable.
 */
import { onReachability, setReachable } from './api';
import { h, notice, replace } from './dom';
import type { ClusterEvent } from './types';
import { agentsView, agentView } from './views/agents';
import { appsView, appView, jobView } from './views/apps';
import { frameworksView } from './views/frameworks';
import { overviewView } from './views/overview';
import { taskView } from './views/task';
import { tasksView } from './views/tasks';
import type { View } from './views/view';

const NAV: [string, string][] = [['#/', 'Overview'], ['#/agents', 'Agents'], ['#/frameworks', 'Frameworks'], ['#/tasks', 'Tasks'], ['#/apps', 'Apps & jobs']];
const REFRESH_MIN_MS = 1000;

function route(hash: string): View {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined: return overviewView();
    case 'agents': return parts[1] ? agentView(parts[1]) : agentsView();
    case 'frameworks': return frameworksView();
    case 'tasks': return parts[1] ? taskView(parts[1], params.get('framework') ?? '') : tasksView(params);
    case 'apps': return parts[1] ? appView(`/${parts.slice(1).join('/')}`) : appsView();
    case 'jobs': return parts[1] ? jobView(parts[1]) : appsView();
    default: return { el: notice(`no page ${path}`, 'error'), title: 'Not found', refresh: async () => undefined };
  }
}

const main = h('main', { id: 'main', tabindex: -1 });
const banner = h('div', { id: 'banner', role: 'alert', hidden: true });
const navLinks = NAV.map(([href, text]) => h('a', { href }, text));
let view: View | undefined;
let lastRefresh = 0;
let pending: number | undefined;

async function show(): Promise<void> {
  view?.dispose?.();
  view = route(location.hash || '#/');
  document.title = `${view.title} · Agora`;
  const top = `#/${(location.hash.split('/')[1] ?? '').split('?')[0]}`;
  for (const a of navLinks) a.setAttribute('aria-current', a.getAttribute('href') === (top === '#/jobs' ? '#/apps' : top) ? 'page' : 'false');
  replace(main, view.el);
  await refresh();
}

async function refresh(): Promise<void> {
  const v = view;
  if (!v) return;
  lastRefresh = Date.now();
  try {
    await v.refresh();
    main.querySelector(':scope > .notice.error.load')?.remove();
  } catch (e) {
    if (v !== view) return;
    const old = main.querySelector(':scope > .notice.error.load');
    const n = notice(`could not load: ${(e as Error).message}`, 'error');
    n.classList.add('load');
    if (old) old.replaceWith(n); else main.prepend(n);
  }
}

/** Coalesces bursts of events into at most one refresh a second. */
function refreshSoon(): void {
  if (pending !== undefined) return;
  pending = window.setTimeout(() => { pending = undefined; void refresh(); }, Math.max(0, REFRESH_MIN_MS - (Date.now() - lastRefresh)));
}

function connectEvents(): void {
  const es = new EventSource('/api/v1/events');
  let masterId: string | undefined;
  let wasDown = false;
  es.addEventListener('hello', (m) => {
    const hello = JSON.parse((m as MessageEvent).data) as { masterId: string };
    setReachable(true);
    if (wasDown || (masterId && masterId !== hello.masterId)) void refresh();
    masterId = hello.masterId;
    wasDown = false;
  });
  es.onmessage = () => undefined;
  const onEvent = (m: Event) => {
    const e = JSON.parse((m as MessageEvent).data) as ClusterEvent;
    const wants = view?.wants ? view.wants(e) : e.type !== 'OFFERS_MADE' && e.type !== 'OFFER_RESCINDED';
    if (wants) refreshSoon();
  };
  for (const t of ['AGENT_ADDED', 'AGENT_REACTIVATED', 'AGENT_UNREACHABLE', 'AGENT_REMOVED', 'AGENT_DRAINING', 'AGENT_DRAINED', 'AGENT_UNDRAINED',
    'FRAMEWORK_ADDED', 'FRAMEWORK_REMOVED', 'FRAMEWORK_DISCONNECTED', 'FRAMEWORK_RECONNECTED', 'TASK_UPDATED', 'OFFERS_MADE', 'OFFER_RESCINDED', 'ROLE_UPDATED']) {
    es.addEventListener(t, onEvent);
  }
  // EventSource reconnects by itself (retry: 2000 from the server); until then the page says so.
  es.onerror = () => { wasDown = true; setReachable(false); };
}

onReachability((ok) => {
  banner.hidden = ok;
  document.body.classList.toggle('offline', !ok);
  if (!ok) banner.textContent = 'The master is unreachable — showing the last known state; reconnecting…';
});

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (target.matches('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '/') { const search = document.getElementById('filter-name'); if (search) { e.preventDefault(); search.focus(); } }
  const n = Number(e.key);
  if (n >= 1 && n <= NAV.length) location.hash = NAV[n - 1][0];
});

document.body.append(
  h('a', { class: 'skip', href: '#main', onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
  h('header', {}, h('a', { class: 'brand', href: '#/' }, 'Agora'), h('nav', { 'aria-label': 'Sections' }, ...navLinks),
    h('span', { class: 'hint', title: 'keys 1–5 switch sections, / searches tasks' }, 'keys: 1–5, /')),
  banner, main);
window.addEventListener('hashchange', () => void show());
void show();
connectEvents();
