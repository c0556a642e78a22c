/**
 * The agents one cycle may still offer, in a fixed order. Each agent leaves when offered (once per cycle), and
 * each client scans forward from its own cursor, so a client never re-checks an agent it already passed and
 * taken agents are jumped over in near-constant time (a "next live index" union-find with path halving).
 */
import type { AgentState } from './state';

export class AgentPool {
  private readonly nextLive: Int32Array;
  private live: number;

  constructor(readonly agents: readonly AgentState[]) {
    this.nextLive = new Int32Array(agents.length + 1);
    for (let i = 0; i <= agents.length; i++) this.nextLive[i] = i;
    this.live = agents.length;
  }

  get remaining(): number { return this.live; }
  get length(): number { return this.agents.length; }

  /** Index of the first agent still in the pool at or after `start` (`length` when none). */
  firstFrom(start: number): number {
    const next = this.nextLive;
    let i = start;
    while (next[i] !== i) {
      next[i] = next[next[i]];
      i = next[i];
    }
    return i;
  }

  take(index: number): void {
    if (this.nextLive[index] !== index) return;
    this.nextLive[index] = index + 1;
    this.live--;
  }
}

/** Active agents with something worth offering, rotated by `rotation` so a different agent leads each cycle. */
export function offerableAgents(agents: Iterable<AgentState>, worthOffering: (a: AgentState) => boolean, rotation: number): AgentState[] {
  const list: AgentState[] = [];
  for (const agent of agents) if (agent.active && worthOffering(agent)) list.push(agent);
  if (list.length < 2) return list;
  const start = rotation % list.length;
  return start === 0 ? list : list.slice(start).concat(list.slice(0, start));
}
