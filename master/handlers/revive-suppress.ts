/** REVIVE clears the framework's decline filters and resumes offers; SUPPRESS stops offers (per role) until REVIVE. */
import { ApiError, type SchedulerCall } from '../../sdk';
import type { Master } from '../master';
import type { FrameworkRecord } from '../state';

function checkRoles(fw: FrameworkRecord, roles: string[] | undefined): void {
  roles?.forEach((r, i) => {
    if (!fw.info.roles.includes(r)) throw new ApiError('INVALID', `role '${r}' is not one of the framework's roles (${fw.info.roles.join(', ')})`, `roles[${i}]`);
  });
}

export function handleRevive(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'REVIVE' }>): object {
  checkRoles(fw, call.roles);
  m.allocator.revive(fw.info.id, call.roles);
  m.allocation.soon();
  return {};
}

export function handleSuppress(m: Master, fw: FrameworkRecord, call: Extract<SchedulerCall, { type: 'SUPPRESS' }>): object {
  checkRoles(fw, call.roles);
  m.allocator.suppress(fw.info.id, call.roles);
  return {};
}
