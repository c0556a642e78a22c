/**
 * RESERVE / UNRESERVE through ACCEPT on a master with fake NATS and a fake clock: an operation either
 * happens entirely (registry, agent total, allocator) or not at all, with an error naming the field.
 */
import { Resources, type AgentId } from '../../sdk';
import { testMaster, type TestMaster } from '../test-support';

const A = 'a1' as AgentId;

describe('UNRESERVE and RESERVE', () => {
  let h: TestMaster;
  afterEach(() => h.close());

  /** The agent as the master, the registry and the allocator see it. */
  function books() {
    return {
      total: h.m.state.agents.get(A)!.total.format(),
      registry: h.m.registry.agent(A)!.reservations,
      allocatorFree: h.m.allocator.available(A)!.format(),
    };
  }
  async function accept(fid: string, ops: { type: 'RESERVE' | 'UNRESERVE'; text: string }[]) {
    const offers = h.offerCycle(fid);
    expect(offers.length).toBeGreaterThan(0);
    return (await h.call(fid, {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: ops.map((o) => ({ type: o.type, resources: Resources.parse(o.text).toWire() })),
    })) as { errors: string[] };
  }

  it('refuses to unreserve a static reservation, naming the field, and changes nothing', async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:2;cpus(web):2;mem:1024');
    await h.subscribe('f1', ['web']);
    const before = books();
    const r = await accept('f1', [{ type: 'UNRESERVE', text: 'cpus(web):2' }]);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^operations\[0\]\.resources: only dynamic reservations can be unreserved, and cpus\(web\) 2 > 0 is dynamically reserved/,
      ),
    ]);
    expect(books()).toEqual(before);
    expect(before.allocatorFree).toBe('cpus:2;cpus(web):2;mem:1024');
    // Master and allocator still agree: everything is offered again.
    const again = h.offerCycle('f1').reduce((acc, o) => acc.add(o.resources), Resources.EMPTY);
    expect(again.format()).toBe('cpus:2;cpus(web):2;mem:1024');
  });

  it('unreserves a dynamic reservation made for its own role, in the registry, the total and the allocator at once', async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:4;mem:1024');
    await h.subscribe('f1', ['web']);
    expect((await accept('f1', [{ type: 'RESERVE', text: 'cpus(web):3' }])).errors).toEqual([]);
    expect(books()).toEqual({
      total: 'cpus:1;cpus(web):3;mem:1024',
      registry: 'cpus(web):3',
      allocatorFree: 'cpus:1;cpus(web):3;mem:1024',
    });
    expect((await accept('f1', [{ type: 'UNRESERVE', text: 'cpus(web):2' }])).errors).toEqual([]);
    expect(books()).toEqual({
      total: 'cpus:3;cpus(web):1;mem:1024',
      registry: 'cpus(web):1',
      allocatorFree: 'cpus:3;cpus(web):1;mem:1024',
    });
  });

  it('unreserves only the dynamic part when a role has static and dynamic reservations', async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:2;cpus(web):1;mem:1024');
    await h.subscribe('f1', ['web']);
    expect((await accept('f1', [{ type: 'RESERVE', text: 'cpus(web):1' }])).errors).toEqual([]);
    const r = await accept('f1', [{ type: 'UNRESERVE', text: 'cpus(web):2' }]);
    expect(r.errors[0]).toMatch(/operations\[0\]\.resources: only dynamic reservations .* cpus\(web\) 2 > 1/);
    expect(books().registry).toBe('cpus(web):1');
    expect((await accept('f1', [{ type: 'UNRESERVE', text: 'cpus(web):1' }])).errors).toEqual([]);
    expect(books()).toEqual({
      total: 'cpus:2;cpus(web):1;mem:1024',
      registry: '',
      allocatorFree: 'cpus:2;cpus(web):1;mem:1024',
    });
  });

  it("refuses to unreserve an ancestor role's reservation that a sub-role is offered", async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:4;mem:1024');
    await h.subscribe('eng', ['eng']);
    expect((await accept('eng', [{ type: 'RESERVE', text: 'cpus(eng):2' }])).errors).toEqual([]);
    await h.call('eng', { type: 'TEARDOWN' });
    await h.subscribe('backend', ['eng/backend']);
    const offers = h.offerCycle('backend');
    expect(offers.reduce((n, o) => n + o.resources.scalar('cpus', 'eng'), 0)).toBe(2);
    const r = (await h.call('backend', {
      type: 'ACCEPT',
      offerIds: offers.map((o) => o.id),
      filters: { refuseSeconds: 0 },
      operations: [{ type: 'UNRESERVE', resources: Resources.parse('cpus(eng):2').toWire() }],
    })) as { errors: string[] };
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^operations\[0\]\.resources: cannot unreserve for role 'eng' \(framework roles: eng\/backend\)/,
      ),
    ]);
    expect(books()).toEqual({
      total: 'cpus:2;cpus(eng):2;mem:1024',
      registry: 'cpus(eng):2',
      allocatorFree: 'cpus:2;cpus(eng):2;mem:1024',
    });
  });

  it('applies a RESERVE and an UNRESERVE of one call in order, against what the first left', async () => {
    h = testMaster();
    await h.registerAgent(A, 'cpus:4;mem:1024');
    await h.subscribe('f1', ['web']);
    const r = await accept('f1', [
      { type: 'RESERVE', text: 'cpus(web):2' },
      { type: 'UNRESERVE', text: 'cpus(web):1' },
      { type: 'UNRESERVE', text: 'cpus(web):5' },
    ]);
    expect(r.errors).toEqual([expect.stringMatching(/^operations\[2\]\.resources: cpus\(web\) 5 > 1 offered/)]);
    expect(books()).toEqual({
      total: 'cpus:3;cpus(web):1;mem:1024',
      registry: 'cpus(web):1',
      allocatorFree: 'cpus:3;cpus(web):1;mem:1024',
    });
  });
});
