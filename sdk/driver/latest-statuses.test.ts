import { AgentIdSchema, FrameworkIdSchema, TaskIdSchema, type TaskStatus } from '../protocol/common';
import { LatestStatuses } from './latest-statuses';

const status = (taskId: string, state: TaskStatus['state'], timestamp: number, agent = 'a1'): TaskStatus => ({
  taskId: TaskIdSchema.parse(taskId),
  frameworkId: FrameworkIdSchema.parse('f1'),
  agentId: AgentIdSchema.parse(agent),
  state,
  source: 'AGENT',
  timestamp,
  uuid: `${taskId}-${state}-${timestamp}`,
});

describe('LatestStatuses', () => {
  it('calls a RUNNING redelivered after FINISHED stale, and a newer incarnation on the same agent fresh', () => {
    const l = new LatestStatuses();
    l.handed(status('t', 'TASK_RUNNING', 10));
    l.handed(status('t', 'TASK_FINISHED', 20));
    expect(l.isStale(status('t', 'TASK_RUNNING', 10))).toBe(true);
    expect(l.isStale(status('t', 'TASK_FINISHED', 20))).toBe(false); // a duplicate: at least once
    expect(l.isStale(status('t', 'TASK_RUNNING', 30))).toBe(false);
  });

  it('never compares clocks of different agents or of the master', () => {
    const l = new LatestStatuses();
    l.handed(status('t', 'TASK_FINISHED', 20, 'a1'));
    expect(l.isStale(status('t', 'TASK_RUNNING', 5, 'a2'))).toBe(false);
    expect(l.isStale({ ...status('t', 'TASK_RUNNING', 5), source: 'MASTER' })).toBe(false);
  });

  it('forgets the oldest task first past its limit', () => {
    const l = new LatestStatuses(2);
    l.handed(status('a', 'TASK_FINISHED', 20));
    l.handed(status('b', 'TASK_FINISHED', 20));
    l.handed(status('a', 'TASK_FINISHED', 21));
    l.handed(status('c', 'TASK_FINISHED', 20));
    expect(l.size).toBe(2);
    expect(l.isStale(status('b', 'TASK_RUNNING', 10))).toBe(false);
    expect(l.isStale(status('a', 'TASK_RUNNING', 10))).toBe(true);
  });
});
