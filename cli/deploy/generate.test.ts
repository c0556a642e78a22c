import { natsNodeConfig, parseHosts, systemdUnits } from './generate';

describe('agora deploy generators', () => {
  const hosts = parseHosts('a=10.0.0.1,b=10.0.0.2,c=node-c.example');

  test('hosts: name=address or bare addresses; bad or repeated items are refused naming them', () => {
    expect(hosts).toEqual([
      { name: 'a', address: '10.0.0.1' },
      { name: 'b', address: '10.0.0.2' },
      { name: 'c', address: 'node-c.example' },
    ]);
    expect(parseHosts('10.0.0.1, 10.0.0.2')).toEqual([
      { name: 'h1', address: '10.0.0.1' },
      { name: 'h2', address: '10.0.0.2' },
    ]);
    expect(() => parseHosts('')).toThrow(/at least one host/);
    expect(() => parseHosts('a=10.0.0.1,a=10.0.0.2')).toThrow(/name 'a' appears twice/);
    expect(() => parseHosts('a=10.0.0.1,b=10.0.0.1')).toThrow(/address '10.0.0.1' appears twice/);
    expect(() => parseHosts('a b=10.0.0.1')).toThrow(/'a b' in 'a b=10.0.0.1' is not a host name/);
    expect(() => parseHosts('a=10.0.0.1;rm')).toThrow(/is not an address/);
  });

  test('a node config: its name, JetStream, cluster listen on its address, a route to each other host and not itself', () => {
    const c = natsNodeConfig(hosts[1]!, hosts, { storeDir: '/var/lib/agora/nats' });
    expect(c).toContain('server_name: b');
    expect(c).toContain('listen: 0.0.0.0:4222');
    expect(c).toContain('jetstream { store_dir: "/var/lib/agora/nats" }');
    expect(c).toMatch(/cluster \{\n {2}name: agora\n {2}listen: 10\.0\.0\.2:6222\n/);
    expect(c).toContain('"nats-route://10.0.0.1:6222"');
    expect(c).toContain('"nats-route://node-c.example:6222"');
    expect(c).not.toContain('nats-route://10.0.0.2');
  });

  test('systemd: nats and agent on every host, the master only on master hosts; the agent advertises the host address', () => {
    const o = {
      agora: '/opt/agora/bin/agora',
      natsServer: '/usr/bin/nats-server',
      natsConfig: '/etc/agora/nats.conf',
      dataDir: '/var/lib/agora',
      masters: ['a'],
    };
    const a = systemdUnits(hosts[0]!, o);
    const b = systemdUnits(hosts[1]!, o);
    expect(Object.keys(a).sort()).toEqual(['agora-agent.service', 'agora-master.service', 'agora-nats.service']);
    expect(Object.keys(b).sort()).toEqual(['agora-agent.service', 'agora-nats.service']);
    expect(b['agora-nats.service']).toContain('ExecStart=/usr/bin/nats-server -c /etc/agora/nats.conf');
    expect(b['agora-agent.service']).toContain(
      'ExecStart=/opt/agora/bin/agora agent --nats nats://10.0.0.2:4222 --hostname 10.0.0.2 --work-dir /var/lib/agora/agent',
    );
    expect(b['agora-agent.service']).toContain('After=agora-nats.service');
    expect(a['agora-master.service']).toContain(
      'ExecStart=/opt/agora/bin/agora master --nats nats://10.0.0.1:4222 --data-dir /var/lib/agora/master',
    );
    for (const u of Object.values(a))
      expect(u).toMatch(
        /\[Unit\][\s\S]*\[Service\][\s\S]*Restart=on-failure[\s\S]*\[Install\]\nWantedBy=multi-user.target/,
      );
  });
});
