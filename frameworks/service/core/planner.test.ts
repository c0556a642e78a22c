import fc from 'fast-check';
import { app, instance } from './fixtures';
import { killOrder } from './kill-selection';
import { effectiveMinReady, killBudgetOf, maxTotalOf, minReadyOf, planApp } from './planner';
import { isReady, type App, type Instance } from './types';

const upgrade = (n: number, minimumHealthCapacity: number, maximumOverCapacity: number, version = 2) =>
  app({ instances: n, upgradeStrategy: { minimumHealthCapacity, maximumOverCapacity } }, version);
const old = (k: number, over: Partial<Instance> = {}) =>
  Array.from({ length: k }, (_, j) => instance({ version: 1, launchedAt: j, ...over }));

describe('rolling planner', () => {
  it('computes the bounds', () => {
    expect(minReadyOf(6, 0.5)).toBe(3);
    expect(minReadyOf(5, 0.5)).toBe(3);
    expect(maxTotalOf(6, 0)).toBe(6);
    expect(maxTotalOf(5, 0.5)).toBe(7);
    expect(killBudgetOf(6, 0.5)).toBe(3);
    expect(killBudgetOf(3, 1)).toBe(1);
    expect(effectiveMinReady(1, 0.3, 0)).toBe(0); // no room otherwise: replace one at a time
    expect(effectiveMinReady(6, 0.5, 0)).toBe(3);
  });

  it('with minimumHealthCapacity 0.5 and no over-capacity kills half first, launches nothing yet', () => {
    const p = planApp(upgrade(6, 0.5, 0), old(6));
    expect(p.kills.length).toBe(3);
    expect(p.kills.every((k) => k.reason === 'UPGRADE')).toBe(true);
    expect(p.launch).toBe(0);
  });

  it('with the defaults (1, 1) starts all new instances before killing any old one', () => {
    const p = planApp(upgrade(4, 1, 1), old(4));
    expect(p.kills).toEqual([]);
    expect(p.launch).toBe(4);
  });

  it('kills unready old instances first, and the youngest first by default', () => {
    const list = [...old(3), instance({ version: 1, state: 'STAGING', launchedAt: 0, instanceId: 'staging' })];
    const p = planApp(upgrade(4, 0.75, 0), list);
    expect(p.kills.map((k) => k.instanceId)[0]).toBe('staging');
    expect(p.kills.length).toBe(1); // 3 ready left = minimum
    const three = old(3);
    expect(planApp(upgrade(3, 0.34, 0), three).kills.map((k) => k.instanceId)).toEqual([three[2].instanceId]);
  });

  it('scales down by killSelection and replaces missing instances', () => {
    const list = old(5, { version: 1 });
    const youngest = planApp(app({ instances: 3 }, 1), list);
    expect(youngest.kills.map((k) => k.instanceId)).toEqual([list[4].instanceId, list[3].instanceId]);
    expect(youngest.kills.every((k) => k.reason === 'SCALE')).toBe(true);
    const oldest = planApp(app({ instances: 3, killSelection: 'OLDEST_FIRST' }, 1), list);
    expect(oldest.kills.map((k) => k.instanceId)).toEqual([list[0].instanceId, list[1].instanceId]);
    expect(planApp(app({ instances: 7 }, 1), list).launch).toBe(2);
  });

  it('rate-limits health-check kills by the kill budget', () => {
    const sick = old(6, { checked: true, healthy: false });
    const a = app({ instances: 6, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }, 1);
    expect(planApp(a, sick).kills.filter((k) => k.reason === 'UNHEALTHY').length).toBe(3);
    const oneDown = [...sick.slice(0, 5)];
    expect(planApp(a, oneDown).kills.length).toBe(2);
    const strict = app({ instances: 6, upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 } }, 1);
    expect(planApp(strict, sick).kills.length).toBe(1);
  });

  it('removing kills everything and launches nothing', () => {
    const a: App = { ...app({ instances: 3 }, 1), removing: true };
    const p = planApp(a, old(3));
    expect(p.kills.length).toBe(3);
    expect(p.launch).toBe(0);
  });

  it('an unreachable instance gets a replacement; when it returns the extra one is trimmed', () => {
    const list = [...old(2), instance({ version: 1, state: 'UNREACHABLE' })];
    expect(planApp(app({ instances: 3 }, 1), list).launch).toBe(1);
    const back = [...old(3), instance({ version: 1, state: 'RUNNING', launchedAt: 99 })];
    expect(planApp(app({ instances: 3 }, 1), back).kills.length).toBe(1);
  });

  it('property: any upgrade keeps ready ≥ min and total ≤ max, and ends with N new ready instances', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 0.3, 0.5, 0.8, 1),
        fc.constantFrom(0, 0.2, 0.5, 1),
        fc.integer(),
        (n, minH, over, seed) => {
          fc.pre(!(minH === 1 && over === 0));
          const a = upgrade(n, minH, over);
          let rnd = seed;
          const coin = () => {
            rnd = (Math.imul(rnd ^ (rnd >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
            return (rnd >>> 16) % 2 === 0;
          };
          let list: Instance[] = old(n);
          let k = 0;
          for (let step = 0; step < 400; step++) {
            const readyBefore = list.filter(isReady).length;
            const p = planApp(a, list);
            const killed = new Set(p.kills.map((x) => x.instanceId));
            list = list.map((i) => (killed.has(i.instanceId) ? { ...i, state: 'KILLING' as const } : i));
            expect(list.filter(isReady).length).toBeGreaterThanOrEqual(
              Math.min(readyBefore, effectiveMinReady(n, minH, over)),
            );
            for (let j = 0; j < p.launch; j++)
              list.push(instance({ version: 2, state: 'STAGING', instanceId: `new${k++}` }));
            expect(list.length).toBeLessThanOrEqual(maxTotalOf(n, over));
            if (p.old === 0 && p.ready === n && p.total === n) return;
            list = list
              .filter((i) => i.state !== 'KILLING' || coin())
              .map((i) => (i.state === 'STAGING' && coin() ? { ...i, state: 'RUNNING' as const } : i));
          }
          throw new Error('upgrade did not finish in 400 steps');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('kill selection', () => {
  it('scaling down a GROUP_BY app takes from the fullest group, unready first', () => {
    const at = (r: string, launchedAt: number, over: Partial<Instance> = {}) =>
      instance({ attributes: [{ name: 'rack', text: r }], launchedAt, ...over });
    const list = [at('r1', 1), at('r1', 2), at('r1', 3), at('r2', 4), at('r3', 5), at('r2', 6, { state: 'STAGING' })];
    const order = killOrder(list, 'YOUNGEST_FIRST', isReady, 'rack');
    expect(order.map((i) => i.launchedAt)).toEqual([6, 3, 2, 5, 4, 1]);
    const a = app({ instances: 3, constraints: [['rack', 'GROUP_BY']] }, 1);
    const kills = planApp(
      a,
      list.map((i) => ({ ...i, state: 'RUNNING' as const })),
    ).kills.map((k) => list.find((i) => i.instanceId === k.instanceId)!.attributes[0].text);
    expect(kills.sort()).toEqual(['r1', 'r1', 'r2']);
  });
});
