import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, FrameworkIdSchema, FrameworkInfoSchema, Resources, TaskIdSchema, TaskInfoSchema } from '../sdk';
import { FakeClock } from '../sdk/clock';
import { Checkpoint } from './checkpoint';
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config';
import { SandboxGc } from './sandbox-gc';

describe('sandbox garbage collection', () => {
  let dir: string;
  let cp: Checkpoint;
  const log = createLogger('test', { level: 'silent' });
  const config = (over: Partial<AgentConfig> = {}): AgentConfig => ({
    ...DEFAULT_AGENT_CONFIG,
    hostname: 'h',
    workDir: dir,
    sandboxGcDelayMs: 60_000,
    sandboxGcDiskFraction: 0.9,
    ...over,
  });
  const task = (id: string, endedAt?: number) => {
    const sandboxDir = join(dir, 'sandboxes', id);
    mkdirSync(sandboxDir, { recursive: true });
    const info = TaskInfoSchema.parse({
      taskId: id,
      name: id,
      agentId: 'a1',
      resources: Resources.parse('cpus:0.1').toWire(),
      command: { value: 'true' },
    });
    cp.putTask({
      taskId: TaskIdSchema.parse(id),
      frameworkId: FrameworkIdSchema.parse('f'),
      info,
      framework: FrameworkInfoSchema.parse({ id: 'f', name: 'f' }),
      role: '*',
      state: endedAt ? 'TASK_FINISHED' : 'TASK_RUNNING',
      sandboxDir,
      createdAt: 0,
      endedAt,
    });
    return sandboxDir;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gc-'));
    cp = new Checkpoint(dir);
  });
  afterEach(() => {
    cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes finished sandboxes once the delay has passed, never running ones', () => {
    const clock = new FakeClock(100_000);
    const old = task('old', 10_000);
    const recent = task('recent', 90_000);
    const running = task('running');
    const gc = new SandboxGc(config(), cp, log, clock, () => 0.1);
    expect(gc.collect()).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(
      cp
        .tasks()
        .map((t) => t.taskId)
        .sort(),
    ).toEqual(['recent', 'running']);
    clock.advance(50_001);
    expect(gc.collect()).toBe(1);
    expect(existsSync(running)).toBe(true);
  });

  it('removes the oldest finished sandboxes first while the disk is too full', () => {
    const a = task('a', 1000);
    const b = task('b', 2000);
    const c = task('c', 3000);
    let fullness = 0.95;
    const gc = new SandboxGc(config(), cp, log, new FakeClock(5000), () => {
      const f = fullness;
      fullness -= 0.04;
      return f;
    });
    gc.collect();
    expect([existsSync(a), existsSync(b), existsSync(c)]).toEqual([false, false, true]);
  });
});
