import fc from 'fast-check';
import type { TaskRecord } from '../state';
import { defaultOrderPage } from './task-page';

/** The reference: every task sorted as views.ts `allTasks` does, reversed for desc, then sliced. */
function reference(
  live: TaskRecord[],
  completed: TaskRecord[],
  match: (t: TaskRecord) => boolean,
  offset: number,
  limit: number,
  desc: boolean,
) {
  const all = [...live]
    .sort((a, b) => b.createdAt - a.createdAt)
    .concat([...completed].reverse())
    .filter(match);
  const ordered = desc ? all.reverse() : all;
  return { total: ordered.length, page: ordered.slice(offset, offset + limit) };
}

const task = (id: number, createdAt: number, state: string) =>
  ({ info: { taskId: `t${id}` }, createdAt, state }) as unknown as TaskRecord;

describe('tasks page in the default order', () => {
  it('is the slice of the fully sorted list, for any tasks, filter, offset, limit and order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 50 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 120 }),
        fc.boolean(),
        fc.boolean(),
        (liveSpec, doneSpec, offset, limit, desc, filtered) => {
          const live = liveSpec.map(([c, running], i) => task(i, c, running ? 'TASK_RUNNING' : 'TASK_STAGING'));
          const completed = doneSpec.map((c, i) => task(1000 + i, c, 'TASK_FINISHED'));
          const match = filtered ? (t: TaskRecord) => t.state !== 'TASK_STAGING' : () => true;
          const got = defaultOrderPage({ live, completed }, match, offset, limit, desc);
          const want = reference(live, completed, match, offset, limit, desc);
          expect(got.total).toBe(want.total);
          expect(got.page.map((t) => t.info.taskId)).toEqual(want.page.map((t) => t.info.taskId));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('takes the newest 100 of 100,000 live tasks without sorting them all', () => {
    const live = Array.from({ length: 100_000 }, (_, i) => task(i, (i * 7919) % 100_003, 'TASK_RUNNING'));
    const { total, page } = defaultOrderPage({ live, completed: [] }, () => true, 0, 100, false);
    expect(total).toBe(100_000);
    expect(page.map((t) => t.createdAt)).toEqual(
      live
        .map((t) => t.createdAt)
        .sort((a, b) => b - a)
        .slice(0, 100),
    );
  });
});
