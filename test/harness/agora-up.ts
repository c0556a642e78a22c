/**
 * `agora up` as a user runs it, for the end-to-end tests: a real subprocess (bin/agora) on random free ports,
 * its output captured, and the process tree under it read from /proc.
 *
 *   const up = await startAgoraUp({ dataDir });          // resolves once it prints "cluster is up"
 *   const tree = processTree(up.proc.pid!);              // nats-server, master, agent, frameworks, tasks…
 *   process.kill(up.proc.pid!, 'SIGKILL');
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from './nats-server';
import { eventually } from './cluster';

export const ROOT = join(__dirname, '..', '..');
export const AGORA = join(ROOT, 'bin', 'agora');

/** Runs `agora …` to completion (synchronously: only where no in-process server must keep answering). */
export function agora(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [AGORA, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env, AGORA_LOG_LEVEL: 'warn' } });
}

/** Runs `agora …` to completion without blocking this process; resolves with its exit code and output. */
export function agoraAsync(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [AGORA, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, AGORA_LOG_LEVEL: 'warn' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

export interface AgoraUp {
  proc: ChildProcess;
  natsPort: number;
  httpPort: number;
  /** The cluster's DNS server (always on a free port: the default 8600 may be taken by another cluster). */
  dnsPort: number;
  natsUrl: string;
  masterUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface AgoraUpOptions {
  dataDir: string;
  natsPort?: number;
  httpPort?: number;
  dnsPort?: number;
  /** Default: a small fixed set, so the test does not depend on the machine's size. */
  agentResources?: string;
  extraArgs?: string[];
}

/** Starts `agora up` in its own process group (as a terminal would run it) and waits for "cluster is up". */
export async function startAgoraUp(o: AgoraUpOptions): Promise<AgoraUp> {
  const natsPort = o.natsPort ?? await freePort();
  const httpPort = o.httpPort ?? await freePort();
  const dnsPort = o.dnsPort ?? await freePort();
  // As a user of this cluster would: the CLI (and SDK) find its admin credentials through AGORA_HOME.
  process.env.AGORA_HOME = o.dataDir;
  const proc = spawn(process.execPath, [AGORA, 'up', '--nats-port', String(natsPort), '--http-port', String(httpPort), '--dns-port', String(dnsPort), '--data-dir', o.dataDir,
    '--agent-resources', o.agentResources ?? 'cpus:2;mem:2048;disk:1000;ports:[32000-32100]', ...(o.extraArgs ?? [])],
  { env: { ...process.env, AGORA_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const up: AgoraUp = { proc, natsPort, httpPort, dnsPort, natsUrl: `nats://127.0.0.1:${natsPort}`, masterUrl: `http://127.0.0.1:${httpPort}`, output: () => out, exited };
  await eventually(() => /cluster is up/.test(out) || proc.exitCode !== null, `agora up to be ready (output so far: ${out})`, 45_000, 100);
  if (proc.exitCode !== null) throw new Error(`agora up exited with ${proc.exitCode}: ${out}`);
  return up;
}

/** Ends an `agora up` left running by a failed test (its whole tree: it may have been stopped half-way). */
export function killAgoraUp(up: AgoraUp | undefined): void {
  if (!up || up.proc.exitCode !== null || up.proc.signalCode !== null) return;
  for (const pid of [up.proc.pid!, ...processTree(up.proc.pid!)]) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** pids of every descendant of `root` (children, their children…), read from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; } // exited meanwhile
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => { for (const c of children.get(pid) ?? []) { out.push(c); walk(c); } };
  walk(root);
  return out;
}

/** The pids of `pids` that still run (zombies count as gone: they hold no port and no memory). */
export function stillRunning(pids: number[]): number[] {
  return pids.filter((pid) => {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return false; }
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  });
}

/** Whether this process can listen on 127.0.0.1:`port` now (nobody else holds it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `ps`-like lines for pids, for a failure message that says what is left. */
export function describePids(pids: number[]): string {
  return pids.map((pid) => {
    try { return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`; } catch { return `${pid} (gone)`; }
  }).join('; ');
}
