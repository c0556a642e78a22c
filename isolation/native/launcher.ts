/**
 * The process chain of a native task, forked by the launch server (launch-server.ts):
 *
 *   launch-server child (root)     joins every cgroup hierarchy (writes its pid to each cgroup.procs),
 *     │                            sets no_new_privs, setsid, stdout/stderr → sandbox files
 *     └ exec unshare --pid --fork --mount-proc --ipc --uts --setuid … --setgid …
 *         │                        stays in the host pid namespace and waits (the "launcher" pid)
 *         └ sh -c '"$@"; echo $? > …'   pid 1 of the task, as the task user
 *             └ the task's command     pid 2
 *
 * The task's first instruction therefore runs inside its cgroup, in fresh pid/mount/ipc/uts namespaces,
 * with a private /proc (`ps` sees only the task). Pid 1 is a small shell so that SIGTERM reaches the
 * command (a namespace's init ignores signals it has no handler for) and so that the exit status is
 * written to a file in the sandbox: it survives an agent restart. When pid 1 ends the kernel kills
 * whatever else is left in the namespace.
 */
import type { ContainerSpec } from '../containerizer';

export interface LaunchChainOptions {
  statusFile: string;
  /** Host directories bind-mounted at `<sandboxDir>/<containerPath>` inside the task's mount namespace. */
  volumes?: { hostPath: string; containerPath: string; readOnly: boolean }[];
  sandboxDir?: string;
  /** Needed with volumes: the mounts are made as root inside the namespace, then ids are dropped with setpriv. */
  setprivBin?: string;
  /** Switch to this uid/gid (the agent is root); absent: stay as the agent's user. */
  user?: { uid: number; gid: number };
  unshareBin: string;
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

/**
 * With volumes, pid 1 starts as root inside the new namespaces, bind-mounts each volume (private to the
 * task's mount namespace: unshare makes its mounts private), then execs setpriv to become the task user and
 * runs the usual init: still pid 1, the same chain otherwise.
 */
function volumeChain(argv: string[], o: LaunchChainOptions): string[] {
  const mounts = o.volumes!.map((v) => {
    const target = shQuote(`${o.sandboxDir}/${v.containerPath}`);
    const ro = v.readOnly ? ` && mount -o remount,bind,ro ${target}` : '';
    return `mkdir -p ${target} && mount --bind ${shQuote(v.hostPath)} ${target}${ro}`;
  }).join(' && ');
  const drop = o.user ? [o.setprivBin ?? 'setpriv', `--regid=${o.user.gid}`, `--reuid=${o.user.uid}`, '--clear-groups', '--'] : [];
  const init = [...drop, o.shellBin ?? '/bin/sh', '-c', INIT_SCRIPT, 'agora-init', o.statusFile, ...argv];
  return [
    o.unshareBin, '--pid', '--fork', '--mount-proc', '--ipc', '--uts', '--kill-child', '--',
    o.shellBin ?? '/bin/sh', '-c', `${mounts} || { echo "agora: cannot mount a volume" >&2; exit 125; }; exec ${init.map(shQuote).join(' ')}`,
  ];
}

/** argv the launch server execs once the child is in its cgroups. */
export function launchChain(argv: string[], o: LaunchChainOptions): string[] {
  if (o.volumes?.length) return volumeChain(argv, o);
  // unshare sets the ids after creating the namespaces and mounting /proc, clearing supplementary groups.
  const ids = o.user ? [`--setgid=${o.user.gid}`, `--setuid=${o.user.uid}`] : [];
  return [
    o.unshareBin, '--pid', '--fork', '--mount-proc', '--ipc', '--uts', '--kill-child', ...ids, '--',
    o.shellBin ?? '/bin/sh', '-c', INIT_SCRIPT, 'agora-init', o.statusFile, ...argv,
  ];
}

/** The prctl syscall number per architecture, for no_new_privs; undefined where unknown (then not set). */
export function prctlSyscall(arch = process.arch): number | undefined {
  return ({ x64: 157, arm64: 167 } as Record<string, number>)[arch];
}
