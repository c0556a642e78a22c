import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy, rollBack } from './core/deployments';
import { app, def, instance } from './core/fixtures';
import { ServiceStore } from './store';

describe('service store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agora-service-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the framework id, apps, versions, deployments and instances across reopen', () => {
    const s = ServiceStore.open(dir);
    expect(s.frameworkId()).toBeUndefined();
    s.setFrameworkId('service-abc');
    s.setFrameworkId('service-abc');
    const change = deploy({ apps: new Map(), versions: new Map(), deployments: new Map() }, def({ instances: 2 }), {
      now: 5,
      depId: 'd1',
      force: false,
    });
    s.applyChange(change, 5);
    const i = instance({ instanceId: 'shop_cart.x1', taskId: 'shop_cart.x1' });
    s.putInstances([i, instance({ instanceId: 'shop_cart.x2', taskId: 'shop_cart.x2' })]);
    s.close();

    const again = ServiceStore.open(dir);
    expect(again.frameworkId()).toBe('service-abc');
    const loaded = again.load();
    expect(loaded.apps.get('/shop/cart')).toEqual(change.app);
    expect(loaded.versions.get('/shop/cart')?.get(1)).toEqual(def({ instances: 2 }));
    expect(loaded.deployments.get('d1')).toEqual(change.deployments[0]);
    expect(loaded.instances.size).toBe(2);
    expect(again.instanceByTask('shop_cart.x1')).toEqual(i);
    again.deleteInstance('shop_cart.x1');
    expect(again.instanceByTask('shop_cart.x1')).toBeUndefined();
    again.deleteApp('/shop/cart');
    expect(again.load().apps.size).toBe(0);
    expect(again.load().versions.size).toBe(0);
    again.close();
  });

  it('writes a rollback atomically and prunes finished deployments', () => {
    const s = ServiceStore.open(dir);
    const a = app({ instances: 2 }, 1);
    const state = {
      apps: new Map([[a.def.id, a]]),
      versions: new Map([[a.def.id, new Map([[1, a.def]])]]),
      deployments: new Map(),
    };
    s.applyChange({ app: a, newVersion: { appId: a.def.id, version: 1, def: a.def }, deployments: [] }, 1);
    const d2 = deploy(state, def({ instances: 2, mem: 512 }), { now: 10, depId: 'd2', force: false });
    s.applyChange(d2, 10);
    const loaded = s.load();
    const rb = rollBack(loaded, 'd2', { now: 20, newDepId: 'd3', outcome: 'CANCELLED' });
    s.applyChange(rb, 20);
    const after = s.load();
    expect(after.apps.get('/shop/cart')?.version).toBe(1);
    expect(after.deployments.get('d2')?.state).toBe('CANCELLED');
    expect(after.deployments.get('d3')?.state).toBe('RUNNING');
    s.pruneDeployments(0);
    expect([...s.load().deployments.keys()]).toEqual(['d3']);
    s.close();
  });
});
