/**
 * The process chain that starts a native task, as argv for one `spawn` (no helper binary to install):
 *
 *   sh -c 'echo $$ > <cg>/cgroup.procs …; exec unshare …'    joins every hierarchy, then becomes unshare
 *     └ unshare --pid --fork --mount-proc --ipc --uts          stays in the host pid namespace and waits
 *         └ setpriv --reuid … -- sh -c '"$@"; echo $? > …'     pid 1 of the task, as the task user
 *             └ the task's command                             pid 2
 *
 * The task's first instruction therefore runs inside its cgroup, in fresh pid/mount/ipc/uts namespaces,
 * with a private /proc (`ps` sees only the task). Pid 1 is a small shell so that SIGTERM reaches the
 * command (a namespace's init ignores signals it has no handler for) and so that the exit status is
 * written to a file in the sandbox: it survives an agent restart. When pid 1 ends the kernel kills
 * whatever else is left in the namespace.
 */
import type { ContainerSpec } from '../containerizer';

export interface LaunchPlan { file: string; args: string[] }

export interface LaunchChainOptions {
  procsFiles: readonly string[];
  statusFile: string;
  /** Switch to this uid/gid (the agent is root); absent: stay as the agent's user. */
  user?: { uid: number; gid: number };
  unshareBin: string;
  setprivBin: string;
  shellBin?: string;
}

/** Single-quotes a word for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv of the task's own command: `sh -c value`, or `value arguments…`. */
export function taskArgv(command: ContainerSpec['command'], shellBin = '/bin/sh'): string[] {
  if (command.shell) return [shellBin, '-c', command.value ?? ''];
  return [...(command.value !== undefined ? [command.value] : []), ...(command.arguments ?? [])];
}

/** Pid 1 of the task: run the command as a child, record its status, exit with it. */
export const INIT_SCRIPT = 'f=$1; shift; "$@"; s=$?; echo $s > "$f"; exit $s';

export function launchChain(argv: string[], o: LaunchChainOptions): LaunchPlan {
  const sh = o.shellBin ?? '/bin/sh';
  const join = o.procsFiles.map((f) => `echo $$ > ${shQuote(f)}`).join(' && ');
  const drop = o.user
    ? [o.setprivBin, `--reuid=${o.user.uid}`, `--regid=${o.user.gid}`, '--clear-groups', '--no-new-privs', '--']
    : [];
  const inner = [
    o.unshareBin, '--pid', '--fork', '--mount-proc', '--ipc', '--uts', '--kill-child', '--',
    ...drop, sh, '-c', INIT_SCRIPT, 'agora-init', o.statusFile,
  ].map(shQuote).join(' ');
  const script = `{ ${join}; } || { echo 'agora: cannot join the task cgroup' >&2; exit 125; }; exec ${inner} "$@"`;
  return { file: sh, args: ['-c', script, 'agora-launch', ...argv] };
}
