/**
 * Where sandboxes live. Tasks run as an unprivileged user, so every directory above a sandbox must be
 * traversable by that user. The default is `<workDir>/sandboxes`; when the work dir sits below a private
 * directory (a clone in /root, a 0700 temp dir), sandboxes go to `/var/lib/agora/<agentId>/sandboxes`
 * instead, and the agent says so once at start.
 */
import { mkdirSync, statSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../sdk';

/** Whether every ancestor of `dir` lets "others" traverse it (what an unrelated task user needs). */
export function traversableByOthers(dir: string): boolean {
  let p = resolve(dir);
  for (;;) {
    try {
      if ((statSync(p).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const up = dirname(p);
    if (up === p) return true;
    p = up;
  }
}

export function chooseSandboxRoot(
  workDir: string,
  agentId: string,
  tasksRunAsOtherUser: boolean,
  log: Logger,
  fallbackBase = '/var/lib/agora',
): string {
  const preferred = join(resolve(workDir), 'sandboxes');
  mkdirSync(preferred, { recursive: true });
  chmodSync(preferred, 0o755);
  if (!tasksRunAsOtherUser || traversableByOthers(preferred)) return preferred;
  const fallback = join(fallbackBase, agentId, 'sandboxes');
  mkdirSync(fallback, { recursive: true });
  for (let p = fallback; p !== dirname(fallbackBase); p = dirname(p)) chmodSync(p, 0o755);
  log.warn(
    { workDir, sandboxes: fallback },
    'the work dir is not reachable by the task user (a parent directory is private); sandboxes go elsewhere',
  );
  return fallback;
}
