/**
 * A binary min-heap whose items remember their position, so an item whose key changed is re-placed in
 * O(log n) (`update`) and any item is removed in O(log n) (`remove`). The allocator keeps one per sort node,
 * so raising a client's share after an offer costs a few swaps instead of a re-sort.
 */
export interface HeapItem {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[];

  /** Heapifies `items` in O(n). */
  constructor(
    items: T[],
    private readonly less: (a: T, b: T) => boolean,
  ) {
    this.items = items;
    for (let i = 0; i < items.length; i++) items[i].heapIndex = i;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  has(item: T): boolean {
    return this.items[item.heapIndex] === item;
  }

  /** Re-places an item after its key changed (either direction). */
  update(item: T): void {
    if (!this.has(item)) return;
    if (!this.siftUp(item.heapIndex)) this.siftDown(item.heapIndex);
  }

  remove(item: T): void {
    if (!this.has(item)) return;
    const i = item.heapIndex;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.update(last);
  }

  private siftUp(start: number): boolean {
    let i = start;
    const item = this.items[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(item, this.items[parent])) break;
      this.place(this.items[parent], i);
      i = parent;
    }
    this.place(item, i);
    return i !== start;
  }

  private siftDown(start: number): void {
    const n = this.items.length;
    let i = start;
    const item = this.items[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(this.items[child + 1], this.items[child])) child++;
      if (!this.less(this.items[child], item)) break;
      this.place(this.items[child], i);
      i = child;
    }
    this.place(item, i);
  }

  private place(item: T, i: number): void {
    this.items[i] = item;
    item.heapIndex = i;
  }
}
