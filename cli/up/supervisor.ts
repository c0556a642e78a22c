/**
 * Supervises the children of `agora up`: starts each in order, restarts one that crashes (with backoff, at
 * most 5 times a minute), and on stop ends them in reverse order — SIGTERM, then SIGKILL after a grace period.
 *
 * Children never outlive the supervisor, however it dies (SIGKILL, the OOM killer): each is started through
 * `lifelineArgv`, which asks the kernel to send it SIGTERM when the supervisor dies, so each ends as after a
 * plain SIGTERM (the agent kills its tasks, every daemon closes its ports).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Resolves once the child is ready (e.g. its port answers). */
  ready?: (child: ChildProcess) => Promise<void>;
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess;
  restarts: number[];
}

/**
 * The command line that runs `command args` as a child that ends with its parent `parentPid`:
 * `setpriv --pdeathsig SIGTERM` sets the kernel's parent-death signal, which survives the exec of
 * `command` (it is neither set-uid nor privileged). The signal fires when the thread that forked the child
 * exits: Node spawns from its main thread, which lives as long as the process. A parent that died before
 * the signal was set up never sends it, so the shell in between checks that its parent is still `parentPid`
 * (an orphan has been re-parented) and gives up otherwise (exit 70) instead of running unsupervised.
 */
export function lifelineArgv(
  setprivBin: string,
  parentPid: number,
  command: string,
  args: readonly string[],
): string[] {
  const script = '[ "$PPID" = "$1" ] || exit 70; shift; exec "$@"';
  return [
    setprivBin,
    '--pdeathsig',
    'SIGTERM',
    '--',
    '/bin/sh',
    '-c',
    script,
    'agora-lifeline',
    String(parentPid),
    command,
    ...args,
  ];
}

/** util-linux `setpriv` (Essential on Debian); undefined when absent. */
export function findSetpriv(): string | undefined {
  return ['/usr/bin/setpriv', '/bin/setpriv', '/usr/local/bin/setpriv'].find((p) => existsSync(p));
}

export class Supervisor {
  private readonly running: Running[] = [];
  private stopping = false;

  constructor(
    private readonly say: (line: string) => void,
    private readonly setprivBin: string,
  ) {}

  async start(spec: ChildSpec): Promise<void> {
    const r: Running = { spec, proc: this.spawn(spec), restarts: [] };
    this.running.push(r);
    this.watch(r);
    if (spec.ready) await spec.ready(r.proc);
  }

  private spawn(spec: ChildSpec): ChildProcess {
    // Own process group: Ctrl-C in the terminal reaches only `agora up`, which then stops the children in
    // order (frameworks, agent and its tasks, master, NATS last) instead of all at once.
    const [bin, ...argv] = lifelineArgv(this.setprivBin, process.pid, spec.command, spec.args);
    return spawn(bin!, argv, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...spec.env },
      detached: true,
    });
  }

  private watch(r: Running): void {
    r.proc.once('exit', (code, signal) => {
      if (this.stopping) return;
      const now = Date.now();
      r.restarts = r.restarts.filter((t) => now - t < 60_000);
      if (r.restarts.length >= 5) {
        this.say(`${r.spec.name} exited (${signal ?? code}) 5 times within a minute; not restarting it`);
        return;
      }
      const delay = 500 * 2 ** r.restarts.length;
      r.restarts.push(now);
      this.say(`${r.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (this.stopping) return;
        r.proc = this.spawn(r.spec);
        this.watch(r);
      }, delay);
    });
  }

  /** Stops every child, newest first. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const r of [...this.running].reverse()) {
      const p = r.proc;
      if (p.exitCode !== null || p.signalCode !== null) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.say(`${r.spec.name} did not stop within ${graceMs} ms; killing it`);
          p.kill('SIGKILL');
        }, graceMs);
        p.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        p.kill('SIGTERM');
      });
    }
  }
}
