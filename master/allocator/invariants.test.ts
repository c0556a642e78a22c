/**
 * Property: any sequence of agent add/remove/deactivate, framework add/remove, allocate, decline, launch (keep),
 * finish (give back), suppress, revive, weight and quota changes keeps, per agent,
 *   available + Σ allocated = total, nothing negative, and nothing allocated twice
 * (the allocator's books equal the offers the test was handed and has not given back), and every offer respects
 * reservations, limits and the one-framework-per-agent-per-cycle rule.
 */
import fc from 'fast-check';
import { Resources } from '../../sdk/resources';
import type { AgentId, FrameworkId } from '../../sdk/protocol/common';
import { HierarchicalDrfAllocator } from './drf-allocator';
import { ag, fw, res, T0 } from './test-support';

const AGENT_SHAPES = [
  'cpus:4;mem:4096;ports:[31000-31009]',
  'cpus:2;mem:1024;cpus(eng):1;mem(eng):512',
  'cpus:1;mem:256;disk:100;cpus(ops):1',
];
const ROLES = ['*', 'eng', 'eng/backend', 'ops'];
const FRAMEWORK_ROLES = [['*'], ['eng'], ['eng/backend', 'ops'], ['ops']];

type Command =
  | { kind: 'addAgent'; agent: number; shape: number }
  | { kind: 'removeAgent'; agent: number }
  | { kind: 'toggleAgent'; agent: number }
  | { kind: 'addFramework'; framework: number }
  | { kind: 'removeFramework'; framework: number }
  | { kind: 'allocate'; advanceMs: number }
  | { kind: 'decline'; pick: number; refuseSeconds: number }
  | { kind: 'launch'; pick: number }
  | { kind: 'finish'; pick: number; part: boolean }
  | { kind: 'suppress'; framework: number }
  | { kind: 'revive'; framework: number }
  | { kind: 'reserve'; pick: number }
  | { kind: 'weight'; role: number; weight: number }
  | { kind: 'limit'; role: number; cpus: number }
  | { kind: 'guarantee'; role: number; cpus: number };

