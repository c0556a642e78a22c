/**
 * One page of /api/v1/tasks in the default order — live tasks newest first, then completed ones newest first
 * (`allTasks` in views.ts), or all of it reversed with `order=desc` — without sorting every task: the live
 * matches go through a bounded heap of `offset + limit` entries, O(n log k) instead of O(n log n) plus a copy.
 * The page is the same as slicing the fully sorted list (task-page.test.ts checks it against that).
 */
import type { TaskRecord } from '../state';

export interface TaskSource {
  live: Iterable<TaskRecord>;
  completed: readonly TaskRecord[];
}

interface Entry {
  t: TaskRecord;
  i: number;
}

export function defaultOrderPage(
  src: TaskSource,
  match: (t: TaskRecord) => boolean,
  offset: number,
  limit: number,
  desc: boolean,
): { total: number; page: TaskRecord[] } {
  const live: Entry[] = [];
  let i = 0;
  for (const t of src.live) if (match(t)) live.push({ t, i: i++ });
  const completed = src.completed.filter(match);
  const total = live.length + completed.length;
  // Ascending (the default): newest live first, ties in insertion order (a stable sort by createdAt descending).
  const before = desc
    ? (a: Entry, b: Entry) => a.t.createdAt - b.t.createdAt || b.i - a.i
    : (a: Entry, b: Entry) => b.t.createdAt - a.t.createdAt || a.i - b.i;
  const end = offset + limit;
  const page: TaskRecord[] = [];
  if (desc) {
    // Reversed: completed oldest first, then live oldest first.
    for (let k = offset; k < Math.min(end, completed.length); k++) page.push(completed[k]!);
    const fromLive = end - completed.length;
    if (fromLive > 0)
      for (const e of firstK(live, fromLive, before).slice(Math.max(0, offset - completed.length))) page.push(e.t);
  } else {
    if (offset < live.length) for (const e of firstK(live, end, before).slice(offset)) page.push(e.t);
    for (let k = Math.max(0, offset - live.length); page.length < limit && k < completed.length; k++)
      page.push(completed[completed.length - 1 - k]!);
  }
  return { total, page };
}

/** The first k entries in `before` order, sorted (a max-heap of the k best seen so far). */
function firstK(xs: Entry[], k: number, before: (a: Entry, b: Entry) => number): Entry[] {
  if (k >= xs.length / 2) return xs.slice().sort(before).slice(0, k);
  const heap: Entry[] = []; // heap[0] is the worst of the k kept
  const worse = (a: Entry, b: Entry) => before(a, b) > 0;
  const up = (j: number) => {
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!worse(heap[j]!, heap[p]!)) break;
      [heap[j], heap[p]] = [heap[p]!, heap[j]!];
      j = p;
    }
  };
  const down = (j: number) => {
    for (;;) {
      const l = 2 * j + 1,
        r = l + 1;
      let w = j;
      if (l < heap.length && worse(heap[l]!, heap[w]!)) w = l;
      if (r < heap.length && worse(heap[r]!, heap[w]!)) w = r;
      if (w === j) return;
      [heap[j], heap[w]] = [heap[w]!, heap[j]!];
      j = w;
    }
  };
  for (const x of xs) {
    if (heap.length < k) {
      heap.push(x);
      up(heap.length - 1);
    } else if (k > 0 && before(x, heap[0]!) < 0) {
      heap[0] = x;
      down(0);
    }
  }
  return heap.sort(before);
}
