/**
 * The one place secret values leave the store: the master's shell, right before it sends a LAUNCH, puts the
 * values of the task's references into the command's `secretEnv` (in memory, for that one request). The core
 * only checked names and grants (access.ts `secretRefsProblem`): its effects, logs and state never hold a value.
 *
 * Resolving here rather than in the core keeps the core pure and its effects free of secrets (effects are data
 * that tests compare and logs may show). A secret removed between the ACCEPT and the send, or one that does not
 * open with the key, makes the LAUNCH fail with a message naming it: the shell settles it as REFUSED, so the
 * task gets TASK_ERROR and never starts.
 */
import type { AgentCommandInput } from '../../sdk';
import { secretEnv } from './access';

export interface SecretReader {
  reveal(names: Iterable<string>): Map<string, string>;
}

/** The command to send: a LAUNCH whose task references secrets gets their values; anything else unchanged. */
export function withSecretValues(reader: SecretReader, command: AgentCommandInput): AgentCommandInput {
  if (command.type !== 'LAUNCH') return command;
  const env = command.task.secrets ?? {};
  const files = command.task.secretFiles ?? {};
  if (Object.keys(env).length === 0 && Object.keys(files).length === 0) return command;
  const values = reader.reveal([...Object.values(env), ...Object.values(files)]);
  return {
    ...command,
    ...(Object.keys(env).length > 0 ? { secretEnv: secretEnv(env, values, 'task.secrets') } : {}),
    ...(Object.keys(files).length > 0 ? { secretFiles: secretEnv(files, values, 'task.secretFiles') } : {}),
  };
}
