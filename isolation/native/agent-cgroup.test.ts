/** Removing the agent's cgroup on stop, against a fake v1 tree shaped like this host (cpu and cpuacct separate). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '../../sdk/log';
import { directoryCgroupFs } from '../cgroups/cgroup-fs';
import { detectCgroups, openCgroup } from '../cgroups/detect';
import { removeAgentCgroup } from './agent-cgroup';

const CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];
const log = createLogger('test', { level: 'silent' });
let mount: string;

beforeEach(() => {
  mount = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cgroup1-'));
  for (const c of CONTROLLERS) {
    fs.mkdirSync(path.join(mount, c));
    fs.writeFileSync(path.join(mount, c, 'cgroup.procs'), '');
  }
});
afterEach(() => fs.rmSync(mount, { recursive: true, force: true }));

function host() {
  const h = detectCgroups(mount, directoryCgroupFs);
  if (!h.ok) throw new Error(h.reason);
  return h;
}
const limits = { cpus: 0.5, cpuHardCap: false, memLimitBytes: 64 << 20, pidsMax: 64 };
const existing = (rel: string) => CONTROLLERS.filter((c) => fs.existsSync(path.join(mount, c, rel)));
const cleanup = (running: string[] = [], removeParent = true) =>
  removeAgentCgroup(openCgroup(host(), 'agora/a1'), {
    taskCgroup: (name) => openCgroup(host(), `agora/a1/${name}`),
    running: new Set(running),
    removeParent,
    log,
  });

it('removes agora/<agent> from every hierarchy, with task cgroups that hold no process; agora/ stays', async () => {
  openCgroup(host(), 'agora/a1/t1').create(limits);
  openCgroup(host(), 'agora/a2/t9').create(limits);
  expect(existing('agora/a1')).toEqual(CONTROLLERS);
  expect(await cleanup()).toEqual({ kept: [], removedLeftovers: ['t1'], removed: true });
  expect(existing('agora/a1')).toEqual([]);
  expect(existing('agora/a2/t9')).toEqual(CONTROLLERS);
});

it('keeps everything while a task has processes or still runs for the containerizer', async () => {
  openCgroup(host(), 'agora/a1/busy').create(limits);
  openCgroup(host(), 'agora/a1/starting').create(limits);
  openCgroup(host(), 'agora/a1/done').create(limits);
  fs.writeFileSync(path.join(mount, 'freezer/agora/a1/busy/cgroup.procs'), '4242\n');
  expect(await cleanup(['starting'])).toEqual({
    kept: ['busy', 'starting'],
    removedLeftovers: ['done'],
    removed: false,
  });
  expect(existing('agora/a1/busy')).toEqual(CONTROLLERS);
  expect(existing('agora/a1/done')).toEqual([]);
});

it('keeps an operator-chosen root, and does nothing when the agent never made its cgroup', async () => {
  openCgroup(host(), 'agora/a1/t1').create(limits);
  expect(await cleanup([], false)).toEqual({ kept: [], removedLeftovers: ['t1'], removed: false });
  expect(existing('agora/a1')).toEqual(CONTROLLERS);
  fs.rmSync(path.join(mount, 'cpu', 'agora'), { recursive: true });
  for (const c of CONTROLLERS.slice(1)) fs.rmSync(path.join(mount, c, 'agora/a1'), { recursive: true });
  expect(await cleanup()).toEqual({ kept: [], removedLeftovers: [], removed: false });
});
