/**
 * Running a command inside a live native task (COMMAND health checks): the same cgroup, the task's
 * namespaces entered with `nsenter` through its pid 1, the task's user. Output is captured (bounded);
 * on timeout the command's process group is killed and the result is exit code 124, as `timeout` reports.
 */
import { spawn } from 'node:child_process';
import { IsolationError } from '../errors';
import { EXEC_TIMEOUT_CODE } from '../exit-codes';
import { shQuote } from './task-command';

export interface ExecContext {
  procsFiles: readonly string[];
  /** Host pid of the task's pid 1. */
  initPid: number;
  user?: { uid: number; gid: number };
  cwd: string;
  env: Record<string, string>;
  nsenterBin: string;
  setprivBin: string;
}

const MAX_OUTPUT = 64 * 1024;

export function execArgv(command: string, c: ExecContext): string[] {
  const join = c.procsFiles.map((f) => `echo $$ > ${shQuote(f)}`).join(' && ');
  const drop = c.user
    ? [c.setprivBin, `--reuid=${c.user.uid}`, `--regid=${c.user.gid}`, '--clear-groups', '--no-new-privs', '--']
    : [];
  const enter = [
    c.nsenterBin,
    `--target=${c.initPid}`,
    '--pid',
    '--mount',
    '--ipc',
    '--uts',
    `--wd=${c.cwd}`,
    '--',
    ...drop,
    '/bin/sh',
    '-c',
    command,
  ];
  return ['-c', `${join} && exec ${enter.map(shQuote).join(' ')}`];
}

export function execInTask(
  command: string,
  timeoutMs: number,
  c: ExecContext,
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', execArgv(command, c), {
      cwd: c.cwd,
      env: c.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (b: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += b.toString('utf8').slice(0, MAX_OUTPUT - output.length);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH')
          reject(new IsolationError('cannot kill a timed-out exec', { cause: err }));
      }
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new IsolationError(`cannot exec in task: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ exitCode: EXEC_TIMEOUT_CODE, output: `${output}timed out after ${timeoutMs} ms` });
      else resolve({ exitCode: code ?? 128, output: signal ? `${output}ended by ${signal}` : output });
    });
  });
}