const idx = (n: number) => fc.integer({ min: 0, max: n - 1 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('addAgent' as const), agent: idx(6), shape: idx(AGENT_SHAPES.length) }),
  fc.record({ kind: fc.constant('removeAgent' as const), agent: idx(6) }),
  fc.record({ kind: fc.constant('toggleAgent' as const), agent: idx(6) }),
  fc.record({ kind: fc.constant('addFramework' as const), framework: idx(4) }),
  fc.record({ kind: fc.constant('removeFramework' as const), framework: idx(4) }),
  {
    arbitrary: fc.record({ kind: fc.constant('allocate' as const), advanceMs: fc.integer({ min: 0, max: 3000 }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('decline' as const),
      pick: fc.nat(),
      refuseSeconds: fc.constantFrom(0, 1, 5),
    }),
    weight: 2,
  },
  fc.record({ kind: fc.constant('launch' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(), part: fc.boolean() }),
  fc.record({ kind: fc.constant('reserve' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('suppress' as const), framework: idx(4) }),
  fc.record({ kind: fc.constant('revive' as const), framework: idx(4) }),
  fc.record({ kind: fc.constant('weight' as const), role: idx(ROLES.length), weight: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('limit' as const), role: idx(ROLES.length), cpus: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('guarantee' as const), role: idx(ROLES.length), cpus: fc.integer({ min: 1, max: 3 }) }),
);

interface Held {
  frameworkId: FrameworkId;
  agentId: AgentId;
  role: string;
  resources: Resources;
  launched: boolean;
}

/** The test's own ledger: what it was offered and has not given back, and each agent's total. */
class Model {
  readonly allocator = new HierarchicalDrfAllocator();
  readonly totals = new Map<AgentId, Resources>();
  readonly frameworks = new Set<FrameworkId>();
  readonly limits = new Map<string, number>();
  held: Held[] = [];
  nowMs = T0;

  apply(c: Command): void {
    const a = this.allocator;
    switch (c.kind) {
      case 'addAgent':
        return this.addAgent(ag(`a${c.agent}`), res(AGENT_SHAPES[c.shape]));
      case 'removeAgent':
        a.removeAgent(ag(`a${c.agent}`));
        this.totals.delete(ag(`a${c.agent}`));
        this.drop((h) => h.agentId === ag(`a${c.agent}`));
        return;
      case 'toggleAgent':
        return this.toggleAgent(ag(`a${c.agent}`), c.agent);
      case 'addFramework':
        a.addFramework({ id: fw(`f${c.framework}`), roles: FRAMEWORK_ROLES[c.framework] });
        this.frameworks.add(fw(`f${c.framework}`));
        return;
      case 'removeFramework':
        a.removeFramework(fw(`f${c.framework}`));
        this.frameworks.delete(fw(`f${c.framework}`));
        this.drop((h) => h.frameworkId === fw(`f${c.framework}`));
        return;
      case 'allocate':
        this.nowMs += c.advanceMs;
        return this.allocate();
      case 'decline':
        return this.giveBack(c.pick, 'all', c.refuseSeconds);
      case 'launch':
        if (this.held.length) this.held[c.pick % this.held.length].launched = true;
        return;
      case 'finish':
        return this.giveBack(c.pick, c.part ? 'half' : 'all', 0);
      case 'reserve':
        return this.reserve(c.pick);
      case 'suppress':
        if (this.frameworks.has(fw(`f${c.framework}`))) a.suppress(fw(`f${c.framework}`));
        return;
      case 'revive':
        if (this.frameworks.has(fw(`f${c.framework}`))) a.revive(fw(`f${c.framework}`));
        return;
      case 'weight':
        return a.setWeight(ROLES[c.role], c.weight);
      case 'limit':
        this.limits.set(ROLES[c.role], c.cpus * 1000);
        return a.setQuota(ROLES[c.role], { limit: res(`cpus:${c.cpus}`) });
      case 'guarantee':
        this.limits.delete(ROLES[c.role]);
        return a.setQuota(ROLES[c.role], { guarantee: res(`cpus:${c.cpus}`) });
    }
  }

  private addAgent(id: AgentId, total: Resources): void {
    if (this.totals.has(id)) return;
    this.allocator.addAgent({ id, hostname: id, total, attributes: [] });
    this.totals.set(id, total);
  }

  private toggleAgent(id: AgentId, n: number): void {
    if (!this.totals.has(id)) return;
    if (n % 2 === 0) this.allocator.deactivateAgent(id);
    else this.allocator.activateAgent(id);
  }

  private allocate(): void {
    const limitedBefore = new Map([...this.limits.keys()].map((r) => [r, this.cpusHeldUnder(r)]));
    const offers = this.allocator.allocate(this.nowMs);
    expect(new Set(offers.map((o) => o.agentId)).size).toBe(offers.length);
    for (const o of offers) {
      expect(this.frameworks.has(o.frameworkId)).toBe(true);
      expect(o.resources.allocatableTo(o.role).format()).toBe(o.resources.format());
      this.held.push({ ...o, launched: false });
    }
    for (const [role, before] of limitedBefore) {
      const after = this.cpusHeldUnder(role);
      if (after > before) expect(after).toBeLessThanOrEqual(this.limits.get(role)!);
    }
  }

  private giveBack(pick: number, amount: 'all' | 'half', refuseSeconds: number): void {
    const open = this.held.filter((h) => !h.launched || amount === 'half' || refuseSeconds === 0);
    if (open.length === 0) return;
    const h = open[pick % open.length];
    const back = amount === 'all' ? h.resources : halfOf(h.resources);
    this.allocator.recoverResources(h.frameworkId, h.agentId, h.role, back, { refuseSeconds, now: this.nowMs });
    h.resources = h.resources.subtract(back);
    this.held = this.held.filter((x) => !x.resources.isEmpty());
  }

  /** A RESERVE accepted on an offer: its unreserved scalars become reserved to the offer's role. */
  private reserve(pick: number): void {
    const open = this.held.filter((h) => h.role !== '*' && h.resources.unreserved().scalars().size > 0);
    if (open.length === 0) return;
    const h = open[pick % open.length];
    const from = h.resources.unreserved().filter((name) => name !== 'ports');
    const to = from.withRole(h.role);
    this.allocator.convertAllocated(h.frameworkId, h.agentId, h.role, from, to);
    h.resources = h.resources.subtract(from).add(to);
    this.totals.set(h.agentId, this.totals.get(h.agentId)!.subtract(from).add(to));
  }

  private drop(pred: (h: Held) => boolean): void {
    this.held = this.held.filter((h) => !pred(h));
  }

  private cpusHeldUnder(role: string): number {
    return this.held
      .filter((h) => h.role === role || h.role.startsWith(`${role}/`))
      .reduce((s, h) => s + h.resources.scalarMilli('cpus'), 0);
  }

  checkBooks(): void {
    for (const [agentId, total] of this.totals) {
      const mine = this.held.filter((h) => h.agentId === agentId).reduce((s, h) => s.add(h.resources), Resources.EMPTY);
      const books = this.allocator.allocatedOn(agentId).reduce((s, h) => s.add(h.resources), Resources.EMPTY);
      expect(books.format()).toBe(mine.format());
      const available = this.allocator.available(agentId)!;
      expect(available.add(books).format()).toBe(total.format());
      for (const v of available.add(books).scalars().values()) expect(v).toBeGreaterThanOrEqual(0);
    }
  }
}

/** About half of each scalar (whole thousandths), nothing else. */
function halfOf(r: Resources): Resources {
  let out = Resources.EMPTY;
  r.forEachScalarMilli((name, role, milli) => {
    out = out.add(Resources.scalar(name, Math.floor(milli / 2) / 1000, role));
  });
  return out;
}

describe('allocator invariants under random operations', () => {
  it('available + allocated = total per agent, nothing negative, nothing allocated twice', () => {
    const setupArb = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('addAgent' as const), agent: idx(6), shape: idx(AGENT_SHAPES.length) }),
        fc.record({ kind: fc.constant('addFramework' as const), framework: idx(4) }),
        fc.record({
          kind: fc.constant('limit' as const),
          role: idx(ROLES.length),
          cpus: fc.integer({ min: 1, max: 8 }),
        }),
      ),
      { minLength: 3, maxLength: 10 },
    );
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { minLength: 1, maxLength: 60 }), (setup, commands) => {
        const model = new Model();
        for (const c of [...setup, ...commands]) {
          model.apply(c);
          model.checkBooks();
        }
      }),
      { numRuns: 300 },
    );
  });
});
