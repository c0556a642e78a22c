/**
 * Who is using the page: the token (kept in sessionStorage — gone when the tab closes, like Nomad's UI) and
 * what the master says it may do (`GET /api/v1/auth/self`). Buttons for actions are shown only when
 * `can(permission)`; the master checks again on every request.
 */
import type { AuthSelfView, HttpPermission } from './types';

const KEY = 'agora.token';
let self: AuthSelfView | undefined;

export const storedToken = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;
export function storeToken(secret: string): void {
  sessionStorage.setItem(KEY, secret);
}
export function forget(): void {
  sessionStorage.removeItem(KEY);
  self = undefined;
}

export const whoami = () => self;
export function setSelf(s: AuthSelfView): void {
  self = s;
}
export const can = (p: HttpPermission): boolean => self?.permissions.includes(p) ?? false;

/** Asks the master who `token` is (no token: anonymous). 401 → undefined. */
export async function lookup(token: string | undefined): Promise<AuthSelfView | undefined> {
  const res = await fetch('/api/v1/auth/self', {
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (res.status === 401) return undefined;
  if (!res.ok) throw new Error(`the master answered ${res.status} to /api/v1/auth/self`);
  return (await res.json()) as AuthSelfView;
}
