/** The disk check on the fake containerizer: over its `disk` a task ends TASK_FAILED / DISK_LIMIT; within it, only the figure changes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerizer, FakeWorld } from '../isolation';
import {
  AgentIdSchema,
  createLogger,
  FrameworkIdSchema,
  FrameworkInfoSchema,
  Resources,
  TaskInfoSchema,
  type TaskStatus,
} from '../sdk';
import { DiskWatch } from './disk-watch';
import { logRotationFor, TaskRunner, type TaskContext } from './task-runner';

const root = mkdtempSync(join(tmpdir(), 'agora-disk-watch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const log = createLogger('test', { level: 'silent' });

function runner(taskId: string, resources: string, statuses: TaskStatus[]): TaskRunner {
  const info = TaskInfoSchema.parse({
    taskId,
    name: taskId,
    agentId: 'a1',
    resources: Resources.parse(resources).toWire(),
    command: { value: 'sleep 600' },
  });
  const ctx: TaskContext = {
    agentId: AgentIdSchema.parse('a1'),
    hostname: 'h',
    now: () => Date.now(),
    log: createLogger('test', { level: 'silent' }),
    logRotation: { maxBytes: 0, maxFiles: 1 },
    emit: (s) => statuses.push(s),
    checkpointState: () => undefined,
    checkpointContainer: () => undefined,
    onEnded: () => undefined,
  };
  return new TaskRunner(
    info,
    FrameworkIdSchema.parse('fw'),
    FrameworkInfoSchema.parse({ id: 'fw', name: 'fw', roles: ['*'] }),
    '*',
    join(root, taskId),
    ctx,
  );
}

it('kills a task over its disk limit: TASK_FAILED, DISK_LIMIT, with the figures in the message', async () => {
  const statuses: TaskStatus[] = [];
  const big = runner('big', 'cpus:1;mem:32;disk:10', statuses);
  const small = runner('small', 'cpus:1;mem:32;disk:10', statuses);
  const c = new FakeContainerizer({ world: new FakeWorld() });
  await big.launch(c);
  await small.launch(c);
  const sizes: Record<string, number> = { [big.sandboxDir]: 11 * 1024 * 1024, [small.sandboxDir]: 9 * 1024 * 1024 };
  const watch = new DiskWatch({ intervalMs: 0, runners: () => [big, small], log, measure: async (dir) => sizes[dir]! });
  await watch.check();
  await big.container!.wait();
  await new Promise((r) => setImmediate(r));
  expect(statuses.filter((s) => s.taskId === 'big').at(-1)).toMatchObject({
    state: 'TASK_FAILED',
    reason: 'DISK_LIMIT',
    message: 'disk limit: sandbox uses 11.0 MB, limit 10 MB',
  });
  expect(small.state).toBe('TASK_RUNNING');
  expect(small.diskUsedBytes).toBe(9 * 1024 * 1024);
  await small.kill(0);
});

it('a task without a disk resource is measured but never killed', async () => {
  const statuses: TaskStatus[] = [];
  const r = runner('free', 'cpus:1;mem:32', statuses);
  await r.launch(new FakeContainerizer({ world: new FakeWorld() }));
  await new DiskWatch({ intervalMs: 0, runners: () => [r], log, measure: async () => 1e12 }).check();
  expect(r.state).toBe('TASK_RUNNING');
  expect(r.diskUsedBytes).toBe(1e12);
  await r.kill(0);
});

it('logRotationFor: the task overrides the agent field by field; none when the agent rotates nothing and the task sets no size', () => {
  const agent = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };
  expect(logRotationFor({}, agent)).toEqual(agent);
  expect(logRotationFor({ logRotation: { maxFiles: 2 } }, agent)).toEqual({ maxBytes: agent.maxBytes, maxFiles: 2 });
  expect(logRotationFor({ logRotation: { maxSizeMb: 1 } }, agent)).toEqual({ maxBytes: 1024 * 1024, maxFiles: 5 });
  expect(logRotationFor({}, { maxBytes: 0, maxFiles: 1 })).toBeUndefined();
  expect(logRotationFor({ logRotation: { maxSizeMb: 0.5 } }, { maxBytes: 0, maxFiles: 1 })).toEqual({
    maxBytes: 512 * 1024,
    maxFiles: 1,
  });
});
