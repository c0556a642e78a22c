import { validateApp } from 'agora/sdk/service';
import {
  evaluate,
  instancesOnDeploy,
  manualScaleRefusal,
  NEW_AUTOSCALE_STATE,
  recordUsage,
  usageShare,
  type AutoscaleState,
} from './autoscaler';
import { def } from './fixtures';

const auto = (instances: number, over: Record<string, unknown> = {}) =>
  def({
    instances,
    cpus: 0.5,
    mem: 100,
    autoscale: { min: 1, max: 4, metric: 'cpu', target: 0.5, stabilizationSeconds: 60, ...over },
  });

/** Runs evaluations every `stepMs` from `from` until `until`, applying each scaleTo to the definition. */
function run(
  start: AutoscaleState,
  instances: number,
  usageAt: (t: number) => number,
  from: number,
  until: number,
  stepMs = 15_000,
  over = {},
) {
  let state = start;
  let n = instances;
  const changes: { at: number; to: number; message: string }[] = [];
  for (let t = from; t <= until; t += stepMs) {
    const r = evaluate(state, { def: auto(n, over), usages: Array.from({ length: n }, () => usageAt(t)), now: t });
    state = r.state;
    if (r.scaleTo !== undefined) {
      changes.push({ at: t, to: r.scaleTo, message: state.status });
      n = r.scaleTo;
    }
  }
  return { state, n, changes };
}

describe('usage samples', () => {
  it('computes CPUs used between two reports of the same task, and keeps it until a new report', () => {
    let s = recordUsage(
      new Map(),
      [{ taskId: 't1', cpuSeconds: 10, memBytes: 50 * 1024 * 1024, timestamp: 1000 }],
      1000,
    );
    expect(s.get('t1')!.cpuRate).toBeUndefined();
    expect(usageShare(auto(1), 'cpu', s.get('t1'), 1000)).toBeUndefined();
    expect(usageShare(auto(1), 'mem', s.get('t1'), 1000)).toBeCloseTo(0.5);
    s = recordUsage(s, [{ taskId: 't1', cpuSeconds: 11, memBytes: 0, timestamp: 3000 }], 3000);
    expect(s.get('t1')!.cpuRate).toBeCloseTo(0.5);
    expect(usageShare(auto(1), 'cpu', s.get('t1'), 3000)).toBeCloseTo(1); // 0.5 CPU of cpus 0.5
    const same = recordUsage(s, [{ taskId: 't1', cpuSeconds: 11, memBytes: 0, timestamp: 3000 }], 9000);
    expect(same.get('t1')).toBe(s.get('t1'));
    expect(usageShare(auto(1), 'cpu', same.get('t1'), 3000 + 61_000)).toBeUndefined(); // stale
    expect(recordUsage(s, [], 4000).size).toBe(0); // no longer reported: dropped
  });
});

