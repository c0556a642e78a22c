import { HierarchicalDrfAllocator } from './drf-allocator';
import { addAgents, ag, fw, heldBy, res, runTaskFrameworks, T0 } from './test-support';

describe('HierarchicalDrfAllocator — fairness', () => {
  it('settles the DRF paper example (Ghodsi et al. 2011) at A = 3 tasks, B = 2 tasks', () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 1, 'cpus:9;mem:18432');
    allocator.addFramework({ id: fw('A'), roles: ['*'] });
    allocator.addFramework({ id: fw('B'), roles: ['*'] });
    const tasks = runTaskFrameworks(
      allocator,
      [
        { id: fw('A'), task: res('cpus:1;mem:4096') },
        { id: fw('B'), task: res('cpus:3;mem:1024') },
      ],
      40,
    );
    expect(Object.fromEntries(tasks)).toEqual({ A: 3, B: 2 });
  });

  it('gives identical greedy frameworks resources in proportion to role weights 2:1 (±1 task)', () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 30, 'cpus:1;mem:1024');
    allocator.setWeight('heavy', 2);
    allocator.addFramework({ id: fw('h'), roles: ['heavy'] });
    allocator.addFramework({ id: fw('l'), roles: ['light'] });
    const task = res('cpus:1;mem:1024');
    const tasks = runTaskFrameworks(
      allocator,
      [
        { id: fw('h'), task },
        { id: fw('l'), task },
      ],
      10,
    );
    expect(Math.abs(tasks.get(fw('h'))! - 20)).toBeLessThanOrEqual(1);
    expect(Math.abs(tasks.get(fw('l'))! - 10)).toBeLessThanOrEqual(1);
  });

  it("shares hierarchically: eng/a and eng/b split eng's half, ops gets the other half", () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 40, 'cpus:1;mem:1024');
    for (const [id, role] of [
      ['a', 'eng/a'],
      ['b', 'eng/b'],
      ['o', 'ops'],
    ])
      allocator.addFramework({ id: fw(id), roles: [role] });
    const task = res('cpus:1;mem:1024');
    const tasks = runTaskFrameworks(
      allocator,
      ['a', 'b', 'o'].map((id) => ({ id: fw(id), task })),
      10,
    );
    expect(tasks.get(fw('o'))).toBe(20);
    expect(tasks.get(fw('a'))).toBe(10);
    expect(tasks.get(fw('b'))).toBe(10);
  });

  it('offers each agent to at most one framework per cycle', () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 1, 'cpus:2;mem:2048;cpus(x):1;mem(x):512');
    allocator.addFramework({ id: fw('x'), roles: ['x'] });
    allocator.addFramework({ id: fw('y'), roles: ['y'] });
    const first = allocator.allocate(T0);
    expect(first).toHaveLength(1);
  });
});

