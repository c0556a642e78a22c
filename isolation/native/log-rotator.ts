/**
 * Log rotation for native tasks: one small process per task that owns its output, as Mesos's logrotate
 * container logger does. A task's stdout/stderr are then FIFOs read by that process, which writes
 * `stdout`, `stdout.1` … in the sandbox, rotating by size (layout and state: ../logs/log-state.ts).
 *
 * Why a process per task and not the agent reading pipes: the task must outlive the agent. A pipe held by
 * the agent would close when it restarts, and the task's next write would die of SIGPIPE (or block once the
 * pipe is full). The rotator lives in its own session, outside the task's cgroup (a kill of the task
 * never cuts its last words), as the task user (it can only touch what the task could), and ends when
 * every writer of both FIFOs has closed them — when the task and all its processes are gone.
 *
 * Like the launch server, rotators are forked by a long-lived Perl helper (perl-base is Essential on
 * Debian; ~2 MB per rotator), not by the agent: forking Node per task is slow and blocks the event loop.
 * The helper creates the two FIFOs *before* it answers, so the task's init (cloned next by the launch server)
 * opens existing FIFOs; each open blocks until the other side opens, so neither can start alone.
 *
 * Protocol (one line each way, fields hex-encoded): → id dir maxBytes maxFiles owner(uid:gid|-)
 *   ← pid <id> <pid> | fail <id> <hex message>      ← exit <pid>
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../sdk/log';
import { LaunchError } from '../errors';
import type { LogRotation } from '../logs/log-state';
import { isSameProcessAlive } from './proc';

/** The helper's Perl program, beside this file (copied into dist/ by scripts/copy-runtime-files.js). */
export const LOG_ROTATOR_SCRIPT = path.join(__dirname, 'log-rotator.pl');

export interface RotatorRequest {
  dir: string;
  rotation: LogRotation;
  /** The task user: the rotator switches to it once the FIFOs are open. */
  owner?: { uid: number; gid: number };
}

/** A started rotator: its pid, and the FIFOs the task's stdout/stderr must open (in this order). */
export interface StartedRotator {
  pid: number;
  stdoutFile: string;
  stderrFile: string;
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const unhex = (s: string): string => Buffer.from(s, 'hex').toString('utf8');

export const fifoPath = (dir: string, stream: 'stdout' | 'stderr'): string => path.join(dir, `.agora-${stream}.fifo`);

export class LogRotatorServer {
  private proc?: ChildProcess;
  private buffer = '';
  private seq = 0;
  private readonly replies = new Map<string, { resolve(pid: number): void; reject(err: Error): void }>();
  private readonly exitWaiters = new Map<number, (ended: boolean) => void>();
  private readonly earlyExits = new Set<number>();

  constructor(
    private readonly perlBin: string,
    private readonly log: Logger,
  ) {}

  start(req: RotatorRequest): Promise<StartedRotator> {
    const { maxBytes, maxFiles } = req.rotation;
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0 && Number.isSafeInteger(maxFiles) && maxFiles >= 1)) {
      return Promise.reject(
        new LaunchError(`log rotation needs maxBytes > 0 and maxFiles ≥ 1, got ${maxBytes} × ${maxFiles}`),
      );
    }
    const proc = this.ensure();
    const id = String(++this.seq);
    const owner = req.owner ? `${req.owner.uid}:${req.owner.gid}` : '-';
    return new Promise<number>((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.refWhileBusy();
      proc.stdin!.write(`${[id, req.dir, String(maxBytes), String(maxFiles), owner].map(hex).join(' ')}\n`);
    }).then((pid) => ({ pid, stdoutFile: fifoPath(req.dir, 'stdout'), stderrFile: fifoPath(req.dir, 'stderr') }));
  }

  /** Resolves true once a rotator this server forked has ended; false if the server went away first. */
  exited(pid: number): Promise<boolean> {
    if (this.earlyExits.delete(pid)) return Promise.resolve(true);
    if (!this.proc) return Promise.resolve(false);
    return new Promise((resolve) => this.exitWaiters.set(pid, resolve));
  }

  close(): void {
    this.proc?.stdin?.end();
  }

  private ensure(): ChildProcess {
    if (this.proc) return this.proc;
    const proc = spawn(this.perlBin, [LOG_ROTATOR_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => this.onData(chunk));
    proc.once('error', (err) => this.log.error({ err }, 'log rotator server error'));
    proc.stdin!.on('error', (err) => this.log.warn({ err }, 'log rotator server input closed'));
    proc.stdout!.on('error', (err) => this.log.warn({ err }, 'log rotator server output error'));
    proc.once('exit', (code, signal) => this.onExit(proc, code, signal));
    this.refWhileBusy();
    return proc;
  }

  /** Like the launch server: holds the event loop open only while a start is in flight. */
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
      const [kind, a, b] = this.buffer.slice(0, nl).split(' ');
      this.buffer = this.buffer.slice(nl + 1);
      if (kind === 'pid' && a && b) {
        this.replies.get(a)?.resolve(Number(b));
        this.replies.delete(a);
      } else if (kind === 'fail' && a) {
        this.replies.get(a)?.reject(new LaunchError(`log rotator: ${unhex(b ?? '')}`));
        this.replies.delete(a);
      } else if (kind === 'exit' && a) {
        const pid = Number(a);
        const waiter = this.exitWaiters.get(pid);
        if (waiter) {
          this.exitWaiters.delete(pid);
          waiter(true);
        } else this.earlyExits.add(pid);
      } else this.log.warn({ line: [kind, a, b].join(' ') }, 'unexpected line from the log rotator server');
    }
    this.refWhileBusy();
  }

  private onExit(proc: ChildProcess, code: number | null, signal: string | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    if (this.replies.size > 0 || this.exitWaiters.size > 0)
      this.log.warn({ code, signal }, 'log rotator server ended; watching rotators by pid');
    for (const r of this.replies.values())
      r.reject(new LaunchError(`log rotator server ended (${signal ?? `code ${code}`})`));
    this.replies.clear();
    for (const w of this.exitWaiters.values()) w(false);
    this.exitWaiters.clear();
  }
}

/** How long a task's end waits for its rotator to write the last output before reporting anyway. */
export const ROTATOR_DRAIN_MS = 5_000;

/**
 * Resolves once the rotator `pid` has ended (it has written everything the task wrote), or after
 * `timeoutMs` — then it is sent SIGTERM, since no writer is left that it could still serve.
 */
export async function rotatorDrained(
  rotator: { pid: number; startTicks: number },
  ended: Promise<unknown>,
  timeoutMs: number,
  log: Logger,
  taskId: string,
): Promise<void> {
  const { pid } = rotator;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
    timer.unref();
  });
  const late = await Promise.race([ended.then(() => false), timedOut]);
  clearTimeout(timer);
  if (!late) return;
  if (!isSameProcessAlive(pid, rotator.startTicks)) return; // gone meanwhile (and the pid may be someone else's now)
  log.warn({ taskId, pid, timeoutMs }, 'log rotator still running after its task ended; stopping it');
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log.warn({ err, taskId, pid }, 'cannot stop the log rotator');
  }
}

/** A rotator whose task never started: it waits on its FIFOs forever otherwise. */
export function stopUnusedRotator(r: StartedRotator, log: Logger, taskId: string): void {
  try {
    process.kill(r.pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH')
      log.warn({ err, taskId, pid: r.pid }, 'cannot stop the log rotator of a failed launch');
  }
  for (const f of [r.stdoutFile, r.stderrFile]) {
    try {
      fs.unlinkSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({ err, taskId, file: f }, 'cannot remove a log FIFO');
    }
  }
}
