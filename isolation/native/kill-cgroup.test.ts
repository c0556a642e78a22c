import type { TaskCgroup } from '../cgroups/task-cgroup';
import { killAllNow, waitGone } from './kill-cgroup';

/** A v1-like cgroup (no cgroup.kill) whose task exits — and whose directory is removed — just as the kill freezes it. */
function vanishingCgroup(): TaskCgroup & { thawed: number } {
  let exists = true;
  const cg = {
    path: 'agora/test/vanishing',
    thawed: 0,
    exists: () => exists,
    pids: () => (exists ? [999_999] : []),
    killAll: () => false,
    freeze: async () => {
      exists = false;
      throw Object.assign(new Error('ENOENT: freezer.state'), { code: 'ENOENT' });
    },
    thaw: () => {
      cg.thawed++;
    },
  };
  return cg as unknown as TaskCgroup & { thawed: number };
}

describe('killAllNow', () => {
  it('treats a cgroup that vanished during the freeze as a task already gone', async () => {
    const cg = vanishingCgroup();
    await expect(killAllNow(cg)).resolves.toBeUndefined();
    expect(cg.thawed).toBe(0);
  });

  it('still fails when the freeze fails on a cgroup that is there', async () => {
    const cg = {
      path: 'x',
      exists: () => true,
      pids: () => [999_999],
      killAll: () => false,
      freeze: async () => {
        throw new Error('EACCES');
      },
      thaw: () => undefined,
    } as unknown as TaskCgroup;
    await expect(killAllNow(cg, undefined, 1)).rejects.toThrow(/EACCES/);
  });
});

describe('waitGone', () => {
  it('waits for the init to end rather than polling its cgroup', async () => {
    let running = true;
    let reads = 0;
    const cg = {
      path: 'x',
      exists: () => true,
      pids: () => {
        reads++;
        return running ? [999_998, 999_999] : [];
      },
    } as unknown as TaskCgroup;
    let end!: () => void;
    const exited = new Promise<void>((r) => {
      end = r;
    });
    const init = { pid: 999_998, startTicks: 1, ended: () => !running, exited };
    const gone = waitGone(cg, init, 60_000);
    // Negative window (no reads while it waits on the init): a busy machine can only make it shorter.
    await new Promise((r) => setTimeout(r, 50));
    running = false;
    end();
    await expect(gone).resolves.toBe(true);
    expect(reads).toBe(2); // once before waiting, once after the init ended
  });
});
