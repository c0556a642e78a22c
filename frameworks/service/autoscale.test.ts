/**
 * The autoscaler's shell against a fake driver and a fake clock: usage reports in, a scale deployment out
 * (with its reason), a manual scale refused, and a redeploy keeping the reached count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, FakeClock, ApiError, type TaskInfoInput, type TaskStatus } from 'agora/sdk';
import { autoscaleStep } from './autoscale';
import { offer } from './core/fixtures';
import { ServiceFramework, type DriverPort } from './service';
import { ServiceStore } from './store';
import { appDetail } from './views';

class FakeDriver implements DriverPort {
  launched: TaskInfoInput[] = [];
  async launch(_o: string[], tasks: TaskInfoInput[]) {
    this.launched.push(...tasks);
  }
  async decline() {}
  async kill() {}
  async reconcile() {}
  async revive() {}
}
const log = createLogger('test', { level: 'silent' });
const running = (taskId: string): TaskStatus =>
  ({ taskId, frameworkId: 'fw', state: 'TASK_RUNNING', source: 'AGENT', timestamp: 0 }) as TaskStatus;
const def = {
  id: '/web',
  cmd: 'serve',
  instances: 1,
  cpus: 0.5,
  mem: 64,
  autoscale: { min: 1, max: 4, target: 0.5, stabilizationSeconds: 30 },
};

describe('autoscaler shell', () => {
  let dir: string;
  let store: ServiceStore;
  let clock: FakeClock;
  let fw: ServiceFramework;
  let driver: FakeDriver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-autoscale-'));
    store = ServiceStore.open(dir);
    clock = new FakeClock();
    driver = new FakeDriver();
    fw = new ServiceFramework(store, clock, log);
    await fw.registered(driver);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every running instance reports `cpuSeconds` more CPU time than `at` seconds ago (an agent's cumulative figures). */
  const report = (cpuSeconds: number, at: number) =>
    [...fw.instances.values()].map((i) => ({
      taskId: i.taskId,
      usage: { cpuUserSeconds: cpuSeconds, cpuSystemSeconds: 0, memBytes: 0, memPeakBytes: 0, timestamp: at * 1000 },
    }));

  it('scales a busy app up with a scale deployment that says why, and refuses a manual scale', async () => {
    fw.deploy(def);
    await fw.resourceOffers([offer('h1')]);
    for (const t of driver.launched.splice(0)) await fw.statusUpdate(running(t.taskId));
    fw.tick();
    autoscaleStep(fw, report(0, 0), clock.now(), log);
    expect(appDetail(fw, fw.apps.get('/web')!).autoscale?.status).toBe(
      'waiting: no usage measured yet from ready instances',
    );
    clock.advance(10_000);
    autoscaleStep(fw, report(4.5, 10), clock.now(), log); // 0.45 CPU of 0.5 → share 0.9, 1.8 × target
    const detail = appDetail(fw, fw.apps.get('/web')!);
    expect(detail.instances).toBe(2);
    expect(detail.autoscale).toMatchObject({
      usage: 0.9,
      measured: 1,
      lastDecision: { from: 1, to: 2, message: 'scaled 1 → 2: cpu 0.9 of 0.5 target (1 instance measured)' },
    });
    expect(detail.deployment).toMatchObject({
      kind: 'scale',
      toInstances: 2,
      message: 'autoscaler: scaled 1 → 2: cpu 0.9 of 0.5 target (1 instance measured)',
    });
    expect(() => fw.scale('/web', 3)).toThrow(ApiError);
    expect(() => fw.scale('/web', 3)).toThrow(/is autoscaled \(min 1, max 4, cpu target 0.5\)/);
    // A redeploy (new command) keeps the autoscaler's count rather than the file's `instances: 1`.
    fw.deploy({ ...def, cmd: 'serve --v2' }, true);
    expect(fw.apps.get('/web')!.def.instances).toBe(2);
  });
});
