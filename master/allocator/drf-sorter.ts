/**
 * Hierarchical DRF ordering, as Mesos's sorter: roles form a tree by path (`eng` → `eng/backend`); at every level
 * children are ordered by dominant share ÷ weight, a role's share counting everything allocated in its subtree.
 * A role's own frameworks sit together in one `group` child (Mesos's virtual leaf `.`, weight 1), beside its
 * sub-roles, and inside it each (framework, role) client is ordered by its own dominant share.
 *
 * Incremental: allocations are vectors of thousandths kept up to date on every change; for a cycle each inner
 * node gets a heap of its eligible children, built in O(n), and an offer re-places only the nodes on one
 * client's path to the root (O(depth · log n)). Nothing is re-sorted per agent.
 */
import { IndexedHeap, type HeapItem } from './indexed-heap';
import { dominantShare, type MilliVector } from './scalar-kinds';

export type SortNodeKind = 'role' | 'group' | 'client';

/**
 * A node's place in its parent's heap. Kept apart from the nodes (which come in three classes) so the heap only
 * ever touches objects of one shape — monomorphic property access made heap updates ~5× faster.
 */
export class HeapSlot implements HeapItem {
  heapIndex = -1;
  share = 0;
  constructor(
    readonly sortKey: string,
    readonly node: SortNode,
  ) {}
}

export class SortNode {
  readonly slot: HeapSlot;
  heap: IndexedHeap<HeapSlot> | null = null;
  readonly allocatedMilli: MilliVector = [];
  weight = 1;
  constructor(
    readonly kind: SortNodeKind,
    sortKey: string,
    readonly parent: SortNode | undefined,
  ) {
    this.slot = new HeapSlot(sortKey, this);
  }
  /** Dominant share ÷ weight, as of the last change. */
  get share(): number {
    return this.slot.share;
  }
  childNodes(): Iterable<SortNode> {
    return [];
  }
}

/** A role's own clients (frameworks subscribed to exactly this role). */
export class GroupNode extends SortNode {
  readonly clients = new Set<SortNode>();
  constructor(parent: RoleNode) {
    super('group', '.', parent);
  }
  override childNodes(): Iterable<SortNode> {
    return this.clients;
  }
}

export class RoleNode extends SortNode {
  readonly subroles = new Map<string, RoleNode>();
  readonly ownClients: GroupNode;
  constructor(
    readonly role: string,
    parent: RoleNode | undefined,
  ) {
    super('role', role, parent);
    this.ownClients = new GroupNode(this);
  }
  override *childNodes(): Iterable<SortNode> {
    yield* this.subroles.values();
    yield this.ownClients;
  }
}

const lessShare = (a: HeapSlot, b: HeapSlot): boolean =>
  a.share < b.share || (a.share === b.share && a.sortKey < b.sortKey);

export class DrfSorter {
  readonly root = new RoleNode('', undefined);
  private readonly byPath = new Map<string, RoleNode>();
  /** Cluster totals by scalar kind: the denominators of every share. */
  totalMilli: MilliVector = [];
  /** Heaps are kept in order only while a cycle runs; between cycles they are stale and rebuilt by the next. */
  private cycleRunning = false;

  ensureRole(role: string): RoleNode {
    const known = this.byPath.get(role);
    if (known) return known;
    const cut = role.lastIndexOf('/');
    const parent = cut < 0 ? this.root : this.ensureRole(role.slice(0, cut));
    const node = new RoleNode(role, parent);
    parent.subroles.set(role, node);
    this.byPath.set(role, node);
    return node;
  }

  findRole(role: string): RoleNode | undefined {
    return this.byPath.get(role);
  }
  allRoles(): IterableIterator<RoleNode> {
    return this.byPath.values();
  }

  setWeight(role: string, weight: number): void {
    const node = this.ensureRole(role);
    node.weight = weight;
    this.refreshShare(node);
  }

  /** Adds `delta` (thousandths by kind) to a client and every node above it, re-placing each in its parent's heap. */
  applyDelta(client: SortNode, delta: MilliVector, sign: 1 | -1): void {
    for (let node: SortNode | undefined = client; node; node = node.parent) {
      const v = node.allocatedMilli;
      for (let i = 0; i < delta.length; i++) if (delta[i]) v[i] = (v[i] ?? 0) + sign * delta[i];
      this.refreshShare(node);
    }
  }

  /** Recomputes every share (after the cluster total changed). */
  recomputeShares(node: SortNode = this.root): void {
    node.slot.share = dominantShare(node.allocatedMilli, this.totalMilli) / node.weight;
    for (const child of node.childNodes()) this.recomputeShares(child);
  }

  beginCycle(): void {
    this.cycleRunning = true;
  }
  endCycle(): void {
    this.cycleRunning = false;
  }

  /** Gives `from` and its subtree fresh heaps holding only eligible clients (and nodes above some). */
  buildHeaps(from: SortNode, eligible: (client: SortNode) => boolean): boolean {
    if (from.kind === 'client') return eligible(from);
    const live: HeapSlot[] = [];
    for (const child of from.childNodes()) if (this.buildHeaps(child, eligible)) live.push(child.slot);
    from.heap = live.length > 0 ? new IndexedHeap(live, lessShare) : null;
    return live.length > 0;
  }

  /** The eligible client with the lowest share, descending level by level from `from`. */
  pickNext(from: SortNode): SortNode | undefined {
    let node: SortNode | undefined = from;
    while (node && node.kind !== 'client') node = node.heap?.peek()?.node;
    return node;
  }

  /** Takes a client out of this cycle; a node left with no eligible children goes with it, up to `stopAt`. */
  exhaust(client: SortNode, stopAt: SortNode): void {
    for (let node = client; node !== stopAt && node.parent; node = node.parent) {
      const heap = node.parent.heap;
      if (!heap) return;
      heap.remove(node.slot);
      if (heap.size > 0) return;
    }
  }

  private refreshShare(node: SortNode): void {
    node.slot.share = dominantShare(node.allocatedMilli, this.totalMilli) / node.weight;
    if (this.cycleRunning) node.parent?.heap?.update(node.slot);
  }
}
