import type { AppDefinition } from 'agora/sdk/service';
import { recordFailure } from './backoff';
import { app, instance } from './fixtures';
import { KILL_RETRY_MS, reconcile } from './reconciler';
import type { App, Deployment } from './types';

const state = (apps: App[], deployments: Deployment[] = []) => ({
  apps: new Map(apps.map((a) => [a.def.id, a])),
  versions: new Map<string, Map<number, AppDefinition>>(apps.map((a) => [a.def.id, new Map([[a.version, a.def]])])),
  deployments: new Map(deployments.map((d) => [d.id, d])),
});
const dep = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'd1',
  appId: '/shop/cart',
  kind: 'deploy',
  state: 'RUNNING',
  toVersion: 1,
  fromInstances: 0,
  toInstances: 3,
  createdAt: 0,
  updatedAt: 0,
  lastProgressAt: 0,
  ready: 0,
  old: 0,
  ...over,
});

describe('reconciler', () => {
  it('asks for the missing instances and completes the deployment when all are ready', () => {
    const a = app({ instances: 3 });
    const r = reconcile(state([a], [dep()]), [instance()], 1000);
    expect(r.demands).toEqual([expect.objectContaining({ appId: '/shop/cart', version: 1, count: 2 })]);
    expect(r.deployments[0]).toMatchObject({ ready: 1, state: 'RUNNING' });
    const done = reconcile(state([a], [dep()]), [instance(), instance(), instance()], 2000);
    expect(done.demands).toEqual([]);
    expect(done.deployments[0].state).toBe('SUCCEEDED');
  });

  it('holds launches back during the crash backoff and resets it after a stable run', () => {
    const a0 = app({ instances: 2, backoff: { backoffSeconds: 10, resetAfterSeconds: 5 } });
    const a: App = { ...a0, backoff: recordFailure(a0.backoff, a0.def, 1000) };
    const held = reconcile(state([a]), [instance()], 5000);
    expect(held.demands).toEqual([]);
    expect(held.delayed.get('/shop/cart')).toBe(11_000);
    expect(reconcile(state([a]), [instance()], 11_000).demands[0].count).toBe(1);
    const stable = reconcile(state([a]), [instance({ readySince: 0 })], 6000);
    expect(stable.apps[0].backoff.delayMs).toBe(0);
    expect(stable.demands[0].count).toBe(1);
  });

  it('rolls back a deployment past its progress deadline, or pauses it', () => {
    const a = app({ instances: 1, deployment: { progressDeadlineSeconds: 60 } }, 2);
    const stuck = [instance({ version: 2, state: 'STAGING' })];
    const r = reconcile(state([a], [dep({ toVersion: 2, fromVersion: 1, toInstances: 1 })]), stuck, 61_000);
    expect(r.rollbacks.map((d) => d.id)).toEqual(['d1']);
    const p = app({ instances: 1, deployment: { progressDeadlineSeconds: 60, onDeadline: 'pause' } }, 2);
    const r2 = reconcile(state([p], [dep({ toVersion: 2, fromVersion: 1, toInstances: 1 })]), stuck, 61_000);
    expect(r2.deployments[0]).toMatchObject({ state: 'PAUSED', message: 'paused: no progress for 60s' });
  });

  it('re-sends old kills, kills instances of unknown apps, reports finished removals', () => {
    const a: App = { ...app({ instances: 1 }), removing: true };
    const killing = instance({ state: 'KILLING', killRequestedAt: 0 });
    const stray = instance({ appId: '/gone' });
    const r = reconcile(state([a]), [killing, stray], KILL_RETRY_MS + 1);
    expect(r.rekills).toEqual([killing]);
    expect(r.kills).toEqual([{ instanceId: stray.instanceId, reason: 'REMOVE', appId: '/gone' }]);
    expect(reconcile(state([a]), [], 5).removed).toEqual(['/shop/cart']);
  });

  it('sends the kill of a draining instance when its drain ends, and retries only kills that were sent', () => {
    const a = app({ instances: 1 });
    const draining = instance({ state: 'KILLING', killReason: 'SCALE', drainUntil: 5000 });
    const sent = instance({ state: 'KILLING', killReason: 'SCALE', killRequestedAt: 1000 });
    const early = reconcile(state([a]), [instance(), draining, sent], 4999);
    expect(early.drained).toEqual([]);
    expect(early.rekills).toEqual([]);
    const due = reconcile(state([a]), [instance(), draining, sent], 1000 + KILL_RETRY_MS + 1);
    expect(due.drained.map((i) => i.instanceId)).toEqual([draining.instanceId]);
    expect(due.rekills.map((i) => i.instanceId)).toEqual([sent.instanceId]);
    expect(due.demands).toEqual([]); // a draining instance is no longer ready, but it still holds its place
  });
});
