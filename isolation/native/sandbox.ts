/** The task's side of its sandbox directory: owned by the task user, stdout/stderr files, the environment. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerSpec } from '../containerizer';
import { LaunchError } from '../errors';
import { SYSTEM_PATH } from './tools';

export interface SandboxIo { stdout: number; stderr: number; close(): void }

/**
 * Makes the sandbox the task user's, clears a stale exit status, and opens `stdout` and `stderr` for
 * appending. The descriptors go to the task itself (never a pipe to the agent), so output keeps flowing
 * while the agent is down.
 */
export function prepareSandbox(dir: string, statusFile: string, user?: { uid: number; gid: number }): SandboxIo {
  const fds: number[] = [];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new LaunchError(`sandbox ${dir} is not a directory`);
    fs.rmSync(statusFile, { force: true });
    for (const name of ['stdout', 'stderr']) {
      const fd = fs.openSync(path.join(dir, name), 'a', 0o644);
      fds.push(fd);
      if (user) fs.fchownSync(fd, user.uid, user.gid);
    }
    if (user) fs.chownSync(dir, user.uid, user.gid);
  } catch (err) {
    for (const fd of fds) fs.closeSync(fd);
    if (err instanceof LaunchError) throw err;
    throw new LaunchError(`cannot prepare sandbox ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return { stdout: fds[0]!, stderr: fds[1]!, close: () => fds.forEach((fd) => fs.closeSync(fd)) };
}

/** The task's environment: nothing of the agent's leaks in; the task's own variables win over defaults. */
export function taskEnv(spec: ContainerSpec): Record<string, string> {
  return {
    PATH: SYSTEM_PATH,
    HOME: spec.sandboxDir,
    ...spec.env,
    AGORA_SANDBOX: spec.sandboxDir,
    AGORA_TASK_ID: spec.taskId,
    AGORA_FRAMEWORK_ID: spec.frameworkId,
    AGORA_AGENT_ID: spec.agentId,
  };
}
