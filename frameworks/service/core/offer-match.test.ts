import fc from 'fast-check';
import { OfferIdSchema, Resources } from 'agora/sdk';
import { def, offer, rack } from './fixtures';
import { formatReasons, matchOffers, pickPorts, type Demand } from './offer-match';

const demand = (count: number, over: Parameters<typeof def>[0] = {}): Demand => ({
  appId: '/shop/cart',
  version: 1,
  def: def(over),
  count,
});

describe('offer matching', () => {
  it('places 3 of 5 UNIQUE-hostname instances and says why 2 wait', () => {
    const offers = ['h1', 'h2', 'h3'].map((h) => offer(h));
    const r = matchOffers(offers, [demand(5, { constraints: [['hostname', 'UNIQUE']] })], new Map());
    expect(r.placed.map((p) => p.hostname).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(r.waiting.get('/shop/cart')).toEqual({ count: 2, reason: 'waiting: 3 offers violated UNIQUE hostname' });
    expect(r.unused).toEqual([]);
  });

  it('tallies mixed reasons per offer', () => {
    const offers = [offer('h1', { res: 'cpus:4;mem:64' }), offer('h2', { res: 'cpus:4;mem:64' }), offer('h3')];
    const r = matchOffers(offers, [demand(1, { constraints: [['hostname', 'LIKE', 'h[12]']] })], new Map());
    expect(r.placed).toEqual([]);
    expect(r.waiting.get('/shop/cart')?.reason).toBe(
      'waiting: 2 offers lacked mem, 1 offer violated LIKE hostname h[12]',
    );
    expect(r.unused.length).toBe(3);
    expect(formatReasons([])).toBe('waiting: no offers');
  });

  it('packs several instances into one offer and subtracts what it used', () => {
    const r = matchOffers([offer('h1', { res: 'cpus:1;mem:1024' })], [demand(3)], new Map());
    expect(r.placed.length).toBe(2);
    expect(r.waiting.get('/shop/cart')).toEqual({ count: 1, reason: 'waiting: 1 offer lacked cpus' });
    expect(Resources.fromWire(r.placed[0].resources).format()).toBe('cpus:0.5;mem:128');
  });

  it('spreads GROUP_BY rack evenly over existing placements', () => {
    const offers = [
      offer('h1', { attributes: rack('r1') }),
      offer('h2', { attributes: rack('r2') }),
      offer('h3', { attributes: rack('r3') }),
    ];
    const existing = new Map([['/shop/cart', [{ hostname: 'h1', attributes: rack('r1') }]]]);
    const r = matchOffers(offers, [demand(5, { constraints: [['rack', 'GROUP_BY']] })], existing);
    const perRack = new Map<string, number>([['r1', 1]]);
    for (const p of r.placed) {
      const k = p.attributes[0].text!;
      perRack.set(k, (perRack.get(k) ?? 0) + 1);
    }
    expect([...perRack.values()].sort()).toEqual([2, 2, 2]);
  });

  it('picks dynamic and fixed host ports from the offered ranges', () => {
    const avail = Resources.parse('ports:[31000-31002,32000]');
    expect(pickPorts(avail, [0, 32000, 0])).toEqual([31000, 32000, 31001]);
    expect(pickPorts(avail, [8080])).toBeUndefined();
    expect(pickPorts(avail, [0, 0, 0, 0])).toEqual([31000, 31001, 31002, 32000]);
    expect(pickPorts(avail, [0, 0, 0, 0, 0])).toBeUndefined();
    const r = matchOffers(
      [offer('h1', { res: 'cpus:4;mem:4096;ports:[31000-31001]' })],
      [demand(2, { ports: [0] })],
      new Map(),
    );
    expect(r.placed.map((p) => p.ports)).toEqual([[31000], [31001]]);
  });

  it('respects the containerizer and the app role', () => {
    const nativeOnly = offer('h1', { containerizers: ['native'] });
    const r = matchOffers([nativeOnly], [demand(1, { container: { type: 'DOCKER', image: 'busybox' } })], new Map());
    expect(r.waiting.get('/shop/cart')?.reason).toBe('waiting: 1 offer had no docker containerizer');
    const r2 = matchOffers([offer('h1')], [demand(1, { role: 'web' })], new Map());
    expect(r2.waiting.get('/shop/cart')?.reason).toBe('waiting: 1 offer was for role *');
    const reserved = offer('h1', { role: 'web', res: 'cpus(web):0.25;cpus:1;mem(web):64;mem:512' });
    const r3 = matchOffers([reserved], [demand(1, { role: 'web' })], new Map());
    expect(Resources.fromWire(r3.placed[0].resources).format()).toBe('cpus:0.25;cpus(web):0.25;mem:64;mem(web):64');
  });
});

describe('offer matching (property)', () => {
  it('never overcommits an offer, never breaks a constraint, and accounts for every wanted instance', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            host: fc.integer({ min: 0, max: 4 }),
            cpus: fc.integer({ min: 0, max: 4 }),
            mem: fc.integer({ min: 0, max: 1024 }),
          }),
          { maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom<unknown[]>(
          ['hostname', 'UNIQUE'],
          ['hostname', 'MAX_PER', '2'],
          ['rack', 'GROUP_BY'],
          ['rack', 'CLUSTER'],
        ),
        (specs, count, constraint) => {
          const offers = specs.map((s, k) => ({
            ...offer(`h${s.host}`, {
              res: `cpus:${s.cpus};mem:${s.mem};ports:[31000-31005]`,
              attributes: rack(`r${s.host % 2}`),
            }),
            id: OfferIdSchema.parse(`o${k}`),
          }));
          const d = demand(count, { cpus: 1, mem: 200, ports: [0], constraints: [constraint] });
          const r = matchOffers(offers, [d], new Map());
          for (const o of offers) {
            const used = r.placed
              .filter((p) => p.offerId === o.id)
              .reduce((acc, p) => acc.add(Resources.fromWire(p.resources)), Resources.EMPTY);
            expect(Resources.fromWire(o.resources).contains(used)).toBe(true);
          }
          const hosts = r.placed.map((p) => p.hostname);
          if (constraint[1] === 'UNIQUE') expect(new Set(hosts).size).toBe(hosts.length);
          if (constraint[1] === 'MAX_PER')
            for (const h of hosts) expect(hosts.filter((x) => x === h).length).toBeLessThanOrEqual(2);
          if (constraint[1] === 'CLUSTER')
            expect(new Set(r.placed.map((p) => p.attributes[0].text)).size).toBeLessThanOrEqual(1);
          expect(r.placed.length + (r.waiting.get('/shop/cart')?.count ?? 0)).toBe(count);
          expect(new Set([...r.unused, ...r.placed.map((p) => p.offerId)]).size).toBe(offers.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
