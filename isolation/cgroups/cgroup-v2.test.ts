/** The v2 code against a fake cgroupfs: a temp directory holding the files the kernel would show. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { directoryCgroupFs } from './cgroup-fs';
import { detectCgroups, openCgroup } from './detect';
import { weightFor } from './v2/cpu';

let mount: string;
const write = (rel: string, text: string): void => fs.writeFileSync(path.join(mount, rel), text);
const read = (rel: string): string => fs.readFileSync(path.join(mount, rel), 'utf8');

beforeEach(() => {
  mount = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cgroup2-'));
  write('cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma misc\n');
  write('cgroup.subtree_control', '');
});
afterEach(() => fs.rmSync(mount, { recursive: true, force: true }));

function v2() {
  const host = detectCgroups(mount, directoryCgroupFs);
  if (!host.ok || host.version !== 2) throw new Error(`expected v2, got ${JSON.stringify(host)}`);
  return host;
}

it('detects a unified hierarchy by cgroup.controllers at the mount root', () => {
  expect(v2().version).toBe(2);
});

it('refuses a v2 hierarchy without the cpu, memory and pids controllers', () => {
  write('cgroup.controllers', 'cpuset io\n');
  expect(detectCgroups(mount, directoryCgroupFs)).toEqual({
    ok: false,
    reason: expect.stringContaining('cpu, memory, pids'),
  });
});

it('enables controllers down the path and writes weight, cpu.max, memory.max, swap and pids', () => {
  const host = v2();
  fs.mkdirSync(path.join(mount, 'agora'));
  write('agora/cgroup.controllers', 'cpu memory pids\n');
  fs.mkdirSync(path.join(mount, 'agora/agent-1'));
  write('agora/agent-1/cgroup.controllers', 'cpu memory pids\n');
  const cg = openCgroup(host, 'agora/agent-1/task-7');
  cg.create({ cpus: 0.5, cpuHardCap: true, memLimitBytes: 64 << 20, pidsMax: 100 });
  expect(read('cgroup.subtree_control')).toBe('+cpu +memory +pids');
  expect(read('agora/cgroup.subtree_control')).toBe('+cpu +memory +pids');
  expect(read('agora/agent-1/cgroup.subtree_control')).toBe('+cpu +memory +pids');
  expect(read('agora/agent-1/task-7/cpu.weight')).toBe(String(weightFor(0.5)));
  expect(read('agora/agent-1/task-7/cpu.max')).toBe('50000 100000');
  expect(read('agora/agent-1/task-7/memory.max')).toBe(String(64 << 20));
  expect(read('agora/agent-1/task-7/pids.max')).toBe('100');
  expect(cg.procsFiles).toEqual([path.join(mount, 'agora/agent-1/task-7/cgroup.procs')]);
});

it('fails clearly when an ancestor lacks a controller', () => {
  fs.mkdirSync(path.join(mount, 'agora'));
  write('agora/cgroup.controllers', 'cpu\n');
  const cg = openCgroup(v2(), 'agora/task-1');
  expect(() => cg.create({ cpus: 1, cpuHardCap: false, memLimitBytes: 1 << 20, pidsMax: 10 })).toThrow(
    /controllers not available in .*agora: memory, pids/,
  );
});

it('maps shares to weights as runc does', () => {
  expect(weightFor(1)).toBe(39);
  expect(weightFor(0.001)).toBe(1);
  expect(weightFor(256)).toBe(10_000);
});

it('reads usage, peak, limit, cap and OOM kills; kills through cgroup.kill; removes the cgroup', async () => {
  const host = v2();
  const cg = openCgroup(host, 'task-1');
  cg.create({ cpus: 2, cpuHardCap: false, memLimitBytes: 32 << 20, pidsMax: 10 });
  write('task-1/cpu.stat', 'usage_usec 3500000\nuser_usec 2500000\nsystem_usec 1000000\n');
  write('task-1/memory.current', '1048576\n');
  write('task-1/memory.peak', '33554432\n');
  write('task-1/memory.events', 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n');
  write('task-1/cgroup.procs', '101\n102\n');
  expect(cg.stats()).toEqual({
    cpuUserSeconds: 2.5,
    cpuSystemSeconds: 1,
    memBytes: 1 << 20,
    memPeakBytes: 32 << 20,
    memLimitBytes: 32 << 20,
    cpusLimit: undefined,
    oomKills: 1,
  });
  expect(cg.pids()).toEqual([101, 102]);
  expect(cg.killAll()).toBe(false); // no cgroup.kill file: an older kernel
  write('task-1/cgroup.kill', '');
  expect(cg.killAll()).toBe(true);
  expect(read('task-1/cgroup.kill')).toBe('1');
  write('task-1/cgroup.events', 'populated 1\nfrozen 1\n');
  await cg.freeze();
  expect(read('task-1/cgroup.freeze')).toBe('1');
  cg.thaw();
  expect(read('task-1/cgroup.freeze')).toBe('0');
  await cg.destroy();
  expect(cg.exists()).toBe(false);
  await cg.destroy();
});

it("lists an agent cgroup's task cgroups, and re-enables controllers for a path made again after removal", async () => {
  const host = v2();
  fs.mkdirSync(path.join(mount, 'agora'));
  write('agora/cgroup.controllers', 'cpu memory pids\n');
  fs.mkdirSync(path.join(mount, 'agora/agent-1'));
  write('agora/agent-1/cgroup.controllers', 'cpu memory pids\n');
  const limits = { cpus: 0.5, cpuHardCap: false, memLimitBytes: 64 << 20, pidsMax: 100 };
  openCgroup(host, 'agora/agent-1/t2').create(limits);
  openCgroup(host, 'agora/agent-1/t1').create(limits);
  const agent = openCgroup(host, 'agora/agent-1');
  expect(agent.children()).toEqual(['t1', 't2']);
  await openCgroup(host, 'agora/agent-1/t1').destroy();
  await openCgroup(host, 'agora/agent-1/t2').destroy();
  await agent.destroy();
  expect(fs.existsSync(path.join(mount, 'agora/agent-1'))).toBe(false);
  expect(agent.children()).toEqual([]);
  fs.mkdirSync(path.join(mount, 'agora/agent-1'));
  write('agora/agent-1/cgroup.controllers', 'cpu memory pids\n');
  openCgroup(host, 'agora/agent-1/t3').create(limits);
  expect(read('agora/agent-1/cgroup.subtree_control')).toBe('+cpu +memory +pids');
});
