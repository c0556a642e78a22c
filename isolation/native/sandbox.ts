/** The task's side of its sandbox directory: owned by the task user, stdout/stderr files, the environment. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerSpec } from '../containerizer';
import { LaunchError } from '../errors';
import { SYSTEM_PATH } from './tools';

export interface SandboxFiles {
  stdoutFile: string;
  stderrFile: string;
}

/**
 * Makes the sandbox the task user's and clears a stale exit status. `stdout` and `stderr` are created by
 * the task's init (launch-server.pl; owned by the task user, opened without following symlinks) and become the
 * task's own descriptors, never a pipe to the agent: output keeps flowing while the agent is down.
 * Creating files costs ~1 ms each on this disk; doing it in the init keeps it off the agent's event loop.
 */
export function prepareSandbox(dir: string, statusFile: string, user?: { uid: number; gid: number }): SandboxFiles {
  try {
    if (user) fs.chownSync(dir, user.uid, user.gid);
    else if (!fs.statSync(dir).isDirectory()) throw new LaunchError(`sandbox ${dir} is not a directory`);
    unlinkIfPresent(statusFile);
  } catch (err) {
    if (err instanceof LaunchError) throw err;
    throw new LaunchError(`cannot prepare sandbox ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return { stdoutFile: path.join(dir, 'stdout'), stderrFile: path.join(dir, 'stderr') };
}

function unlinkIfPresent(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
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
