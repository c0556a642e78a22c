/**
 * `agora up --hosts 3` end to end, as root on real network namespaces: every host's agent registers with its own
 * address; an app's instances answer on their hosts' addresses from another host's namespace; a nats-server node
 * (not the master's host's) frozen and killed loses nothing and catches up once back; Ctrl-C — and a SIGKILL of
 * `agora up` — leave no namespace, veth, bridge or process behind. Fails (never skips) without root or `ip`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { agoraAsync, killAgoraUp, startAgoraUp, type AgoraUp } from '../harness/agora-up';
import { eventually } from '../harness/cluster';

interface Host {
  name: string;
  hostname: string;
  address: string;
  netns: string;
}

function requireRootAndIp(): void {
  if (process.getuid?.() !== 0) throw new Error('test/multihost needs root (network namespaces): run it as root');
  try {
    execFileSync('sh', ['-c', 'command -v ip && command -v nsenter'], { stdio: 'ignore' });
  } catch {
    throw new Error('test/multihost needs `ip` (iproute2) and `nsenter` (util-linux)');
  }
}

function hostsOf(output: string): { hosts: Host[]; bridge: string } {
  const hosts = [...output.matchAll(/^\s+(h\d+)\s+(agora-h\d+)\s+(198\.18\.\d+\.\d+)\s+netns (\S+)/gm)].map((m) => ({
    name: m[1]!,
    hostname: m[2]!,
    address: m[3]!,
    netns: m[4]!,
  }));
  const bridge = /bridge (agbr\d+),/.exec(output)?.[1];
  if (!bridge || hosts.length === 0) throw new Error(`could not read the hosts from agora up's output:\n${output}`);
  return { hosts, bridge };
}

/** Connects from inside `netns` to host:port with a TCP connect (no ping here); resolves with what the peer sent first. */
function httpFrom(netns: string, host: string, port: number): Promise<{ code: number | null; out: string }> {
  const script = `require('node:http').get({ host: ${JSON.stringify(host)}, port: ${port}, path: '/' }, (r) => { console.log('status', r.statusCode); r.resume(); r.on('end', () => process.exit(0)); }).on('error', (e) => { console.log('error', e.message); process.exit(1); });`;
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

function netnsPids(netns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** What of a cluster is still there: its namespaces, veths and bridge, and processes mentioning its data dir. */
function leftovers(hosts: Host[], bridge: string, dataDir: string): string[] {
  const out: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const h of hosts) if (netns.includes(h.netns)) out.push(`netns ${h.netns}`);
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const slot = bridge.slice('agbr'.length);
  for (const m of links.matchAll(/^\d+: ([^:@]+)/gm))
    if (m[1] === bridge || m[1]!.startsWith(`ag${slot}h`)) out.push(`link ${m[1]}`);
  try {
    if (execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' }).includes(`-i ${bridge} `))
      out.push(`iptables rule for ${bridge}`);
  } catch {
    /* no iptables: no rule was made */
  }
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (cmd.includes(dataDir)) out.push(`process ${name}: ${cmd.slice(0, 160)}`);
  }
  return out;
}

describe('agora up --hosts 3', () => {
  let up: AgoraUp | undefined;
  let dataDir: string;
  let hosts: Host[] = [];
  let bridge = '';
  const env = () => ({ AGORA_NATS: up!.natsUrl, AGORA_MASTER: up!.masterUrl, AGORA_HOME: dataDir });

  beforeAll(async () => {
    requireRootAndIp();
    dataDir = mkdtempSync(join(tmpdir(), 'agora-hosts-'));
    up = await startAgoraUp({
      dataDir,
      agentResources: 'cpus:2;mem:2048;disk:1000;ports:[31000-31100]',
      extraArgs: ['--hosts', '3'],
    });
    ({ hosts, bridge } = hostsOf(up.output()));
  }, 180_000);

  afterAll(async () => {
    killAgoraUp(up);
    await up?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("three hosts, each its own address in 198.18.0.0/15; each agent registers with its host's address", async () => {
    expect(hosts.map((h) => h.name)).toEqual(['h1', 'h2', 'h3']);
    expect(new Set(hosts.map((h) => h.address)).size).toBe(3);
    const agents = await eventually(
      async () => {
        const r = await agoraAsync(['agents', '--json'], env());
        const list = JSON.parse(r.stdout || '[]') as { hostname: string; state?: string }[];
        return list.length === 3 ? list : undefined;
      },
      'three agents registered',
      60_000,
      500,
    );
    expect(agents.map((a) => a.hostname).sort()).toEqual(hosts.map((h) => h.address).sort());
  });

  test("an app's instances run one per host and answer on their host's address from another host's namespace", async () => {
    const def = join(dataDir, 'web.json');
    writeFileSync(
      def,
      JSON.stringify({
        id: '/mh/web',
        cmd: 'python3 -m http.server $PORT0',
        instances: 3,
        cpus: 0.1,
        mem: 64,
        ports: [0],
        constraints: [['hostname', 'UNIQUE']],
      }),
    );
    const deployed = await agoraAsync(['app', 'deploy', def, '--wait'], env());
    expect(deployed.status).toBe(0);
    const endpoints = await eventually(
      async () => {
        const r = await agoraAsync(['app', 'endpoints', '/mh/web', '--json'], env());
        const apps = JSON.parse(r.stdout || '[]') as { endpoints: { host: string; ports: number[] }[] }[];
        const eps = apps[0]?.endpoints ?? [];
        return eps.length === 3 ? eps : undefined;
      },
      'three endpoints',
      60_000,
      500,
    );
    expect(endpoints.map((e) => e.host).sort()).toEqual(hosts.map((h) => h.address).sort());
    for (const e of endpoints) {
      const from = hosts.find((h) => h.address !== e.host)!;
      const r = await eventually(
        async () => {
          const x = await httpFrom(from.netns, e.host, e.ports[0]!);
          return x.code === 0 ? x : undefined;
        },
        `${e.host}:${e.ports[0]} from ${from.netns}`,
        30_000,
        500,
      );
      expect(r.out).toContain('status 200');
    }
  });

  test("a nats-server node (not the master's host's) killed: tasks run to completion meanwhile, nothing lost; back, it catches up", async () => {
    const victim = hosts[1]!;
    const pid = netnsPids(victim.netns).find((p) => comm(p) === 'nats-server');
    expect(pid).toBeDefined();
    const nc = await connect({ servers: up!.natsUrl });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 15_000 });
      const before = (await jsm.streams.info('AGORA_FRAMEWORK_UPDATES')).state.last_seq;
      // The supervisor starts it again on the same store; clients connected to it (h2's agent) move to the others.
      process.kill(pid!, 'SIGKILL');
      const runs = [1, 2, 3, 4, 5].map((i) => agoraAsync(['run', '--', `echo out-${i}; exit 3`], env()));
      const results = await Promise.all(runs);
      results.forEach((r, i) => {
        expect(r.stderr + r.stdout).toContain(`out-${i + 1}`);
        expect(r.status).toBe(3);
      });
      await eventually(
        () => netnsPids(victim.netns).some((p) => p !== pid && comm(p) === 'nats-server'),
        'the node restarted',
        30_000,
        200,
      );
      expect((await jsm.streams.info('AGORA_FRAMEWORK_UPDATES')).state.last_seq).toBeGreaterThan(before);
      for (const stream of ['AGORA_AGENT_UPDATES', 'AGORA_FRAMEWORK_UPDATES']) {
        await eventually(
          async () => {
            const info = await jsm.streams.info(stream);
            const members = [
              info.cluster?.leader,
              ...(info.cluster?.replicas ?? []).filter((r) => r.current && (r.lag ?? 0) === 0).map((r) => r.name),
            ];
            return info.config.num_replicas === 3 && members.includes(victim.hostname) && new Set(members).size === 3;
          },
          `${stream}: ${victim.hostname} current again`,
          60_000,
          500,
        );
      }
      // The agent on the victim's host is still there and takes work.
      const agents = JSON.parse((await agoraAsync(['agents', '--json'], env())).stdout) as {
        hostname: string;
        state?: string;
      }[];
      expect(agents.find((a) => a.hostname === victim.address)).toBeDefined();
    } finally {
      await nc.close();
    }
    // Its waits are conditions; on a busy machine five CLI processes and a JetStream node's catch-up take minutes.
  }, 420_000);

  test('Ctrl-C stops everything and removes the namespaces, veths and bridge', async () => {
    process.kill(up!.proc.pid!, 'SIGINT');
    const exit = await up!.exited;
    expect(exit.code).toBe(0);
    await eventually(
      () => leftovers(hosts, bridge, dataDir).length === 0,
      `nothing left (left: ${leftovers(hosts, bridge, dataDir).join('; ')})`,
      30_000,
      200,
    );
  });
});

describe('agora up --hosts 2, SIGKILLed', () => {
  test('the network child cleans up after it (parent-death signal): no namespace, veth, bridge or process left', async () => {
    requireRootAndIp();
    const dataDir = mkdtempSync(join(tmpdir(), 'agora-hosts-kill-'));
    let up: AgoraUp | undefined;
    try {
      up = await startAgoraUp({
        dataDir,
        agentResources: 'cpus:1;mem:1024;disk:500;ports:[31000-31010]',
        extraArgs: ['--hosts', '2', '--no-frameworks', '--no-dns'],
      });
      const { hosts, bridge } = hostsOf(up.output());
      expect(leftovers(hosts, bridge, dataDir).length).toBeGreaterThan(0); // it was all there
      process.kill(up.proc.pid!, 'SIGKILL');
      await up.exited;
      await eventually(
        () => leftovers(hosts, bridge, dataDir).length === 0,
        `nothing left after SIGKILL (left: ${leftovers(hosts, bridge, dataDir).join('; ')})`,
        45_000,
        200,
      );
    } finally {
      killAgoraUp(up);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
