/**
 * A small seeded PRNG (mulberry32) and a seed mixer. Generated data must be identical for a given
 * seed on every machine and Node version, so nothing here uses Math.random.
 */

/** mulberry32: 32 bits of state, fast, and good enough for test data (not for cryptography). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/**
 * Mixes integers into one 32-bit seed (murmur3's finalizer after each part). Deriving a stream
 * per (seed, table, key) lets two tables regenerate the same entity, e.g. an order and its lines,
 * without sharing state or holding anything in memory.
 */
export function deriveSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Keys above 2^32 keep their high bits.
    h = fmix32(h ^ (part >>> 0));
    h = fmix32(h ^ Math.floor(part / 4294967296));
  }
  return h >>> 0;
}

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
