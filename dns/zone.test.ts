import { buildZone, hostLabel, type AppEndpoints } from './zone';

const addresses = new Map([
  ['node-7', ['10.0.0.7']],
  ['10.0.0.8', ['10.0.0.8']],
  ['dual', ['10.0.0.9', '10.0.0.10']],
]);
const cart: AppEndpoints = {
  appId: '/shop/cart',
  portCount: 2,
  endpoints: [
    { host: 'node-7', ports: [31002, 31003] },
    { host: '10.0.0.8', ports: [31010, 31011] },
    { host: 'node-7', ports: [31004, 31005] },
  ],
};

describe('buildZone', () => {
  it('gives an app A records of its hosts (once each) and one SRV name per port index, targets named under agents', () => {
    const z = buildZone({ apps: [cart], addresses, serial: 7 });
    expect(z.serial).toBe(7);
    expect(z.names.get('cart.shop.agora')).toEqual({ a: ['10.0.0.7', '10.0.0.8'], srv: [] });
    expect(z.names.get('_port0._tcp.cart.shop.agora')!.srv).toEqual([
      { port: 31010, target: '10-0-0-8.agents.agora' },
      { port: 31002, target: 'node-7.agents.agora' },
      { port: 31004, target: 'node-7.agents.agora' },
    ]);
    expect(z.names.get('_port1._tcp.cart.shop.agora')!.srv.map((s) => s.port)).toEqual([31011, 31003, 31005]);
    expect(z.names.get('node-7.agents.agora')!.a).toEqual(['10.0.0.7']);
  });

  it('has the names in between (shop.agora, _tcp.cart.shop.agora, agents.agora) as empty names, and the apex', () => {
    const z = buildZone({ apps: [cart], addresses, serial: 1 });
    for (const n of ['agora', 'shop.agora', '_tcp.cart.shop.agora', 'agents.agora'])
      expect(z.names.get(n)).toEqual({ a: [], srv: [] });
    expect(z.names.has('_port2._tcp.cart.shop.agora')).toBe(false);
  });

  it('keeps an app with no ready instance (and its SRV names) as names without records', () => {
    const z = buildZone({ apps: [{ appId: '/idle', portCount: 1, endpoints: [] }], addresses, serial: 1 });
    expect(z.names.get('idle.agora')).toEqual({ a: [], srv: [] });
    expect(z.names.get('_port0._tcp.idle.agora')).toEqual({ a: [], srv: [] });
  });

  it('leaves out instances whose host has no IPv4 address, and uses every address of a host with several', () => {
    const z = buildZone({
      apps: [
        {
          appId: '/x',
          portCount: 1,
          endpoints: [
            { host: 'nowhere', ports: [1] },
            { host: 'dual', ports: [2] },
          ],
        },
      ],
      addresses,
      serial: 1,
    });
    expect(z.names.get('x.agora')!.a).toEqual(['10.0.0.9', '10.0.0.10']);
    expect(z.names.get('_port0._tcp.x.agora')!.srv).toEqual([{ port: 2, target: 'dual.agents.agora' }]);
  });

  it('names no app whose id cannot be a DNS name (an app older than the rule)', () => {
    const z = buildZone({
      apps: [{ appId: '/agents/x', portCount: 0, endpoints: [{ host: 'node-7', ports: [] }] }],
      addresses,
      serial: 1,
    });
    expect(z.names.has('x.agents.agora')).toBe(false);
  });
});

describe('hostLabel', () => {
  it('makes one LDH label of any hostname', () => {
    expect(hostLabel('Node-7.Example.com')).toBe('node-7-example-com');
    expect(hostLabel('127.0.0.1')).toBe('127-0-0-1');
    expect(hostLabel('-weird_host-')).toBe('weird-host');
    expect(hostLabel('a'.repeat(80)).length).toBe(63);
    expect(hostLabel('___')).toBe('host');
  });
});
