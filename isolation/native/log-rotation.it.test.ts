/** Native log rotation against real processes and cgroups: bounded disk, newest output readable, followers lose nothing, tasks outlive the agent. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRotatedLog } from '../logs/read-log';
import { TEST_CGROUP_PREFIX, removeTempSandboxes, shellSpec, sweepCgroups, uniqueId } from '../testing/fixtures';
import { NativeContainerizer } from './native-containerizer';
import type { NativeContainer } from './native-container';
import { isSameProcessAlive } from './proc';
afterAll(removeTempSandboxes);

jest.setTimeout(60_000);
const root = `${TEST_CGROUP_PREFIX}/${uniqueId('logs')}`;
const make = (): NativeContainerizer =>
  new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 });
const c = make();
afterAll(async () => {
  c.close();
  await sweepCgroups(root);
});

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const streamFiles = (dir: string, stream: string) =>
  fs.readdirSync(dir).filter((f) => f === stream || (f.startsWith(`${stream}.`) && /\.\d+$/.test(f)));
const bytesOn = (dir: string, stream: string) =>
  streamFiles(dir, stream).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);

it('a chatty task keeps at most maxBytes × maxFiles per stream, and reads return its newest output', async () => {
  // 3000 numbered lines of 16 bytes (48 000 bytes) on stdout, 1000 on stderr; kept: 3 × 4 KiB each.
  const spec = shellSpec(
    `i=0; while [ $i -lt 3000 ]; do printf 'out line %06d\\n' $i; [ $((i % 3)) -eq 0 ] && printf 'err line %06d\\n' $i >&2; i=$((i+1)); done`,
    { logRotation: { maxBytes: 4096, maxFiles: 3 } },
  );
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  for (const stream of ['stdout', 'stderr']) {
    expect(streamFiles(spec.sandboxDir, stream).sort()).toEqual([stream, `${stream}.1`, `${stream}.2`]);
    expect(bytesOn(spec.sandboxDir, stream)).toBeLessThanOrEqual(3 * 4096);
  }
  expect(fs.readdirSync(spec.sandboxDir).filter((f) => f.endsWith('.fifo'))).toEqual([]);
  const tail = (await readRotatedLog(spec.sandboxDir, 'stdout', -1, 64))!;
  expect(tail).toMatchObject({
    size: 48_000,
    eof: true,
    data: 'out line 002996\nout line 002997\nout line 002998\nout line 002999\n',
  });
  const oldest = (await readRotatedLog(spec.sandboxDir, 'stdout', 0, 16))!;
  expect(oldest.offset).toBe(oldest.first);
  expect(oldest.first).toBeGreaterThan(0);
  expect(oldest.data).toMatch(/^out line \d{6}\n$/); // rotation splits at maxBytes; 4096 is a multiple of 16
  const errTail = (await readRotatedLog(spec.sandboxDir, 'stderr', -1, 16))!;
  expect(errTail.data).toBe('err line 002997\n');
  await k.destroy();
});

it('a follower reading by offset loses nothing while the log rotates between its reads', async () => {
  // The task writes one batch of 30 lines (~600 bytes) each time the test drops a `go` file; 256-byte
  // files, 4 kept: every batch rotates at least twice, and each read happens after a whole batch.
  const spec = shellSpec(
    `b=0; while :; do if [ -e go ]; then rm go; j=0; while [ $j -lt 30 ]; do printf 'batch %03d line %03d\\n' $b $j; j=$((j+1)); done; b=$((b+1)); fi; sleep 0.02; done`,
    { logRotation: { maxBytes: 256, maxFiles: 4 } },
  );
  const k = await c.launch(spec);
  let offset = 0;
  let seen = '';
  let expected = '';
  for (let b = 0; b < 8; b++) {
    const batch = Array.from(
      { length: 30 },
      (_, j) => `batch ${String(b).padStart(3, '0')} line ${String(j).padStart(3, '0')}\n`,
    ).join('');
    expected += batch;
    fs.writeFileSync(path.join(spec.sandboxDir, 'go'), '');
    await eventually(`batch ${b}`, async () => {
      const r = await readRotatedLog(spec.sandboxDir, 'stdout', offset, 65536);
      if (!r) return undefined; // the rotator has not written its state yet
      expect(r.offset).toBe(offset); // nothing the follower had not read was rotated away
      seen += r.data;
      offset = r.offset + Buffer.byteLength(r.data);
      return seen.length >= expected.length ? true : undefined;
    });
  }
  expect(seen).toBe(expected);
  const state = JSON.parse(fs.readFileSync(path.join(spec.sandboxDir, '.agora-log-stdout.json'), 'utf8')) as {
    files: { start: number }[];
  };
  expect(state.files[0]!.start).toBeGreaterThan(8 * 500); // it did rotate, many times
  await k.kill(0);
  await k.destroy();
});

it('the task and its rotator outlive the agent; output continues without a gap and the new agent reads it', async () => {
  const first = make();
  const spec = shellSpec(`i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.01; done`, {
    logRotation: { maxBytes: 1024, maxFiles: 50 },
  });
  const k = (await first.launch(spec)) as NativeContainer;
  const logger = k.checkpoint.logger!;
  expect(isSameProcessAlive(logger.pid, logger.startTicks)).toBe(true);
  first.close(); // the agent goes away: its helpers end, the task and its rotator stay
  const size = async () => (await readRotatedLog(spec.sandboxDir, 'stdout', -1, 0))?.size ?? 0; // no state yet: nothing written
  const before = await size();
  await eventually('output while the agent is away', async () => ((await size()) > before + 1024 ? true : undefined));
  const second = make();
  const again = await second.recover(k.checkpoint);
  expect('wait' in again).toBe(true);
  await (again as NativeContainer).kill(0);
  expect(await (again as NativeContainer).wait()).toMatchObject({ reason: 'KILLED' });
  expect(isSameProcessAlive(logger.pid, logger.startTicks)).toBe(false); // the exit waited for the last words
  const all = (await readRotatedLog(spec.sandboxDir, 'stdout', 0, 4 * 1024 * 1024))!;
  expect(all.first).toBe(0);
  const ticks = all.data
    .trimEnd()
    .split('\n')
    .map((l) => Number(/^tick (\d+)$/.exec(l)![1]));
  expect(ticks).toEqual(ticks.map((_, i) => i));
  await (again as NativeContainer).destroy();
  second.close();
});
