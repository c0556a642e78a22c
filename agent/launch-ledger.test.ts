/**
 * The agent's side of launch reconciliation (launch-ledger.ts): a launch it does not know when asked is refused
 * ever after, so a LAUNCH arriving after the master declared its task TASK_DROPPED never starts it.
 */
import { FrameworkIdSchema, TaskIdSchema, type TaskState } from '../sdk';
import { LaunchLedger } from './launch-ledger';

const f1 = FrameworkIdSchema.parse('f1');
const key = (f: string, t: string) => `${f}/${t}`;
const ref = (taskId: string, launchId: string) => ({ frameworkId: f1, taskId: TaskIdSchema.parse(taskId), launchId });

describe('LaunchLedger', () => {
  it('answers known for a launch it took, and not known (then refused for good) for one it never received', () => {
    const ledger = new LaunchLedger();
    const tasks = new Map<string, TaskState>();
    ledger.launched(key(f1, 'a'), 'm-1');
    tasks.set(key(f1, 'a'), 'TASK_RUNNING');
    const reply = ledger.answer([ref('a', 'm-1'), ref('b', 'm-2')], key, (f, t) => tasks.get(key(f, t)));
    expect(reply.launches).toEqual([
      { ...ref('a', 'm-1'), known: true, state: 'TASK_RUNNING' },
      { ...ref('b', 'm-2'), known: false },
    ]);
    expect(ledger.refuses('m-2')).toBe(true);
    expect(ledger.refuses('m-1')).toBe(false);
    expect(ledger.refuses(undefined)).toBe(false);
    // The framework launches b again: a new launch id, taken.
    expect(ledger.refuses('m-3')).toBe(false);
  });

  it('an earlier run of the same task id is not this launch; a recovered task (no record) is known', () => {
    const ledger = new LaunchLedger();
    const tasks = new Map<string, TaskState>([
      [key(f1, 'a'), 'TASK_FINISHED'],
      [key(f1, 'r'), 'TASK_RUNNING'],
    ]);
    ledger.launched(key(f1, 'a'), 'm-1');
    const reply = ledger.answer([ref('a', 'm-5'), ref('r', 'm-6')], key, (f, t) => tasks.get(key(f, t)));
    expect(reply.launches.map((l) => l.known)).toEqual([false, true]);
    expect(ledger.refuses('m-5')).toBe(true);
  });

  it('keeps at most its bound, forgetting the oldest first', () => {
    const ledger = new LaunchLedger(2);
    ledger.answer([ref('a', 'm-1'), ref('b', 'm-2'), ref('c', 'm-3')], key, () => undefined);
    expect([ledger.refuses('m-1'), ledger.refuses('m-2'), ledger.refuses('m-3')]).toEqual([false, true, true]);
  });
});
