import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directoryCgroupFs } from '../cgroups/cgroup-fs';
import { openCgroup } from '../cgroups/detect';
import type { V1Mounts } from '../cgroups/v1/cgroup-v1';
import { PlannedCgroupFs } from './planned-cgroup';

it('records the making of a v1 task cgroup, answering reads from the nearest existing ancestor', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-plan-'));
  const mounts = Object.fromEntries(
    ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'].map((c) => [c, path.join(root, c)]),
  ) as V1Mounts;
  for (const m of Object.values(mounts)) fs.mkdirSync(m);
  fs.writeFileSync(path.join(mounts.memory, 'memory.memsw.limit_in_bytes'), 'max'); // swap accounting is on
  const real = openCgroup({ ok: true, version: 1, mounts, fs: directoryCgroupFs }, 'agora/a1/t1');
  const planned = new PlannedCgroupFs(
    directoryCgroupFs,
    real.procsFiles.map((f) => path.dirname(f)),
  );
  openCgroup({ ok: true, version: 1, mounts, fs: planned }, 'agora/a1/t1').create({
    cpus: 0.5,
    cpuHardCap: false,
    memLimitBytes: 64 << 20,
    pidsMax: 100,
  });
  expect(planned.ops).toEqual([
    ...['cpu', 'cpuacct', 'memory', 'pids', 'freezer'].map((c) => ['m', `${root}/${c}/agora/a1/t1`]),
    ['w', `${root}/cpu/agora/a1/t1/cpu.shares`, '512'],
    ['w', `${root}/memory/agora/a1/t1/memory.limit_in_bytes`, String(64 << 20)],
    ['w', `${root}/memory/agora/a1/t1/memory.memsw.limit_in_bytes`, String(64 << 20)],
    ['w', `${root}/pids/agora/a1/t1/pids.max`, '100'],
  ]);
  expect(fs.existsSync(path.join(mounts.cpu, 'agora'))).toBe(false); // nothing made yet
  fs.rmSync(root, { recursive: true });
});
