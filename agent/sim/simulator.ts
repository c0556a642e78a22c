/**
 * Thousands of simulated agents in one process, each a real `Agent` (REGISTER, heartbeats, LAUNCH/KILL, status
 * updates through its outbox into JetStream) with a memory checkpoint and the simulator's containerizer. They
 * share a few NATS connections. Several simulators (distinct `prefix`) may feed one master.
 *
 *   const sim = new Simulator({ natsUrl, agents: 1000, prefix: 'sim-a', … }, log);
 *   await sim.start();            // resolves once every agent is registered
 *   sim.figures();                // registered, tasks running, outbox backlog, own CPU and event-loop delay
 *   await sim.stop();
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { connectNats, type Logger, type NatsConnection } from '../../sdk';
import { Agent } from '../agent';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from '../config';
import { MemoryCheckpoint } from '../memory-checkpoint';
import { SimContainerizer, type SimBehaviour, type SimCounters } from './sim-containerizer';

export interface SimOptions {
  natsUrl: string;
  agents: number;
  /** Agent ids and hostnames are `<prefix>-<n>`: distinct per simulator feeding the same master. */
  prefix: string;
  resources: string;
  attributes?: string;
  /** NATS connections the agents share (round robin). */
  connections: number;
  behaviour: SimBehaviour;
  usageIntervalMs: number;
  /** Agents starting (registering) at once. */
  startConcurrency: number;
  /** Sandboxes of simulated tasks (empty directories) go below it; default a temp dir removed on stop. */
  workDir?: string;
}

export interface SimFigures {
  agents: number;
  registered: number;
  tasksRunning: number;
  launched: number;
  launchFailed: number;
  ended: number;
  /** Status updates waiting in the agents' outboxes, and published to JetStream so far. */
  outboxBacklog: number;
  published: number;
  /** The simulator's own CPU (fraction of one core since the last call) and event-loop delay (ms). */
  cpu: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  rssMb: number;
}

export class Simulator {
  readonly agents: Agent[] = [];
  private readonly ncs: NatsConnection[] = [];
  private readonly counters: SimCounters = { launched: 0, failed: 0, running: 0, ended: 0 };
  private readonly dir: string;
  private readonly ownDir: boolean;
  private registered = 0;
  private stopping = false;
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(
    readonly opts: SimOptions,
    private readonly log: Logger,
  ) {
    this.ownDir = opts.workDir === undefined;
    // The agent makes an (empty) sandbox per task: in memory (/dev/shm) where there is one, so a busy disk
    // never stalls the simulator's event loop (a first run on /tmp saw 4 s stalls while other work synced).
    this.dir = opts.workDir ?? mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'agora-sim-'));
  }

  /** Connects, creates every agent and starts them `startConcurrency` at a time; resolves once all are registered. */
  async start(onRegistered?: (n: number) => void): Promise<void> {
    this.loop.enable();
    for (let i = 0; i < this.opts.connections; i++) {
      this.ncs.push(
        await connectNats({ servers: this.opts.natsUrl, name: `agora-sim:${this.opts.prefix}:${i}`, log: this.log }),
      );
    }
    const containerizer = new SimContainerizer(this.opts.behaviour, this.counters);
    for (let i = 0; i < this.opts.agents; i++) {
      const id = `${this.opts.prefix}-${i}`;
      const workDir = join(this.dir, id);
      mkdirSync(workDir, { recursive: true });
      const config: AgentConfig = {
        ...DEFAULT_AGENT_CONFIG,
        natsUrl: this.opts.natsUrl,
        agentId: id,
        hostname: id,
        workDir,
        resources: this.opts.resources,
        attributes: this.opts.attributes,
        containerizers: ['native'],
        usageIntervalMs: this.opts.usageIntervalMs,
        // Simulated tasks write nothing: no disk checks, no log rotation; `root` keeps sandboxes below the work dir.
        diskCheckIntervalMs: 0,
        logMaxBytes: 0,
        taskUser: 'root',
      };
      const nc = this.ncs[i % this.ncs.length]!;
      this.agents.push(
        new Agent(
          config,
          { nc, log: this.log, containerizers: { native: containerizer }, checkpoint: new MemoryCheckpoint() },
          ['native'],
        ),
      );
    }
    let next = 0;
    const worker = async () => {
      while (next < this.agents.length && !this.stopping) {
        await this.agents[next++]!.start();
        onRegistered?.(++this.registered);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.opts.startConcurrency) }, worker));
  }

  figures(): SimFigures {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const share = (cpu.user + cpu.system) / 1000 / Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    let backlog = 0;
    let published = 0;
    for (const a of this.agents) {
      if (!this.stopping) backlog += a.outbox.pending();
      published += a.outbox.published;
    }
    const f: SimFigures = {
      agents: this.agents.length,
      registered: this.agents.filter((a) => a.masterId !== undefined).length,
      tasksRunning: this.counters.running,
      launched: this.counters.launched,
      launchFailed: this.counters.failed,
      ended: this.counters.ended,
      outboxBacklog: backlog,
      published,
      cpu: Math.round(share * 1000) / 1000,
      loopDelayP99Ms: Math.round(this.loop.percentile(99) / 1e4) / 100,
      loopDelayMaxMs: Math.round(this.loop.max / 1e4) / 100,
      rssMb: Math.round(process.memoryUsage().rss / 1048576),
    };
    this.loop.reset();
    return f;
  }

  /** Stops every agent (their tasks end with them: a simulated task lives only in this process) and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.loop.disable();
    await Promise.all(
      this.agents.map((a) =>
        a
          .stop({ killTasks: false })
          .catch((err: Error) =>
            this.log.warn({ agentId: a.id, err: err.message }, 'simulated agent did not stop cleanly'),
          ),
      ),
    );
    await Promise.all(
      this.ncs.map((nc) => nc.drain().catch((err: Error) => this.log.warn({ err: err.message }, 'NATS drain failed'))),
    );
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