describe('HierarchicalDrfAllocator — quota', () => {
  it("meets a role's guarantee even when a greedy role asked first (headroom is held back)", () => {
    const allocator = new HierarchicalDrfAllocator();
    const agents = addAgents(allocator, 8, 'cpus:1;mem:1024');
    allocator.setQuota('q', { guarantee: res('cpus:4;mem:4096') });
    allocator.addFramework({ id: fw('greedy'), roles: ['other'] });
    const task = res('cpus:1;mem:1024');
    runTaskFrameworks(allocator, [{ id: fw('greedy'), task }], 5);
    expect(heldBy(allocator, fw('greedy'), agents).scalar('cpus')).toBe(4);
    allocator.addFramework({ id: fw('quota'), roles: ['q'] });
    runTaskFrameworks(
      allocator,
      [
        { id: fw('greedy'), task },
        { id: fw('quota'), task },
      ],
      5,
    );
    expect(heldBy(allocator, fw('quota'), agents).contains(res('cpus:4;mem:4096'))).toBe(true);
  });

  it('serves the guarantee before fair sharing even when the other role would sort first', () => {
    const allocator = new HierarchicalDrfAllocator();
    const agents = addAgents(allocator, 10, 'cpus:1;mem:1024');
    allocator.setWeight('big', 100);
    allocator.setQuota('q', { guarantee: res('cpus:3') });
    allocator.addFramework({ id: fw('big'), roles: ['big'] });
    allocator.addFramework({ id: fw('quota'), roles: ['q'] });
    const task = res('cpus:1;mem:1024');
    runTaskFrameworks(
      allocator,
      [
        { id: fw('big'), task },
        { id: fw('quota'), task },
      ],
      1,
    );
    expect(heldBy(allocator, fw('quota'), agents).scalar('cpus')).toBe(3);
  });

  it('offers a quota role its guarantee and the fair-share rest of that agent in one offer', () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 1, 'cpus:4;mem:4096;ports:[31000-31010]');
    allocator.setQuota('q', { guarantee: res('cpus:1;mem:512') });
    allocator.addFramework({ id: fw('quota'), roles: ['q'] });
    allocator.addFramework({ id: fw('other'), roles: ['other'] });
    const offers = allocator.allocate(T0);
    expect(offers.map((o) => [o.frameworkId, o.resources.format()])).toEqual([
      ['quota', 'cpus:4;mem:4096;ports:[31000-31010]'],
    ]);
  });

  it('holds all unreserved resources back for an unmet guarantee, yet still offers a role its own reservations', () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 2, 'cpus:1;mem:1024;cpus(ops):1;mem(ops):512');
    allocator.setQuota('q', { guarantee: res('cpus:2;mem:2048') });
    allocator.addFramework({ id: fw('ops'), roles: ['ops'] });
    allocator.addFramework({ id: fw('other'), roles: ['other'] });
    const offers = allocator.allocate(T0);
    expect(offers.map((o) => [o.frameworkId, o.resources.format()])).toEqual([
      ['ops', 'cpus(ops):1;mem(ops):512'],
      ['ops', 'cpus(ops):1;mem(ops):512'],
    ]);
  });

  it('never exceeds a limit, shrinking offers to fit', () => {
    const allocator = new HierarchicalDrfAllocator();
    const agents = addAgents(allocator, 4, 'cpus:4;mem:4096');
    allocator.setQuota('capped', { limit: res('cpus:2.5') });
    allocator.addFramework({ id: fw('c'), roles: ['capped'] });
    const first = allocator.allocate(T0);
    expect(first.map((o) => o.resources.format())).toEqual(['cpus:2.5;mem:4096', 'mem:4096', 'mem:4096', 'mem:4096']);
    for (let i = 0; i < 10; i++) {
      for (const offer of allocator.allocate(T0)) expect(offer.resources.scalar('cpus')).toBe(0);
      expect(heldBy(allocator, fw('c'), agents).scalar('cpus')).toBe(2.5);
    }
  });

  it("caps a sub-role by its parent's limit", () => {
    const allocator = new HierarchicalDrfAllocator();
    const agents = addAgents(allocator, 6, 'cpus:1;mem:1024');
    allocator.setQuota('eng', { limit: res('cpus:2;mem:99999') });
    allocator.addFramework({ id: fw('e'), roles: ['eng/backend'] });
    runTaskFrameworks(allocator, [{ id: fw('e'), task: res('cpus:1;mem:1024') }], 5);
    expect(heldBy(allocator, fw('e'), agents).scalar('cpus')).toBe(2);
  });
});

describe('HierarchicalDrfAllocator — reservations', () => {
  it('offers reserved resources only to their role and its sub-roles', () => {
    const allocator = new HierarchicalDrfAllocator();
    const agents = addAgents(allocator, 3, 'cpus:2;mem:2048;cpus(eng):2;mem(eng):2048');
    allocator.addFramework({ id: fw('ops'), roles: ['ops'] });
    allocator.addFramework({ id: fw('engineering'), roles: ['engineering'] });
    for (let i = 0; i < 5; i++) {
      for (const offer of allocator.allocate(T0)) expect(offer.resources.hasReservations()).toBe(false);
    }
    for (const agent of agents) expect(allocator.available(agent)!.format()).toBe('cpus(eng):2;mem(eng):2048');
    allocator.addFramework({ id: fw('backend'), roles: ['eng/backend'] });
    const offers = allocator.allocate(T0).filter((o) => o.frameworkId === fw('backend'));
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.map((o) => o.resources.format())).toEqual(agents.map(() => 'cpus(eng):2;mem(eng):2048'));
  });
});

