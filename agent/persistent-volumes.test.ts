/** Persistent volumes on the agent: created once, kept, owned by one framework, checked by field; the disk watch counts them. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerizer, FakeWorld } from '../isolation';
import {
  AgentIdSchema,
  ApiError,
  FakeClock,
  createLogger,
  FrameworkIdSchema,
  FrameworkInfoSchema,
  Resources,
  TaskInfoSchema,
  type TaskStatus,
} from '../sdk';
import { DiskWatch } from './disk-watch';
import { PersistentVolumes } from './persistent-volumes';
import { TaskRunner, type TaskContext } from './task-runner';

const root = mkdtempSync(join(tmpdir(), 'agora-volumes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const task = (disk: number, vols: { id: string; sizeMb: number; path?: string }[]) => ({
  resources: Resources.parse(`cpus:1;mem:32;disk:${disk}`).toWire(),
  persistentVolumes: vols.map((v) => ({ containerPath: v.path ?? 'data', persistenceId: v.id, sizeMb: v.sizeMb })),
});
const refusal = (fn: () => unknown): { code: string; field?: string; message: string } => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, field: e.field, message: e.message };
    throw e;
  }
  throw new Error('not refused');
};

it('creates a volume at the first launch, keeps its data for the next, and destroys it on request', () => {
  const clock = new FakeClock(1_700_000_000_000);
  const pv = new PersistentVolumes(join(root, 'a'), 1000, clock);
  const [v] = pv.prepare(task(30, [{ id: 'app.s1.0', sizeMb: 20 }]), 'fw1', 'web');
  expect(v).toEqual({ containerPath: 'data', hostPath: join(root, 'a', 'volumes', 'app.s1.0'), mode: 'rw' });
  writeFileSync(join(v.hostPath, 'f'), 'kept');
  expect(pv.record('app.s1.0')).toMatchObject({ frameworkId: 'fw1', role: 'web', sizeMb: 20, createdAt: clock.now() });
  pv.prepare(task(30, [{ id: 'app.s1.0', sizeMb: 20 }]), 'fw1', 'web');
  expect(readFileSync(join(v.hostPath, 'f'), 'utf8')).toBe('kept');
  expect(refusal(() => pv.destroy('fw1', ['app.s1.0'], new Set(['app.s1.0'])))).toMatchObject({
    code: 'CONFLICT',
    field: 'persistenceIds',
  });
  expect(refusal(() => pv.destroy('fw2', ['app.s1.0'], new Set()))).toMatchObject({ code: 'FORBIDDEN' });
  expect(pv.destroy('fw1', ['app.s1.0', 'nope'], new Set())).toEqual({ destroyed: ['app.s1.0'], missing: ['nope'] });
  expect(existsSync(v.hostPath)).toBe(false);
  expect(existsSync(`${v.hostPath}.json`)).toBe(false);
});

it("refuses by field and creates nothing: larger than the agent, more than the task's disk, another framework's", () => {
  const pv = new PersistentVolumes(join(root, 'b'), 100);
  expect(refusal(() => pv.prepare(task(500, [{ id: 'x', sizeMb: 200 }]), 'fw1', '*'))).toEqual({
    code: 'INVALID',
    field: 'task.persistentVolumes[0].sizeMb',
    message: "task.persistentVolumes[0].sizeMb: 200 MB is larger than this agent's disk (100 MB)",
  });
  expect(
    refusal(() =>
      pv.prepare(
        task(10, [
          { id: 'x', sizeMb: 8 },
          { id: 'y', sizeMb: 8, path: 'more' },
        ]),
        'fw1',
        '*',
      ),
    ),
  ).toMatchObject({
    code: 'INVALID',
    field: 'task.persistentVolumes',
    message: expect.stringMatching(/16 MB of volumes but the task's disk is 10 MB/),
  });
  expect(existsSync(join(root, 'b', 'volumes', 'x'))).toBe(false);
  pv.prepare(task(10, [{ id: 'x', sizeMb: 5 }]), 'fw1', '*');
  expect(refusal(() => pv.prepare(task(10, [{ id: 'x', sizeMb: 5 }]), 'fw2', '*'))).toMatchObject({
    code: 'FORBIDDEN',
    field: 'task.persistentVolumes[0].persistenceId',
  });
});

it("the disk watch counts a task's volumes with its sandbox against its disk", async () => {
  const statuses: TaskStatus[] = [];
  const info = TaskInfoSchema.parse({
    taskId: 't',
    name: 't',
    agentId: 'a1',
    resources: Resources.parse('cpus:1;mem:32;disk:10').toWire(),
    command: { value: 'sleep 600' },
    persistentVolumes: [{ containerPath: 'data', persistenceId: 'v1', sizeMb: 5 }],
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
  const r = new TaskRunner(
    info,
    FrameworkIdSchema.parse('fw'),
    FrameworkInfoSchema.parse({ id: 'fw', name: 'fw', roles: ['*'] }),
    '*',
    join(root, 't'),
    ctx,
  );
  await r.launch(new FakeContainerizer({ world: new FakeWorld() }));
  const sizes: Record<string, number> = { [r.sandboxDir]: 6 * 1024 * 1024, '/vol/v1': 6 * 1024 * 1024 };
  const watch = new DiskWatch({
    intervalMs: 0,
    runners: () => [r],
    log: createLogger('test', { level: 'silent' }),
    measure: async (dir) => sizes[dir] ?? 0,
    extraDirs: (x) => (x.info.persistentVolumes ?? []).map((v) => `/vol/${v.persistenceId}`),
  });
  await watch.check();
  await r.container!.wait();
  await new Promise((res) => setImmediate(res));
  expect(r.diskUsedBytes).toBe(12 * 1024 * 1024);
  expect(statuses.at(-1)).toMatchObject({ state: 'TASK_FAILED', reason: 'DISK_LIMIT' });
});
