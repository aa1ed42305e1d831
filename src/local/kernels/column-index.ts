/**
 * Indexes of integer columns, what a database keeps for an indexed column: each value's rows, in
 * row order, from one counting sort of the column. A step that wants a few keys' rows of a large
 * column (a runtime key filter at a table read, ops/key-filter.ts) looks them up instead of
 * testing every row. Arrow columns keep theirs with their data (../arrow-memo.ts).
 */
import type { NumbersAndValidity } from '../batch.ts';

/** The rows of each value `min + k` are `rows[starts[k]] .. rows[starts[k + 1] - 1]`, ascending. */
export interface ColumnIndex {
  readonly min: number;
  readonly max: number;
  readonly starts: Int32Array;
  readonly rows: Int32Array;
}

/** At most how many slots per row (plus this many) a counting sort spends on a column's value span. */
const SLOTS_PER_ROW = 4;
const SLOTS_EXTRA = 1 << 16;

/** Indexes built, for tests asserting when one is (and is not) made. */
export const indexStats = { built: 0 };

/**
 * The index of a column's numbers; null when they are not integers in a span of at most
 * SLOTS_PER_ROW slots a row (NULL rows are in no value's rows).
 */
export function buildIndex({ values, valid }: NumbersAndValidity): ColumnIndex | null {
  const length = values.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let count = 0;
  for (let i = 0; i < length; i++) {
    if (valid !== undefined && (valid[i >> 3]! & (1 << (i & 7))) === 0) continue;
    const v = values[i]!;
    if (!Number.isInteger(v)) return null;
    if (v < min) min = v;
    if (v > max) max = v;
    count++;
  }
  if (count === 0) return null;
  const span = max - min + 1;
  if (span > SLOTS_PER_ROW * length + SLOTS_EXTRA) return null;
  const starts = new Int32Array(span + 1);
  for (let i = 0; i < length; i++) {
    if (valid !== undefined && (valid[i >> 3]! & (1 << (i & 7))) === 0) continue;
    starts[values[i]! - min + 1]!++;
  }
  for (let k = 0; k < span; k++) starts[k + 1]! += starts[k]!;
  const next = starts.slice(0, span);
  const rows = new Int32Array(count);
  for (let i = 0; i < length; i++) {
    if (valid !== undefined && (valid[i >> 3]! & (1 << (i & 7))) === 0) continue;
    rows[next[values[i]! - min]!++] = i;
  }
  indexStats.built++;
  return { min, max, starts, rows };
}

/**
 * The rows whose value is a key set in `bits` (bit k: the key `bitsMin + k`), ascending; undefined
 * when they are more than `atMost` (a scan is then as cheap).
 */
export function rowsOfKeys(
  index: ColumnIndex,
  bits: Uint32Array,
  bitsMin: number,
  atMost: number,
): Int32Array | undefined {
  const { starts, rows } = index;
  const from = Math.max(index.min, bitsMin);
  const to = Math.min(index.max, bitsMin + bits.length * 32 - 1);
  // Word by word over the keys both cover: the keys set, and their rows counted first.
  const firstWord = (from - bitsMin) >>> 5;
  const lastWord = to < from ? firstWord - 1 : (to - bitsMin) >>> 5;
  let total = 0;
  for (let w = firstWord; w <= lastWord; w++) {
    for (let word = bits[w]!; word !== 0; word &= word - 1) {
      const key = bitsMin + (w << 5) + (31 - Math.clz32(word & -word));
      if (key < from || key > to) continue;
      total += starts[key - index.min + 1]! - starts[key - index.min]!;
    }
    if (total > atMost) return undefined;
  }
  const out = new Int32Array(total);
  let at = 0;
  for (let w = firstWord; w <= lastWord; w++) {
    for (let word = bits[w]!; word !== 0; word &= word - 1) {
      const key = bitsMin + (w << 5) + (31 - Math.clz32(word & -word));
      if (key < from || key > to) continue;
      const slot = key - index.min;
      out.set(rows.subarray(starts[slot]!, starts[slot + 1]!), at);
      at += starts[slot + 1]! - starts[slot]!;
    }
  }
  // The native sort: row order as a scan would give it.
  return out.sort();
}

/** Integer keys as bits over their range: bit k is the key `min + k`. */
export interface KeySet {
  readonly min: number;
  readonly max: number;
  readonly bits: Uint32Array;
  /** How many keys are set. */
  readonly keys: number;
}

/** The widest key range a key set is built for (4 MiB of bits). */
const MAX_KEY_RANGE = 1 << 25;

/**
 * The distinct integer values of `values` (NULL rows skipped) as a key set; undefined when their
 * range is wider than MAX_KEY_RANGE. No value gives an empty set (min > max).
 */
export function keySetOf(
  values: ArrayLike<number>,
  valid: Uint8Array | undefined,
  length: number,
): KeySet | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) {
    if (valid !== undefined && (valid[i >> 3]! & (1 << (i & 7))) === 0) continue;
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { min: 0, max: -1, bits: new Uint32Array(0), keys: 0 };
  if (max - min >= MAX_KEY_RANGE) return undefined;
  const bits = new Uint32Array(((max - min) >>> 5) + 1);
  let keys = 0;
  for (let i = 0; i < length; i++) {
    if (valid !== undefined && (valid[i >> 3]! & (1 << (i & 7))) === 0) continue;
    const at = values[i]! - min;
    const bit = 1 << (at & 31);
    const word = bits[at >>> 5]!;
    if ((word & bit) === 0) {
      bits[at >>> 5] = word | bit;
      keys++;
    }
  }
  return { min, max, bits, keys };
}

/** Whether every key of `inner` is a key of `outer` (word by word over the bits). */
export function coversKeys(outer: KeySet, inner: KeySet): boolean {
  if (inner.keys === 0) return true;
  if (outer.keys < inner.keys || inner.min < outer.min || inner.max > outer.max) return false;
  const shift = inner.min - outer.min;
  for (let w = 0; w < inner.bits.length; w++) {
    const word = inner.bits[w]!;
    if (word === 0) continue;
    const at = shift + (w << 5);
    const low = at >>> 5;
    const offset = at & 31;
    let got = outer.bits[low]! >>> offset;
    if (offset !== 0) got |= (outer.bits[low + 1] ?? 0) << (32 - offset);
    if ((word & ~got) !== 0) return false;
  }
  return true;
}
