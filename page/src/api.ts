/** The master's API from the browser: JSON GETs that report reachability to whoever listens. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly error?: string) { super(message); }
}

type Listener = (reachable: boolean) => void;
const listeners: Listener[] = [];
export function onReachability(fn: Listener): void { listeners.push(fn); }
export function setReachable(ok: boolean): void { for (const fn of listeners) fn(ok); }

export async function get<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' } });
  } catch (e) {
    setReachable(false);
    throw new HttpError(0, 'the master is unreachable');
  }
  setReachable(true);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new HttpError(res.status, (body as { message?: string }).message ?? res.statusText, (body as { error?: string }).error);
  return body as T;
}

export const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};
