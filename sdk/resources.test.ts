import fc from 'fast-check';
import { Resources, ResourceError, normalizeRanges, type Range } from './resources';

const ROLES = ['*', 'eng', 'eng/backend', 'ops'] as const;
const SCALAR_NAMES = ['cpus', 'mem', 'disk', 'gpus'] as const;
const PORT_DOMAIN_MAX = 200;

const roleArb = fc.constantFrom(...ROLES);
const milliArb = fc.integer({ min: 1, max: 10_000_000 });
const rangeIn = (lo: number, hi: number): fc.Arbitrary<Range> =>
  fc
    .tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: 0, max: 20 }))
    .map(([start, len]) => [start, Math.min(hi, start + len)] as Range);
const rangeArb = rangeIn(0, PORT_DOMAIN_MAX);

const scalarArb = fc
  .tuple(fc.constantFrom(...SCALAR_NAMES), milliArb, roleArb)
  .map(([name, milli, role]) => Resources.scalar(name, milli / 1000, role));

/**
 * Resources whose ports lie in [portLo, portHi] and whose set items come from `items`. Ranges and sets add as
 * unions (a port is in one place at most), so (a + b) − b = a holds for parts that are disjoint — the only case
 * that happens for real; the pair arbitrary below draws a and b from disjoint halves.
 */
function resourcesIn(portLo: number, portHi: number, items: string[]): fc.Arbitrary<Resources> {
  const ports = fc
    .tuple(fc.array(rangeIn(portLo, portHi), { minLength: 1, maxLength: 4 }), roleArb)
    .map(([ranges, role]) => Resources.ranges('ports', ranges, role));
  const set = fc
    .tuple(fc.subarray(items, { minLength: 1 }), roleArb)
    .map(([picked, role]) => Resources.set('zones', picked, role));
  return fc
    .array(fc.oneof(scalarArb, ports, set), { maxLength: 8 })
    .map((parts) => parts.reduce((acc, r) => acc.add(r), Resources.EMPTY));
}

const resourcesArb = resourcesIn(0, PORT_DOMAIN_MAX, ['a', 'b', 'c', 'd']);
const disjointPairArb = fc.tuple(
  resourcesIn(0, PORT_DOMAIN_MAX / 2, ['a', 'b']),
  resourcesIn(PORT_DOMAIN_MAX / 2 + 1, PORT_DOMAIN_MAX, ['c', 'd']),
);

const RUNS = { numRuns: 300 };

function portSet(ranges: readonly Range[]): Set<number> {
  const out = new Set<number>();
  for (const [a, b] of ranges) for (let p = a; p <= b; p++) out.add(p);
  return out;
}

