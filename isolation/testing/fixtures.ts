/**
 * Test fixtures shared by the isolation tests: temp sandboxes, task specs, and a sweep that removes every
 * cgroup and process a test made. Test cgroups live under `agora-test/…` and test containers carry the
 * label `agora.test=1`, so a global cleanup (`scripts` or a person) can find leftovers of a crashed run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContainerSpec } from '../containerizer';

export const TEST_CGROUP_PREFIX = 'agora-test';
export const TEST_LABEL = 'agora.test';

let seq = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
}

const sandboxes: string[] = [];

/** A fresh sandbox directory; `removeTempSandboxes()` (in afterAll) deletes every one made so far. */
export function tempSandbox(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-sbx-'));
  sandboxes.push(dir);
  return dir;
}

export function removeTempSandboxes(): void {
  for (const dir of sandboxes.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function readSandboxFile(spec: ContainerSpec, name: 'stdout' | 'stderr'): string {
  try {
    return fs.readFileSync(path.join(spec.sandboxDir, name), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** A native-style spec running `value` under sh, with small limits; override anything. */
export function shellSpec(value: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    taskId: uniqueId('task'),
    frameworkId: 'fw-test',
    agentId: 'agent-test',
    sandboxDir: tempSandbox(),
    command: { shell: true, value },
    env: {},
    cpus: 0.5,
    memMb: 64,
    hostPorts: [],
    labels: { [TEST_LABEL]: '1' },
    ...over,
  };
}

const V1_HIERARCHIES = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];

/** Every cgroup directory below `relRoot` in each hierarchy, deepest first. */
function cgroupDirs(relRoot: string, mount = '/sys/fs/cgroup'): string[] {
  const roots = fs.existsSync(path.join(mount, 'cgroup.controllers'))
    ? [path.join(mount, relRoot)]
    : V1_HIERARCHIES.map((h) => path.join(mount, h, relRoot));
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    out.push(d);
  };
  roots.forEach(walk);
  return out;
}

/** Pids found in any cgroup below `relRoot`. */
export function processesUnder(relRoot: string): number[] {
  const pids = new Set<number>();
  for (const d of cgroupDirs(relRoot)) {
    const text = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8');
    text
      .split('\n')
      .filter(Boolean)
      .forEach((p) => pids.add(Number(p)));
  }
  return [...pids];
}

export function cgroupsUnder(relRoot: string): string[] {
  return cgroupDirs(relRoot);
}

/** SIGKILLs everything below `relRoot` (thawing frozen cgroups) and removes the cgroups. For afterAll. */
export async function sweepCgroups(relRoot: string): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = processesUnder(relRoot);
    for (const d of cgroupDirs(relRoot)) {
      const freezer = path.join(d, 'freezer.state');
      if (fs.existsSync(freezer)) fs.writeFileSync(freezer, 'THAWED');
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    if (pids.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const d of cgroupDirs(relRoot)) fs.rmdirSync(d);
}

export const TEST_IMAGE = 'agora-busybox:latest';

/**
 * A Docker spec of the busybox test image running `value` under sh. The image's user is root, which a task
 * naming no user may use only when granted: these containerizer tests grant it unless `over` says otherwise
 * (the agent gives every task a uid of its own; see docker-isolation.it.test.ts for the refusal).
 */
export function dockerSpec(
  value: string,
  over: Partial<ContainerSpec> = {},
  docker: Partial<NonNullable<ContainerSpec['docker']>> = {},
): ContainerSpec {
  return shellSpec(value, {
    rootAllowed: true,
    ...over,
    docker: {
      image: TEST_IMAGE,
      pullPolicy: 'never',
      portMappings: [],
      network: 'bridge',
      readOnlyRootfs: false,
      ...docker,
    },
  });
}
