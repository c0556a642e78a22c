/**
 * A greedy framework written only against agora/sdk, as in the DRF paper's experiment: on every offer it
 * launches ONE task of a fixed size if it fits, and declines the rest (refuse 0 by default), forever.
 */
import { Resources, SchedulerDriver, isTerminal, type TaskStatus } from 'agora/sdk';

export class GreedyFramework {
  readonly driver: SchedulerDriver;
  readonly running = new Set<string>();
  readonly updates: TaskStatus[] = [];
  private seq = 0;

  constructor(
    natsUrl: string,
    readonly name: string,
    readonly role: string,
    readonly task: string,
    opts: { command?: string; refuseSeconds?: number; max?: number } = {},
  ) {
    const need = Resources.parse(task);
    const command = opts.command ?? 'sleep 600';
    this.driver = new SchedulerDriver({
      natsUrl,
      framework: { name, roles: [role] },
      scheduler: {
        resourceOffers: async (d, offers) => {
          for (const o of offers) {
            const offered = Resources.fromWire(o.resources);
            const fits =
              [...need.scalars()].every(([n, v]) => offered.scalar(n) >= v) &&
              (opts.max === undefined || this.running.size < opts.max);
            if (!fits) {
              await d.decline([o.id], { refuseSeconds: opts.refuseSeconds ?? 0 });
              continue;
            }
            const taskId = `${name}-${this.seq++}`;
            this.running.add(taskId);
            await d.launch(
              [o.id],
              [
                {
                  taskId,
                  name: taskId,
                  agentId: o.agentId,
                  resources: pickFrom(offered, need).toWire(),
                  command: { value: command },
                },
              ],
              { refuseSeconds: opts.refuseSeconds ?? 0 },
            );
          }
        },
        statusUpdate: (_d, s) => {
          this.updates.push(s);
          if (isTerminal(s.state)) this.running.delete(s.taskId);
        },
      },
    });
  }
}

/**
 * Takes `need` out of an offer, preferring resources reserved for the offer's role over unreserved ones
 * (as a framework must name reserved resources by role to use them).
 */
export function pickFrom(offered: Resources, need: Resources): Resources {
  let out = Resources.EMPTY;
  for (const [name, amount] of need.scalars()) {
    let left = amount;
    for (const role of offered.roles().sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : a.localeCompare(b)))) {
      const have = offered.scalar(name, role);
      const take = Math.min(have, left);
      if (take > 0) {
        out = out.add(Resources.scalar(name, take, role));
        left = Math.round((left - take) * 1000) / 1000;
      }
      if (left <= 0) break;
    }
  }
  return out;
}
