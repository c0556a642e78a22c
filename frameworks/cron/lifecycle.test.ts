import { type Offer, type TaskStatus } from 'agora/sdk';
import { JobSpecSchema } from 'agora/sdk/cron';
import { manualRun, outcomeOf, retryAfter } from './lifecycle';
import { matchOffers, runIdOfTask, taskIdOf, type QueuedRun } from './matcher';

const status = (state: TaskStatus['state'], extra: Partial<TaskStatus> = {}): TaskStatus =>
  ({ taskId: 'cron.j.1', frameworkId: 'fw', state, source: 'AGENT', timestamp: 0, ...extra }) as TaskStatus;

describe('outcomeOf', () => {
  it.each([
    ['TASK_RUNNING', null, { kind: 'running' }],
    ['TASK_UNREACHABLE', null, { kind: 'running' }],
    ['TASK_FINISHED', null, { kind: 'ended', state: 'SUCCEEDED', reason: 'EXITED', exitCode: 0 }],
    ['TASK_FAILED', null, { kind: 'ended', state: 'FAILED', reason: 'EXITED', exitCode: 3 }],
    ['TASK_FAILED', 'TIMEOUT', { kind: 'ended', state: 'FAILED', reason: 'TIMEOUT' }],
    ['TASK_KILLED', 'TIMEOUT', { kind: 'ended', state: 'FAILED', reason: 'TIMEOUT' }],
    ['TASK_KILLED', 'REPLACED', { kind: 'ended', state: 'KILLED', reason: 'REPLACED' }],
    ['TASK_KILLED', null, { kind: 'ended', state: 'KILLED', reason: 'KILLED' }],
    ['TASK_ERROR', null, { kind: 'ended', state: 'FAILED', reason: 'LAUNCH_FAILED' }],
    ['TASK_GONE', null, { kind: 'ended', state: 'FAILED', reason: 'LOST' }],
    ['TASK_UNKNOWN', 'REPLACED', { kind: 'ended', state: 'KILLED', reason: 'REPLACED' }],
  ] as const)('%s (kill reason %s)', (state, killReason, expected) => {
    const exitCode = state === 'TASK_FAILED' && killReason === null ? 3 : undefined;
    expect(outcomeOf(status(state, { exitCode }), killReason)).toMatchObject(expected);
  });
  it('reads a signal as SIGNALED', () => {
    expect(outcomeOf(status('TASK_FAILED', { signal: 'SIGSEGV' }), null)).toMatchObject({
      state: 'FAILED',
      reason: 'SIGNALED',
    });
  });
});

describe('retryAfter', () => {
  const spec = JobSpecSchema.parse({
    name: 'j',
    cmd: 'false',
    retries: 2,
    backoff: { initial: 'PT10S', factor: 3, max: 'PT1M' },
  });
  it('retries a failure with growing backoff until retries are used up', () => {
    expect(retryAfter(spec, { state: 'FAILED', reason: 'EXITED', attempt: 1 }, 1000)).toEqual({
      attempt: 2,
      dueAt: 11_000,
    });
    expect(retryAfter(spec, { state: 'FAILED', reason: 'TIMEOUT', attempt: 2 }, 1000)).toEqual({
      attempt: 3,
      dueAt: 31_000,
    });
    expect(retryAfter(spec, { state: 'FAILED', reason: 'EXITED', attempt: 3 }, 1000)).toBeNull();
  });
  it('does not retry success, kills we asked for, or a disabled job', () => {
    expect(retryAfter(spec, { state: 'SUCCEEDED', reason: 'EXITED', attempt: 1 }, 0)).toBeNull();
    expect(retryAfter(spec, { state: 'KILLED', reason: 'REPLACED', attempt: 1 }, 0)).toBeNull();
    expect(retryAfter({ ...spec, disabled: true }, { state: 'FAILED', reason: 'EXITED', attempt: 1 }, 0)).toBeNull();
  });
});

