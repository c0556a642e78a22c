/**
 * Scalar resource names (cpus, mem, disk, gpus, …) numbered once, so allocations and totals are plain arrays of
 * thousandths indexed by kind: adding an offer to a role and recomputing its dominant share touches a few numbers,
 * not a map of Resources.
 */
import type { Resources } from '../../sdk/resources';

export type MilliVector = number[];

export class ScalarKinds {
  private readonly indexByName = new Map<string, number>();
  readonly names: string[] = [];

  indexOf(name: string): number {
    let i = this.indexByName.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.indexByName.set(name, i);
      this.names.push(name);
    }
    return i;
  }

  /** vector += sign × scalars of `resources` (all roles). */
  addInto(vector: MilliVector, resources: Resources, sign: 1 | -1): void {
    const list = resources.scalarList();
    for (let k = 0; k < list.length; k++) {
      const i = this.indexOf(list[k].name);
      vector[i] = (vector[i] ?? 0) + sign * list[k].milli;
    }
  }

  /** Overwrites `vector` with the scalars of `resources` (no allocation once it is long enough). */
  fill(vector: MilliVector, resources: Resources): MilliVector {
    for (let i = 0; i < this.names.length; i++) vector[i] = 0;
    this.addInto(vector, resources, 1);
    return vector;
  }

  /** The scalars of `resources` as a vector. */
  vectorOf(resources: Resources): MilliVector {
    const out: MilliVector = [];
    this.addInto(out, resources, 1);
    return out;
  }
}

/** Dominant share: the largest fraction of the cluster total held of any one scalar kind. */
export function dominantShare(allocated: MilliVector, total: MilliVector): number {
  let share = 0;
  for (let i = 0; i < allocated.length; i++) {
    const a = allocated[i];
    const t = total[i];
    if (a > 0 && t > 0) {
      const s = a / t;
      if (s > share) share = s;
    }
  }
  return share;
}
