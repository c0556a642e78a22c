/**
 * Which Unix user a task runs as, and whether its framework may ask for it. A task runs as its
 * `command.user`, else its framework's `user`, else the agent's `--task-user` (default nobody). Any other
 * user than the default must be granted to the framework's principal by `--task-user-acl`
 * (`ci=builder,deploy;*=www-data`: principal `ci` may use builder and deploy, every framework www-data),
 * as Mesos's `run_tasks` ACL does. Without a grant the launch is refused, naming the field.
 */
import { ApiError } from '../sdk';

export type TaskUserAcl = ReadonlyMap<string, ReadonlySet<string>>;

export function parseTaskUserAcl(text: string | undefined): TaskUserAcl {
  const acl = new Map<string, Set<string>>();
  for (const part of (text ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([A-Za-z0-9_.-]+(?:\s*,\s*[A-Za-z0-9_.-]+)*)$/.exec(part);
    if (!m) throw new Error(`task user ACL '${part}': expected principal=user[,user…], e.g. ci=builder,deploy`);
    acl.set(m[1], new Set(m[2].split(',').map((u) => u.trim())));
  }
  return acl;
}

/** `defaultUser` undefined (Docker): the image's own user unless one is asked for. */
export function taskUserFor(
  task: { command: { user?: string } },
  framework: { user?: string; principal?: string },
  defaultUser: string | undefined,
  acl: TaskUserAcl,
): string | undefined {
  const field = task.command.user !== undefined ? 'task.command.user' : 'framework.user';
  const wanted = task.command.user ?? framework.user ?? defaultUser;
  if (wanted === undefined || wanted === defaultUser) return wanted;
  const principal = framework.principal ?? '*';
  if (acl.get(principal)?.has(wanted) || acl.get('*')?.has(wanted)) return wanted;
  throw new ApiError(
    'FORBIDDEN',
    `${field}: principal '${principal}' may not run tasks as '${wanted}' on this agent (grant it with --task-user-acl '${principal}=${wanted}')`,
    field,
  );
}
