/**
 * Bitsets over agent slots (each agent gets a small dense number while it is known). A client's "surely
 * filtered" agents and a cycle's pool are both bitsets, so a client skips 32 agents it may not be offered with one
 * AND-NOT — an idle cluster where every framework declined every agent costs frameworks × agents / 32 word
 * operations per cycle instead of frameworks × agents filter look-ups.
 */
export const EMPTY_BITS = new Uint32Array(0);

export function hasBit(bits: Uint32Array, slot: number): boolean {
  const w = slot >>> 5;
  return w < bits.length && (bits[w] & (1 << (slot & 31))) !== 0;
}

/** Sets a bit, growing the array when needed; returns the (possibly new) array. */
export function withBit(bits: Uint32Array, slot: number): Uint32Array {
  const w = slot >>> 5;
  let out = bits;
  if (w >= bits.length) {
    out = new Uint32Array(Math.max(w + 1, bits.length * 2, 4));
    out.set(bits);
  }
  out[w] |= 1 << (slot & 31);
  return out;
}

export function clearBit(bits: Uint32Array, slot: number): void {
  const w = slot >>> 5;
  if (w < bits.length) bits[w] &= ~(1 << (slot & 31));
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
export function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}
