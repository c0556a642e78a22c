/** Secret values from a LAUNCH reach the task's environment and nothing the agent keeps or reports. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeContainerizer, FakeWorld } from '../isolation';
import {
  AgentCommandSchema,
  AgentIdSchema,
  createLogger,
  FrameworkIdSchema,
  FrameworkInfoSchema,
  NO_LAUNCH_GRANTS,
  Resources,
  TaskInfoSchema,
  type TaskStatus,
} from '../sdk';
import { TaskRunner, type TaskContext } from './task-runner';

const root = mkdtempSync(join(tmpdir(), 'agora-secret-env-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const VALUE = 'p4ss-Very-Secret';

it('puts LAUNCH secretEnv into the task environment only: not in the task info, checkpoint or statuses', async () => {
  const info = TaskInfoSchema.parse({
    taskId: 't',
    name: 't',
    agentId: 'a1',
    resources: Resources.parse('cpus:1;mem:32').toWire(),
    command: { value: 'sleep 600', env: { PLAIN: 'x' } },
  });
  const statuses: TaskStatus[] = [];
  const kept: unknown[] = [];
  const ctx: TaskContext = {
    agentId: AgentIdSchema.parse('a1'),
    hostname: 'h',
    now: () => Date.now(),
    log: createLogger('test', { level: 'silent' }),
    logRotation: { maxBytes: 0, maxFiles: 1 },
    emit: (s) => statuses.push(s),
    checkpointState: (...a) => kept.push(a),
    checkpointContainer: (f, t, c) => kept.push(c.checkpoint),
    onEnded: () => undefined,
  };
  const runner = new TaskRunner(
    info,
    FrameworkIdSchema.parse('fw'),
    FrameworkInfoSchema.parse({ id: 'fw', name: 'fw', roles: ['*'] }),
    '*',
    join(root, 't'),
    ctx,
    NO_LAUNCH_GRANTS,
    { DB_PASSWORD: VALUE },
  );
  expect(runner.spec().env).toMatchObject({ PLAIN: 'x', DB_PASSWORD: VALUE });
  // The containerizer learns which variables are secret: it keeps their values out of its checkpoint.
  expect(runner.spec().secretEnvNames).toEqual(['DB_PASSWORD']);
  await runner.launch(new FakeContainerizer({ world: new FakeWorld() }));
  await runner.kill(0);
  for (const where of [runner.info, statuses, kept]) expect(JSON.stringify(where)).not.toContain(VALUE);
});

it('the LAUNCH schema takes secretEnv with environment variable names only', () => {
  const launch = (secretEnv: unknown) =>
    AgentCommandSchema.safeParse({
      type: 'LAUNCH',
      frameworkId: 'fw',
      framework: { id: 'fw', name: 'fw' },
      role: '*',
      secretEnv,
      task: { taskId: 't', name: 't', agentId: 'a', resources: [], command: { value: 'true' } },
    });
  expect(launch({ DB_PASSWORD: 'v' }).success).toBe(true);
  expect(launch(undefined).success).toBe(true);
  expect(launch({ 'not-a-var': 'v' }).success).toBe(false);
});
