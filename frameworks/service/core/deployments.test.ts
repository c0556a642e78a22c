import { ApiError } from 'agora/sdk';
import { type AppDefinition } from 'agora/sdk/service';
import { def } from './fixtures';
import {
  activeDeployment,
  deploy,
  observe,
  remove,
  restart,
  rollBack,
  type Change,
  type ServiceState,
} from './deployments';
import type { App, Deployment } from './types';

/** Applies a change the way the shell does, to a mutable copy. */
function apply(
  state: {
    apps: Map<string, App>;
    versions: Map<string, Map<number, AppDefinition>>;
    deployments: Map<string, Deployment>;
  },
  c: Change,
) {
  if (c.app) state.apps.set(c.app.def.id, c.app);
  if (c.newVersion) {
    const m = state.versions.get(c.newVersion.appId) ?? new Map();
    m.set(c.newVersion.version, c.newVersion.def);
    state.versions.set(c.newVersion.appId, m);
  }
  for (const d of c.deployments) state.deployments.set(d.id, d);
}
const empty = () => ({
  apps: new Map<string, App>(),
  versions: new Map<string, Map<number, AppDefinition>>(),
  deployments: new Map<string, Deployment>(),
});
const opts = (depId: string, now = 1000, force = false) => ({ depId, now, force });

