/**
 * `agora up --hosts N`, the pure planner: turns N into the "machines" — network namespaces on a bridge, their
 * addresses, hostnames, nats-server cluster configs — and the exact `ip` commands that make and unmake them. No
 * I/O here (cli/up/hosts/run.ts executes the plan).
 *
 *   root namespace ── bridge agbr<slot> 198.18.<slot>.1/24 ──┬── veth ag<slot>h1 ⇄ eth0 in netns agora<slot>-h1 198.18.<slot>.2
 *                                                             ├── veth ag<slot>h2 ⇄ eth0 in netns agora<slot>-h2 198.18.<slot>.3
 *                                                             └── …
 *
 * Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking, never routed off this machine); the bridge has no
 * uplink and nothing is NATed, so nothing leaves. A slot (0–255) is one `agora up --hosts`: two of them side by
 * side use different slots, bridges and namespaces.
 */

import { natsNodeConfig, NATS_CLIENT_PORT, NATS_CLUSTER_PORT } from '../../deploy/generate';

export const MAX_HOSTS = 32;
export const MAX_SLOT = 255;
/** Inside each namespace, every node listens on the standard ports (each "machine" has its own). */
export const INNER = { nats: NATS_CLIENT_PORT, cluster: NATS_CLUSTER_PORT, http: 5050, dns: 8600 } as const;

export interface HostsInput {
  hosts: number;
  slot: number;
  dataDir: string;
  /** Whether the bridge needs an iptables FORWARD accept (br_netfilter loaded and FORWARD policy DROP, as with Docker). */
  iptables: boolean;
}

export interface HostPlan {
  index: number;
  /** Short name: h1, h2, … */
  name: string;
  /** The UTS hostname processes on this host see, e.g. agora-h1. */
  hostname: string;
  netns: string;
  address: string;
  vethHost: string;
  vethPeer: string;
  /** This host's own directory under the data dir (nats store, agent work dir, master data). */
  dir: string;
  natsConfigPath: string;
  natsConfig: string;
  natsUrl: string;
}

export interface HostsPlan {
  slot: number;
  bridge: string;
  bridgeAddress: string;
  prefix: number;
  hosts: HostPlan[];
  /** Replicas for every stream and key-value bucket: min(3, hosts). */
  replicas: number;
  /** argv lists, run in order; any failure aborts (and the cleanup runs). The first creates the bridge: it claims the slot. */
  setup: string[][];
  /** A POSIX sh fragment that removes everything `setup` made; every step tolerates an already-missing item. */
  cleanup: string;
}

export function subnetOf(slot: number): string {
  return `198.18.${slot}`;
}

