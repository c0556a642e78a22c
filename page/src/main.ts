/**
 * The Agora status page: a hash-routed single page (#/, #/agents, #/agents/<id>, #/frameworks, #/tasks?…,
 * #/tasks/<id>?framework=, #/apps, #/apps/<app-id>, #/jobs/<name>) that reloads the current view when the
 * master's event stream (/api/v1/events) reports something it shows, and says when the master is unreachable.
 * It first asks for a token (login.ts) unless the master lets anonymous users read; the header shows who the
 * token is and what it may do, and the views offer the actions it allows (actions.ts).
 */
import { authHeader, background, onReachability, setReachable, whenUnauthorized } from './api';
import { h, notice, replace } from './dom';
import { identity, showLogin } from './login';
import { forget, lookup, setSelf, storedToken } from './session';
import type { ClusterEvent } from './types';
import { agentsView, agentView } from './views/agents';
import { appsView, appView, jobView } from './views/apps';
import { frameworksView } from './views/frameworks';
import { overviewView } from './views/overview';
import { taskView } from './views/task';
import { tasksView } from './views/tasks';
import type { View } from './views/view';

const NAV: [string, string][] = [
  ['#/', 'Overview'],
  ['#/agents', 'Agents'],
  ['#/frameworks', 'Frameworks'],
  ['#/tasks', 'Tasks'],
  ['#/apps', 'Apps & jobs'],
];
const REFRESH_MIN_MS = 1000;

function route(hash: string): View {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined:
      return overviewView();
    case 'agents':
      return parts[1] ? agentView(parts[1]) : agentsView();
    case 'frameworks':
      return frameworksView();
    case 'tasks':
      return parts[1] ? taskView(parts[1], params.get('framework') ?? '') : tasksView(params);
    case 'apps':
      return parts[1] ? appView(`/${parts.slice(1).join('/')}`) : appsView();
    case 'jobs':
      return parts[1] ? jobView(parts[1]) : appsView();
    default:
      return { el: notice(`no page ${path}`, 'error'), title: 'Not found', refresh: async () => undefined };
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
  for (const a of navLinks)
    a.setAttribute('aria-current', a.getAttribute('href') === (top === '#/jobs' ? '#/apps' : top) ? 'page' : 'false');
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
    if (old) old.replaceWith(n);
    else main.prepend(n);
  }
}

/** Coalesces bursts of events into at most one refresh a second. */
function refreshSoon(): void {
  if (pending !== undefined) return;
  pending = window.setTimeout(
    () => {
      pending = undefined;
      background(refresh(), 'refresh');
    },
    Math.max(0, REFRESH_MIN_MS - (Date.now() - lastRefresh)),
  );
}

const RECONNECT_MS = 2000;

/**
 * Follows /api/v1/events. EventSource cannot send an Authorization header, so this reads the server-sent
 * events with fetch and reconnects (with Last-Event-ID) every 2 s while the master is away.
 */
function connectEvents(): void {
  let masterId: string | undefined;
  let wasDown = false;
  let lastId: string | undefined;
  const onBlock = (block: string) => {
    const type = /^event: (.*)$/m.exec(block)?.[1];
    const data = block
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    lastId = /^id: (.*)$/m.exec(block)?.[1] ?? lastId;
    if (!type || !data) return;
    if (type === 'hello') {
      const hello = JSON.parse(data) as { masterId: string };
      setReachable(true);
      if (wasDown || (masterId && masterId !== hello.masterId)) background(refresh(), 'refresh');
      masterId = hello.masterId;
      wasDown = false;
      return;
    }
    const e = JSON.parse(data) as ClusterEvent;
    const wants = view?.wants ? view.wants(e) : e.type !== 'OFFERS_MADE' && e.type !== 'OFFER_RESCINDED';
    if (wants) refreshSoon();
  };
  const follow = async () => {
    const res = await fetch('/api/v1/events', {
      headers: { accept: 'text/event-stream', ...authHeader(), ...(lastId ? { 'last-event-id': lastId } : {}) },
    });
    if (res.status === 401) {
      signOut();
      return false;
    }
    if (!res.ok || !res.body) throw new Error(`event stream: ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        onBlock(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
    return true;
  };
  const loop = () => {
    follow().then(
      (again) => {
        if (again) {
          wasDown = true;
          setReachable(false);
          window.setTimeout(loop, RECONNECT_MS);
        }
      },
      () => {
        wasDown = true;
        setReachable(false);
        window.setTimeout(loop, RECONNECT_MS);
      },
    );
  };
  loop();
}

onReachability((ok) => {
  banner.hidden = ok;
  document.body.classList.toggle('offline', !ok);
  if (!ok) banner.textContent = 'The master is unreachable — showing the last known state; reconnecting…';
});

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (target.matches('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '/') {
    const search = document.getElementById('filter-name');
    if (search) {
      e.preventDefault();
      search.focus();
    }
  }
  const n = Number(e.key);
  if (n >= 1 && n <= NAV.length) location.hash = NAV[n - 1][0];
});

/** The token stopped working (or the user logged out): back to the login screen. */
function signOut(): void {
  forget();
  location.reload();
}

function startConsole(): void {
  const toast = h('p', { id: 'toast', role: 'status', hidden: true });
  document.body.append(
    h(
      'a',
      {
        class: 'skip',
        href: '#main',
        onclick: (e: Event) => {
          e.preventDefault();
          main.focus();
        },
      },
      'Skip to content',
    ),
    h(
      'header',
      {},
      h('a', { class: 'brand', href: '#/' }, 'Agora'),
      h('nav', { 'aria-label': 'Sections' }, ...navLinks),
      h('span', { class: 'hint', title: 'keys 1–5 switch sections, / searches tasks' }, 'keys: 1–5, /'),
      identity(signOut),
    ),
    banner,
    toast,
    main,
  );
  whenUnauthorized(signOut);
  window.addEventListener('hashchange', () => background(show(), 'showing the view'));
  window.addEventListener('agora:changed', () => background(refresh(), 'refresh'));
  background(show(), 'showing the view');
  connectEvents();
}

/** A stored token the master still knows, or anonymous access the master grants; otherwise the login screen. */
async function boot(): Promise<void> {
  const token = storedToken();
  const self = await lookup(token);
  if (token && !self) forget();
  if (self && self.permissions.includes('cluster:read')) {
    setSelf(self);
    startConsole();
    return;
  }
  showLogin(token && !self ? 'That token is unknown or was revoked.' : undefined);
}

boot().catch((e: unknown) => {
  document.body.append(notice(`cannot start: ${(e as Error).message}`, 'error'));
});