describe('HierarchicalDrfAllocator — filters, suppress, revive, activity', () => {
  const setup = () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 1, 'cpus:4;mem:4096');
    allocator.addFramework({ id: fw('f'), roles: ['r'] });
    return allocator;
  };

  it('re-offers a declined offer after refuseSeconds and not before', () => {
    const allocator = setup();
    const [offer] = allocator.allocate(T0);
    allocator.recoverResources(fw('f'), ag('a0'), 'r', offer.resources, { refuseSeconds: 5, now: T0 });
    expect(allocator.allocate(T0 + 1)).toEqual([]);
    expect(allocator.allocate(T0 + 4999)).toEqual([]);
    expect(allocator.allocate(T0 + 5000)).toHaveLength(1);
  });

  it('offers resources freed after a decline (the filter covers only what was refused)', () => {
    const allocator = setup();
    const [offer] = allocator.allocate(T0);
    allocator.recoverResources(fw('f'), ag('a0'), 'r', res('cpus:2;mem:2048'), { refuseSeconds: 60, now: T0 });
    expect(allocator.allocate(T0 + 1)).toEqual([]);
    allocator.recoverResources(fw('f'), ag('a0'), 'r', offer.resources.subtract(res('cpus:2;mem:2048')));
    expect(allocator.allocate(T0 + 2).map((o) => o.resources.format())).toEqual(['cpus:4;mem:4096']);
  });

  it('gives another framework what one declined', () => {
    const allocator = setup();
    allocator.addFramework({ id: fw('g'), roles: ['r2'] });
    const [offer] = allocator.allocate(T0);
    allocator.recoverResources(offer.frameworkId, offer.agentId, offer.role, offer.resources, {
      refuseSeconds: 5,
      now: T0,
    });
    const [next] = allocator.allocate(T0 + 1);
    expect(next.frameworkId).not.toBe(offer.frameworkId);
  });

  it('suppress stops offers until revive; revive also clears decline filters', () => {
    const allocator = setup();
    const [offer] = allocator.allocate(T0);
    allocator.recoverResources(fw('f'), ag('a0'), 'r', offer.resources, { refuseSeconds: 1000, now: T0 });
    allocator.suppress(fw('f'));
    expect(allocator.allocate(T0 + 1)).toEqual([]);
    allocator.revive(fw('f'));
    expect(allocator.allocate(T0 + 2)).toHaveLength(1);
  });

  it('suppresses per role', () => {
    const allocator = new HierarchicalDrfAllocator();
    addAgents(allocator, 2, 'cpus:1;mem:1024');
    allocator.addFramework({ id: fw('f'), roles: ['r1', 'r2'] });
    allocator.suppress(fw('f'), ['r1']);
    expect(allocator.allocate(T0).map((o) => o.role)).toEqual(['r2', 'r2']);
  });

  it('offers nothing on inactive agents or to inactive frameworks, and nothing below the minimum', () => {
    const allocator = setup();
    allocator.deactivateAgent(ag('a0'));
    expect(allocator.allocate(T0)).toEqual([]);
    allocator.activateAgent(ag('a0'));
    allocator.deactivateFramework(fw('f'));
    expect(allocator.allocate(T0)).toEqual([]);
    allocator.activateFramework(fw('f'));
    addAgents(allocator, 1, 'cpus:0.005;mem:16', 'tiny');
    expect(allocator.allocate(T0).map((o) => o.agentId)).toEqual([ag('a0')]);
  });

  it("returns a removed framework's resources and drops a removed agent's allocations", () => {
    const allocator = setup();
    allocator.allocate(T0);
    expect(allocator.available(ag('a0'))!.isEmpty()).toBe(true);
    allocator.removeFramework(fw('f'));
    expect(allocator.available(ag('a0'))!.format()).toBe('cpus:4;mem:4096');
    allocator.addFramework({ id: fw('g'), roles: ['r'] });
    allocator.allocate(T0);
    allocator.removeAgent(ag('a0'));
    expect(allocator.allocatedOn(ag('a0'))).toEqual([]);
    expect(
      allocator
        .roles()
        .find((r) => r.role === 'r')!
        .allocated.isEmpty(),
    ).toBe(true);
  });
});
