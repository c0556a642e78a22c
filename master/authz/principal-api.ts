/**
 * The operator's principal calls (`agora.v1.master.operator.<principal>`, request/reply, only operator principals
 * may publish there): ADD mints a new principal's NATS user with the issuer keys and returns its credentials,
 * LIST shows every principal, REVOKE marks it revoked — refused by the master at once — and pushes the account JWT
 * with the revocation to nats-server over `$SYS.REQ.CLAIMS.UPDATE`, which disconnects and refuses its users.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiError, Issuer, IssuerKeysSchema, PrincipalOpSchema, connectNats, credentialsFor, revocationsOf, serveRequests, subjects, upsertPrincipal,
  type CredentialsFile, type Logger, type NatsConnection, type PrincipalOp, type PrincipalRecord,
} from '../../sdk';
import type { Master } from '../master';

export const masterCreds = (securityDir?: string) => (securityDir && existsSync(join(securityDir, 'creds', 'master.json')) ? join(securityDir, 'creds', 'master.json') : undefined);

export interface PrincipalApi { start(): void; stop(): Promise<void> }

export async function startPrincipalApi(m: Master, log: Logger): Promise<PrincipalApi> {
  const dir = m.config.securityDir;
  const issuerPath = dir ? join(dir, 'issuer.json') : undefined;
  const issuer = issuerPath && existsSync(issuerPath) ? new Issuer(IssuerKeysSchema.parse(JSON.parse(readFileSync(issuerPath, 'utf8')))) : undefined;
  const sysPath = dir ? join(dir, 'creds', 'system.json') : undefined;
  const sys = sysPath && existsSync(sysPath) ? await connectNats({ servers: m.config.natsUrl, name: 'agora-master:system', credentials: sysPath, log }) : undefined;
  let sub: { unsubscribe(): void } | undefined;
  return {
    start() {
      sub = serveRequests(m.nc, subjects.operatorCallWildcard, PrincipalOpSchema, (op, subject) => handle(m, issuer, sys, subject.slice(subject.lastIndexOf('.') + 1), op), log);
      if (sys && issuer) pushAccount(m, issuer, sys).catch((e: Error) => log.error({ err: e.message }, 'could not push the account JWT (revocations) to NATS'));
    },
    async stop() { sub?.unsubscribe(); await sys?.drain().catch(() => undefined); },
  };
}

async function handle(m: Master, issuer: Issuer | undefined, sys: NatsConnection | undefined, caller: string, op: PrincipalOp): Promise<object> {
  const p = m.authz.principal(caller);
  if (!p || p.kind !== 'operator' || p.revokedAt !== undefined) m.authz.refuse(caller, 'manage_principals', p ? (p.revokedAt !== undefined ? 'principal revoked' : `a ${p.kind} is not an operator`) : 'unknown principal');
  switch (op.type) {
    case 'LIST': return { principals: m.authz.store.principals.map(view) };
    case 'ADD': {
      if (!issuer) throw new ApiError('UNAVAILABLE', 'this master has no issuer keys (security home) and cannot mint credentials');
      if (m.authz.principal(op.name)) throw new ApiError('CONFLICT', `principal '${op.name}' exists (revoked principals keep their name)`, 'name');
      const user = await issuer.mintUser(op.name, op.kind, { apis: op.apis });
      const record: PrincipalRecord = { name: op.name, kind: op.kind, roles: op.roles, taskUsers: op.taskUsers, apis: op.apis, servesApis: [], users: [{ publicKey: user.publicKey, issuedAt: user.issuedAt }], createdAt: m.clock.now() };
      m.authz.update((d) => upsertPrincipal(d, record));
      m.log.info({ principal: op.name, kind: op.kind, roles: op.roles, taskUsers: op.taskUsers, by: caller }, 'principal added');
      const ca = m.config.securityDir && existsSync(join(m.config.securityDir, 'ca.pem')) ? readFileSync(join(m.config.securityDir, 'ca.pem'), 'utf8') : '';
      const creds: CredentialsFile = credentialsFor(op.name, op.kind, user.creds, [m.config.natsUrl], ca);
      return { principal: view(record), credentials: creds };
    }
    case 'REVOKE': {
      const r = m.authz.principal(op.name);
      if (!r) throw new ApiError('NOT_FOUND', `no principal '${op.name}'`, 'name');
      if (r.kind === 'master' || op.name === caller) throw new ApiError('FORBIDDEN', `principal '${op.name}' cannot be revoked by '${caller}' (the master, or yourself)`, 'name');
      const now = m.clock.now();
      m.authz.update((d) => upsertPrincipal(d, { ...r, revokedAt: r.revokedAt ?? now, users: r.users.map((u) => ({ ...u, revokedAt: u.revokedAt ?? now })) }));
      m.log.warn({ principal: op.name, by: caller }, 'principal revoked');
      if (!issuer || !sys) throw new ApiError('UNAVAILABLE', `principal '${op.name}' is refused by the master, but NATS could not be told (no issuer keys or system credentials)`);
      await pushAccount(m, issuer, sys);
      return { principal: view(m.authz.principal(op.name)!) };
    }
  }
}

/** Re-signs the account JWT with every revocation and has nats-server store and apply it. */
async function pushAccount(m: Master, issuer: Issuer, sys: NatsConnection): Promise<void> {
  const jwt = await issuer.accountJwt(revocationsOf(m.authz.store));
  const reply = await sys.request('$SYS.REQ.CLAIMS.UPDATE', new TextEncoder().encode(jwt), { timeout: 5000 });
  const r = JSON.parse(new TextDecoder().decode(reply.data)) as { error?: { description?: string } };
  if (r.error) throw new Error(`nats-server refused the account update: ${r.error.description ?? JSON.stringify(r.error)}`);
}

export function view(r: PrincipalRecord): object {
  return { name: r.name, kind: r.kind, roles: r.roles, taskUsers: r.taskUsers, apis: r.apis, createdAt: r.createdAt, revokedAt: r.revokedAt, users: r.users.length };
}

