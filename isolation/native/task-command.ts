/**
 * What a native task executes. The launch server's init (launch-server.pl) execs this argv directly, as
 * pid 2 of the task's pid namespace: a plain command costs one exec, and only a task that asks for a shell
 * gets `sh -c`.
 */
import type { ContainerSpec } from '../containerizer';

/** Single-quotes a word for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv of the task's own command: `sh -c value`, or `value arguments…`. */
export function taskArgv(command: ContainerSpec['command'], shellBin = '/bin/sh'): string[] {
  if (command.shell) return [shellBin, '-c', command.value ?? ''];
  return [...(command.value !== undefined ? [command.value] : []), ...(command.arguments ?? [])];
}
