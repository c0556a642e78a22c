/**
 * The benchmark's view of the processes it runs: CPU (from /proc/<pid>/stat, as a share of one core over a
 * window), RSS, the master's Prometheus figures, and the child processes themselves (master, simulators).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TICK = 100; // USER_HZ on Linux
const ROOT = join(__dirname, '..', '..');

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** CPU share of one core of each pid while `during` runs (or over `ms` when no action is given). */
export async function cpuShare(pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuSeconds);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const secs = (performance.now() - t0) / 1000;
  return pids.map((p, i) => Math.round(((cpuSeconds(p) - before[i]!) / secs) * 1000) / 1000);
}

export async function metric(httpUrl: string, name: string): Promise<number[]> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const out: number[] = [];
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      out.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
  return out;
}

export interface Child {
  proc: ChildProcess;
  logFile: string;
  onLine(fn: (line: string) => void): void;
  stop(): Promise<void>;
}

/**
 * Runs one of the project's executables (bin/…). Its logs go straight to `logFile` (a pipe the benchmark reads
 * would block a busy process's synchronous log writes whenever the benchmark falls behind); with `readStdout`,
 * stdout comes to the benchmark line by line instead (the simulator's figures) and only stderr goes to the file.
 */
export function runBin(
  bin: string,
  args: string[],
  opts: { logFile: string; readStdout?: boolean; nodeArgs?: string[] },
): Child {
  const fd = openSync(opts.logFile, 'a');
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(ROOT, 'bin', bin), ...args], {
    cwd: ROOT,
    env: { ...process.env, AGORA_LOG_LEVEL: process.env.AGORA_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', opts.readStdout ? 'pipe' : fd, fd],
  });
  closeSync(fd);
  const listeners: ((l: string) => void)[] = [];
  let stopping = false;
  const child: Child = {
    proc,
    logFile: opts.logFile,
    onLine: (fn) => {
      listeners.push(fn);
    },
    stop: async () => {
      stopping = true;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      listeners.forEach((fn) => fn(l));
    }
  });
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    const tail = readFileSync(opts.logFile, 'utf8').slice(-2000);
    process.stderr.write(
      `[bench:scale] ${bin} exited unexpectedly (${signal ?? code}); the end of ${opts.logFile}:\n${tail}\n`,
    );
  });
  return child;
}

export async function timedGet(url: string, rounds = 3): Promise<{ ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    times.push(performance.now() - t0);
  }
  return { ms: Math.round(times.sort((a, b) => a - b)[Math.floor(times.length / 2)]! * 10) / 10, bytes };
}