describe('evaluate (HPA)', () => {
  it('scales up at once to ceil(current × usage / target), within max, and says why', () => {
    const r = evaluate(NEW_AUTOSCALE_STATE, { def: auto(2), usages: [0.9, 0.96], now: 0 });
    expect(r.scaleTo).toBe(4);
    expect(r.state.status).toBe('scaled 2 → 4: cpu 0.93 of 0.5 target (2 instances measured)');
    expect(r.state.lastDecision).toEqual({ at: 0, from: 2, to: 4, message: r.state.status });
    expect(evaluate(NEW_AUTOSCALE_STATE, { def: auto(3), usages: [1, 1, 1], now: 0 }).scaleTo).toBe(4); // 6, capped at max
  });

  it('holds within the 10 % tolerance', () => {
    const r = evaluate(NEW_AUTOSCALE_STATE, { def: auto(3), usages: [0.54, 0.53, 0.52], now: 0 });
    expect(r.scaleTo).toBeUndefined();
    expect(r.state.status).toBe('steady at 3: cpu 0.53 of 0.5 target');
  });

  it('scales down only after the stabilization window, to the highest recommendation within it', () => {
    // Busy until t = 60 s (4 instances), then idle: the window (60 s) keeps the 4 until it has slid past the busy readings.
    const busyUntil = 60_000;
    const { changes } = run(NEW_AUTOSCALE_STATE, 4, (t) => (t <= busyUntil ? 0.5 : 0.05), 0, 300_000);
    expect(changes).toEqual([{ at: 135_000, to: 1, message: 'scaled 4 → 1: cpu 0.05 of 0.5 target over 60 s' }]);
  });

  it('does not flap: a dip shorter than the window removes nothing', () => {
    const dip = (t: number) => (t >= 30_000 && t < 75_000 ? 0.1 : 0.5);
    const { changes, n } = run(NEW_AUTOSCALE_STATE, 3, dip, 0, 120_000);
    expect(changes).toEqual([]);
    expect(n).toBe(3);
  });

  it('a freshly started autoscaler watches a whole window before its first scale-down', () => {
    let r = evaluate(NEW_AUTOSCALE_STATE, { def: auto(4), usages: [0, 0, 0, 0], now: 1_000_000 });
    expect(r.scaleTo).toBeUndefined();
    expect(r.state.status).toBe('holding 4: cpu 0 of 0.5 target asks for 1; watching 60 s before scaling down');
    r = evaluate(r.state, { def: auto(4), usages: [0, 0, 0, 0], now: 1_060_000 });
    expect(r.scaleTo).toBe(1);
  });

  it('with stabilizationSeconds 0 scales down at once', () => {
    expect(
      evaluate(NEW_AUTOSCALE_STATE, { def: auto(4, { stabilizationSeconds: 0 }), usages: [0.1, 0.1, 0.1, 0.1], now: 5 })
        .scaleTo,
    ).toBe(1);
  });

  it('brings the count into [min, max] first, and decides nothing while a deployment runs or nothing is measured', () => {
    expect(evaluate(NEW_AUTOSCALE_STATE, { def: auto(1, { min: 2 }), usages: [], now: 0 }).state.status).toBe(
      'scaled 1 → 2: below autoscale.min 2',
    );
    const busy = evaluate(NEW_AUTOSCALE_STATE, { def: auto(2), usages: [1, 1], now: 0, deploymentInProgress: 'd-1' });
    expect(busy.scaleTo).toBeUndefined();
    expect(busy.state.status).toBe('waiting: deployment d-1 in progress');
    expect(evaluate(NEW_AUTOSCALE_STATE, { def: auto(2), usages: [], now: 0 }).scaleTo).toBeUndefined();
  });

  it('memory: usage is memory over mem', () => {
    const r = evaluate(NEW_AUTOSCALE_STATE, { def: auto(1, { metric: 'mem', target: 0.4 }), usages: [0.8], now: 0 });
    expect(r.scaleTo).toBe(2);
    expect(r.state.status).toBe('scaled 1 → 2: mem 0.8 of 0.4 target (1 instance measured)');
  });
});

describe('deploy and manual scale', () => {
  it('a redeployed autoscaled app keeps the reached count, clamped to the new bounds', () => {
    expect(instancesOnDeploy(auto(1), auto(3))).toBe(3);
    expect(instancesOnDeploy(auto(1, { max: 2 }), auto(3))).toBe(2);
    expect(instancesOnDeploy(auto(9), undefined)).toBe(4);
    expect(instancesOnDeploy(def({ instances: 5 }), auto(3))).toBe(5);
  });

  it('refuses a manual scale of an autoscaled app, saying what to do instead', () => {
    expect(manualScaleRefusal(def())).toBeUndefined();
    expect(manualScaleRefusal(auto(2))).toMatch(
      /is autoscaled \(min 1, max 4, cpu target 0.5\).*deploying the app again/,
    );
  });
});

describe('autoscale definitions: bad input by field', () => {
  const issues = (autoscale: unknown) => {
    const r = validateApp({ id: '/a', cmd: 'x', autoscale });
    return r.ok ? [] : r.issues;
  };
  it('names the field at fault', () => {
    expect(issues({ min: 3, max: 2, target: 0.5 })).toEqual([
      { field: 'autoscale.min', message: 'autoscale.min 3 is above autoscale.max 2' },
    ]);
    expect(issues({ min: 1, max: 2, target: 1.5 })[0].field).toBe('autoscale.target');
    expect(issues({ min: 1, max: 2, target: 0 })[0].message).toMatch(/above 0 and at most 1/);
    expect(issues({ min: 0, max: 2, target: 0.5 })[0].field).toBe('autoscale.min');
    expect(issues({ min: 1, max: 2, target: 0.5, metric: 'disk' })[0]).toEqual({
      field: 'autoscale.metric',
      message: "autoscale.metric is 'cpu' or 'mem'",
    });
    expect(issues({ min: 1, max: 2, target: 0.5, stabilizationSeconds: -1 })[0].field).toBe(
      'autoscale.stabilizationSeconds',
    );
    expect(issues({ min: 1, max: 2, target: 0.5, step: 1 })[0].field).toBe('autoscale');
    expect(issues({ min: 1, max: 2, target: 0.5 })).toEqual([]);
  });
});
