/**
 * A whole cluster for a test: a real nats-server on a free port, a master and agents in this process (real
 * NATS, real cgroups, real SQLite files in a temp dir). `stop()` ends everything and removes what it made.
 *
 *   const c = await startCluster({ agents: [{ hostname: 'a1', attributes: 'rack:r1' }] });
 *   … frameworks connect to c.natsUrl; the operator API is at c.masterHttpUrl (c.fetch sends the admin token) …
 *   await c.stop();
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMaster, type RunningMaster } from '../../master/main';
import type { MasterConfig } from '../../master/config';
import { startAgent, type RunningAgent } from '../../agent/main';
import type { AgentConfig } from '../../agent/config';
import { NatsServer } from './nats-server';
import { removeAgentCgroups } from './cgroups';
import { leasePortRange, type PortRange } from './port-ranges';
import { DEADLINE_SCALE } from './deadline';
import type { NatsConnection } from 'agora/sdk/internal';
import type { Logger } from '../../sdk';
import { authFetch, readAdminToken } from './auth';

export { DEADLINE_SCALE };

export interface ClusterOptions {
  agents?: Partial<AgentConfig>[];
  master?: Partial<MasterConfig>;
  /** One logger for the master and the agents (default: each its own, silent under jest). */
  log?: Logger;
}

export interface TestCluster {
  nats: NatsServer;
  natsUrl: string;
  master: RunningMaster;
  masterHttpUrl: string;
  /** The master's bootstrap admin token (its secret). */
  token: string;
  /** `fetch` with the admin token. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  agents: RunningAgent[];
  dir: string;
  /** `opts.nc`: the agent's NATS connection (e.g. wrapped by held-launches.ts); the test closes it. */
  addAgent(config?: Partial<AgentConfig>, opts?: { nc?: NatsConnection }): Promise<RunningAgent>;
  stop(): Promise<void>;
}

/**
 * Small resources by default so tests never depend on the machine's size; each agent gets its own port range,
 * leased across processes, since every agent of every test on this machine shares its network.
 */
const defaultAgentResources = (ports: PortRange) => `cpus:4;mem:4096;disk:10000;${ports.text}`;

export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'agora-test-'));
  chmodSync(dir, 0o755); // sandboxes below it must be reachable by the task user
  const nats = await NatsServer.start();
  const master = await startMaster(
    {
      natsUrl: nats.url,
      httpHost: '127.0.0.1',
      httpPort: 0,
      dataDir: join(dir, 'master'),
      secretKeyFile: join(dir, 'keys', 'secret.key'), // beside the data dir, not in it; removed with the rest
      allocationIntervalMs: 100,
      frameworkHeartbeatIntervalMs: 1000,
      agentPingTimeoutMs: 1000,
      maxAgentPingTimeouts: 3,
      ...opts.master,
    },
    { log: opts.log },
  );
  const token = readAdminToken(join(dir, 'master'));
  const agents: RunningAgent[] = [];
  const leases: PortRange[] = [];
  let n = 0;
  const addAgent = async (config: Partial<AgentConfig> = {}, agentOpts: { nc?: NatsConnection } = {}) => {
    const i = n++;
    let resources = config.resources;
    if (resources === undefined) {
      const ports = leasePortRange();
      leases.push(ports);
      resources = defaultAgentResources(ports);
    }
    const a = await startAgent(
      {
        natsUrl: nats.url,
        hostname: `agent-${i}`,
        workDir: join(dir, `agent-${i}`),
        resources,
        containerizers: ['native'],
        usageIntervalMs: 2000,
        ...config,
      },
      { log: opts.log, ...agentOpts },
    );
    agents.push(a);
    return a;
  };
  for (const a of opts.agents ?? [{}]) await addAgent(a);
  return {
    nats,
    natsUrl: nats.url,
    master,
    masterHttpUrl: master.httpUrl,
    token,
    fetch: authFetch(token),
    agents,
    dir,
    addAgent,
    async stop() {
      for (const a of agents)
        await a
          .stop({ killTasks: true })
          .catch((e: Error) => console.error(`cluster.stop: agent ${a.agent.id} did not stop cleanly: ${e.message}`));
      for (const a of agents) removeAgentCgroups(a.agent.id);
      await master.stop().catch(() => undefined);
      await nats.stop();
      for (const l of leases) l.release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or the (scaled) timeout passes (then throws with `what`). */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs * DEADLINE_SCALE;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
