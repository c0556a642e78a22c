/** Docker's log pump with rotation, against the real engine: bounded files, newest output, no repeat after an agent restart. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRotatedLog } from '../logs/read-log';
import { TEST_LABEL, dockerSpec, removeTempSandboxes, uniqueId } from '../testing/fixtures';
import { removeTestContainers } from '../testing/docker-cleanup';
import { DockerContainerizer } from './docker-containerizer';
afterAll(removeTempSandboxes);

jest.setTimeout(60_000);
const run = uniqueId('run');
const labels = { [TEST_LABEL]: '1', [`${TEST_LABEL}.run`]: run };
const c = new DockerContainerizer({ agentId: 'agent-test' });
afterAll(() => removeTestContainers(c.docker, `${TEST_LABEL}.run=${run}`));

const streamFiles = (dir: string, stream: string) =>
  fs.readdirSync(dir).filter((f) => f === stream || (f.startsWith(`${stream}.`) && /\.\d+$/.test(f)));

it('keeps at most maxBytes × maxFiles, returns the newest output, and a restarted agent does not write it twice', async () => {
  // 2000 lines of 16 bytes (32 000 bytes); 4 KiB files, 3 kept.
  const spec = dockerSpec(
    `i=0; while [ $i -lt 2000 ]; do printf 'out line %06d\\n' $i; i=$((i+1)); done; echo done >&2`,
    { labels, logRotation: { maxBytes: 4096, maxFiles: 3 } },
  );
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  const check = async () => {
    expect(streamFiles(spec.sandboxDir, 'stdout').sort()).toEqual(['stdout', 'stdout.1', 'stdout.2']);
    const onDisk = streamFiles(spec.sandboxDir, 'stdout').reduce(
      (n, f) => n + fs.statSync(path.join(spec.sandboxDir, f)).size,
      0,
    );
    expect(onDisk).toBeLessThanOrEqual(3 * 4096);
    expect(await readRotatedLog(spec.sandboxDir, 'stdout', -1, 32)).toMatchObject({
      size: 32_000,
      data: 'out line 001998\nout line 001999\n',
    });
    expect(await readRotatedLog(spec.sandboxDir, 'stderr', 0, 100)).toMatchObject({ size: 5, data: 'done\n' });
  };
  await check();
  // A new agent finds the ended container: its pump reads the engine's log from the start and skips
  // what the state file says was written — rotated files included.
  const again = new DockerContainerizer({ agentId: 'agent-test' });
  const exit = await again.recover(k.checkpoint);
  expect(exit).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  await check();
  await k.destroy();
});
