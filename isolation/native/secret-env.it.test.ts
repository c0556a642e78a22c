/**
 * Secret environment variables (`ContainerSpec.secretEnvNames`) reach the task and its exec health checks, but
 * not the checkpoint the agent writes to disk; a container recovered from that checkpoint execs without them.
 */
import type { NativeCheckpoint } from './native-container';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_CGROUP_PREFIX, removeTempSandboxes, shellSpec, sweepCgroups, uniqueId } from '../testing/fixtures';
import { NativeContainerizer } from './native-containerizer';

jest.setTimeout(120_000);
const root = `${TEST_CGROUP_PREFIX}/${uniqueId('secret-env')}`;
const c = new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 });
afterAll(() => sweepCgroups(root));
afterAll(removeTempSandboxes);
const VALUE = `v-${uniqueId('s')}`;

it('gives the task and exec its secret variables, and keeps them out of the checkpoint', async () => {
  const spec = shellSpec('printf %s "$DB_PASSWORD" > got.txt; exec sleep 600', {
    env: { PLAIN: 'p', DB_PASSWORD: VALUE },
    secretEnvNames: ['DB_PASSWORD'],
  });
  const k = await c.launch(spec);
  try {
    const checkpoint = k.checkpoint as NativeCheckpoint;
    expect(checkpoint.env).toMatchObject({ PLAIN: 'p' });
    expect(checkpoint.env).not.toHaveProperty('DB_PASSWORD');
    expect(JSON.stringify(checkpoint)).not.toContain(VALUE);
    expect(await k.exec('printf %s "$DB_PASSWORD"', 10_000)).toMatchObject({ exitCode: 0, output: VALUE });
    // A second containerizer (the agent after a restart) recovers from the checkpoint: no secret to exec with.
    const again = new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 });
    const recovered = await again.recover(checkpoint);
    expect('exec' in recovered).toBe(true);
    if ('exec' in recovered)
      expect(await recovered.exec('printf %s "${DB_PASSWORD-unset}"', 10_000)).toMatchObject({ output: 'unset' });
    expect(await fileOnceWritten(path.join(spec.sandboxDir, 'got.txt'))).toBe(VALUE);
  } finally {
    await k.kill(0);
    await k.destroy();
  }
});

/** The file's content once the task has written it (polled; the test's timeout bounds the wait). */
async function fileOnceWritten(file: string): Promise<string> {
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text !== '') return text;
    await new Promise((r) => setTimeout(r, 50));
  }
}
