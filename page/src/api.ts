/**
 * The master's API from the browser: JSON requests with the session's token that report reachability to
 * whoever listens. A 401 means the token is gone (revoked, or the master's store was reset): the page asks
 * for a token again.
 */
import { storedToken } from './session';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly error?: string,
  ) {
    super(message);
  }
}

type Listener = (reachable: boolean) => void;
const listeners: Listener[] = [];
export function onReachability(fn: Listener): void {
  listeners.push(fn);
}
export function setReachable(ok: boolean): void {
  for (const fn of listeners) fn(ok);
}

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export function authHeader(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: {
        accept: 'application/json',
        ...authHeader(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });
  } catch {
    setReachable(false);
    throw new HttpError(0, 'the master is unreachable');
  }
  setReachable(true);
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) onUnauthorized();
  if (!res.ok)
    throw new HttpError(
      res.status,
      (data as { message?: string }).message ?? res.statusText,
      (data as { error?: string }).error,
    );
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
/** A change (POST, PUT, DELETE) through the same authorized API the CLI uses. */
export const send = <T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => call<T>(method, path, body);

export const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

/** Runs `p` without waiting; a failure is logged to the console with `what` (the views report their own errors). */
export function background(p: Promise<unknown>, what: string): void {
  p.catch((e: unknown) => console.error(`agora page: ${what} failed`, e));
}
