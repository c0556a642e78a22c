/**
 * The autoscaler as a pure core: usage reports in, a recommendation and (sometimes) a new instance count out,
 * with the reason in words. Kubernetes's HPA algorithm:
 *
 *   usage     = average over the app's ready, measured instances of (CPU seconds per second ÷ `cpus`) or
 *               (memory ÷ `mem`)
 *   desired   = ceil(current × usage ÷ target), clamped to [min, max]; within 10 % of the target, current
 *   scale up  at once to desired
 *   scale down to the highest recommendation of the last `stabilizationSeconds` (the window must have been
 *               watched whole: a framework that just started does not scale down on its first reading)
 *
 * Nothing is decided while a deployment of the app runs (its new instances are not measured yet). The shell
 * (service.ts) polls the master's `USAGE` call, feeds `recordUsage` then `evaluate`, and turns `scaleTo` into a
 * scale deployment.
 */
import type { AppDefinition, Autoscale } from 'agora/sdk/service';

/** Usage within this share of the target counts as on target (Kubernetes's default tolerance). */
export const TOLERANCE = 0.1;
/** A sample not refreshed for this long is ignored (its agent stopped reporting, or the instance ended). */
export const STALE_AFTER_MS = 60_000;
const MIB = 1024 * 1024;

/** One agent report of one task, as the master's `USAGE` call returns it. */
export interface UsageReport {
  readonly taskId: string;
  readonly cpuSeconds: number;
  readonly memBytes: number;
  readonly timestamp: number;
}

/** The last report of one instance, and the CPU rate between it and the one before (needs two reports). */
export interface UsageSample {
  readonly cpuSeconds: number;
  readonly memBytes: number;
  /** The agent's sampling time. */
  readonly timestamp: number;
  /** CPUs used between the last two reports (CPU seconds per second). */
  readonly cpuRate?: number;
  /** When the framework last saw a new report (its own clock). */
  readonly seenAt: number;
}

/** Folds the latest reports into the samples; instances no longer reported are dropped. Pure. */
export function recordUsage(
  samples: ReadonlyMap<string, UsageSample>,
  reports: readonly UsageReport[],
  now: number,
): Map<string, UsageSample> {
  const next = new Map<string, UsageSample>();
  for (const r of reports) {
    const prev = samples.get(r.taskId);
    if (prev && prev.timestamp === r.timestamp) {
      next.set(r.taskId, prev);
      continue;
    }
    const dt = prev ? (r.timestamp - prev.timestamp) / 1000 : 0;
    const cpuRate =
      prev && dt > 0 && r.cpuSeconds >= prev.cpuSeconds ? (r.cpuSeconds - prev.cpuSeconds) / dt : prev?.cpuRate;
    next.set(r.taskId, {
      cpuSeconds: r.cpuSeconds,
      memBytes: r.memBytes,
      timestamp: r.timestamp,
      seenAt: now,
      ...(cpuRate !== undefined ? { cpuRate } : {}),
    });
  }
  return next;
}

/** One instance's usage as a share of what it asks for, or undefined when not measurable yet. */
export function usageShare(
  def: Pick<AppDefinition, 'cpus' | 'mem'>,
  metric: Autoscale['metric'],
  s: UsageSample | undefined,
  now: number,
): number | undefined {
  if (!s || now - s.seenAt > STALE_AFTER_MS) return undefined;
  if (metric === 'mem') return s.memBytes / (def.mem * MIB);
  return s.cpuRate === undefined ? undefined : s.cpuRate / def.cpus;
}

export interface AutoscaleDecision {
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly message: string;
}

export interface AutoscaleState {
  /** Recommendations within the stabilization window, oldest first. */
  readonly recommendations: readonly { readonly at: number; readonly replicas: number }[];
  /** Since when recommendations have been recorded without a gap (scale-down needs the whole window watched). */
  readonly observingSince?: number;
  /** The last average usage (share of the request) and how many instances it covers. */
  readonly usage?: number;
  readonly measured: number;
  /** What the autoscaler thinks now, in words. */
  readonly status: string;
  readonly lastDecision?: AutoscaleDecision;
}
export const NEW_AUTOSCALE_STATE: AutoscaleState = {
  recommendations: [],
  measured: 0,
  status: 'no usage measured yet',
};

