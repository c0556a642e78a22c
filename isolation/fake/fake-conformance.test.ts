import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeClock } from '../../sdk/clock';
import { describeConformance } from '../conformance/conformance';
import { removeTempSandboxes, shellSpec } from '../testing/fixtures';
import { FakeContainerizer, FakeWorld } from './fake-containerizer';
afterAll(removeTempSandboxes);

const world = new FakeWorld();

describeConformance({
  name: 'fake',
  make: () => new FakeContainerizer({ world }),
  spec: (value) => shellSpec(value),
  output: (spec, name) => fs.readFileSync(path.join(spec.sandboxDir, name), 'utf8'),
  leftovers: async (spec) => (world.task(spec.taskId)?.destroyed === false ? [`task ${spec.taskId}`] : []),
});

describe('fake containerizer controls', () => {
  it('runs sleeps on an injected clock', async () => {
    const clock = new FakeClock(0);
    const c = new FakeContainerizer({ clock });
    const k = await c.launch(shellSpec('echo a; sleep 600; exit 2'));
    let exited = false;
    const waited = k.wait().then(() => {
      exited = true;
    });
    clock.advance(599_999);
    await Promise.resolve();
    expect(exited).toBe(false);
    clock.advance(1);
    expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 2 });
    await waited;
    expect(exited).toBe(true);
  });

  it('lets a test script endings, launch failures, exec answers and unavailability', async () => {
    const c = new FakeContainerizer();
    const spec = shellSpec('sleep 600');
    const k = await c.launch(spec);
    c.world.task(spec.taskId)!.execHandler = () => ({ exitCode: 1, output: 'down' });
    expect(await k.exec('check', 1000)).toEqual({ exitCode: 1, output: 'down' });
    c.world
      .task(spec.taskId)!
      .end({ exitCode: null, signal: 'SIGKILL', reason: 'OOM', message: 'OOM: limit 64 MiB, peak 64 MiB' });
    expect(await k.wait()).toMatchObject({ reason: 'OOM' });
    c.world.failNextLaunch('image missing: x:1');
    expect(await (await c.launch(shellSpec('true'))).wait()).toMatchObject({
      reason: 'LAUNCH_FAILED',
      message: 'image missing: x:1',
    });
    expect(await (await c.launch(shellSpec('no-such-cmd'))).wait()).toMatchObject({ reason: 'EXITED', exitCode: 127 });
    expect(await new FakeContainerizer({ unavailableReason: 'no engine' }).available()).toEqual({
      ok: false,
      reason: 'no engine',
    });
  });
});
