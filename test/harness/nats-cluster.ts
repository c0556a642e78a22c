/**
 * A real 3-node (or N-node) nats-server cluster with JetStream on 127.0.0.1 for a test: each node its own client
 * and cluster port (free ports), store dir and config file (`cluster { name, listen, routes }`, `server_name`).
 * A node can be stopped and started again on the same ports and storage (fault tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, natsServerBinary } from './nats-server';

export interface ClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  storeDir: string;
  config: string;
  proc?: ChildProcess;
}

export class NatsCluster {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly dir: string,
  ) {}

  static async start(size = 3): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'agora-nats-cluster-'));
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= size; i++)
      nodes.push({
        name: `n${i}`,
        port: await freePort(),
        clusterPort: await freePort(),
        storeDir: join(dir, `n${i}`),
        config: join(dir, `n${i}.conf`),
      });
    for (const n of nodes) {
      const routes = nodes.filter((o) => o !== n).map((o) => `nats-route://127.0.0.1:${o.clusterPort}`);
      writeFileSync(
        n.config,
        [
          `server_name: ${n.name}`,
          'listen: 127.0.0.1:' + n.port,
          `jetstream { store_dir: ${JSON.stringify(n.storeDir)} }`,
          `cluster { name: agora-test, listen: 127.0.0.1:${n.clusterPort}, routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}] }`,
        ].join('\n') + '\n',
      );
    }
    const c = new NatsCluster(nodes, dir);
    await Promise.all(nodes.map((n) => c.startNode(n)));
    return c;
  }

  /** Every node's client URL (a client given all of them fails over between them). */
  get servers(): string[] {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  }

  async startNode(n: ClusterNode): Promise<void> {
    const proc = spawn(natsServerBinary(), ['-c', n.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    n.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d) => {
      stderr += d;
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`nats-server ${n.name} exited: ${stderr}`);
      if (/Server is ready/.test(stderr)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`nats-server ${n.name} did not become ready: ${stderr}`);
  }

  async stopNode(n: ClusterNode, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = n.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
