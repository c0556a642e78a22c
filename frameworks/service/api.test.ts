import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, createLogger, FakeClock, type TaskInfoInput } from 'agora/sdk';
import { ServiceRequestSchema } from 'agora/sdk/service';
import { handleServiceRequest } from './api';
import { offer } from './core/fixtures';
import { ServiceFramework, type DriverPort } from './service';
import { ServiceStore } from './store';

const driver: DriverPort & { launched: TaskInfoInput[]; refuse?: boolean } = {
  launched: [],
  async launch(_o, tasks) {
    if (driver.refuse) throw new ApiError('INVALID', 'no');
    driver.launched.push(...tasks);
  },
  async decline() {},
  async kill() {},
  async reconcile() {},
  async revive() {},
};

describe('service API handlers', () => {
  let dir: string;
  let store: ServiceStore;
  let fw: ServiceFramework;
  let clock: FakeClock;
  const call = (body: unknown) => handleServiceRequest(fw, ServiceRequestSchema.parse(body)) as Record<string, any>;
  const code = (body: unknown) => {
    try {
      call(body);
      return 'ok';
    } catch (e) {
      return (e as ApiError).code;
    }
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agora-service-api-'));
    store = ServiceStore.open(dir);
    clock = new FakeClock();
    fw = new ServiceFramework(store, clock, createLogger('t', { level: 'silent' }));
    await fw.registered(driver);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an invalid app naming every field, and nothing is applied', () => {
    try {
      call({ type: 'deploy', app: { id: 'x', instances: 'many', constraints: [['hostname', 'NEAR']] } });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe('INVALID');
      expect((e as ApiError).message).toMatch(/id: .*instances: .*constraints\[0\]\.operator: /);
      expect((e as ApiError).field).toBe('id');
    }
    expect(call({ type: 'list' }).apps).toEqual([]);
  });

  it('answers each call: deploy, list, show, scale, conflict, deployments, cancel, endpoints, not found', async () => {
    const d = call({ type: 'deploy', app: { id: '/a', cmd: 'x', instances: 1 } });
    expect(d).toMatchObject({ version: 1, unchanged: false });
    expect(call({ type: 'list' }).apps).toEqual([
      expect.objectContaining({ id: '/a', instances: 1, ready: 0, deploymentId: d.deploymentId }),
    ]);
    expect(code({ type: 'scale', appId: '/a', instances: 3 })).toBe('CONFLICT');
    const s = call({ type: 'scale', appId: '/a', instances: 3, force: true });
    expect(call({ type: 'deployments' }).deployments.map((x: { id: string }) => x.id)).toEqual([s.deploymentId]);
    expect(call({ type: 'deployments', all: true }).deployments.map((x: { state: string }) => x.state)).toEqual([
      'RUNNING',
      'CANCELLED',
    ]);
    expect(call({ type: 'show', appId: '/a' }).app).toMatchObject({
      instances: 3,
      definition: { cmd: 'x' },
      deployment: { kind: 'scale', target: 3 },
    });
    expect(call({ type: 'endpoints' }).endpoints).toEqual([{ appId: '/a', portCount: 0, endpoints: [] }]);
    expect(code({ type: 'show', appId: '/nope' })).toBe('NOT_FOUND');
    expect(code({ type: 'deployment', deploymentId: 'd-nope' })).toBe('NOT_FOUND');
    expect(call({ type: 'cancel', deploymentId: s.deploymentId })).toMatchObject({
      deploymentId: s.deploymentId,
      rollbackDeploymentId: expect.any(String),
    });
    expect(call({ type: 'show', appId: '/a' }).app.instances).toBe(1);
    expect(code({ type: 'cancel', deploymentId: s.deploymentId })).toBe('CONFLICT');
    expect(call({ type: 'remove', appId: '/a' }).deploymentId).toMatch(/^d-/);
  });

  it('a launch the master refuses backs the app off instead of retrying at once', async () => {
    call({ type: 'deploy', app: { id: '/a', cmd: 'x', instances: 1, backoff: { backoffSeconds: 5 } } });
    driver.refuse = true;
    await fw.resourceOffers([offer('h1')]);
    driver.refuse = false;
    expect(fw.instances.size).toBe(0);
    await fw.resourceOffers([offer('h1')]);
    expect(driver.launched.length).toBe(0);
    expect(call({ type: 'show', appId: '/a' }).app.delayedUntil).toBe(clock.now() + 5000);
    clock.advance(5000);
    await fw.resourceOffers([offer('h1')]);
    expect(driver.launched.length).toBe(1);
  });
});