describe('Resources arithmetic (properties)', () => {
  it('(a + b) − b = a (non-scalar parts disjoint, as physical ports and set items are)', () => {
    fc.assert(
      fc.property(disjointPairArb, ([a, b]) => {
        expect(a.add(b).subtract(b).format()).toBe(a.format());
      }),
      RUNS,
    );
  });

  it('addition is commutative and EMPTY is its identity', () => {
    fc.assert(
      fc.property(resourcesArb, resourcesArb, (a, b) => {
        expect(a.add(b).equals(b.add(a))).toBe(true);
        expect(a.add(Resources.EMPTY).equals(a)).toBe(true);
      }),
      RUNS,
    );
  });

  it('parse(format(x)) = x, and the wire form round-trips too', () => {
    fc.assert(
      fc.property(resourcesArb, (x) => {
        expect(Resources.parse(x.format()).format()).toBe(x.format());
        expect(Resources.fromWire(x.toWire()).format()).toBe(x.format());
      }),
      RUNS,
    );
  });

  it('contains(b) holds exactly when subtract(b) succeeds, and then (a − b) + b = a', () => {
    fc.assert(
      fc.property(resourcesArb, resourcesArb, (a, b) => {
        const fits = a.contains(b);
        let difference: Resources | undefined;
        try {
          difference = a.subtract(b);
        } catch (err) {
          expect(err).toBeInstanceOf(ResourceError);
        }
        expect(difference !== undefined).toBe(fits);
        expect(fits).toBe(a.missing(b) === undefined);
        if (difference) expect(difference.add(b).format()).toBe(a.format());
      }),
      RUNS,
    );
  });

  it('a + b always contains both a and b', () => {
    fc.assert(
      fc.property(resourcesArb, resourcesArb, (a, b) => {
        const sum = a.add(b);
        expect(sum.contains(a) && sum.contains(b)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('ranges', () => {
  it('merge: the normalized union covers exactly the ports of its inputs, sorted and disjoint', () => {
    fc.assert(
      fc.property(fc.array(rangeArb, { maxLength: 8 }), (ranges) => {
        const merged = normalizeRanges(ranges);
        expect(portSet(merged)).toEqual(portSet(ranges));
        for (let i = 1; i < merged.length; i++) expect(merged[i][0]).toBeGreaterThan(merged[i - 1][1] + 1);
      }),
      RUNS,
    );
  });

  it('split: subtracting a sub-range leaves exactly the other ports', () => {
    fc.assert(
      fc.property(fc.array(rangeArb, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat(), (ranges, i, j) => {
        const have = Resources.ranges('ports', ranges);
        const ports = [...portSet(ranges)].sort((x, y) => x - y);
        const [lo, hi] = [ports[i % ports.length], ports[j % ports.length]].sort((x, y) => x - y);
        const take = ports.filter((p) => p >= lo && p <= hi).map((p) => [p, p] as Range);
        const left = have.subtract(Resources.ranges('ports', take));
        const expected = new Set(ports.filter((p) => p < lo || p > hi));
        expect(portSet(left.rangesOf('ports'))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('parses and formats port ranges in the documented text form', () => {
    const r = Resources.parse('ports:[31000-31005,31003-31010,32000]');
    expect(r.format()).toBe('ports:[31000-31010,32000]');
    expect(r.subtract(Resources.parse('ports:[31004-31005]')).format()).toBe('ports:[31000-31003,31006-31010,32000]');
  });
});

describe('exact scalar math', () => {
  it('a million additions then a million subtractions of 0.1 leave no drift', () => {
    const tenth = Resources.scalar('cpus', 0.1);
    let r = Resources.parse('cpus:1');
    for (let i = 0; i < 1_000_000; i++) r = r.add(tenth);
    expect(r.scalar('cpus')).toBe(100_001);
    for (let i = 0; i < 1_000_000; i++) r = r.subtract(tenth);
    expect(r.format()).toBe('cpus:1');
  });

  it('refuses to go negative and names the resource short', () => {
    expect(() => Resources.parse('mem:256').subtract(Resources.parse('mem:512'))).toThrow('mem 512 > 256');
  });
});

describe('reservations', () => {
  it('allocatableTo(role) holds only unreserved resources and those reserved to the role or its ancestors', () => {
    fc.assert(
      fc.property(resourcesArb, roleArb, (x, role) => {
        const allowed = x.allocatableTo(role);
        for (const r of allowed.roles()) expect(r === '*' || r === role || role.startsWith(`${r}/`)).toBe(true);
        expect(x.contains(allowed)).toBe(true);
      }),
      RUNS,
    );
  });

  it("unreserved + every role's reserved part add back to the whole", () => {
    fc.assert(
      fc.property(resourcesArb, (x) => {
        const parts = x
          .roles()
          .filter((r) => r !== '*')
          .reduce((acc, r) => acc.add(x.reserved(r)), x.unreserved());
        expect(parts.format()).toBe(x.format());
      }),
      RUNS,
    );
  });

  it('withRole moves amounts to a role and back without changing them', () => {
    fc.assert(
      fc.property(
        resourcesArb.map((x) => x.unreserved()),
        fc.constantFrom('eng', 'ops'),
        (x, role) => {
          const reserved = x.withRole(role);
          expect(reserved.unreserved().isEmpty()).toBe(true);
          expect(reserved.withRole('*').format()).toBe(x.format());
          expect([...reserved.scalars()]).toEqual([...x.scalars()]);
        },
      ),
      RUNS,
    );
  });

  it("a role's reservation is offered to its sub-roles but not to siblings or parents", () => {
    const agent = Resources.parse('cpus:4;cpus(eng):2;mem(eng/backend):1024');
    expect(agent.allocatableTo('eng/backend').format()).toBe('cpus:4;cpus(eng):2;mem(eng/backend):1024');
    expect(agent.allocatableTo('eng').format()).toBe('cpus:4;cpus(eng):2');
    expect(agent.allocatableTo('ops').format()).toBe('cpus:4');
    expect(agent.allocatableTo('engineering').format()).toBe('cpus:4');
  });
});

describe('fast scalar accessors', () => {
  it('forEachScalarMilli and scalarMilli agree with scalars()', () => {
    fc.assert(
      fc.property(resourcesArb, (x) => {
        const sums = new Map<string, number>();
        x.forEachScalarMilli((name, _role, milli) => sums.set(name, (sums.get(name) ?? 0) + milli));
        for (const [name, value] of x.scalars()) {
          expect(sums.get(name)).toBe(Math.round(value * 1000));
          expect(x.scalarMilli(name)).toBe(sums.get(name));
        }
        expect(x.hasReservations()).toBe(x.roles().some((r) => r !== '*'));
      }),
      RUNS,
    );
  });
});
