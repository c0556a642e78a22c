/**
 * The authorization checks the handlers make, one call each: ACCEPT (the users its tasks run as, the roles it
 * reserves and unreserves for), KILL and TEARDOWN (the framework is the caller's). The caller of a call on a
 * framework is the principal bound to it (Authz.admit has already checked the subject's principal is that one).
 */
import type { Operation } from '../../sdk';
import type { FrameworkRecord } from '../state';
import type { Authz } from './authz';

const callerOf = (authz: Authz, fw: FrameworkRecord) => authz.ownerOf(fw.info.id) ?? fw.info.principal ?? '';

/** Throws FORBIDDEN before anything changes when one operation is not allowed. */
export function authorizeOperations(authz: Authz, fw: FrameworkRecord, operations: Operation[], offerRole: string): void {
  const caller = callerOf(authz, fw);
  for (const op of operations) {
    if (op.type === 'LAUNCH') {
      for (const t of op.tasks) {
        const user = t.command.user ?? fw.info.user;
        if (user !== undefined) authz.require(caller, { type: 'run_as', user }, fw.info.id);
      }
    } else {
      const type = op.type === 'RESERVE' ? 'reserve' : 'unreserve';
      for (const role of new Set(op.resources.map((r) => r.role ?? offerRole))) authz.require(caller, { type, role }, fw.info.id);
    }
  }
}

export function authorizeOwnership(authz: Authz, fw: FrameworkRecord, action: 'kill' | 'teardown'): void {
  authz.require(callerOf(authz, fw), { type: action, frameworkId: fw.info.id }, fw.info.id);
}
