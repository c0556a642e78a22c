/** Host volumes for native tasks against the real kernel: bind mounts in the task's own mount namespace, ro and rw. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  TEST_CGROUP_PREFIX,
  readSandboxFile,
  removeTempSandboxes,
  shellSpec,
  sweepCgroups,
  tempSandbox,
  uniqueId,
} from '../testing/fixtures';
import { NativeContainerizer } from './native-containerizer';
afterAll(removeTempSandboxes);

jest.setTimeout(30_000);
const root = `${TEST_CGROUP_PREFIX}/${uniqueId('volumes')}`;
const c = new NativeContainerizer({ agentId: 'agent-test', cgroupRoot: root, recoverPollMs: 50 });
afterAll(async () => {
  c.close();
  await sweepCgroups(root);
});

it('mounts a read-only and a read-write host directory inside the sandbox, visible to the task only', async () => {
  const ro = tempSandbox();
  const rw = tempSandbox();
  fs.writeFileSync(path.join(ro, 'greeting'), 'hello from the host\n');
  fs.chmodSync(ro, 0o755);
  fs.chmodSync(rw, 0o777);
  const spec = shellSpec(
    [
      'cat conf/greeting',
      'touch conf/nope 2>/dev/null && echo ro-writable || echo ro-refused',
      'echo written > out/dir/result && echo rw-ok',
      'grep -c " $AGORA_SANDBOX/conf " /proc/self/mountinfo',
    ].join('; '),
    {
      volumes: [
        { hostPath: ro, containerPath: 'conf', readOnly: true },
        { hostPath: rw, containerPath: 'out/dir', readOnly: false },
      ],
    },
  );
  spec.env.AGORA_SANDBOX = spec.sandboxDir;
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'EXITED', exitCode: 0 });
  expect(readSandboxFile(spec, 'stdout')).toBe('hello from the host\nro-refused\nrw-ok\n1\n');
  expect(fs.readFileSync(path.join(rw, 'result'), 'utf8')).toBe('written\n');
  // The host's mount table never saw the task's mounts.
  expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(path.join(spec.sandboxDir, 'conf'));
  await k.destroy();
});

it('a volume whose host path is missing fails the launch, with the reason on stderr', async () => {
  const spec = shellSpec('echo never', { volumes: [{ hostPath: '/no/such/dir', containerPath: 'x', readOnly: true }] });
  const k = await c.launch(spec);
  const exit = await k.wait();
  expect(exit).toMatchObject({
    reason: 'LAUNCH_FAILED',
    message: 'task did not start (init exited with code 125; see stderr)',
  });
  expect(readSandboxFile(spec, 'stdout')).toBe('');
  expect(readSandboxFile(spec, 'stderr')).toMatch(/agora: cannot mount a volume/);
  await k.destroy();
});

it('never mounts through a symlink the sandbox holds (the mount would land outside it)', async () => {
  const host = tempSandbox();
  const outside = tempSandbox();
  const spec = shellSpec('echo never', { volumes: [{ hostPath: host, containerPath: 'link/data', readOnly: false }] });
  fs.symlinkSync(outside, path.join(spec.sandboxDir, 'link'));
  const k = await c.launch(spec);
  expect(await k.wait()).toMatchObject({ reason: 'LAUNCH_FAILED' });
  expect(readSandboxFile(spec, 'stderr')).toMatch(/agora: cannot mount a volume: .* is a symlink/);
  expect(fs.readdirSync(outside)).toEqual([]);
  await k.destroy();
});
