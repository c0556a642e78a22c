/**
 * The agent's side of the native launch server (launch-server.pl, beside this file — read its header for
 * what a task's init does). Forking the agent itself (Node, hundreds of MB mapped) costs 2–10 ms per task
 * and blocks the event loop; a long-lived Perl helper (perl-base is Essential on Debian) clones cheaply,
 * and each task's init does its own isolation work in parallel with the next launch. The agent only writes
 * a line per launch, and hears back the init's pid, then its exit.
 *
 * If the helper dies, launches in flight fail and exit watchers resolve `undefined`: the caller then
 * watches the pid itself (as after an agent restart). The next launch starts a new helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../sdk/log';
import { LaunchError } from '../errors';
import { signalName } from '../exit-codes';
import type { InitExit } from './exit-watch';
import type { CgroupOp } from './planned-cgroup';

/**
 * The Perl program. From source (tsx, jest) it sits beside this file; `npm run build` copies it beside the
 * compiled .js in dist/ (scripts/copy-runtime-files.js).
 */
export const LAUNCH_SERVER_SCRIPT = path.join(__dirname, 'launch-server.pl');

/** Whether the launch server's program is where the code expects it; the reason when not. */
export function launchServerScriptPresent(script = LAUNCH_SERVER_SCRIPT): { ok: true } | { ok: false; reason: string } {
  return fs.existsSync(script)
    ? { ok: true }
    : { ok: false, reason: `the native launch server ${script} is missing (npm run build copies it)` };
}

export interface LaunchRequest {
  /** The task's command, executed as is (PATH searched in `env`): `['/bin/sh', '-c', …]` for a shell task. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutFile: string;
  stderrFile: string;
  /** Where the init writes the command's status (code, or 128+signal) once it ends. */
  statusFile: string;
  /** Run as this user (and give it the stdout/stderr files); absent: stay root. */
  user?: { uid: number; gid: number };
  /** Directories and limit files the init creates and writes first (planned-cgroup.ts); none: they exist. */
  cgroupOps?: readonly CgroupOp[];
  /** cgroup.procs files the init joins before anything of the task runs. */
  join: readonly string[];
  /**
   * Host directories the init bind-mounts at `<cwd>/<containerPath>` in the task's mount namespace, as root,
   * before it drops to the task user (already granted by the agent's ACL; containerPath relative, no `..`).
   */
  volumes?: readonly { hostPath: string; containerPath: string; readOnly: boolean }[];
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const unhex = (s: string): string => Buffer.from(s, 'hex').toString('utf8');

export class LaunchServer {
  private proc?: ChildProcess;
  private buffer = '';
  private seq = 0;
  private readonly replies = new Map<string, { resolve(pid: number): void; reject(err: Error): void }>();
  private readonly exitWaiters = new Map<number, (e: InitExit | undefined) => void>();
  private readonly earlyExits = new Map<number, InitExit>();

  constructor(
    private readonly perlBin: string,
    private readonly log: Logger,
    private readonly script = LAUNCH_SERVER_SCRIPT,
  ) {}

  /** Starts the task's init (pid 1 of its own namespaces, in its cgroups); resolves with its host pid once cloned. */
  launch(req: LaunchRequest): Promise<number> {
    const proc = this.ensure();
    const id = String(++this.seq);
    const user = req.user ? `${req.user.uid}:${req.user.gid}` : '-';
    const ops = (req.cgroupOps ?? []).map((op) => op.join(' '));
    const vols = req.volumes ?? [];
    const fields = [
      id,
      req.cwd,
      req.stdoutFile,
      req.stderrFile,
      req.statusFile,
      user,
      String(ops.length),
      ...ops,
      String(req.join.length),
      ...req.join,
      String(vols.length),
      ...vols.flatMap((v) => [v.readOnly ? 'ro' : 'rw', v.hostPath, v.containerPath]),
      String(req.argv.length),
      ...req.argv,
      ...Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
    ];
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.refWhileBusy();
      proc.stdin!.write(`${fields.map(hex).join(' ')}\n`);
    });
  }

  /** The exit of a process this server forked; undefined if the server went away first. */
  exited(pid: number): Promise<InitExit | undefined> {
    const early = this.earlyExits.get(pid);
    if (early) {
      this.earlyExits.delete(pid);
      return Promise.resolve(early);
    }
    if (!this.proc) return Promise.resolve(undefined);
    return new Promise((resolve) => this.exitWaiters.set(pid, resolve));
  }

  /** Pid of the helper process while it runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  close(): void {
    this.proc?.stdin?.end();
  }

  private ensure(): ChildProcess {
    if (this.proc) return this.proc;
    const proc = spawn(this.perlBin, [this.script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => this.onData(chunk));
    proc.once('error', (err) => this.log.error({ err }, 'native launch server error'));
    // A helper that died mid-write gives EPIPE here; its exit handler fails what was in flight.
    proc.stdin!.on('error', (err) => this.log.warn({ err }, 'native launch server input closed'));
    proc.stdout!.on('error', (err) => this.log.warn({ err }, 'native launch server output error'));
    proc.once('exit', (code, signal) => this.onExit(proc, code, signal));
    this.refWhileBusy();
    return proc;
  }

  /** The helper holds the event loop open only while launches are in flight, never for running tasks. */
  private refWhileBusy(): void {
    const p = this.proc;
    if (!p) return;
    const busy = this.replies.size > 0;
    for (const s of [p.stdout, p.stdin] as ({ ref?(): void; unref?(): void } | null)[])
      busy ? s?.ref?.() : s?.unref?.();
    if (busy) p.ref();
    else p.unref();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line.split(' '));
    }
    this.refWhileBusy();
  }

  private onLine([kind, a, b, c]: string[]): void {
    if (kind === 'pid' && a && b) {
      this.replies.get(a)?.resolve(Number(b));
      this.replies.delete(a);
    } else if (kind === 'fail' && a) {
      this.replies.get(a)?.reject(new LaunchError(unhex(b ?? '')));
      this.replies.delete(a);
    } else if (kind === 'exit' && a) {
      const pid = Number(a);
      const exit: InitExit = {
        code: b === '-' ? null : Number(b),
        signal: c === '-' || c === undefined ? null : signalName(Number(c)),
      };
      const waiter = this.exitWaiters.get(pid);
      if (waiter) {
        this.exitWaiters.delete(pid);
        waiter(exit);
      } else {
        this.earlyExits.set(pid, exit);
      }
    } else {
      this.log.warn({ line: [kind, a, b, c].join(' ') }, 'unexpected line from the native launch server');
    }
  }

  private onExit(proc: ChildProcess, code: number | null, signal: string | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    if (this.replies.size > 0 || this.exitWaiters.size > 0)
      this.log.warn({ code, signal }, 'native launch server ended; watching tasks by pid');
    for (const r of this.replies.values())
      r.reject(new LaunchError(`launch server ended (${signal ?? `code ${code}`})`));
    this.replies.clear();
    for (const w of this.exitWaiters.values()) w(undefined);
    this.exitWaiters.clear();
  }
}
