/**
 * `agora up --hosts N`, the shell: carries out the plan from ./plan.ts with `ip`, and starts on every "machine" a
 * nats-server node (clustered, JetStream) and an agent advertising the host's address; the master, the frameworks
 * and the DNS server on host 1 (standby masters come with the master's lease). 127.0.0.1:<nats-port> and
 * 127.0.0.1:<http-port> are forwarded into the cluster.
 *
 * Removal never depends on this process surviving: the first child it starts, `network`, holds the cleanup
 * script and runs it on SIGTERM — which it gets from the supervisor's orderly stop (last, after every other child)
 * or from the kernel's parent-death signal when `agora up` is SIGKILLed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CliError, EXIT } from '../../common';
import type { Supervisor } from '../supervisor';
import { forward, type Forwarder } from './forward';
import { freeSlot, INNER, onHost, planHosts, type HostPlan, type HostsPlan } from './plan';

export interface HostsOptions {
  hosts: number;
  dataDir: string;
  natsPort: number;
  httpPort: number;
  dnsPort?: number;
  frameworks: readonly string[];
  agentResources?: string;
  binDir: string;
  natsServer: string;
  say: (line: string) => void;
}

export interface HostsCluster {
  plan: HostsPlan;
  masterHost: HostPlan;
  forwarders: Forwarder[];
  stopReplication: () => void;
  started: string[];
}

/** Refuses clearly when this cannot work: not root, or `ip`/`nsenter`/`unshare` missing. */
export function checkHostsPrerequisites(): void {
  if (process.getuid?.() !== 0)
    throw new CliError(
      '--hosts needs root (it creates network namespaces, veths and a bridge); run it with sudo',
      EXIT.UNAVAILABLE,
    );
  for (const bin of ['ip', 'nsenter', 'unshare']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      throw new CliError(
        `--hosts needs \`${bin}\` (Debian: iproute2 for ip, util-linux for nsenter and unshare)`,
        EXIT.UNAVAILABLE,
      );
    }
  }
}

export async function upHosts(sup: Supervisor, o: HostsOptions): Promise<HostsCluster> {
  const plan = claimSlot(o);
  // Next: the child that removes it all, so that a failure or a SIGKILL from here on leaves nothing behind.
  const janitor = `cleanup() {\n${plan.cleanup}\nexit 0\n}\ntrap cleanup TERM INT HUP\nwhile :; do sleep 1; done`;
  await sup.start({ name: 'network', command: '/bin/sh', args: ['-c', janitor] });
  for (const argv of plan.setup.slice(1)) run(argv);
  o.say(`network: bridge ${plan.bridge} ${plan.bridgeAddress}/${plan.prefix}, ${plan.hosts.length} hosts`);
  for (const h of plan.hosts) {
    mkdirSync(join(h.dir, 'nats'), { recursive: true });
    writeFileSync(h.natsConfigPath, h.natsConfig);
  }
  await Promise.all(
    plan.hosts.map((h) =>
      sup.start({
        name: `nats-server@${h.name}`,
        ...onHost(h, o.natsServer, ['-c', h.natsConfigPath, '-l', join(h.dir, 'nats', 'nats-server.log')]),
        ready: () => waitTcp(h.address, INNER.nats, `nats-server on ${h.name}`),
      }),
    ),
  );
  await waitJetStream(plan);
  const node = process.execPath;
  const master = plan.hosts[0]!;
  const env = { AGORA_NATS: master.natsUrl };
  // The leading master keeps its data (registry, admin token) at <data dir>/master, where the CLI looks (AGORA_HOME).
  await sup.start({
    name: `master@${master.name}`,
    env,
    ...onHost(master, node, [
      join(o.binDir, 'agora-master'),
      '--nats',
      master.natsUrl,
      '--http-host',
      master.address,
      '--http-port',
      String(INNER.http),
      '--data-dir',
      join(o.dataDir, 'master'),
    ]),
    ready: () => waitHttp(`http://${master.address}:${INNER.http}/health`),
  });
  for (const h of plan.hosts) {
    await sup.start({
      name: `agent@${h.name}`,
      env: { AGORA_NATS: h.natsUrl },
      ...onHost(h, node, [
        join(o.binDir, 'agora-agent'),
        '--nats',
        h.natsUrl,
        '--hostname',
        h.address,
        '--work-dir',
        join(h.dir, 'agent'),
        '--http-port',
        '0',
        ...(o.agentResources ? ['--resources', o.agentResources] : []),
      ]),
    });
  }
  const started: string[] = [];
  for (const f of o.frameworks) {
    const bin = join(o.binDir, `agora-${f}`);
    if (!existsSync(bin)) continue;
    await sup.start({
      name: `${f}@${master.name}`,
      env,
      ...onHost(master, node, [bin, '--nats', master.natsUrl, '--data-dir', join(master.dir, f)]),
    });
    started.push(f);
  }
  if (o.dnsPort !== undefined) {
    await sup.start({
      name: `dns@${master.name}`,
      env,
      ...onHost(master, node, [
        join(o.binDir, 'agora-dns'),
        '--nats',
        master.natsUrl,
        '--host',
        master.address,
        '--port',
        String(o.dnsPort),
      ]),
    });
  }
  const stopReplication = await keepStreamsReplicated(plan, o.say);
  const forwarders = [
    await forward(
      o.natsPort,
      () => plan.hosts.map((h) => ({ host: h.address, port: INNER.nats })),
      (m) => o.say(`nats forward: ${m}`),
    ),
    await forward(
      o.httpPort,
      () => [{ host: master.address, port: INNER.http }],
      (m) => o.say(`http forward: ${m}`),
    ),
  ];
  return { plan, masterHost: master, forwarders, stopReplication, started };
}

