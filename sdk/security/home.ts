/**
 * A cluster's security home (`<data dir>/security`), made by `agora up` on first start and by the test harness:
 *
 *   ca.pem ca.key              the CA of the NATS server's TLS certificate (ca.key 0600)
 *   server.pem server.key      nats-server's certificate (127.0.0.1, localhost and this host's name)
 *   issuer.json                operator and account keys (0600): whoever holds it mints and revokes principals
 *   jwt/                       nats-server's account resolver directory (account JWTs, updated over $SYS)
 *   principals.json            every principal: kind, grants, its users' public keys, revocation (the master's store)
 *   creds/<principal>.json     one credentials file per principal (0600), see sdk/credentials.ts
 *   nats.conf                  nats-server's configuration: operator mode, TLS, JetStream
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { credentialsPath, securityDir, writeCredentials, type CredentialsFile } from '../credentials';
import { Issuer, IssuerKeysSchema } from './issuer';
import { PrincipalStoreSchema, type PrincipalRecord, type PrincipalStoreData } from './principal-store';

export interface SecurityPaths { dir: string; caPem: string; caKey: string; serverPem: string; serverKey: string; issuer: string; jwtDir: string; principals: string; natsConf: string }

export function securityPaths(dataDir: string): SecurityPaths {
  const dir = securityDir(dataDir);
  return {
    dir, caPem: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), serverPem: join(dir, 'server.pem'), serverKey: join(dir, 'server.key'),
    issuer: join(dir, 'issuer.json'), jwtDir: join(dir, 'jwt'), principals: join(dir, 'principals.json'), natsConf: join(dir, 'nats.conf'),
  };
}

export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

export function loadIssuer(dataDir: string): Issuer {
  return new Issuer(IssuerKeysSchema.parse(JSON.parse(readFileSync(securityPaths(dataDir).issuer, 'utf8'))));
}

export function loadPrincipalStore(path: string): PrincipalStoreData {
  if (!existsSync(path)) return { version: 1, principals: [] };
  return PrincipalStoreSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

export function savePrincipalStore(path: string, data: PrincipalStoreData): void {
  writeFileAtomic(path, `${JSON.stringify(PrincipalStoreSchema.parse(data), null, 2)}\n`);
}

function openssl(args: string[]): void {
  try { execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] }); } catch (e) {
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message)}`, { cause: e });
  }
}

/** A CA and a server certificate signed by it, valid for 127.0.0.1, localhost and `hostnames`. */
function makeTls(p: SecurityPaths, hostnames: string[]): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', p.caKey, '-out', p.caPem, '-days', '3650', '-subj', '/CN=agora cluster CA']);
  const csr = join(p.dir, 'server.csr');
  const ext = join(p.dir, 'server.ext');
  const names = [...new Set(['localhost', ...hostnames])].filter((h) => /^[A-Za-z0-9.-]+$/.test(h));
  writeFileSync(ext, `subjectAltName=IP:127.0.0.1,${names.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  openssl(['req', ...ec, '-keyout', p.serverKey, '-out', csr, '-subj', '/CN=agora-nats']);
  openssl(['x509', '-req', '-in', csr, '-CA', p.caPem, '-CAkey', p.caKey, '-CAcreateserial', '-out', p.serverPem, '-days', '825', '-extfile', ext]);
  chmodSync(p.caKey, 0o600);
  chmodSync(p.serverKey, 0o600);
}

export interface BuiltinPrincipal { name: string; kind: PrincipalRecord['kind']; roles?: string[]; taskUsers?: string[]; apis?: string[]; servesApis?: string[] }

/** The principals every cluster has. Agents are added by name (`agent-<host>`). */
export const BUILTIN_PRINCIPALS: BuiltinPrincipal[] = [
  { name: 'master', kind: 'master' },
  { name: 'admin', kind: 'operator', roles: ['ANY'], taskUsers: ['ANY'], apis: ['service', 'cron'] },
  { name: 'service', kind: 'framework', roles: ['ANY'], taskUsers: ['ANY'], servesApis: ['service'] },
  { name: 'cron', kind: 'framework', roles: ['ANY'], taskUsers: ['ANY'], servesApis: ['cron'] },
  { name: 'dns', kind: 'component', apis: ['service'] },
  { name: 'lb', kind: 'component', apis: ['service'] },
];

export const agentPrincipalName = (host: string) => `agent-${host.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 63);

export interface EnsureSecurityOptions {
  dataDir: string;
  /** The NATS URLs written into every credentials file. */
  natsServers: string[];
  /** The master's HTTP API, written into every credentials file. */
  httpUrl?: string;
  /** Agent principals to have credentials for (names, e.g. agentPrincipalName(hostname())). */
  agents?: string[];
  hostnames?: string[];
}

/**
 * Creates what is missing of a cluster's security home: on first start everything, later only credentials of
 * new agents. Existing keys and credentials are kept (rotation: docs/security.md).
 */
export async function ensureClusterSecurity(o: EnsureSecurityOptions): Promise<{ created: string[]; paths: SecurityPaths }> {
  const p = securityPaths(o.dataDir);
  const created: string[] = [];
  mkdirSync(join(p.dir, 'creds'), { recursive: true, mode: 0o700 });
  mkdirSync(p.jwtDir, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  if (!existsSync(p.serverPem)) { makeTls(p, o.hostnames ?? [hostname()]); created.push('tls'); }
  if (!existsSync(p.issuer)) { writeFileAtomic(p.issuer, `${JSON.stringify(Issuer.generateKeys(), null, 2)}\n`); created.push('issuer'); }
  const issuer = loadIssuer(o.dataDir);
  const store = loadPrincipalStore(p.principals);
  for (const [key, jwt] of [[issuer.systemAccountPublicKey, await issuer.systemAccountJwt()], [issuer.accountPublicKey, await issuer.accountJwt(revocationsOf(store))]] as const) {
    if (!existsSync(join(p.jwtDir, `${key}.jwt`))) writeFileAtomic(join(p.jwtDir, `${key}.jwt`), jwt);
  }
  const wanted: BuiltinPrincipal[] = [...BUILTIN_PRINCIPALS, ...(o.agents ?? []).map((name) => ({ name, kind: 'agent' as const }))];
  const ca = readFileSync(p.caPem, 'utf8');
  for (const w of wanted) {
    const path = credentialsPath(o.dataDir, w.name);
    if (existsSync(path) && store.principals.some((r) => r.name === w.name)) continue;
    const user = await issuer.mintUser(w.name, w.kind, { apis: w.apis, servesApis: w.servesApis });
    upsertPrincipal(store, { name: w.name, kind: w.kind, roles: w.roles ?? [], taskUsers: w.taskUsers ?? [], apis: w.apis ?? [], servesApis: w.servesApis ?? [], users: [{ publicKey: user.publicKey, issuedAt: user.issuedAt }], createdAt: Date.now() });
    writeCredentials(path, credentialsFor(w.name, w.kind, user.creds, o.natsServers, ca, o.httpUrl));
    created.push(w.name);
  }
  const sys = join(p.dir, 'creds', 'system.json');
  if (!existsSync(sys)) writeCredentials(sys, credentialsFor('system', 'system', (await issuer.mintSystemUser('system')).creds, o.natsServers, ca, o.httpUrl));
  savePrincipalStore(p.principals, store);
  return { created, paths: p };
}

export function credentialsFor(name: string, kind: CredentialsFile['kind'], creds: string, servers: string[], ca: string, httpUrl?: string): CredentialsFile {
  return { version: 1, principal: name, kind, nats: { servers, creds, ca }, ...(httpUrl ? { http: { url: httpUrl } } : {}) };
}

export function upsertPrincipal(store: PrincipalStoreData, r: PrincipalRecord): void {
  const i = store.principals.findIndex((x) => x.name === r.name);
  if (i >= 0) store.principals[i] = r; else store.principals.push(r);
}

/** The account's revocation list: every user of a revoked principal, refused if issued before the revocation. */
export function revocationsOf(store: PrincipalStoreData): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of store.principals) {
    for (const u of r.users) if (u.revokedAt !== undefined) out[u.publicKey] = Math.ceil(u.revokedAt / 1000);
  }
  return out;
}

/** nats-server's configuration for this home: operator (JWT) mode with a full resolver, TLS, JetStream. */
export async function writeNatsConfig(dataDir: string, o: { host: string; port: number; storeDir: string; logFile?: string }): Promise<string> {
  const p = securityPaths(dataDir);
  const issuer = loadIssuer(dataDir);
  const q = (s: string) => JSON.stringify(s);
  const conf = [
    `host: ${q(o.host)}`, `port: ${o.port}`,
    `jetstream { store_dir: ${q(o.storeDir)} }`,
    `operator: ${q(await issuer.operatorJwt())}`,
    `system_account: ${q(issuer.systemAccountPublicKey)}`,
    `resolver { type: full, dir: ${q(p.jwtDir)}, allow_delete: false, interval: "2m" }`,
    `tls { cert_file: ${q(p.serverPem)}, key_file: ${q(p.serverKey)}, timeout: 5 }`,
    ...(o.logFile ? [`log_file: ${q(o.logFile)}`] : []),
    '',
  ].join('\n');
  writeFileAtomic(p.natsConf, conf);
  return p.natsConf;
}