export interface AutoscaleInput {
  readonly def: AppDefinition;
  /** Usage shares of the app's ready instances that have a measurement. */
  readonly usages: readonly number[];
  /** The id of a deployment of the app in progress, if any: nothing is decided meanwhile. */
  readonly deploymentInProgress?: string;
  readonly now: number;
}

export interface AutoscaleResult {
  readonly state: AutoscaleState;
  readonly scaleTo?: number;
}

const fmt = (x: number): string => (Math.round(x * 100) / 100).toString();

/** One evaluation of one autoscaled app. Pure: same input, same answer. */
export function evaluate(state: AutoscaleState, input: AutoscaleInput): AutoscaleResult {
  const { def, usages, now } = input;
  const a = def.autoscale;
  if (!a) return { state };
  const current = def.instances;
  const decide = (to: number, message: string): AutoscaleResult => ({
    state: { ...state, status: message, lastDecision: { at: now, from: current, to, message } },
    scaleTo: to,
  });
  if (input.deploymentInProgress)
    return { state: { ...state, status: `waiting: deployment ${input.deploymentInProgress} in progress` } };
  if (current < a.min) return decide(a.min, `scaled ${current} → ${a.min}: below autoscale.min ${a.min}`);
  if (current > a.max) return decide(a.max, `scaled ${current} → ${a.max}: above autoscale.max ${a.max}`);
  if (usages.length === 0)
    return { state: { ...state, measured: 0, status: 'waiting: no usage measured yet from ready instances' } };

  const usage = usages.reduce((x, y) => x + y, 0) / usages.length;
  const ratio = usage / a.target;
  const raw = Math.abs(ratio - 1) <= TOLERANCE ? current : Math.ceil(current * ratio);
  const recommended = Math.min(a.max, Math.max(a.min, raw));
  const windowMs = a.stabilizationSeconds * 1000;
  const recommendations = [
    ...state.recommendations.filter((r) => r.at >= now - windowMs),
    { at: now, replicas: recommended },
  ];
  const observingSince = state.observingSince ?? now;
  const base: AutoscaleState = { ...state, recommendations, observingSince, usage, measured: usages.length };
  const reading = `${a.metric} ${fmt(usage)} of ${a.target} target`;
  const next = (status: string, scaleTo?: number): AutoscaleResult => ({
    state: {
      ...base,
      status,
      ...(scaleTo !== undefined ? { lastDecision: { at: now, from: current, to: scaleTo, message: status } } : {}),
    },
    ...(scaleTo !== undefined ? { scaleTo } : {}),
  });

  if (recommended > current)
    return next(
      `scaled ${current} → ${recommended}: ${reading} (${usages.length} instance${usages.length === 1 ? '' : 's'} measured)`,
      recommended,
    );
  if (recommended === current) return next(`steady at ${current}: ${reading}`);
  const stable = Math.max(...recommendations.map((r) => r.replicas));
  if (now - observingSince < windowMs) {
    return next(
      `holding ${current}: ${reading} asks for ${recommended}; watching ${a.stabilizationSeconds} s before scaling down`,
    );
  }
  if (stable < current)
    return next(`scaled ${current} → ${stable}: ${reading} over ${a.stabilizationSeconds} s`, stable);
  return next(
    `holding ${current}: ${reading} asks for ${recommended}, but ${stable} was recommended within the last ${a.stabilizationSeconds} s`,
  );
}

/**
 * The instance count a deployed definition starts from: a new autoscaled app starts at `instances` clamped to
 * [min, max]; a redeployed one keeps the count the autoscaler reached (clamped to the new bounds), so changing
 * its command does not reset its scale.
 */
export function instancesOnDeploy(def: AppDefinition, existing: AppDefinition | undefined): number {
  const a = def.autoscale;
  if (!a) return def.instances;
  const from = existing?.autoscale ? existing.instances : def.instances;
  return Math.min(a.max, Math.max(a.min, from));
}

/** An app's wish to be scaled by hand, refused when the autoscaler owns its instance count. */
export function manualScaleRefusal(def: AppDefinition): string | undefined {
  const a = def.autoscale;
  if (!a) return undefined;
  return (
    `${def.id} is autoscaled (min ${a.min}, max ${a.max}, ${a.metric} target ${a.target}): its instance count is the autoscaler's. ` +
    'Change autoscale.min/max by deploying the app again, or deploy it without autoscale to scale it by hand'
  );
}