/** The summary `agora up` prints: every host's address, and which master leads. */
export function describeHosts(c: HostsCluster, o: HostsOptions): string {
  const rows = c.plan.hosts.map(
    (h) =>
      `  ${h.name.padEnd(4)} ${h.hostname.padEnd(10)} ${h.address.padEnd(15)} netns ${h.netns}   nats-server, agent${h === c.masterHost ? ', master (leader)' + (c.started.length ? `, ${c.started.join(', ')}` : '') + (o.dnsPort !== undefined ? ', dns' : '') : ''}`,
  );
  return [
    `cluster is up on ${c.plan.hosts.length} hosts (bridge ${c.plan.bridge}, ${c.plan.bridgeAddress}/${c.plan.prefix}; streams and buckets R${c.plan.replicas})`,
    ...rows,
    `  NATS        nats://127.0.0.1:${o.natsPort}   (forwarded to the hosts' nats-servers)`,
    `  master      http://127.0.0.1:${o.httpPort}   (forwarded to the leader, ${c.masterHost.address}:${INNER.http})`,
    `  dns         ${o.dnsPort !== undefined ? `${c.masterHost.address}:${o.dnsPort}   (dig @${c.masterHost.address} -p ${o.dnsPort} <app>.agora)` : 'off'}`,
    `Try: npx agora agents    (Ctrl-C here stops everything and removes the namespaces and the bridge)`,
  ].join('\n');
}

function run(argv: readonly string[]): void {
  try {
    execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new CliError(
      `--hosts: \`${argv.join(' ')}\` failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`,
      EXIT.FAILED,
    );
  }
}

/**
 * Plans on a free slot and claims it by creating its bridge (the plan's first step), before any cleanup exists
 * that could remove it: two `agora up --hosts` starting at once may both see a slot free; the one whose bridge
 * add fails ("File exists") tries the next, and never runs a cleanup of the other's slot.
 */
function claimSlot(o: HostsOptions): HostsPlan {
  for (let attempt = 0; ; attempt++) {
    const plan = planHosts({ hosts: o.hosts, slot: pickSlot(), dataDir: o.dataDir, iptables: needsForwardRule() });
    try {
      execFileSync(plan.setup[0]![0]!, plan.setup[0]!.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      return plan;
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
      if (!/File exists/.test(stderr) || attempt >= 5)
        throw new CliError(
          `--hosts: \`${plan.setup[0]!.join(' ')}\` failed: ${stderr.trim() || (err as Error).message}`,
          EXIT.FAILED,
        );
    }
  }
}

function pickSlot(): number {
  const bridges = execFileSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim() ?? '')
    .filter(Boolean);
  const addrs = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /inet (\S+)\//.exec(l)?.[1] ?? '')
    .filter(Boolean);
  return freeSlot(bridges, addrs);
}

/** br_netfilter hands bridged frames to iptables; with a FORWARD policy of DROP (Docker sets it) hosts could not talk. */
function needsForwardRule(): boolean {
  try {
    if (readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim() !== '1') return false;
    execFileSync('sh', ['-c', 'command -v iptables'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function waitTcp(host: string, port: number, what: string): Promise<void> {
  const net = await import('node:net');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, host, () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(`${what} did not start listening on ${host}:${port}`, EXIT.UNAVAILABLE);
}

async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new CliError(`the master did not answer on ${url}`, EXIT.UNAVAILABLE);
}

async function withJsm<T>(plan: HostsPlan, fn: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  const nc: NatsConnection = await connect({
    servers: plan.hosts.map((h) => h.natsUrl),
    name: 'agora-up',
    maxReconnectAttempts: 0,
  });
  try {
    return await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** JetStream answers once the cluster has elected its meta leader. */
async function waitJetStream(plan: HostsPlan): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      await withJsm(plan, (jsm) => jsm.getAccountInfo());
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError(`the NATS cluster did not make JetStream available within 30 s: ${last}`, EXIT.UNAVAILABLE);
}

/**
 * Every stream in the cluster gets min(3, hosts) replicas: the ones the master and the frameworks create at
 * start (R1 by default) are scaled up here — JetStream moves a stream to more replicas in place — and the check
 * repeats every 5 s for streams made later. Returns the function that stops the repeats.
 */
async function keepStreamsReplicated(plan: HostsPlan, say: (line: string) => void): Promise<() => void> {
  const once = () =>
    withJsm(plan, async (jsm) => {
      for await (const s of jsm.streams.list()) {
        if (s.config.num_replicas >= plan.replicas) continue;
        await jsm.streams.update(s.config.name, { ...s.config, num_replicas: plan.replicas });
        say(`stream ${s.config.name}: ${s.config.num_replicas} → ${plan.replicas} replicas`);
      }
    });
  await once();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    once()
      .catch((err: unknown) => say(`could not check stream replicas: ${(err as Error).message}`))
      .finally(() => {
        busy = false;
      });
  }, 5000);
  timer.unref();
  return () => clearInterval(timer);
}
