/** The v1 writers and readers against a fake tree shaped like this host (cpu and cpuacct separate). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directoryCgroupFs } from './cgroup-fs';
import { detectCgroups, openCgroup } from './detect';

let mount: string;
const write = (rel: string, text: string): void => fs.writeFileSync(path.join(mount, rel), text);
const read = (rel: string): string => fs.readFileSync(path.join(mount, rel), 'utf8');

beforeEach(() => {
  mount = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cgroup1-'));
  for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'freezer']) {
    fs.mkdirSync(path.join(mount, c));
    write(`${c}/cgroup.procs`, '');
  }
});
afterEach(() => fs.rmSync(mount, { recursive: true, force: true }));

it('names the missing hierarchies when v1 is incomplete', () => {
  fs.rmSync(path.join(mount, 'freezer'), { recursive: true });
  expect(detectCgroups(mount, directoryCgroupFs)).toEqual({
    ok: false,
    reason: expect.stringContaining('missing: freezer'),
  });
});

it('creates one directory per hierarchy with shares, quota, memory(+swap) and pids limits', () => {
  const host = detectCgroups(mount, directoryCgroupFs);
  if (!host.ok) throw new Error(host.reason);
  const cg = openCgroup(host, 'agora/a/t');
  fs.mkdirSync(path.join(mount, 'memory/agora/a/t'), { recursive: true });
  write('memory/agora/a/t/memory.memsw.limit_in_bytes', '9223372036854771712');
  cg.create({ cpus: 1.5, cpuHardCap: true, memLimitBytes: 128 << 20, pidsMax: 64 });
  expect(read('cpu/agora/a/t/cpu.shares')).toBe('1536');
  expect(read('cpu/agora/a/t/cpu.cfs_quota_us')).toBe('150000');
  expect(read('cpu/agora/a/t/cpu.cfs_period_us')).toBe('100000');
  expect(read('memory/agora/a/t/memory.limit_in_bytes')).toBe(String(128 << 20));
  expect(read('memory/agora/a/t/memory.memsw.limit_in_bytes')).toBe(String(128 << 20));
  expect(read('pids/agora/a/t/pids.max')).toBe('64');
  expect(cg.procsFiles).toHaveLength(5);
});

it('reads cpu times in ns, memory, peak, cap and oom_kill', () => {
  const host = detectCgroups(mount, directoryCgroupFs);
  if (!host.ok) throw new Error(host.reason);
  const cg = openCgroup(host, 't');
  cg.create({ cpus: 0.5, cpuHardCap: true, memLimitBytes: 32 << 20, pidsMax: 8 });
  write('cpuacct/t/cpuacct.usage_user', '1500000000');
  write('cpuacct/t/cpuacct.usage_sys', '500000000');
  write('memory/t/memory.usage_in_bytes', '4096');
  write('memory/t/memory.max_usage_in_bytes', '8192');
  write('memory/t/memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  expect(cg.stats()).toEqual({
    cpuUserSeconds: 1.5,
    cpuSystemSeconds: 0.5,
    memBytes: 4096,
    memPeakBytes: 8192,
    memLimitBytes: 32 << 20,
    cpusLimit: 0.5,
    oomKills: 2,
  });
});

it('falls back to cpuacct.stat ticks on kernels without usage_user', () => {
  const host = detectCgroups(mount, directoryCgroupFs);
  if (!host.ok) throw new Error(host.reason);
  const cg = openCgroup(host, 't');
  cg.create({ cpus: 1, cpuHardCap: false, memLimitBytes: 1 << 20, pidsMax: 8 });
  write('cpuacct/t/cpuacct.stat', 'user 250\nsystem 50\n');
  expect(cg.stats()).toMatchObject({ cpuUserSeconds: 2.5, cpuSystemSeconds: 0.5, cpusLimit: undefined });
});
