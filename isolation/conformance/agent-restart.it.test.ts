/**
 * A real agent restart at the containerizer level: a separate process launches tasks and is killed with
 * SIGKILL; a fresh containerizer re-attaches to the task still running and reports the real exit status
 * of the one that ended meanwhile. Run for both real containerizers.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Container, ContainerCheckpoint, ContainerExit, Containerizer, ContainerSpec } from '../containerizer';
import { DockerContainerizer } from '../docker/docker-containerizer';
import { NativeContainerizer } from '../native/native-containerizer';
import type { NativeCheckpoint } from '../native/native-container';
import type { DockerCheckpoint } from '../docker/docker-container';
import {
  TEST_CGROUP_PREFIX,
  TEST_LABEL,
  dockerSpec,
  readSandboxFile,
  removeTempSandboxes,
  shellSpec,
  sweepCgroups,
  uniqueId,
} from '../testing/fixtures';
import { removeTestContainers } from '../testing/docker-cleanup';
import { DEADLINE_SCALE } from '../../test/harness/deadline';
afterAll(removeTempSandboxes);

jest.setTimeout(180_000);
const run = uniqueId('restart');
const root = `${TEST_CGROUP_PREFIX}/${run}`;
const labels = { [TEST_LABEL]: '1', [`${TEST_LABEL}.run`]: run };
afterAll(async () => {
  await sweepCgroups(root);
  await removeTestContainers(new DockerContainerizer({ agentId: 'agent-test' }).docker, `${TEST_LABEL}.run=${run}`);
});

/** Starts the stand-in agent, waits for one checkpoint per spec, then kills it with SIGKILL. */
async function launchThenKill9(kind: 'native' | 'docker', specs: ContainerSpec[]): Promise<ContainerCheckpoint[]> {
  const script = path.join(__dirname, '../testing/agent-stand-in.ts');
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '../../bin/run-ts'), script, JSON.stringify({ kind, cgroupRoot: root, specs })],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AGORA_LOG_LEVEL: 'silent' } },
  );
  const checkpoints: ContainerCheckpoint[] = [];
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      buffer += b.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      checkpoints.push(...lines.filter(Boolean).map((l) => JSON.parse(l) as ContainerCheckpoint));
      if (checkpoints.length === specs.length) resolve();
    });
    child.once('exit', (code) => reject(new Error(`stand-in agent exited early (${code})`)));
  });
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
  return checkpoints;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs * DEADLINE_SCALE;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for the condition, not for time: the task's own record of its end (native) or the engine's (Docker). */
async function endedWhileNoAgent(cp: ContainerCheckpoint): Promise<void> {
  if (cp.kind === 'native') {
    const statusFile = (cp as NativeCheckpoint).statusFile;
    return until(
      () => existsSync(statusFile) && readFileSync(statusFile, 'utf8').trim() !== '',
      'the native task to record its exit',
    );
  }
  const docker = new DockerContainerizer({ agentId: 'agent-test' }).docker;
  const id = (cp as DockerCheckpoint).containerId;
  return until(async () => (await docker.getContainer(id).inspect()).State.Running === false, 'the container to stop');
}

const isContainer = (x: Container | ContainerExit): x is Container => typeof (x as Container).wait === 'function';

async function restartScenario(
  kind: 'native' | 'docker',
  make: () => Containerizer,
  spec: (v: string) => ContainerSpec,
): Promise<void> {
  const longSpec = spec('echo one; sleep 2; echo two; sleep 30');
  const [long, short] = await launchThenKill9(kind, [longSpec, spec('sleep 1; exit 4')]);
  await endedWhileNoAgent(short!); // the short task ends while no agent runs
  const c = make();
  const running = await c.recover(long!);
  const ended = await c.recover(short!);
  expect(ended).toMatchObject({ reason: 'EXITED', exitCode: 4 });
  if (!isContainer(running)) throw new Error(`expected the long task to be running, got ${JSON.stringify(running)}`);
  expect((await running.usage()).memLimitBytes).toBe(64 * 1024 * 1024);
  // Output from before, during and after the agent's absence, each line once.
  await until(() => readSandboxFile(longSpec, 'stdout') === 'one\ntwo\n', 'the long task to print its second line');
  expect(readSandboxFile(longSpec, 'stdout')).toBe('one\ntwo\n');
  await running.kill(1_000);
  expect(await running.wait()).toMatchObject({ reason: 'KILLED' });
  await running.destroy();
}

it('native: tasks outlive a SIGKILLed agent; recover re-attaches and reports the real status', async () => {
  await restartScenario(
    'native',
    () => new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 }),
    (v) => shellSpec(v),
  );
});

it('docker: tasks outlive a SIGKILLed agent; recover re-attaches and reports the real status', async () => {
  await restartScenario(
    'docker',
    () => new DockerContainerizer({ agentId: 'agent-test' }),
    (v) => dockerSpec(v, { labels }),
  );
});
