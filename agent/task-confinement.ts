/**
 * What keeps a task inside what it was offered and granted (checked by the agent on LAUNCH, before anything
 * starts; a refusal is an ApiError naming the field, which the master reports as TASK_ERROR):
 *
 *   - an explicit `hostPort` of a Docker port mapping must be one of the task's own `ports` resources
 *     (else a task could bind any port of the host, one offered to another framework);
 *   - `network: host` needs the `hostNetwork` grant (the task would share the host's network stack);
 *   - running as root (user `root`, uid 0) needs the `runAsRoot` grant, or the agent's --task-user-acl
 *     naming root for the principal.
 *
 * Grants come with the LAUNCH (`LaunchGrants`, set by the master from the framework principal's ACL, never
 * by the framework); absent, nothing is granted.
 */
import { ApiError, Resources, type LaunchGrants, type TaskInfo } from '../sdk';

/** The task's port resources, one number each (what it may bind on the host). */
export function offeredPorts(task: Pick<TaskInfo, 'resources'>): number[] {
  return Resources.fromWire(task.resources)
    .rangesOf('ports')
    .flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
}

/** Pure: a user name or id that means root (`root`, `0`, `0:…`, `root:…`). */
export function isRootUser(user: string | undefined): boolean {
  if (user === undefined) return false;
  const who = user.split(':')[0]!.trim();
  return who === 'root' || /^0+$/.test(who);
}

/** Throws FORBIDDEN / INVALID naming the field when the task reaches past its offer or its grants. */
export function checkConfinement(task: Pick<TaskInfo, 'resources' | 'container'>, grants: LaunchGrants): void {
  const c = task.container;
  if (c.type !== 'DOCKER') return;
  if (c.network === 'host' && !grants.hostNetwork) {
    throw new ApiError(
      'FORBIDDEN',
      "task.container.network: 'host' needs the hostNetwork grant (the task would share the host's network); use 'bridge' with portMappings",
      'task.container.network',
    );
  }
  const ports = new Set(offeredPorts(task));
  c.portMappings.forEach((pm, i) => {
    if (!pm.hostPort || ports.has(pm.hostPort)) return;
    const field = `task.container.portMappings[${i}].hostPort`;
    const have = ports.size > 0 ? `its ports are ${describePorts(task)}` : 'it has no ports resource';
    throw new ApiError(
      'INVALID',
      `${field}: host port ${pm.hostPort} is not among the task's offered ports (${have}); take it from the offer's ports or leave hostPort 0`,
      field,
    );
  });
}

/** Throws FORBIDDEN when `user` is root and neither the LAUNCH grants nor the agent's ACL allow it. */
export function checkRootUser(
  user: string | undefined,
  field: string,
  principal: string,
  grants: LaunchGrants,
  aclAllowsRoot: boolean,
): void {
  if (!isRootUser(user) || grants.runAsRoot || aclAllowsRoot) return;
  throw new ApiError(
    'FORBIDDEN',
    `${field}: principal '${principal}' may not run tasks as root ('${user}'): not granted runAsRoot`,
    field,
  );
}

function describePorts(task: Pick<TaskInfo, 'resources'>): string {
  return Resources.fromWire(task.resources)
    .rangesOf('ports')
    .map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`))
    .join(',');
}