describe('manualRun', () => {
  const live = [
    {
      id: 4,
      job: 'j',
      state: 'RUNNING' as const,
      scheduledAt: 0,
      dueAt: 0,
      startedAt: 0,
      attempt: 1,
      killReason: null,
    },
  ];
  it('follows the concurrency policy', () => {
    expect(manualRun('Allow', live)).toEqual({ kind: 'start', replace: [] });
    expect(manualRun('Forbid', live)).toEqual({
      kind: 'refuse',
      message: expect.stringMatching(/run 4 is still active/),
    });
    expect(manualRun('Forbid', [])).toEqual({ kind: 'start', replace: [] });
    expect(manualRun('Replace', live)).toEqual({ kind: 'start', replace: [4] });
  });
});

describe('matchOffers', () => {
  const offer = (id: string, resources: string, extra: Partial<Offer> = {}): Offer =>
    ({
      id,
      frameworkId: 'fw',
      agentId: `agent-${id}`,
      hostname: 'h',
      role: '*',
      attributes: [],
      containerizers: ['native'],
      resources: [...resources.split(';').map((kv) => ({ name: kv.split(':')[0]!, scalar: Number(kv.split(':')[1]) }))],
      ...extra,
    }) as Offer;
  const q = (id: number, input: object, dueAt = id): QueuedRun => ({
    id,
    spec: JobSpecSchema.parse({ name: `job${id}`, cmd: 'echo hi', ...input }),
    scheduledAt: Date.parse('2026-01-01T02:00:00Z'),
    dueAt,
    attempt: 1,
  });

  it('places the oldest due runs first, packs an offer, and leaves the rest unused', () => {
    const { launches, unused } = matchOffers(
      [q(2, { cpus: 1, mem: 100 }), q(1, { cpus: 1, mem: 100 }), q(3, { cpus: 4, mem: 100 })],
      [offer('o1', 'cpus:2;mem:512'), offer('o2', 'cpus:1;mem:64')],
    );
    expect(launches.map((l) => [l.offerId, l.tasks.map((t) => t.runId)])).toEqual([['o1', [1, 2]]]);
    expect(unused).toEqual(['o2']);
  });

  it('builds a task carrying the run identity in its environment', () => {
    const { launches } = matchOffers([q(9, { env: { A: 'b' }, cpus: 0.5, mem: 32 })], [offer('o1', 'cpus:1;mem:64')]);
    const task = launches[0]!.tasks[0]!.task;
    expect(task.taskId).toBe('cron.job9.9');
    expect(task.command).toMatchObject({
      shell: true,
      value: 'echo hi',
      env: {
        A: 'b',
        AGORA_JOB: 'job9',
        AGORA_RUN_ID: '9',
        AGORA_SCHEDULED_TIME: '2026-01-01T02:00:00.000Z',
        AGORA_ATTEMPT: '1',
      },
    });
    expect(task.resources).toEqual([
      { name: 'cpus', scalar: 0.5 },
      { name: 'mem', scalar: 32 },
    ]);
  });

  it('uses resources reserved to the offer role, and needs docker for a docker job', () => {
    const reserved = offer('r', 'cpus:1;mem:64', {
      role: 'batch',
      resources: [
        { name: 'cpus', role: 'batch', scalar: 1 },
        { name: 'mem', role: 'batch', scalar: 64 },
      ],
    });
    expect(matchOffers([q(1, { cpus: 1, mem: 64 })], [reserved]).launches[0]!.tasks[0]!.task.resources).toEqual([
      { name: 'cpus', role: 'batch', scalar: 1 },
      { name: 'mem', role: 'batch', scalar: 64 },
    ]);
    const docker = q(2, { container: { type: 'DOCKER', image: 'busybox:local' } });
    expect(matchOffers([docker], [offer('n', 'cpus:1;mem:512')]).launches).toEqual([]);
    expect(
      matchOffers([docker], [offer('d', 'cpus:1;mem:512', { containerizers: ['native', 'docker'] })]).launches,
    ).toHaveLength(1);
  });

  it('round-trips task ids to run ids and ignores foreign tasks', () => {
    expect(runIdOfTask(taskIdOf('nightly-backup', 42))).toBe(42);
    expect(runIdOfTask('svc.web.3')).toBeNull();
  });
});
