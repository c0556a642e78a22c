/**
 * The cluster's NATS identities in decentralized JWT mode: an operator, the system account (for pushing account
 * updates to the server) and one account, AGORA, whose users are the principals. Whoever holds the issuer keys
 * (the master, and `agora up` at first start) mints a user JWT for a new principal — with its permissions in it —
 * without restarting or reconfiguring NATS, and revokes one by re-signing the account JWT with a revocation and
 * pushing it on `$SYS.REQ.CLAIMS.UPDATE`.
 */
import { Algorithms, encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { z } from 'zod';
import { natsPermissions, type PermissionGrants, type PrincipalKind } from './principals';

export const IssuerKeysSchema = z.object({
  operatorSeed: z.string().startsWith('SO'),
  systemAccountSeed: z.string().startsWith('SA'),
  accountSeed: z.string().startsWith('SA'),
  accountSigningSeed: z.string().startsWith('SA'),
});
export type IssuerKeys = z.infer<typeof IssuerKeysSchema>;

const seedOf = (kp: KeyPair) => new TextDecoder().decode(kp.getSeed());
const kp = (seed: string) => fromSeed(new TextEncoder().encode(seed));
const v2 = { algorithm: Algorithms.v2 };

/** Every limit unbounded, JetStream on: limits are the operator's business, not this account's. */
const ACCOUNT_LIMITS = {
  subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1,
  mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1,
};

export interface MintedUser { publicKey: string; creds: string; issuedAt: number }

export class Issuer {
  private readonly operator: KeyPair;
  private readonly system: KeyPair;
  private readonly account: KeyPair;
  private readonly signing: KeyPair;

  constructor(keys: IssuerKeys) {
    const k = IssuerKeysSchema.parse(keys);
    this.operator = kp(k.operatorSeed);
    this.system = kp(k.systemAccountSeed);
    this.account = kp(k.accountSeed);
    this.signing = kp(k.accountSigningSeed);
  }

  static generateKeys(): IssuerKeys {
    return { operatorSeed: seedOf(createOperator()), systemAccountSeed: seedOf(createAccount()), accountSeed: seedOf(createAccount()), accountSigningSeed: seedOf(createAccount()) };
  }

  get accountPublicKey(): string { return this.account.getPublicKey(); }
  get systemAccountPublicKey(): string { return this.system.getPublicKey(); }

  operatorJwt(): Promise<string> {
    return encodeOperator('agora', this.operator, { system_account: this.system.getPublicKey() }, v2);
  }

  systemAccountJwt(): Promise<string> {
    return encodeAccount('SYS', this.system, { limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 } }, { ...v2, signer: this.operator });
  }

  /** The AGORA account's JWT; `revocations` maps a user's public key to the time (s) before which its JWTs are refused. */
  accountJwt(revocations: Record<string, number> = {}): Promise<string> {
    return encodeAccount('AGORA', this.account, { limits: ACCOUNT_LIMITS, signing_keys: [this.signing.getPublicKey()], revocations }, { ...v2, signer: this.operator });
  }

  /** A new user (fresh nkey) for principal `name` of `kind`, with the NATS permissions of its kind. */
  async mintUser(name: string, kind: PrincipalKind, grants: PermissionGrants = {}): Promise<MintedUser> {
    const user = createUser();
    const p = natsPermissions(kind, name, grants);
    const jwt = await encodeUser(name, user, this.signing, { issuer_account: this.account.getPublicKey(), pub: p.pub, sub: p.sub, ...(p.resp ? { resp: p.resp } : {}) }, v2);
    return { publicKey: user.getPublicKey(), creds: new TextDecoder().decode(fmtCreds(jwt, user)), issuedAt: Math.floor(Date.now() / 1000) };
  }

  /** A user of the system account, allowed only to push account JWT updates. */
  async mintSystemUser(name: string): Promise<MintedUser> {
    const user = createUser();
    const p = natsPermissions('system', name);
    const jwt = await encodeUser(name, user, this.system, { pub: p.pub, sub: p.sub }, v2);
    return { publicKey: user.getPublicKey(), creds: new TextDecoder().decode(fmtCreds(jwt, user)), issuedAt: Math.floor(Date.now() / 1000) };
  }
}
