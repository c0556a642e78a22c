/**
 * One HAProxy in master-worker mode (`haproxy -W`), a child of this process, and its runtime API.
 *
 *   start()   spawn the master; wait until the worker's stats socket answers
 *   reload()  check the new configuration (`haproxy -c`), save `show servers state`, SIGUSR2 to the master:
 *             it re-executes, the new worker takes the listening sockets over from the old one (expose-fd
 *             listeners) and loads the saved server states; the old worker finishes its connections
 *   run()     runtime API commands (`set server …`) on the current worker's stats socket
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type { Logger } from 'agora/sdk';

const execFileAsync = promisify(execFile);

export class HaproxyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HaproxyError';
  }
}

/** Where Debian puts haproxy, or the first on PATH; undefined when it is not installed. */
export function findHaproxy(): string | undefined {
  for (const p of ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy', '/usr/local/bin/haproxy'])
    if (existsSync(p)) return p;
  for (const dir of (process.env.PATH ?? '').split(':'))
    if (dir && existsSync(`${dir}/haproxy`)) return `${dir}/haproxy`;
  return undefined;
}

/** Answers of the runtime API that mean a command failed (a successful `set server` prints nothing or a notice). */
const FAILED = /^(No such|Unknown command|Require|Invalid|.*\binvalid\b|.*: error|Permission denied|Can't)/im;

export interface HaproxyPaths {
  readonly binary: string;
  readonly config: string;
  readonly socket: string;
  readonly serverState: string;
}

export class Haproxy {
  private proc?: ChildProcess;
  private exited = true;

  constructor(
    private readonly paths: HaproxyPaths,
    private readonly log: Logger,
  ) {}

  get running(): boolean {
    return !this.exited;
  }

  async check(): Promise<void> {
    try {
      await execFileAsync(this.paths.binary, ['-c', '-q', '-f', this.paths.config]);
    } catch (e) {
      throw new HaproxyError(
        `haproxy refused the configuration ${this.paths.config}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`,
        { cause: e },
      );
    }
  }

  async start(): Promise<void> {
    await this.check();
    rmSync(this.paths.serverState, { force: true }); // a fresh start begins with every slot in maintenance
    const proc = spawn(this.paths.binary, ['-W', '-db', '-f', this.paths.config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    this.exited = false;
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter((l) => l.trim() !== ''))
        this.log.info({ haproxy: line.trim() }, 'haproxy');
    });
    proc.once('exit', (code, signal) => {
      this.exited = true;
      this.log.warn({ code, signal, pid: proc.pid }, 'haproxy exited');
    });
    await this.waitForWorker(undefined, 'haproxy did not open its stats socket');
  }

  async reload(): Promise<void> {
    if (!this.proc || this.exited) return this.start();
    await this.check();
    writeFileSync(this.paths.serverState, await this.run(['show servers state']));
    const before = await this.workerPid();
    this.proc.kill('SIGUSR2');
    await this.waitForWorker(before, 'haproxy did not start a new worker after a reload');
  }

  /** Polls `show info` until a worker other than `previousPid` answers. */
  private async waitForWorker(previousPid: number | undefined, what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last: unknown;
    while (Date.now() < deadline) {
      if (this.exited) throw new HaproxyError(`${what}: it exited`);
      try {
        const pid = await this.workerPid();
        if (pid !== previousPid) return;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new HaproxyError(`${what} within 15 s`, { cause: last });
  }

  private async workerPid(): Promise<number> {
    const m = /^Pid: (\d+)/m.exec(await this.run(['show info']));
    if (!m) throw new HaproxyError('show info gave no Pid');
    return Number(m[1]);
  }

  /** Sends commands (batched, `;`-separated) and returns the answers; throws on an answer that reports a failure. */
  async run(commands: readonly string[]): Promise<string> {
    let out = '';
    for (let i = 0; i < commands.length; i += 40) {
      const answer = await this.send(commands.slice(i, i + 40).join('; '));
      const bad = FAILED.exec(answer);
      if (bad)
        throw new HaproxyError(
          `haproxy refused a runtime command: ${bad[0].trim()} (in: ${commands.slice(i, i + 40).join('; ')})`,
        );
      out += answer;
    }
    return out;
  }

  private send(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.paths.socket);
      let out = '';
      s.setEncoding('utf8');
      s.setTimeout(5000, () => s.destroy(new HaproxyError(`no answer from ${this.paths.socket} within 5 s`)));
      s.on('data', (d: string) => {
        out += d;
      });
      s.on('end', () => resolve(out));
      s.on('error', (e) => reject(new HaproxyError(`runtime API ${this.paths.socket}: ${e.message}`, { cause: e })));
      s.write(`${line}\n`);
    });
  }

  /** Stops HAProxy (SIGTERM to the master: the workers stop at once). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || this.exited) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGTERM');
    });
  }
}
