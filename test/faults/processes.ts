/**
 * Real processes for the fault tests: `bin/agora-master`, `bin/agora-agent` and small framework scripts run as
 * children (async spawn only — the jest worker may host an in-process master that must never block), their
 * JSON log lines captured, killed with real signals. `Processes.killAll()` in afterAll/afterEach ends every one.
 *
 *   const procs = new Processes();
 *   const master = procs.master(natsUrl, dataDir, ['--agent-ping-timeout', '300ms']);
 *   await master.waitForLog(/master listening/);
 *   await master.kill('SIGKILL');
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerClient } from '../../isolation/docker/docker-containerizer';
import { processesUnder, sweepCgroups } from '../../isolation/testing/fixtures';
import { eventually } from '../harness/cluster';
import { leasePortRange, type PortRange } from '../harness/port-ranges';

const ROOT = join(__dirname, '..', '..');

export class Proc {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    let partial = '';
    const onData = (d: Buffer) => {
      partial += d.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts.filter(Boolean));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Log lines (parsed JSON where possible) whose text matches `re`. */
  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  async waitForLog(re: RegExp, timeoutMs = 20_000): Promise<string> {
    return eventually(
      () => this.lines.find((l) => re.test(l)),
      `${this.name} to log ${re} (last: ${this.lines.slice(-3).join(' | ')})`,
      timeoutMs,
    );
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, sig);
  }

  /** Sends `sig` and waits for the process to end (SIGCONT first, so a stopped process can die). */
  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.signal(sig);
    if (sig !== 'SIGKILL') this.signal('SIGCONT');
    await this.exited;
  }
}

export class Processes {
  private readonly all: Proc[] = [];
  private readonly ranges = new Map<string, PortRange>();

  start(name: string, argv: string[], env: Record<string, string> = {}): Proc {
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AGORA_LOG_LEVEL: 'info', AGORA_LOG_FORMAT: 'json', ...env },
    });
    const p = new Proc(name, child);
    this.all.push(p);
    return p;
  }

  master(natsUrl: string, dataDir: string, httpPort: number, flags: string[] = []): Proc {
    return this.start('master', [
      join(ROOT, 'bin/agora-master'),
      '--nats',
      natsUrl,
      '--data-dir',
      dataDir,
      '--http-host',
      '127.0.0.1',
      '--http-port',
      String(httpPort),
      '--allocation-interval',
      '100ms',
      ...flags,
    ]);
  }

  /** An agent; restarted on the same work dir, it offers the same ports (its kept tasks still hold theirs). */
  agent(natsUrl: string, workDir: string, flags: string[] = []): Proc {
    let range = this.ranges.get(workDir);
    if (!range) {
      range = leasePortRange();
      this.ranges.set(workDir, range);
    }
    return this.start('agent', [
      join(ROOT, 'bin/agora-agent'),
      '--nats',
      natsUrl,
      '--work-dir',
      workDir,
      '--resources',
      `cpus:8;mem:8192;disk:10000;${range.text}`,
      '--keep-tasks-on-exit',
      ...flags,
    ]);
  }

  /** A TypeScript script under test/faults run with tsx (agora/sdk resolved by tsconfig paths). */
  script(name: string, file: string, args: string[]): Proc {
    return this.start(name, [join(ROOT, 'bin/run-ts'), join(__dirname, file), ...args]);
  }

  async killAll(): Promise<void> {
    await Promise.all(this.all.map((p) => p.kill('SIGKILL')));
    for (const r of this.ranges.values()) r.release();
    this.ranges.clear();
  }
}

/** The agent id an agent process logs when it registers. */
export async function agentIdOf(agent: Proc): Promise<string> {
  const line = await agent.waitForLog(/registered with master/);
  return (JSON.parse(line) as { agentId: string }).agentId;
}

/** Kills and removes everything an agent left behind: native tasks and their cgroups, Docker containers. */
export async function removeAgentLeftovers(agentId: string): Promise<void> {
  // Never throws: it runs in afterAll before the nats-server is stopped, and a throw here (Docker down) left the
  // server running and jest hanging instead of failing. What could not be removed is said on stderr.
  await sweepCgroups(`agora/${agentId}`).catch((e: Error) =>
    console.error(`removeAgentLeftovers(${agentId}): cgroups not swept: ${e.message}`),
  );
  const docker = dockerClient();
  const list = await docker
    .listContainers({ all: true, filters: { label: [`agora.agent=${agentId}`] } })
    .catch((e: Error) => {
      console.error(`removeAgentLeftovers(${agentId}): Docker containers not listed: ${e.message}`);
      return [];
    });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((e: Error) =>
          console.error(`removeAgentLeftovers(${agentId}): container ${c.Id} not removed: ${e.message}`),
        ),
    ),
  );
}

/** Docker containers created for one agent's task (a second one would be a duplicate launch). */
export async function containersOf(agentId: string): Promise<{ id: string; taskId: string; state: string }[]> {
  const list = await dockerClient().listContainers({ all: true, filters: { label: [`agora.agent=${agentId}`] } });
  return list.map((c) => ({ id: c.Id, taskId: c.Labels['agora.task'], state: c.State }));
}

/**
 * A file every native test task appends its id to when it starts (`echo $AGORA_TASK_ID >> file`): the ground
 * truth for "launched twice", independent of what any Agora component believes.
 */
export class StartsLog {
  constructor(readonly path: string) {
    writeFileSync(path, '');
    chmodSync(path, 0o666);
  }
  /** Shell command of a task that records its start, then runs `then`. */
  command(then: string): string {
    return `echo $AGORA_TASK_ID >> ${this.path}; exec ${then}`;
  }
  counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const id of readFileSync(this.path, 'utf8').split('\n').filter(Boolean)) m.set(id, (m.get(id) ?? 0) + 1);
    return m;
  }
  duplicated(): number {
    return [...this.counts().values()].reduce((n, c) => n + c - 1, 0);
  }
}

/** One line a reader can grep in the test output: what a fault cost. */
export function report(test: string, figures: Record<string, number>): void {
  console.log(
    `FAULT ${test}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
}

/** SIGKILLs every process of a task's cgroup (a task whose processes are already going is fine). */
export function killTaskProcesses(relCgroup: string): number {
  const pids = processesUnder(relCgroup);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  return pids.length;
}

/** Pids in a task's cgroup running `program` (e.g. the task's `sleep`, not the launch chain around it). */
export function pidsRunning(relCgroup: string, program: string): number[] {
  return processesUnder(relCgroup)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith(program);
      } catch {
        return false;
      }
    })
    .sort();
}
