import { Resources } from '../../sdk/resources';
import type { FrameworkId } from '../../sdk/protocol/common';
import { DrfSorter, type SortNode } from './drf-sorter';
import { ScalarKinds } from './scalar-kinds';
import { ClientNode, FrameworkState } from './state';

function setUp(clients: Array<[string, string]>) {
  const kinds = new ScalarKinds();
  const sorter = new DrfSorter();
  sorter.totalMilli = kinds.vectorOf(Resources.parse('cpus:100;mem:100000'));
  const byName = new Map<string, ClientNode>();
  for (const [id, role] of clients) {
    const fw = new FrameworkState(id as FrameworkId);
    fw.registered = true;
    fw.subscribedRoles.add(role);
    const roleNode = sorter.ensureRole(role);
    const client = new ClientNode(fw, roleNode);
    roleNode.ownClients.clients.add(client);
    byName.set(id, client);
  }
  const give = (id: string, text: string) =>
    sorter.applyDelta(byName.get(id)!, kinds.vectorOf(Resources.parse(text)), 1);
  return { sorter, give, byName };
}

const pickId = (sorter: DrfSorter) => (sorter.pickNext(sorter.root) as ClientNode | undefined)?.framework.id;

describe('DrfSorter', () => {
  it('orders by dominant share: the largest fraction held of any one resource', () => {
    const { sorter, give } = setUp([
      ['cpu-heavy', 'a'],
      ['mem-heavy', 'b'],
    ]);
    give('cpu-heavy', 'cpus:30;mem:1000');
    give('mem-heavy', 'cpus:1;mem:40000');
    sorter.beginCycle();
    sorter.buildHeaps(sorter.root, () => true);
    expect(pickId(sorter)).toBe('cpu-heavy');
  });

  it("compares a role's whole subtree against its siblings before looking inside it", () => {
    const { sorter, give } = setUp([
      ['e1', 'eng/a'],
      ['e2', 'eng/b'],
      ['o', 'ops'],
    ]);
    give('e1', 'cpus:10');
    give('e2', 'cpus:10');
    give('o', 'cpus:15');
    sorter.beginCycle();
    sorter.buildHeaps(sorter.root, () => true);
    expect(pickId(sorter)).toBe('o');
  });

  it('divides shares by role weight and re-places a client when its allocation changes mid-cycle', () => {
    const { sorter, give } = setUp([
      ['h', 'heavy'],
      ['l', 'light'],
    ]);
    sorter.setWeight('heavy', 3);
    give('h', 'cpus:20');
    give('l', 'cpus:10');
    sorter.beginCycle();
    sorter.buildHeaps(sorter.root, () => true);
    expect(pickId(sorter)).toBe('h');
    give('h', 'cpus:20');
    expect(pickId(sorter)).toBe('l');
  });

  it('skips ineligible clients and exhausted ones, pruning empty subtrees', () => {
    const { sorter, byName } = setUp([
      ['x', 'eng/a'],
      ['y', 'eng/b'],
      ['z', 'ops'],
    ]);
    sorter.beginCycle();
    sorter.buildHeaps(sorter.root, (c: SortNode) => c !== byName.get('z'));
    const seen: string[] = [];
    for (let c = sorter.pickNext(sorter.root); c; c = sorter.pickNext(sorter.root)) {
      seen.push((c as ClientNode).framework.id);
      sorter.exhaust(c, sorter.root);
    }
    expect(seen.sort()).toEqual(['x', 'y']);
  });
});
