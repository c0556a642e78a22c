/**
 * The master's authorization: who is calling (the principal token of the subject, which NATS permissions let
 * only that principal publish on), which frameworks are whose, and whether a call is allowed (acl.ts). A refusal
 * is an ApiError FORBIDDEN naming the principal and the permission, logged once a minute per principal and kind
 * of permission (with the count suppressed since). Principals and framework bindings persist in `<security home>/principals.json` (sdk/security).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiError, loadPrincipalStore, savePrincipalStore, type Clock, type FrameworkInfo, type Logger, type PrincipalRecord,
  type PrincipalStoreData, type SchedulerCall,
} from '../../sdk';
import { decide, type Action } from './acl';

const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class Authz {
  private readonly lastLogged = new Map<string, number>();
  /** Refusals not logged since the last line for the same principal and permission. */
  private readonly suppressed = new Map<string, number>();

  constructor(private data: PrincipalStoreData, private readonly storePath: string | undefined, private readonly log: Logger, private readonly clock: Clock) {}

  /** The store of a security home; without one every framework call is refused (no principal is known). */
  static open(securityDir: string | undefined, log: Logger, clock: Clock): Authz {
    const path = securityDir ? join(securityDir, 'principals.json') : undefined;
    if (!path || !existsSync(path)) log.warn({ securityDir }, 'no principals store: every framework call will be refused (start the cluster with `agora up`, or pass --security-dir)');
    return new Authz(path ? loadPrincipalStore(path) : { version: 1, principals: [] }, path, log, clock);
  }

  get store(): PrincipalStoreData { return this.data; }
  principal(name: string): PrincipalRecord | undefined { return this.data.principals.find((p) => p.name === name); }
  ownerOf(frameworkId: string): string | undefined { return this.data.frameworks?.[frameworkId]; }

  /** Replaces the store's contents (principal add / revoke) and persists them. */
  update(fn: (d: PrincipalStoreData) => void): void {
    const next = structuredClone(this.data);
    fn(next);
    if (this.storePath) savePrincipalStore(this.storePath, next);
    this.data = next;
  }

  /** Throws FORBIDDEN (logged, rate-limited) unless `caller` may do `action`. */
  require(caller: string, action: Action, frameworkId?: string): void {
    const owner = frameworkId ? this.ownerOf(frameworkId) : undefined;
    const d = decide(this.principal(caller), action, owner);
    if (!d.allowed) this.refuse(caller, d.permission, d.reason, frameworkId);
  }

  refuse(caller: string, permission: string, reason: string, frameworkId?: string): never {
    // One line a minute per principal and kind of permission (arguments vary: a flood of forged ids stays bounded).
    const key = `${caller} ${permission.split('(')[0]}`;
    const now = this.clock.now();
    const last = this.lastLogged.get(key);
    if (last === undefined || now - last >= REFUSAL_LOG_INTERVAL_MS) {
      this.log.warn({ principal: caller, permission, reason, frameworkId, suppressedSinceLast: this.suppressed.get(key) ?? 0 }, 'call refused');
      this.lastLogged.set(key, now);
      this.suppressed.delete(key);
    } else this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
    throw new ApiError('FORBIDDEN', `principal '${caller}' lacks permission ${permission}: ${reason}`);
  }

  /**
   * A call on `frameworkId` from `caller`: the framework must be the caller's (bound at its first SUBSCRIBE).
   * SUBSCRIBE binds an unbound id, checks every role, and returns the framework info with the authenticated
   * principal in place of whatever it declared.
   */
  admit(caller: string, frameworkId: string, call: SchedulerCall): SchedulerCall {
    const owner = this.ownerOf(frameworkId);
    if (owner !== undefined && owner !== caller) this.refuse(caller, `use_framework(framework=${frameworkId})`, `framework belongs to principal '${owner}'`, frameworkId);
    const p = this.principal(caller);
    if (!p || p.revokedAt !== undefined) this.refuse(caller, 'connect', p ? 'principal revoked' : 'unknown principal', frameworkId);
    if (call.type !== 'SUBSCRIBE') {
      if (owner === undefined) this.refuse(caller, `use_framework(framework=${frameworkId})`, 'framework never subscribed', frameworkId);
      return call;
    }
    for (const role of call.framework.roles) this.require(caller, { type: 'register', role });
    if (call.framework.principal !== undefined && call.framework.principal !== caller) {
      this.log.debug({ principal: caller, declared: call.framework.principal, frameworkId }, 'framework declared another principal; the authenticated one is used');
    }
    if (owner === undefined) this.update((d) => { d.frameworks = { ...d.frameworks, [frameworkId]: caller }; });
    const framework: FrameworkInfo = { ...call.framework, principal: caller };
    return { ...call, framework };
  }
}
