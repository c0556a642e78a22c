import type { TaskStatus } from 'agora/sdk';
import { instance } from './fixtures';
import { trackStatus } from './instance-tracker';

const status = (state: TaskStatus['state'], over: Partial<TaskStatus> = {}) =>
  ({ taskId: 't', frameworkId: 'f', state, source: 'AGENT', timestamp: 0, ...over }) as TaskStatus;

describe('instance tracker', () => {
  it('moves staging → running → ready, idempotently', () => {
    const i = instance({ state: 'STAGING', checked: true });
    const r = trackStatus(i, status('TASK_RUNNING'), 100);
    expect(r).toMatchObject({
      kind: 'updated',
      instance: { state: 'RUNNING', runningSince: 100, readySince: undefined },
    });
    const running = (r as { instance: typeof i }).instance;
    const h = trackStatus(running, status('TASK_RUNNING', { healthy: true }), 200);
    expect(h).toMatchObject({ instance: { healthy: true, readySince: 200, runningSince: 100 } });
    const healthy = (h as { instance: typeof i }).instance;
    expect(trackStatus(healthy, status('TASK_RUNNING', { healthy: true }), 300)).toEqual({ kind: 'unchanged' });
    expect(trackStatus(healthy, status('TASK_RUNNING', { healthy: false }), 400)).toMatchObject({
      instance: { healthy: false, readySince: undefined },
    });
  });

  it('a late RUNNING does not undo a kill; UNREACHABLE is tracked', () => {
    const killing = instance({ state: 'KILLING', killReason: 'SCALE' });
    expect(trackStatus(killing, status('TASK_RUNNING'), 1)).toEqual({ kind: 'unchanged' });
    expect(trackStatus(instance(), status('TASK_UNREACHABLE'), 1)).toMatchObject({
      instance: { state: 'UNREACHABLE', readySince: undefined },
    });
  });

  it('terminal states end the instance; only unasked ends count as failures', () => {
    expect(trackStatus(instance(), status('TASK_FAILED', { exitCode: 3, reason: 'EXITED' }), 1)).toEqual({
      kind: 'ended',
      failure: true,
      message: 'TASK_FAILED EXITED exit 3',
    });
    expect(trackStatus(instance(), status('TASK_FINISHED'), 1)).toMatchObject({ failure: true });
    expect(trackStatus(instance({ killReason: 'UPGRADE' }), status('TASK_KILLED'), 1)).toMatchObject({
      failure: false,
    });
    expect(trackStatus(instance({ killReason: 'UNHEALTHY' }), status('TASK_KILLED'), 1)).toMatchObject({
      failure: true,
    });
    expect(trackStatus(instance({ state: 'STAGING' }), status('TASK_UNKNOWN'), 1)).toMatchObject({ failure: false });
  });
});
