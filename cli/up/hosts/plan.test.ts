import { freeSlot, natsClusterConfig, onHost, planHosts } from './plan';

describe('agora up --hosts: the plan', () => {
  const plan = planHosts({ hosts: 3, slot: 7, dataDir: '/d', iptables: true });

  test('one namespace, address, hostname and veth pair per host, all in 198.18.<slot>.0/24', () => {
    expect(plan.bridge).toBe('agbr7');
    expect(plan.bridgeAddress).toBe('198.18.7.1');
    expect(plan.hosts.map((h) => [h.name, h.hostname, h.netns, h.address, h.vethHost, h.vethPeer])).toEqual([
      ['h1', 'agora-h1', 'agora7-h1', '198.18.7.2', 'ag7h1', 'ag7h1p'],
      ['h2', 'agora-h2', 'agora7-h2', '198.18.7.3', 'ag7h2', 'ag7h2p'],
      ['h3', 'agora-h3', 'agora7-h3', '198.18.7.4', 'ag7h3', 'ag7h3p'],
    ]);
    for (const h of plan.hosts) expect(h.vethHost.length).toBeLessThanOrEqual(15); // IFNAMSIZ
    expect(plan.hosts[0]!.natsUrl).toBe('nats://198.18.7.2:4222');
    expect(plan.hosts[1]!.dir).toBe('/d/hosts/h2');
  });

  test('replicas are min(3, hosts)', () => {
    expect(plan.replicas).toBe(3);
    expect(planHosts({ hosts: 1, slot: 0, dataDir: '/d', iptables: false }).replicas).toBe(1);
    expect(planHosts({ hosts: 2, slot: 0, dataDir: '/d', iptables: false }).replicas).toBe(2);
    expect(planHosts({ hosts: 5, slot: 0, dataDir: '/d', iptables: false }).replicas).toBe(3);
  });

  test('setup: the bridge first, then per host a namespace and a veth moved into it, addressed and up', () => {
    expect(plan.setup.slice(0, 4)).toEqual([
      ['ip', 'link', 'add', 'agbr7', 'type', 'bridge'],
      ['ip', 'addr', 'add', '198.18.7.1/24', 'dev', 'agbr7'],
      ['ip', 'link', 'set', 'agbr7', 'up'],
      [
        'iptables',
        '-I',
        'FORWARD',
        '-i',
        'agbr7',
        '-o',
        'agbr7',
        '-j',
        'ACCEPT',
        '-m',
        'comment',
        '--comment',
        'agora up --hosts (agbr7)',
      ],
    ]);
    expect(plan.setup).toContainEqual(['ip', 'link', 'set', 'ag7h2p', 'netns', 'agora7-h2']);
    expect(plan.setup).toContainEqual(['ip', '-n', 'agora7-h2', 'addr', 'add', '198.18.7.3/24', 'dev', 'eth0']);
    expect(plan.setup).toContainEqual(['ip', '-n', 'agora7-h3', 'link', 'set', 'lo', 'up']);
    // Every address used anywhere is in the never-routed range.
    for (const argv of plan.setup)
      for (const a of argv) if (/^\d+\.\d+\.\d+\.\d+/.test(a)) expect(a.startsWith('198.18.')).toBe(true);
    expect(
      planHosts({ hosts: 1, slot: 0, dataDir: '/d', iptables: false }).setup.some((a) => a[0] === 'iptables'),
    ).toBe(false);
  });

  test('cleanup removes what setup made: every namespace, host-side veth, the bridge and the iptables rule', () => {
    for (const h of plan.hosts) {
      expect(plan.cleanup).toContain(`ip netns del ${h.netns}`);
      expect(plan.cleanup).toContain(`ip link del ${h.vethHost}`);
      expect(plan.cleanup).toContain(h.netns);
    }
    expect(plan.cleanup).toContain('ip link del agbr7');
    expect(plan.cleanup).toContain(
      "iptables -D FORWARD -i agbr7 -o agbr7 -j ACCEPT -m comment --comment 'agora up --hosts (agbr7)'",
    );
    expect(plan.cleanup.indexOf('kill -TERM')).toBeLessThan(plan.cleanup.indexOf('ip netns del'));
  });

  test('nats-server configs: own name, JetStream, a cluster route to every other host', () => {
    const c = natsClusterConfig(plan.hosts[1]!, plan.hosts);
    expect(c).toContain('server_name: agora-h2');
    expect(c).toContain('listen: 0.0.0.0:4222');
    expect(c).toContain('jetstream { store_dir: "/d/hosts/h2/nats" }');
    expect(c).toContain('listen: 198.18.7.3:6222');
    expect(c).toContain('"nats-route://198.18.7.2:6222"');
    expect(c).toContain('"nats-route://198.18.7.4:6222"');
    expect(c).not.toContain('nats-route://198.18.7.3');
    expect(plan.hosts[1]!.natsConfig).toBe(c);
  });

  test('a process on a host runs in its network and UTS namespaces, exec-ing all the way (keeps the parent-death signal)', () => {
    expect(onHost(plan.hosts[0]!, '/usr/bin/node', ['agent.js', '--x'])).toEqual({
      command: 'nsenter',
      args: [
        '--net=/run/netns/agora7-h1',
        '--',
        'unshare',
        '--uts',
        '--',
        '/bin/sh',
        '-c',
        'hostname "$0" && exec "$@"',
        'agora-h1',
        '/usr/bin/node',
        'agent.js',
        '--x',
      ],
    });
  });

  test('slots: the lowest one whose bridge and subnet are free', () => {
    expect(freeSlot([], [])).toBe(0);
    expect(freeSlot(['agbr0', 'docker0'], ['127.0.0.1'])).toBe(1);
    expect(freeSlot(['agbr0'], ['198.18.1.1'])).toBe(2);
  });

  test('bad input is refused naming the field', () => {
    expect(() => planHosts({ hosts: 0, slot: 0, dataDir: '/d', iptables: false })).toThrow(
      /--hosts: '0' must be a whole number from 1 to 32/,
    );
    expect(() => planHosts({ hosts: 2.5, slot: 0, dataDir: '/d', iptables: false })).toThrow(/--hosts/);
    expect(() => planHosts({ hosts: 2, slot: 256, dataDir: '/d', iptables: false })).toThrow(/slot/);
  });
});
