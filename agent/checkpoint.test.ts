/**
 * The checkpoint conformance suite: the SQLite store (`agora agent`) and the memory store (`agora sim`) must
 * behave alike, including across a reopen on the same backing (an agent restart).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint, type CheckpointedTask, type CheckpointStore } from './checkpoint';
import { MemoryCheckpoint, MemoryCheckpointBacking } from './memory-checkpoint';
import { FrameworkIdSchema, FrameworkInfoSchema, Resources, TaskIdSchema, TaskInfoSchema } from '../sdk';

interface StoreFactory {
  open(): CheckpointStore;
  cleanup(): void;
}

const stores: [string, () => StoreFactory][] = [
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'agora-cp-'));
      return { open: () => new Checkpoint(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'memory',
    () => {
      const backing = new MemoryCheckpointBacking();
      return { open: () => new MemoryCheckpoint(backing), cleanup: () => undefined };
    },
  ],
];

const fw = (id: string) => FrameworkIdSchema.parse(id);
const task = (taskId: string, over: Partial<CheckpointedTask> = {}): CheckpointedTask => ({
  taskId: TaskIdSchema.parse(taskId),
  frameworkId: fw('fw-1'),
  info: TaskInfoSchema.parse({
    taskId,
    name: taskId,
    agentId: 'a-1',
    resources: Resources.parse('cpus:1').toWire(),
    command: { value: 'sleep 1', shell: true },
  }),
  framework: FrameworkInfoSchema.parse({ id: 'fw-1', name: 'fw', roles: ['*'] }),
  role: '*',
  state: 'TASK_STAGING',
  sandboxDir: `/sb/${taskId}`,
  createdAt: 1000,
  ...over,
});
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(stores)('checkpoint store: %s', (_name, make) => {
  let f: StoreFactory;
  let cp: CheckpointStore;
  beforeEach(() => {
    f = make();
    cp = f.open();
  });
  afterEach(() => {
    try {
      cp.close();
    } catch {
      /* closed by the test */
    }
    f.cleanup();
  });

  it('keeps meta values, replacing on set', () => {
    expect(cp.get('agentId')).toBeUndefined();
    cp.set('agentId', 'a-1');
    cp.set('agentId', 'a-2');
    expect(cp.get('agentId')).toBe('a-2');
  });

  it('inserts, replaces, updates and deletes tasks by framework and task id', () => {
    cp.putTask(task('t1'));
    cp.putTask(task('t1', { frameworkId: fw('fw-2') }));
    cp.putTask(task('t1', { role: 'eng' }));
    expect(cp.tasks()).toHaveLength(2);
    cp.setState('fw-1', 't1', 'TASK_RUNNING');
    cp.setContainer('fw-1', 't1', { kind: 'native', taskId: 't1', pid: 42 });
    const t = cp.tasks().find((x) => x.frameworkId === 'fw-1')!;
    expect(t).toEqual({
      ...task('t1', { role: 'eng' }),
      state: 'TASK_RUNNING',
      container: { kind: 'native', taskId: 't1', pid: 42 },
      endedAt: undefined,
    });
    cp.deleteTask('fw-1', 't1');
    expect(cp.tasks().map((x) => x.frameworkId)).toEqual(['fw-2']);
  });

  it('sets endedAt only when given, and ignores updates of unknown tasks', () => {
    cp.putTask(task('t1'));
    cp.setState('fw-1', 't1', 'TASK_FINISHED', 5000);
    cp.setState('fw-1', 't1', 'TASK_FINISHED');
    cp.setState('fw-1', 'nope', 'TASK_RUNNING', 1);
    cp.setContainer('fw-1', 'nope', { kind: 'native', taskId: 'nope' });
    expect(cp.tasks()).toEqual([{ ...task('t1'), state: 'TASK_FINISHED', endedAt: 5000, container: undefined }]);
  });

  it('hands out copies: changing a returned task changes nothing stored', () => {
    cp.putTask(task('t1'));
    const [t] = cp.tasks();
    t!.info.name = 'changed';
    t!.state = 'TASK_FAILED';
    expect(cp.tasks()[0]!.info.name).toBe('t1');
    expect(cp.tasks()[0]!.state).toBe('TASK_STAGING');
  });

  it('queues outbox rows in order, ignores a uuid already queued, and accepts it again once removed', () => {
    cp.outbox.append('u1', bytes('one'));
    cp.outbox.append('u2', bytes('two'));
    cp.outbox.append('u1', bytes('again'));
    expect(cp.outbox.count()).toBe(2);
    const first = cp.outbox.first()!;
    expect([first.uuid, text(first.payload)]).toEqual(['u1', 'one']);
    cp.outbox.remove(first.seq);
    cp.outbox.remove(first.seq);
    expect(cp.outbox.first()!.uuid).toBe('u2');
    cp.outbox.append('u1', bytes('back'));
    const order: string[] = [];
    for (let r = cp.outbox.first(); r; r = cp.outbox.first()) {
      order.push(text(r.payload));
      cp.outbox.remove(r.seq);
    }
    expect(order).toEqual(['two', 'back']);
    expect(cp.outbox.count()).toBe(0);
    expect(cp.outbox.first()).toBeUndefined();
  });

  it('keeps the payload as given, even if the caller reuses its buffer', () => {
    const b = bytes('abc');
    cp.outbox.append('u1', b);
    b[0] = 0x7a;
    expect(text(cp.outbox.first()!.payload)).toBe('abc');
  });

  it('keeps everything across a reopen (an agent restart), with outbox order going on after it', () => {
    cp.set('agentId', 'a-1');
    cp.putTask(task('t1'));
    cp.setState('fw-1', 't1', 'TASK_RUNNING');
    cp.outbox.append('u1', bytes('one'));
    cp.close();
    cp = f.open();
    expect(cp.get('agentId')).toBe('a-1');
    expect(cp.tasks().map((t) => [t.taskId, t.state])).toEqual([['t1', 'TASK_RUNNING']]);
    cp.outbox.append('u2', bytes('two'));
    const a = cp.outbox.first()!;
    cp.outbox.remove(a.seq);
    expect([a.uuid, cp.outbox.first()!.uuid]).toEqual(['u1', 'u2']);
  });

  it('refuses every call once closed', () => {
    cp.close();
    expect(() => cp.get('x')).toThrow();
    expect(() => cp.putTask(task('t1'))).toThrow();
    expect(() => cp.outbox.append('u', bytes('x'))).toThrow();
    expect(() => cp.outbox.count()).toThrow();
  });
});
