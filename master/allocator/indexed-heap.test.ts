import fc from 'fast-check';
import { IndexedHeap } from './indexed-heap';

class Item {
  heapIndex = -1;
  constructor(
    public key: number,
    readonly id: number,
  ) {}
}
const less = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.id < b.id);
const minOf = (items: Item[]) => items.reduce((m, x) => (less(x, m) ? x : m));

describe('IndexedHeap', () => {
  it('always peeks the minimum after any sequence of key changes and removals', () => {
    const op = fc.record({ pick: fc.nat(), key: fc.integer({ min: -50, max: 50 }), remove: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.array(op, { maxLength: 60 }),
        (keys, ops) => {
          const live = keys.map((k, i) => new Item(k, i));
          const heap = new IndexedHeap([...live], less);
          for (const o of ops) {
            if (live.length === 0) break;
            const item = live[o.pick % live.length];
            if (o.remove) {
              heap.remove(item);
              live.splice(live.indexOf(item), 1);
              expect(heap.has(item)).toBe(false);
            } else {
              item.key = o.key;
              heap.update(item);
            }
            expect(heap.size).toBe(live.length);
            if (live.length > 0) expect(heap.peek()).toBe(minOf(live));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
