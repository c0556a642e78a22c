/**
 * One credentials file per principal, for every Agora client (CLI, SDK, frameworks, agents, the master):
 *
 *   { "version": 1, "principal": "spark", "kind": "framework",
 *     "nats": { "servers": ["tls://127.0.0.1:4222"], "creds": "-----BEGIN NATS USER JWT-----…", "ca": "-----BEGIN CERTIFICATE-----…" },
 *     "http": { "url": "http://127.0.0.1:5050", "token": "…" } }
 *
 * `nats.creds` is the standard NATS user credentials text (a user JWT and its nkey seed) that every NATS
 * client library accepts; `nats.ca` the PEM of the CA that signed the server's TLS certificate. `http` is the
 * master's HTTP API and an optional bearer token. Files are written 0600. Found, in this order: an explicit path
 * (`--creds`), `AGORA_CREDS`, and `$AGORA_HOME/security/creds/admin.json` (the cluster `agora up` started).
 */
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { z } from 'zod';
import { PRINCIPAL_KINDS, PrincipalNameSchema, inboxPrefix } from './security/principals';

export const CredentialsFileSchema = z.object({
  version: z.literal(1),
  principal: PrincipalNameSchema,
  kind: z.enum(PRINCIPAL_KINDS),
  nats: z.object({
    servers: z.array(z.string().min(1)).min(1),
    creds: z.string().includes('NATS USER JWT', { message: 'nats.creds must be NATS user credentials (a user JWT and its seed)' }),
    ca: z.string().optional(),
  }),
  http: z.object({ url: z.string().url(), token: z.string().optional() }).optional(),
});
export type CredentialsFile = z.infer<typeof CredentialsFileSchema>;

export class CredentialsError extends Error {}

export function parseCredentials(text: string, source: string): CredentialsFile {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { throw new CredentialsError(`${source}: not JSON (${(e as Error).message})`); }
  const r = CredentialsFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CredentialsError(`${source}: ${i.path.join('.') || 'file'}: ${i.message}`);
  }
  return r.data;
}

export function loadCredentials(path: string): CredentialsFile {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new CredentialsError(`cannot read credentials ${path}: ${(e as Error).message}`); }
  return parseCredentials(text, path);
}

export function writeCredentials(path: string, creds: CredentialsFile): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(CredentialsFileSchema.parse(creds), null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Where `agora up` keeps a cluster's credentials below its data dir. */
export const securityDir = (dataDir: string) => join(dataDir, 'security');
export const credentialsPath = (dataDir: string, principal: string) => join(securityDir(dataDir), 'creds', `${principal}.json`);

/** The credentials file to use: `explicit`, else `AGORA_CREDS`, else the admin's of the cluster at `AGORA_HOME`. */
export function findCredentialsPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return explicit;
  if (env.AGORA_CREDS) return env.AGORA_CREDS;
  const home = env.AGORA_HOME;
  if (home && existsSync(credentialsPath(home, 'admin'))) return credentialsPath(home, 'admin');
  return undefined;
}

/** The nats.js connect options a credentials file gives: authenticator, TLS with its CA, the principal's inbox. */
export function natsAuthOptions(creds: CredentialsFile): Pick<ConnectionOptions, 'authenticator' | 'inboxPrefix' | 'tls'> {
  return {
    authenticator: credsAuthenticator(new TextEncoder().encode(creds.nats.creds)),
    inboxPrefix: inboxPrefix(creds.principal),
    ...(creds.nats.ca ? { tls: { ca: creds.nats.ca } } : {}),
  };
}
