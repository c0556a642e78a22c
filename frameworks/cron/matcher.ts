/**
 * Matching queued runs against offers, as a pure function: oldest due run first, first offer that holds its
 * resources (reserved to the offer's role first, then unreserved) and its containerizer. Offers left unused
 * are declined by the shell.
 */
import { Resources, type Offer, type TaskInfoInput } from 'agora/sdk';
import { RUN_ENV, type JobSpec } from 'agora/sdk/cron';

export interface QueuedRun {
  id: number;
  spec: JobSpec;
  scheduledAt: number;
  dueAt: number;
  attempt: number;
  /** The run's parameters, passed as environment (over the job's env; the run identity wins over both). */
  parameters?: Record<string, string>;
}

export interface Launch {
  offerId: string;
  agentId: string;
  tasks: { runId: number; task: TaskInfoInput }[];
}

export const taskIdOf = (job: string, runId: number): string => `cron.${job}.${runId}`;

/** The run a task id names, or null for a task that is not one of ours. */
export function runIdOfTask(taskId: string): number | null {
  const m = /^cron\.[a-z0-9_-]+\.(\d+)$/.exec(taskId);
  return m ? Number(m[1]) : null;
}

export function wantedResources(spec: JobSpec): Resources {
  let r = Resources.scalar('cpus', spec.cpus).add(Resources.scalar('mem', spec.mem));
  if (spec.disk > 0) r = r.add(Resources.scalar('disk', spec.disk));
  return r;
}

export function taskFor(run: QueuedRun, agentId: string, resources: Resources): TaskInfoInput {
  const { spec } = run;
  const env = {
    ...spec.env,
    ...run.parameters,
    [RUN_ENV.job]: spec.name,
    [RUN_ENV.runId]: String(run.id),
    [RUN_ENV.scheduledTime]: new Date(run.scheduledAt).toISOString(),
    [RUN_ENV.attempt]: String(run.attempt),
  };
  const command =
    spec.args !== undefined
      ? { shell: false, value: spec.args[0], arguments: spec.args.slice(1), env, user: spec.user }
      : { shell: true, value: spec.cmd, env, user: spec.user };
  return {
    taskId: taskIdOf(spec.name, run.id),
    name: `${spec.name} #${run.id}`,
    agentId,
    resources: resources.toWire(),
    command,
    ...(spec.container ? { container: spec.container } : {}),
    // Names only: the master puts the values into this task's LAUNCH when the cron framework's principal is granted.
    ...(spec.secrets && Object.keys(spec.secrets).length > 0 ? { secrets: spec.secrets } : {}),
    ...(spec.secretFiles && Object.keys(spec.secretFiles).length > 0 ? { secretFiles: spec.secretFiles } : {}),
    labels: {
      'agora.cron/job': spec.name,
      'agora.cron/run': String(run.id),
      'agora.cron/attempt': String(run.attempt),
    },
  };
}

function fits(offer: Offer, remaining: Resources, spec: JobSpec): Resources | null {
  if (spec.container?.type === 'DOCKER' && !offer.containerizers.includes('docker')) return null;
  const want = wantedResources(spec);
  if (offer.role !== '*') {
    const reserved = want.withRole(offer.role);
    if (remaining.contains(reserved)) return reserved;
  }
  return remaining.contains(want) ? want : null;
}

/** Places queued runs (oldest due first) on offers; returns the launches and the offers left unused. */
export function matchOffers(
  queued: readonly QueuedRun[],
  offers: readonly Offer[],
): { launches: Launch[]; unused: string[] } {
  const remaining = new Map(offers.map((o) => [o.id as string, Resources.fromWire(o.resources)]));
  const byOffer = new Map<string, Launch>();
  const order = [...queued].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
  for (const run of order) {
    for (const offer of offers) {
      const left = remaining.get(offer.id)!;
      const take = fits(offer, left, run.spec);
      if (!take) continue;
      remaining.set(offer.id, left.subtract(take));
      const launch = byOffer.get(offer.id) ?? { offerId: offer.id, agentId: offer.agentId, tasks: [] };
      launch.tasks.push({ runId: run.id, task: taskFor(run, offer.agentId, take) });
      byOffer.set(offer.id, launch);
      break;
    }
  }
  return { launches: [...byOffer.values()], unused: offers.filter((o) => !byOffer.has(o.id)).map((o) => o.id) };
}
