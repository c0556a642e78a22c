/** What /proc says about one process: alive, and the same process (pids are reused) as when launched. */
import * as fs from 'node:fs';

export interface ProcStat {
  state: string;
  startTicks: number;
  ppid: number;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state), so field n is f[n - 3].
  const startTicks = Number(f[22 - 3]);
  if (!f[0] || !Number.isFinite(startTicks)) return undefined;
  return { state: f[0], ppid: Number(f[4 - 3]), startTicks };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
}

/** True while `pid` runs and is the process that started at `startTicks` (a zombie counts as ended). */
export function isSameProcessAlive(pid: number, startTicks: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.startTicks === startTicks && st.state !== 'Z' && st.state !== 'X';
}

/** The host pid of the process that is pid 1 in its own pid namespace, among `pids`. */
export function findNamespaceInit(pids: number[]): number | undefined {
  for (const pid of pids) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const ns = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
    if (ns && ns.length > 1 && ns[ns.length - 1] === '1') return pid;
  }
  return undefined;
}

/** Sends `signal`, treating a process that is already gone as done. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
