/**
 * The master's HTTP API needs a token (master/http/auth.ts). A master writes its first admin token to
 * `<its data dir>/admin.token`; tests read it there and send it like the CLI does.
 *
 *   const res = await authFetch(cluster.token)(`${cluster.masterHttpUrl}/api/v1/state`);
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The bootstrap admin token of a master whose data dir is `masterDataDir`. */
export function readAdminToken(masterDataDir: string): string {
  return readFileSync(join(masterDataDir, 'admin.token'), 'utf8').trim();
}

/** `init` with `Authorization: Bearer <token>` added. */
export function withToken(token: string, init: RequestInit = {}): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` },
  };
}

/** `fetch` that sends `token`. */
export function authFetch(token: string): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init) => fetch(url, withToken(token, init));
}

/** Creates a token with `role` through the API (as `agora token create` does); returns its secret and accessor. */
export async function createToken(
  masterUrl: string,
  adminToken: string,
  name: string,
  role: 'viewer' | 'operator' | 'admin',
): Promise<{ secret: string; accessor: string }> {
  const res = await fetch(
    `${masterUrl}/api/v1/tokens`,
    withToken(adminToken, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, role }),
    }),
  );
  if (res.status !== 201) throw new Error(`creating token ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { secret: string; accessor: string };
}
