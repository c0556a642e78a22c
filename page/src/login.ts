/**
 * The login screen (a token's secret, kept in sessionStorage like Nomad's UI) and the header's identity:
 * who the token is, its role, and what it may do.
 */
import { h, notice } from './dom';
import { lookup, storeToken, whoami } from './session';

export function showLogin(problem?: string): void {
  const input = h('input', {
    type: 'password',
    id: 'token',
    name: 'token',
    autocomplete: 'off',
    required: true,
    placeholder: 'agora_…',
    'aria-describedby': 'token-help',
  });
  const error = problem ? notice(problem, 'error') : h('p', { hidden: true });
  const form = h(
    'form',
    { class: 'card login', 'aria-label': 'Log in' },
    h('h1', {}, 'Agora'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'Paste an API token: the admin token agora up wrote (',
      h('code', {}, '<data dir>/master/admin.token'),
      '), or one from ',
      h('code', {}, 'agora token create --role viewer --name me'),
      '. It is kept for this tab only.',
    ),
    error,
    h('button', { type: 'submit' }, 'Log in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const secret = input.value.trim();
    lookup(secret).then(
      (self) => {
        if (!self || self.anonymous) {
          show(error, 'That token is unknown or was revoked.');
          return;
        }
        storeToken(secret);
        location.reload();
      },
      (err: unknown) => show(error, `cannot reach the master: ${(err as Error).message}`),
    );
  });
  document.body.append(h('main', { id: 'main' }, form));
  input.focus();
}

function show(el: HTMLElement, text: string): void {
  el.hidden = false;
  el.className = 'notice error';
  el.setAttribute('role', 'alert');
  el.textContent = text;
}

/** "ci (operator)" with the permissions on hover/expand, and Log out (or Log in, when anonymous). */
export function identity(signOut: () => void): HTMLElement {
  const self = whoami();
  if (!self) return h('span', {});
  const label = self.anonymous ? `anonymous (${self.role ?? 'no role'})` : `${self.name} (${self.role})`;
  return h(
    'details',
    { class: 'identity' },
    h('summary', { 'aria-label': `signed in as ${label}` }, label),
    h(
      'div',
      { class: 'identity-body' },
      h('p', {}, 'This token may:'),
      h('ul', { class: 'permissions' }, ...self.permissions.map((p) => h('li', {}, h('code', {}, p)))),
      h('button', { type: 'button', onclick: signOut }, self.anonymous ? 'Log in' : 'Log out'),
    ),
  );
}
