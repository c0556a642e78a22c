/**
 * Mesos-style ACLs, pure: may this principal do this? Each principal record grants roles (register frameworks
 * in them, reserve and unreserve for them) and task users (run tasks as them); `ANY` grants all. Kill and
 * teardown are confined by ownership instead: a principal acts only on frameworks bound to it (authz.ts).
 */
import type { PrincipalRecord } from '../../sdk';

export const ANY = 'ANY';

export type Action =
  | { type: 'register'; role: string }
  | { type: 'run_as'; user: string }
  | { type: 'reserve'; role: string }
  | { type: 'unreserve'; role: string }
  | { type: 'teardown'; frameworkId: string }
  | { type: 'kill'; frameworkId: string };

export type Decision = { allowed: true } | { allowed: false; permission: string; reason: string };

const grants = (list: string[], value: string) => list.includes(ANY) || list.includes(value);

/** The permission an action needs, as named in FORBIDDEN errors and docs/security.md. */
export function permissionOf(a: Action): string {
  switch (a.type) {
    case 'register': return `register_frameworks(role=${a.role})`;
    case 'run_as': return `run_tasks(user=${a.user})`;
    case 'reserve': return `reserve_resources(role=${a.role})`;
    case 'unreserve': return `unreserve_resources(role=${a.role})`;
    case 'teardown': return `teardown(framework=${a.frameworkId})`;
    case 'kill': return `kill_tasks(framework=${a.frameworkId})`;
  }
}

/** `owner` is the principal the framework an action names is bound to (teardown, kill). */
export function decide(p: PrincipalRecord | undefined, a: Action, owner?: string): Decision {
  const permission = permissionOf(a);
  if (!p) return { allowed: false, permission, reason: 'unknown principal' };
  if (p.revokedAt !== undefined) return { allowed: false, permission, reason: 'principal revoked' };
  if (p.kind !== 'framework' && p.kind !== 'operator') return { allowed: false, permission, reason: `a ${p.kind} principal runs no frameworks` };
  switch (a.type) {
    case 'register': case 'reserve': case 'unreserve':
      return grants(p.roles, a.role) ? { allowed: true } : { allowed: false, permission, reason: `role '${a.role}' not granted (granted: ${p.roles.join(', ') || 'none'})` };
    case 'run_as':
      return grants(p.taskUsers, a.user) ? { allowed: true } : { allowed: false, permission, reason: `user '${a.user}' not granted (granted: ${p.taskUsers.join(', ') || 'none'})` };
    case 'teardown': case 'kill':
      return owner === p.name ? { allowed: true } : { allowed: false, permission, reason: `framework belongs to ${owner ?? 'nobody'}` };
  }
}