describe('deployments', () => {
  it('deploy creates version 1; scaling keeps the version; a config change makes a new one', () => {
    const s = empty();
    apply(s, deploy(s, def({ instances: 3 }), opts('d1')));
    expect(s.apps.get('/shop/cart')?.version).toBe(1);
    expect(s.deployments.get('d1')).toMatchObject({
      kind: 'deploy',
      state: 'RUNNING',
      toVersion: 1,
      fromInstances: 0,
      toInstances: 3,
    });
    s.deployments.set('d1', { ...s.deployments.get('d1')!, state: 'SUCCEEDED' });
    expect(deploy(s, def({ instances: 3 }), opts('dx')).unchanged).toBe(true);
    apply(s, deploy(s, def({ instances: 5 }), opts('d2')));
    expect(s.deployments.get('d2')).toMatchObject({ kind: 'scale', fromVersion: 1, toVersion: 1, toInstances: 5 });
    s.deployments.set('d2', { ...s.deployments.get('d2')!, state: 'SUCCEEDED' });
    apply(s, deploy(s, def({ instances: 5, mem: 256 }), opts('d3')));
    expect(s.apps.get('/shop/cart')?.version).toBe(2);
  });

  it('refuses a second deployment while one runs, unless forced', () => {
    const s = empty();
    apply(s, deploy(s, def(), opts('d1')));
    expect(() => deploy(s, def({ mem: 512 }), opts('d2'))).toThrow(ApiError);
    apply(s, deploy(s, def({ mem: 512 }), opts('d2', 2000, true)));
    expect(s.deployments.get('d1')).toMatchObject({ state: 'CANCELLED', message: 'superseded by d2' });
    expect(activeDeployment(s, '/shop/cart')?.id).toBe('d2');
  });

  it('restart makes a new version of the same definition', () => {
    const s = empty();
    apply(s, deploy(s, def(), opts('d1')));
    s.deployments.set('d1', { ...s.deployments.get('d1')!, state: 'SUCCEEDED' });
    apply(s, restart(s, '/shop/cart', opts('d2')));
    expect(s.apps.get('/shop/cart')?.version).toBe(2);
    expect(s.versions.get('/shop/cart')?.get(2)).toEqual(s.versions.get('/shop/cart')?.get(1));
  });

  it('cancel rolls back to the previous version and count, reusing that version', () => {
    const s = empty();
    apply(s, deploy(s, def({ instances: 2 }), opts('d1')));
    s.deployments.set('d1', { ...s.deployments.get('d1')!, state: 'SUCCEEDED' });
    apply(s, deploy(s, def({ instances: 4, mem: 256 }), opts('d2')));
    apply(s, rollBack(s, 'd2', { now: 3000, newDepId: 'd3', outcome: 'CANCELLED' }));
    expect(s.deployments.get('d2')?.state).toBe('CANCELLED');
    expect(s.deployments.get('d3')).toMatchObject({ kind: 'rollback', rollbackOf: 'd2', toVersion: 1, toInstances: 2 });
    expect(s.apps.get('/shop/cart')).toMatchObject({ version: 1, def: { instances: 2, mem: 128 } });
    expect(() => rollBack(s, 'd2', { now: 3000, newDepId: 'd4', outcome: 'CANCELLED' })).toThrow(/not running/);
    expect(() => rollBack(s, 'nope', { now: 3000, newDepId: 'd4', outcome: 'CANCELLED' })).toThrow(/no deployment/);
  });

  it('cancelling a first deployment removes the app; a failed first deployment keeps it', () => {
    const s = empty();
    apply(s, deploy(s, def(), opts('d1')));
    const failed = rollBack(s, 'd1', { now: 2, newDepId: 'x', outcome: 'FAILED', message: 'deadline' });
    expect(failed.app).toBeUndefined();
    expect(failed.deployments[0].message).toMatch(/no previous version/);
    apply(s, rollBack(s, 'd1', { now: 2, newDepId: 'd2', outcome: 'CANCELLED' }));
    expect(s.apps.get('/shop/cart')?.removing).toBe(true);
    expect(s.deployments.get('d2')).toMatchObject({ kind: 'remove', toInstances: 0 });
  });

  it('remove supersedes the running deployment', () => {
    const s = empty();
    apply(s, deploy(s, def(), opts('d1')));
    apply(s, remove(s, '/shop/cart', { now: 5, depId: 'd2' }));
    expect(s.deployments.get('d1')?.state).toBe('CANCELLED');
    expect(() => remove(s, '/shop/cart', { now: 6, depId: 'd3' })).toThrow(/already being removed/);
    expect(() => deploy(s, def(), opts('d4'))).toThrow(/being removed/);
  });

  it('observe: success, progress, deadline (rollback or pause), resume after pause', () => {
    const s = empty();
    apply(s, deploy(s, def({ instances: 3, deployment: { progressDeadlineSeconds: 10 } }), opts('d1', 0)));
    const d = s.deployments.get('d1')!;
    const d2 = def({ instances: 3, deployment: { progressDeadlineSeconds: 10 } });
    const step1 = observe(d, { ready: 1, old: 0, total: 3 }, d2, 5000);
    expect(step1).toMatchObject({ kind: 'update', deployment: { ready: 1, lastProgressAt: 5000 } });
    const moved = (step1 as { deployment: Deployment }).deployment;
    expect(observe(moved, { ready: 1, old: 0, total: 3 }, d2, 9000)).toEqual({ kind: 'none' });
    expect(observe(moved, { ready: 1, old: 0, total: 3 }, d2, 15_001)).toMatchObject({
      kind: 'deadline',
      action: 'rollback',
    });
    const pauseDef = def({ instances: 3, deployment: { progressDeadlineSeconds: 10, onDeadline: 'pause' } });
    expect(observe(moved, { ready: 1, old: 0, total: 3 }, pauseDef, 15_001)).toMatchObject({
      kind: 'deadline',
      action: 'pause',
    });
    const paused: Deployment = { ...moved, state: 'PAUSED' };
    expect(observe(paused, { ready: 2, old: 0, total: 3 }, pauseDef, 20_000)).toMatchObject({
      deployment: { state: 'RUNNING', ready: 2 },
    });
    expect(observe(moved, { ready: 3, old: 0, total: 3 }, d2, 16_000)).toMatchObject({
      deployment: { state: 'SUCCEEDED' },
    });
    expect(observe(moved, { ready: 3, old: 0, total: 4 }, d2, 16_000)).toMatchObject({
      deployment: { state: 'RUNNING' },
    });
    const removal: Deployment = { ...moved, kind: 'remove', toInstances: 0 };
    expect(observe(removal, { ready: 0, old: 0, total: 1 }, d2, 1e9)).toMatchObject({
      kind: 'update',
      deployment: { state: 'RUNNING' },
    });
  });

  it('refuses a load balancer port another app holds, naming the field and the holder', () => {
    const s = empty();
    apply(s, deploy(s, def({ id: '/a', ports: [0], loadBalancer: { port: 10001 } }), opts('d1')));
    const taken = () => deploy(s, def({ id: '/b', ports: [0], loadBalancer: { port: 10001 } }), opts('d2'));
    expect(taken).toThrow(
      new ApiError(
        'CONFLICT',
        'loadBalancer.port 10001 is already held by /a: choose another port',
        'loadBalancer.port',
      ),
    );
    try {
      taken();
    } catch (e) {
      expect((e as ApiError).field).toBe('loadBalancer.port');
    }
    expect(s.apps.has('/b')).toBe(false);
    s.deployments.set('d1', { ...s.deployments.get('d1')!, state: 'SUCCEEDED' });
    apply(s, deploy(s, def({ id: '/a', instances: 2, ports: [0], loadBalancer: { port: 10001 } }), opts('d3'))); // its own port: fine
    apply(s, deploy(s, def({ id: '/b', ports: [0], loadBalancer: { port: 10002 } }), opts('d4')));
    expect([...s.apps.keys()].sort()).toEqual(['/a', '/b']);
  });
});