export function planHosts(input: HostsInput): HostsPlan {
  const { hosts: n, slot } = input;
  if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS)
    throw new Error(`--hosts: '${n}' must be a whole number from 1 to ${MAX_HOSTS}`);
  if (!Number.isInteger(slot) || slot < 0 || slot > MAX_SLOT)
    throw new Error(`slot ${slot} out of range 0–${MAX_SLOT}`);
  const net = subnetOf(slot);
  const bridge = `agbr${slot}`;
  const hosts: HostPlan[] = [];
  for (let i = 1; i <= n; i++) {
    const dir = `${input.dataDir}/hosts/h${i}`;
    hosts.push({
      index: i,
      name: `h${i}`,
      hostname: `agora-h${i}`,
      netns: `agora${slot}-h${i}`,
      address: `${net}.${i + 1}`,
      vethHost: `ag${slot}h${i}`,
      vethPeer: `ag${slot}h${i}p`,
      dir,
      natsConfigPath: `${dir}/nats.conf`,
      natsConfig: '',
      natsUrl: `nats://${net}.${i + 1}:${INNER.nats}`,
    });
  }
  for (const h of hosts) h.natsConfig = natsClusterConfig(h, hosts);
  const setup: string[][] = [
    ['ip', 'link', 'add', bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${net}.1/24`, 'dev', bridge],
    ['ip', 'link', 'set', bridge, 'up'],
  ];
  if (input.iptables) setup.push(['iptables', ...forwardRule(bridge, '-I')]);
  for (const h of hosts) {
    setup.push(
      ['ip', 'netns', 'add', h.netns],
      ['ip', 'link', 'add', h.vethHost, 'type', 'veth', 'peer', 'name', h.vethPeer],
      ['ip', 'link', 'set', h.vethHost, 'master', bridge],
      ['ip', 'link', 'set', h.vethHost, 'up'],
      ['ip', 'link', 'set', h.vethPeer, 'netns', h.netns],
      ['ip', '-n', h.netns, 'link', 'set', h.vethPeer, 'name', 'eth0'],
      ['ip', '-n', h.netns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0'],
      ['ip', '-n', h.netns, 'link', 'set', 'eth0', 'up'],
      ['ip', '-n', h.netns, 'link', 'set', 'lo', 'up'],
    );
  }
  return {
    slot,
    bridge,
    bridgeAddress: `${net}.1`,
    prefix: 24,
    hosts,
    replicas: Math.min(3, n),
    setup,
    cleanup: cleanupScript(bridge, hosts, input.iptables),
  };
}

function forwardRule(bridge: string, op: '-I' | '-D'): string[] {
  return [
    op,
    'FORWARD',
    '-i',
    bridge,
    '-o',
    bridge,
    '-j',
    'ACCEPT',
    '-m',
    'comment',
    '--comment',
    `agora up --hosts (${bridge})`,
  ];
}

/**
 * Removes everything: first asks what still runs in the namespaces to stop (SIGTERM, up to 10 s), then kills the
 * rest, deletes the namespaces (their veth ends go with them), the host-side veths, the bridge, and the iptables rule.
 */
function cleanupScript(bridge: string, hosts: HostPlan[], iptables: boolean): string {
  const ns = hosts.map((h) => h.netns).join(' ');
  const lines = [
    `pids() { for n in ${ns}; do ip netns pids "$n" 2>/dev/null; done; }`,
    'p=$(pids); [ -n "$p" ] && kill -TERM $p 2>/dev/null',
    'i=0; while [ -n "$(pids)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done',
    'p=$(pids); [ -n "$p" ] && kill -KILL $p 2>/dev/null',
    ...hosts.map((h) => `ip netns del ${h.netns} 2>/dev/null; ip link del ${h.vethHost} 2>/dev/null`),
    `ip link del ${bridge} 2>/dev/null`,
  ];
  if (iptables) lines.push(`while iptables ${forwardRule(bridge, '-D').map(shq).join(' ')} 2>/dev/null; do :; done`);
  lines.push('true');
  return lines.join('\n');
}

function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** One node's nats-server config (the same generator as `agora deploy nats-config`), the host's hostname as its name. */
export function natsClusterConfig(h: HostPlan, all: HostPlan[]): string {
  const asDeploy = (x: HostPlan) => ({ name: x.hostname, address: x.address });
  return natsNodeConfig(asDeploy(h), all.map(asDeploy), {
    storeDir: `${h.dir}/nats`,
    header: `nats-server for ${h.hostname} (${h.address}), written by agora up --hosts ${all.length}`,
  });
}

/**
 * The argv that runs `command args` as a process on host `h`: in its network namespace (`nsenter --net`, which,
 * unlike `ip netns exec`, leaves /sys and its cgroup mounts as they are for the agent) and its own UTS namespace
 * with the host's hostname. Every step execs the next, so the process keeps the supervisor's parent-death signal.
 */
export function onHost(h: HostPlan, command: string, args: readonly string[]): { command: string; args: string[] } {
  return {
    command: 'nsenter',
    args: [
      `--net=/run/netns/${h.netns}`,
      '--',
      'unshare',
      '--uts',
      '--',
      '/bin/sh',
      '-c',
      'hostname "$0" && exec "$@"',
      h.hostname,
      command,
      ...args,
    ],
  };
}

/** The lowest slot whose bridge is not in `usedBridges` and whose subnet no interface uses. */
export function freeSlot(usedBridges: readonly string[], usedAddresses: readonly string[]): number {
  for (let s = 0; s <= MAX_SLOT; s++) {
    if (usedBridges.includes(`agbr${s}`)) continue;
    if (usedAddresses.some((a) => a.startsWith(`${subnetOf(s)}.`))) continue;
    return s;
  }
  throw new Error('no free 198.18.x.0/24 subnet for agora up --hosts: 256 clusters already run on this machine');
}
