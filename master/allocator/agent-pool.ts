/**
 * The agents one cycle may still offer, as a bitset over agent slots scanned in a rotated order (a different
 * 32-agent word leads each cycle, to spread offers). An agent leaves when offered (once per cycle). Each client
 * scans forward from its own cursor, so it never re-checks an agent it already passed, and skips the agents it
 * surely may not be offered (its filter bits) 32 at a time.
 */
import { lowestBit } from './slot-bits';
import type { AgentState } from './state';

export class AgentPool {
  private readonly live: Uint32Array;
  private readonly startWord: number;
  private liveCount = 0;

  constructor(
    private readonly bySlot: ReadonlyArray<AgentState | undefined>,
    include: (a: AgentState) => boolean,
    rotation: number,
  ) {
    this.live = new Uint32Array(Math.max(1, Math.ceil(bySlot.length / 32)));
    for (let slot = 0; slot < bySlot.length; slot++) {
      const agent = bySlot[slot];
      if (agent && include(agent)) {
        this.live[slot >>> 5] |= 1 << (slot & 31);
        this.liveCount++;
      }
    }
    this.startWord = rotation % this.live.length;
  }

  get remaining(): number {
    return this.liveCount;
  }
  /** Positions run 0 … end−1 in this cycle's scan order. */
  get end(): number {
    return this.live.length * 32;
  }

  agentAt(position: number): AgentState {
    return this.bySlot[this.slotAt(position)]!;
  }

  /** First position ≥ `from` holding an agent still in the pool whose slot bit in `skip` is clear; −1 if none. */
  nextCandidate(from: number, skip: Uint32Array): number {
    const words = this.live.length;
    for (let p = from; p < words * 32; p = (p | 31) + 1) {
      const w = (this.startWord + (p >>> 5)) % words;
      const bits = this.live[w] & ~(w < skip.length ? skip[w] : 0) & (~0 << (p & 31));
      if (bits !== 0) return (p & ~31) + lowestBit(bits);
    }
    return -1;
  }

  take(position: number): void {
    const slot = this.slotAt(position);
    const mask = 1 << (slot & 31);
    if ((this.live[slot >>> 5] & mask) === 0) return;
    this.live[slot >>> 5] &= ~mask;
    this.liveCount--;
  }

  private slotAt(position: number): number {
    return ((this.startWord + (position >>> 5)) % this.live.length) * 32 + (position & 31);
  }
}
