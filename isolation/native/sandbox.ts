/** The task's side of its sandbox directory: owned by the task user, stdout/stderr files, the environment. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerSpec } from '../containerizer';
import { LaunchError } from '../errors';
import { SYSTEM_PATH } from './tools';

export interface SandboxFiles { stdoutFile: string; stderrFile: string }

/**
 * Makes the sandbox the task user's, clears a stale exit status, and creates `stdout` and `stderr`
 * (owned by the task user). The launcher opens them for appending as the task's own descriptors (never
 * a pipe to the agent), so output keeps flowing while the agent is down.
 */
export function prepareSandbox(dir: string, statusFile: string, user?: { uid: number; gid: number }): SandboxFiles {
  try {
    if (!fs.statSync(dir).isDirectory()) throw new LaunchError(`sandbox ${dir} is not a directory`);
    fs.rmSync(statusFile, { force: true });
    const files = { stdoutFile: path.join(dir, 'stdout'), stderrFile: path.join(dir, 'stderr') };
    for (const f of [files.stdoutFile, files.stderrFile]) {
      fs.closeSync(fs.openSync(f, 'a', 0o644));
      if (user) fs.chownSync(f, user.uid, user.gid);
    }
    if (user) fs.chownSync(dir, user.uid, user.gid);
    return files;
  } catch (err) {
    if (err instanceof LaunchError) throw err;
    throw new LaunchError(`cannot prepare sandbox ${dir}: ${(err as Error).message}`, { cause: err });
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
