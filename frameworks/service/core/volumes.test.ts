import { validateApp } from 'agora/sdk/service';
import { def, instance, offer } from './fixtures';
import { matchOffers } from './offer-match';
import { freeSlots, newSlot, orphans, taskVolumes, volumeProblems, type VolumeRecord } from './volumes';

const withVol = (over = {}) =>
  def({ instances: 1, disk: 10, volumes: [{ containerPath: 'data', persistent: { sizeMb: 100 } }], ...over });

describe('persistent volume slots', () => {
  const d = withVol();
  const a = newSlot(d, 's1', { agentId: 'agent-h1', hostname: 'h1' }, 1);
  const b = newSlot(d, 's2', { agentId: 'agent-h2', hostname: 'h2' }, 2);

  it('names volumes per slot and hands a task its slot', () => {
    expect(a).toEqual([
      {
        persistenceId: 'shop_cart.s1.0',
        appId: '/shop/cart',
        slot: 's1',
        index: 0,
        agentId: 'agent-h1',
        hostname: 'h1',
        containerPath: 'data',
        sizeMb: 100,
        createdAt: 1,
      },
    ]);
    expect(taskVolumes(d, 's1')).toEqual([{ containerPath: 'data', persistenceId: 'shop_cart.s1.0', sizeMb: 100 }]);
  });

  it('a slot is free when no instance holds it; doomed slots are never free and are destroyed', () => {
    expect(freeSlots('/shop/cart', [...a, ...b], [instance({ volumeSlot: 's1' })]).map((s) => s.slot)).toEqual(['s2']);
    expect(freeSlots('/shop/cart', [...a, { ...b[0], doomed: true }], [])).toEqual([
      { slot: 's1', agentId: 'agent-h1', hostname: 'h1' },
    ]);
    const o = orphans(
      [...a, { ...b[0], doomed: true }, { ...a[0], persistenceId: 'gone.x.0', appId: '/gone' }],
      (id) => id === '/shop/cart',
    );
    expect(Object.fromEntries([...o].map(([k, v]) => [k, v.map((x: VolumeRecord) => x.persistenceId)]))).toEqual({
      'agent-h2': ['shop_cart.s2.0'],
      'agent-h1': ['gone.x.0'],
    });
  });

  it("a replacement goes to its free slot's agent only; without a free slot it makes a new one where disk + volumes fit", () => {
    const offers = [offer('h1', { res: 'cpus:4;mem:4096;disk:50' }), offer('h2'), offer('h3')];
    const pinned = matchOffers(
      offers,
      [{ appId: '/shop/cart', version: 1, def: d, count: 1, slots: [{ slot: 's2', agentId: 'agent-h2' }] }],
      new Map(),
    );
    expect(pinned.placed.map((p) => [p.hostname, p.volumeSlot])).toEqual([['h2', 's2']]);
    const away = matchOffers(
      [offers[0], offers[2]],
      [{ appId: '/shop/cart', version: 1, def: d, count: 1, slots: [{ slot: 's2', agentId: 'agent-h2' }] }],
      new Map(),
    );
    expect(away.placed).toEqual([]);
    expect(away.waiting.get('/shop/cart')?.reason).toBe('waiting: 2 offers held none of its persistent volumes');
    const fresh = matchOffers(
      [offers[0], offers[2]],
      [{ appId: '/shop/cart', version: 1, def: d, count: 1 }],
      new Map(),
    );
    expect(fresh.placed.map((p) => [p.hostname, p.volumeSlot])).toEqual([['h3', 'new']]); // h1 lacks 110 MB of disk
  });
});

describe('volume definitions: bad input by field', () => {
  it('refuses paths outside the sandbox, sizes beyond any agent, changes, and over-capacity upgrades', () => {
    const issues = (volumes: unknown, extra = {}) => {
      const r = validateApp({ id: '/a', cmd: 'x', volumes, ...extra });
      return r.ok ? [] : r.issues;
    };
    expect(issues([{ containerPath: '/abs', persistent: { sizeMb: 1 } }])[0]).toEqual({
      field: 'volumes[0].containerPath',
      message: 'must be relative to the sandbox (no leading /)',
    });
    expect(issues([{ containerPath: 'a/../../b', persistent: { sizeMb: 1 } }])[0].field).toBe(
      'volumes[0].containerPath',
    );
    expect(issues([{ containerPath: 'd', persistent: { sizeMb: 0 } }])[0]).toEqual({
      field: 'volumes[0].persistent.sizeMb',
      message: 'persistent.sizeMb is a size in MB above 0',
    });
    expect(
      issues([
        { containerPath: 'd', persistent: { sizeMb: 1 } },
        { containerPath: 'd/', persistent: { sizeMb: 1 } },
      ])[0].field,
    ).toBe('volumes[1].containerPath');
    expect(
      issues([{ containerPath: 'd', persistent: { sizeMb: 1 } }], {
        upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 },
      })[0].field,
    ).toBe('upgradeStrategy.maximumOverCapacity');
    expect(withVol().upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    expect(
      volumeProblems(withVol({ volumes: [{ containerPath: 'd', persistent: { sizeMb: 20_000 } }] }), undefined, 10_000),
    ).toEqual([
      {
        field: 'volumes[0].persistent.sizeMb',
        message: "20000 MB is larger than any agent's disk (the largest offered is 10000 MB)",
      },
    ]);
    expect(volumeProblems(withVol(), undefined, undefined)).toEqual([]);
    expect(
      volumeProblems(
        withVol({ volumes: [{ containerPath: 'other', persistent: { sizeMb: 100 } }] }),
        withVol(),
        10_000,
      )[0].field,
    ).toBe('volumes');
    expect(volumeProblems(withVol({ cmd: 'new' }), withVol(), 10_000)).toEqual([]);
  });
});
