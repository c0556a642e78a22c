/**
 * The shell against a fake driver and a fake clock: the whole loop (deploy → offers → launch → status →
 * deployment done), crash backoff, a rolling upgrade's capacity floor, and a restart from the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentIdSchema, createLogger, FakeClock, type TaskInfoInput, type TaskStatus } from 'agora/sdk';
import { offer, rack } from './core/fixtures';
import { isReady } from './core/types';
import { ServiceFramework, type DriverPort } from './service';
import { ServiceStore } from './store';
import { appSummary, endpointsOf, instanceView, listDeployments } from './views';

class FakeDriver implements DriverPort {
  launched: TaskInfoInput[] = [];
  killed: string[] = [];
  declined: string[] = [];
  reconciled: { taskId: string }[][] = [];
  revives = 0;
  async launch(_o: string[], tasks: TaskInfoInput[]) {
    this.launched.push(...tasks);
  }
  async decline(ids: string[]) {
    this.declined.push(...ids);
  }
  async kill(taskId: string) {
    this.killed.push(taskId);
  }
  async reconcile(tasks: { taskId: string }[] = []) {
    this.reconciled.push(tasks);
  }
  async revive() {
    this.revives++;
  }
}

const log = createLogger('test', { level: 'silent' });
const status = (taskId: string, state: TaskStatus['state'], over: Partial<TaskStatus> = {}): TaskStatus =>
  ({ taskId, frameworkId: 'fw', state, source: 'AGENT', timestamp: 0, ...over }) as TaskStatus;
const hosts = () => ['h1', 'h2', 'h3'].map((h, k) => offer(h, { attributes: rack(`r${k + 1}`) }));

describe('service framework shell', () => {
  let dir: string;
  let store: ServiceStore;
  let clock: FakeClock;
  let fw: ServiceFramework;
  let driver: FakeDriver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-service-'));
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

  /** Reports every launched-but-unreported task as running (and healthy), every kill as killed. */
  async function agentsReport(healthy = true) {
    for (const t of driver.launched.splice(0)) await fw.statusUpdate(status(t.taskId, 'TASK_RUNNING', { healthy }));
    for (const id of driver.killed.splice(0)) await fw.statusUpdate(status(id, 'TASK_KILLED'));
  }

  it('deploys, places by constraint, says why the rest wait, and serves endpoints', async () => {
    const r = fw.deploy({
      id: '/shop/cart',
      cmd: 'serve',
      instances: 5,
      ports: [0],
      constraints: [['hostname', 'UNIQUE']],
    });
    expect(r).toMatchObject({ version: 1, unchanged: false });
    expect(fw.waiting.get('/shop/cart')).toBe('waiting: no offers');
    await fw.resourceOffers(hosts());
    expect(driver.launched.map((t) => t.agentId).sort()).toEqual(['agent-h1', 'agent-h2', 'agent-h3']);
    expect(driver.launched[0].command).toMatchObject({ env: { PORT0: '31000', AGORA_APP_ID: '/shop/cart' } });
    expect(fw.waiting.get('/shop/cart')).toBe('waiting: 3 offers violated UNIQUE hostname');
    await agentsReport();
    const summary = appSummary(fw, fw.apps.get('/shop/cart')!);
    expect(summary).toMatchObject({ running: 3, ready: 3, waiting: 'waiting: 3 offers violated UNIQUE hostname' });
    expect(
      endpointsOf(fw, '/shop/cart')
        .map((e) => `${e.host}:${e.ports[0]}`)
        .sort(),
    ).toEqual(['h1:31000', 'h2:31000', 'h3:31000']);
    expect(
      fw.deploy({ id: '/shop/cart', cmd: 'serve', instances: 5, ports: [0], constraints: [['hostname', 'UNIQUE']] })
        .unchanged,
    ).toBe(true);
  });

  it('refuses an invalid definition whole, naming every field', () => {
    expect(() => fw.deploy({ id: 'bad', instances: -2 })).toThrow(/id: .*; instances: /);
    expect(fw.apps.size).toBe(0);
  });

  it('replaces a failed instance after the configured backoff, growing per failure', async () => {
    fw.deploy({
      id: '/crash',
      cmd: 'exit 1',
      instances: 1,
      backoff: { backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 5 },
    });
    const gaps: number[] = [];
    let last = clock.now();
    for (let k = 0; k < 4; k++) {
      while (driver.launched.length === 0) {
        clock.advance(100);
        fw.tick();
        await fw.resourceOffers([offer('h1')]);
      }
      gaps.push(clock.now() - last);
      last = clock.now();
      const t = driver.launched.splice(0)[0];
      await fw.statusUpdate(status(t.taskId, 'TASK_RUNNING'));
      await fw.statusUpdate(status(t.taskId, 'TASK_FAILED', { exitCode: 1 }));
      await fw.statusUpdate(status(t.taskId, 'TASK_FAILED', { exitCode: 1 })); // a duplicate changes nothing
    }
    expect(gaps.slice(1)).toEqual([2000, 4000, 5000]);
    expect(fw.apps.get('/crash')!.backoff.failures).toBe(4);
  });

  it('rolls 6 instances to a new version never below 3 ready (minimumHealthCapacity 0.5)', async () => {
    const def = {
      id: '/web',
      cmd: 'serve v1',
      instances: 6,
      cpus: 0.1,
      mem: 32,
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    };
    fw.deploy(def);
    await fw.resourceOffers(hosts());
    await agentsReport();
    const ready = () => [...fw.instances.values()].filter(isReady).length;
    expect(ready()).toBe(6);
    const { deploymentId } = fw.deploy({ ...def, cmd: 'serve v2' });
    let minSeen = ready();
    for (let step = 0; step < 20 && fw.deployments.get(deploymentId!)!.state === 'RUNNING'; step++) {
      minSeen = Math.min(minSeen, ready());
      for (const id of driver.killed.splice(0)) {
        await fw.statusUpdate(status(id, 'TASK_KILLED'));
        minSeen = Math.min(minSeen, ready());
      }
      await fw.resourceOffers(hosts());
      for (const t of driver.launched.splice(0)) await fw.statusUpdate(status(t.taskId, 'TASK_RUNNING'));
    }
    expect(minSeen).toBe(3);
    expect(fw.deployments.get(deploymentId!)!.state).toBe('SUCCEEDED');
    expect([...fw.instances.values()].map((i) => i.version)).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('restarted from its store, reconciles and continues a deployment without touching ready instances', async () => {
    const def = { id: '/web', cmd: 'serve v1', instances: 2, cpus: 0.1, mem: 32 };
    fw.deploy(def);
    await fw.resourceOffers(hosts());
    await agentsReport();
    const v1 = [...fw.instances.keys()];
    const { deploymentId } = fw.deploy({ ...def, cmd: 'serve v2' });
    await fw.resourceOffers(hosts()); // 2 new instances launched (over-capacity 1 by default), not yet running
    expect(driver.launched.length).toBe(2);
    const staged = driver.launched.splice(0);

    // "crash": a new framework from the same store
    const driver2 = new FakeDriver();
    const fw2 = new ServiceFramework(store, clock, log);
    await fw2.registered(driver2);
    expect(driver2.reconciled[0].map((t) => t.taskId).sort()).toEqual([...v1, ...staged.map((t) => t.taskId)].sort());
    expect(driver2.reconciled[1]).toEqual([]); // then implicit
    expect(driver2.killed).toEqual([]);
    expect(driver2.launched).toEqual([]);
    expect(listDeployments(fw2, {})[0]).toMatchObject({ id: deploymentId, state: 'RUNNING' });
    for (const t of staged) await fw2.statusUpdate(status(t.taskId, 'TASK_RUNNING'));
    expect(driver2.killed.sort()).toEqual([...v1].sort());
    for (const id of driver2.killed.splice(0)) await fw2.statusUpdate(status(id, 'TASK_KILLED'));
    expect(fw2.deployments.get(deploymentId!)!.state).toBe('SUCCEEDED');
  });

  it('kills a running task no instance owns; forgets a staged instance the master never saw', async () => {
    await fw.statusUpdate(status('stray.1', 'TASK_RUNNING', { agentId: AgentIdSchema.parse('a1') }));
    expect(driver.killed).toEqual(['stray.1']);
    fw.deploy({ id: '/one', cmd: 'x', instances: 1 });
    await fw.resourceOffers([offer('h1')]);
    const t = driver.launched.splice(0)[0];
    await fw.statusUpdate(status(t.taskId, 'TASK_UNKNOWN'));
    expect(fw.apps.get('/one')!.backoff.failures).toBe(0);
    await fw.resourceOffers([offer('h1')]);
    expect(driver.launched.length).toBe(1);
  });

  it('replaces unhealthy instances within the kill budget, and the kill counts toward the backoff', async () => {
    fw.deploy({
      id: '/hc',
      cmd: 'serve',
      instances: 4,
      cpus: 0.1,
      mem: 32,
      ports: [0],
      healthChecks: [{ type: 'TCP' }],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 },
      backoff: { backoffSeconds: 3 },
    });
    await fw.resourceOffers(hosts());
    const tasks = driver.launched.splice(0).map((t) => t.taskId);
    for (const id of tasks) await fw.statusUpdate(status(id, 'TASK_RUNNING', { healthy: true }));
    expect(endpointsOf(fw, '/hc').length).toBe(4);
    for (const id of tasks) await fw.statusUpdate(status(id, 'TASK_RUNNING', { healthy: false }));
    expect(driver.killed.length).toBe(2); // budget: floor((1 − 0.5) × 4)
    for (const id of driver.killed.splice(0)) await fw.statusUpdate(status(id, 'TASK_KILLED'));
    expect(fw.apps.get('/hc')!.backoff.failures).toBe(2);
    await fw.resourceOffers(hosts());
    expect(driver.launched.length).toBe(0); // held by the backoff
    clock.advance(5000);
    await fw.resourceOffers(hosts());
    expect(driver.launched.length).toBe(2);
    expect(driver.killed.length).toBe(0); // still two down: no further health kills yet
  });

  it('an unreachable instance is replaced; when it comes back the extra one goes', async () => {
    fw.deploy({ id: '/u', cmd: 'serve', instances: 2, cpus: 0.1, mem: 32 });
    await fw.resourceOffers(hosts());
    await agentsReport();
    const [first] = [...fw.instances.keys()];
    await fw.statusUpdate(status(first, 'TASK_UNREACHABLE'));
    await fw.resourceOffers(hosts());
    expect(driver.launched.length).toBe(1);
    await agentsReport();
    await fw.statusUpdate(status(first, 'TASK_RUNNING'));
    expect(driver.killed.length).toBe(1);
    await agentsReport();
    expect([...fw.instances.values()].filter(isReady).length).toBe(2);
  });

  it('cancel rolls back; remove kills everything and forgets the app', async () => {
    const def = { id: '/web', cmd: 'serve v1', instances: 2, cpus: 0.1, mem: 32 };
    fw.deploy(def);
    await fw.resourceOffers(hosts());
    await agentsReport();
    const { deploymentId } = fw.deploy({ ...def, cmd: 'serve v2' });
    await fw.resourceOffers(hosts());
    const cancelled = fw.cancel(deploymentId!);
    expect(cancelled.rollbackDeploymentId).toBeDefined();
    expect(fw.apps.get('/web')!.version).toBe(1);
    expect(driver.killed.length).toBe(2); // the two v2 instances, which were never ready
    await agentsReport();
    expect(fw.deployments.get(cancelled.rollbackDeploymentId!)!.state).toBe('SUCCEEDED');
    fw.remove('/web');
    await agentsReport();
    expect(fw.apps.has('/web')).toBe(false);
    expect(fw.instances.size).toBe(0);
  });

  it('drains a ready instance before its kill: out of the ready set (and endpoints) at once, killed after drainSeconds', async () => {
    fw.deploy({ id: '/web', cmd: 'serve', instances: 2, ports: [0], loadBalancer: { port: 10001 }, drainSeconds: 3 });
    await fw.resourceOffers(hosts());
    await agentsReport();
    expect(endpointsOf(fw, '/web')).toHaveLength(2);
    fw.scale('/web', 1);
    const draining = [...fw.instances.values()].filter((i) => i.state === 'KILLING');
    expect(draining).toHaveLength(1);
    expect(draining[0]).toMatchObject({ killReason: 'SCALE', drainUntil: clock.now() + 3000 });
    expect(draining[0].killRequestedAt).toBeUndefined();
    expect(driver.killed).toEqual([]); // still running, no longer routed to
    expect(endpointsOf(fw, '/web')).toHaveLength(1);
    expect(instanceView(draining[0])).toMatchObject({
      ready: false,
      draining: true,
      drainingUntil: clock.now() + 3000,
    });
    clock.advance(2999);
    fw.tick();
    expect(driver.killed).toEqual([]);
    clock.advance(1);
    fw.tick();
    expect(driver.killed).toEqual([draining[0].taskId]);
    expect(instanceView(fw.instances.get(draining[0].instanceId)!)).toMatchObject({
      state: 'KILLING',
      draining: false,
    });
    await agentsReport();
    expect(fw.instances.size).toBe(1);
  });

  it('kills at once what is not ready, or when the app has no drain delay', async () => {
    fw.deploy({ id: '/plain', cmd: 'serve', instances: 2 }); // no load balancer: drainSeconds defaults to 0
    await fw.resourceOffers(hosts());
    await agentsReport();
    fw.scale('/plain', 1);
    expect(driver.killed).toHaveLength(1);
  });
});
