/**
 * Which token the CLI sends to the master's HTTP API (`Authorization: Bearer <secret>`), first found wins:
 *   1. --token <secret>
 *   2. AGORA_TOKEN
 *   3. the admin token `agora up` created: <AGORA_HOME or ./.agora>/master/admin.token
 * The cluster credentials file (its `http.token`) is meant to join this list as one more source: keep every
 * lookup in this function.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_HOME = './.agora';

/** The token file `agora up` writes (the master's bootstrap admin token). */
export const upTokenFile = (home = process.env.AGORA_HOME ?? DEFAULT_HOME) => join(home, 'master', 'admin.token');

export function httpTokenOf(opts: { token?: string }): string | undefined {
  if (opts.token) return opts.token;
  if (process.env.AGORA_TOKEN) return process.env.AGORA_TOKEN;
  const file = upTokenFile();
  if (existsSync(file)) return readFileSync(file, 'utf8').trim() || undefined;
  return undefined;
}

/** Headers for a request to the master: the token when there is one. */
export function authHeaders(opts: { token?: string }): Record<string, string> {
  const token = httpTokenOf(opts);
  return token ? { authorization: `Bearer ${token}` } : {};
}
