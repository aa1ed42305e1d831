/**
 * Group-by kernels: grouping on one numeric key column, and COUNT, SUM, AVG, MIN, MAX, STDDEV
 * and VARIANCE of an INT or DOUBLE vector per group, each one loop over typed arrays (COUNT
 * DISTINCT of an INT: one typed-array sort). They add in
 * the same order as the row path (src/local/ops/accumulate.ts), so DOUBLE sums are the same bits;
 * an INT sum that could pass 2^53 on the way returns undefined and the row path sums it exactly.
 */
import type { AggregateFunction } from '../../plan/expr.ts';
import type { Values } from '../batch.ts';
import { decimalArithmetic } from '../decimal.ts';
import { aggregateType } from '../ops/accumulate.ts';
import { fracOf, type SqlType, T, type Value } from '../types.ts';
import { isValidAt, kernelsEnabled, type NumericVector } from './vectors.ts';

export interface VectorGrouping {
  readonly ids: Uint32Array;
  readonly count: number;
  /** The first row of each group, in group order. */
  readonly firstRows: Uint32Array;
}

/**
 * Groups by one key column of plain numbers (no NULLs), ids in order of first appearance (as
 * the row path's hash grouping numbers them); undefined for any other column.
 */
export function groupByNumbers(values: Values, length: number): VectorGrouping | undefined {
  if (!kernelsEnabled()) return undefined;
  if (!ArrayBuffer.isView(values) || values instanceof BigInt64Array || values instanceof BigUint64Array) {
    return undefined;
  }
  const keys = values as unknown as ArrayLike<number>;
  const ids = new Uint32Array(length);
  const first: number[] = [];
  const index = new Map<number, number>();
  // Small non-negative integer keys (cluster numbers, flags) index a table instead of the Map.
  const SMALL = 1024;
  const small = new Int32Array(SMALL).fill(-1);
  for (let row = 0; row < length; row++) {
    const key = keys[row]!;
    if (key >= 0 && key < SMALL && Number.isInteger(key)) {
      let id = small[key]!;
      if (id < 0) {
        id = first.length;
        small[key] = id;
        first.push(row);
      }
      ids[row] = id;
      continue;
    }
    let id = index.get(key);
    if (id === undefined) {
      id = first.length;
      index.set(key, id);
      first.push(row);
    }
    ids[row] = id;
  }
  return { ids, count: first.length, firstRows: Uint32Array.from(first) };
}

/**
 * Several INT key columns without NULLs packed into one exact number per row (each key's offset
 * from its minimum, in mixed radix), so `groupByNumbers` groups on them as on one key: two rows
 * get the same number exactly when every key is equal. Undefined when a column is not plain
 * integers or the packed range passes 2^53.
 */
export function packIntegerKeys(columns: readonly Values[], length: number): Float64Array | undefined {
  if (!kernelsEnabled()) return undefined;
  const arrays: ArrayLike<number>[] = [];
  const mins: number[] = [];
  const spans: number[] = [];
  let range = 1;
  for (const values of columns) {
    if (!ArrayBuffer.isView(values) || values instanceof BigInt64Array || values instanceof BigUint64Array) {
      return undefined;
    }
    const keys = values as unknown as ArrayLike<number>;
    let min = Infinity;
    let max = -Infinity;
    for (let row = 0; row < length; row++) {
      const key = keys[row]!;
      if (!Number.isInteger(key)) return undefined;
      if (key < min) min = key;
      if (key > max) max = key;
    }
    const span = length === 0 ? 1 : max - min + 1;
    range *= span;
    if (!(range <= 2 ** 53)) return undefined;
    arrays.push(keys);
    mins.push(length === 0 ? 0 : min);
    spans.push(span);
  }
  const packed = new Float64Array(length);
  for (let k = 0; k < arrays.length; k++) {
    const keys = arrays[k]!;
    const min = mins[k]!;
    const span = spans[k]!;
    for (let row = 0; row < length; row++) packed[row] = packed[row]! * span + (keys[row]! - min);
  }
  return packed;
}

export interface KernelResult {
  readonly type: SqlType;
  readonly values: Value[];
}

const KERNEL_FUNCTIONS = new Set<AggregateFunction>([
  'count',
  'countDistinct',
  'sum',
  'avg',
  'min',
  'max',
  'stddev',
  'variance',
]);

function integerSumsExact(values: Float64Array, length: number): boolean {
  let max = 0;
  for (let row = 0; row < length; row++) {
    const magnitude = Math.abs(values[row]!);
    if (magnitude > max) max = magnitude;
  }
  return max * length < 2 ** 53;
}

/** fn(vector) per group, or undefined when the row path must compute it. */
export function aggregateVector(
  fn: AggregateFunction,
  vector: NumericVector,
  grouping: { readonly ids: ArrayLike<number>; readonly count: number },
): KernelResult | undefined {
  if (!KERNEL_FUNCTIONS.has(fn)) return undefined;
  const type = aggregateType(fn, vector.type);
  const { values, valid } = vector;
  const { ids, count } = grouping;
  const length = ids.length;
  switch (fn) {
    case 'count': {
      const n = new Float64Array(count);
      if (valid === undefined) for (let row = 0; row < length; row++) n[ids[row]!]!++;
      else for (let row = 0; row < length; row++) if (isValidAt(valid, row)) n[ids[row]!]!++;
      return { type, values: Array.from(n) };
    }
    case 'countDistinct':
      return vector.kind === 'int' ? countDistinctIntegers(values, valid, ids, count) : undefined;
    case 'sum':
    case 'avg': {
      // A double sum of integers is exact while every partial sum stays below 2^53, which
      // length * max |value| below 2^53 guarantees; else the row path sums exactly.
      if (vector.kind === 'int' && !integerSumsExact(values, length)) return undefined;
      const total = new Float64Array(count);
      const seen = new Float64Array(count);
      if (count === 1) {
        // One group (no GROUP BY): running sums in locals, the same additions in the same order.
        let t = 0;
        let n = 0;
        if (valid === undefined) {
          for (let row = 0; row < length; row++) t += values[row]!;
          n = length;
        } else {
          for (let row = 0; row < length; row++) {
            if ((valid[row >> 3]! & (1 << (row & 7))) === 0) continue;
            n++;
            t += values[row]!;
          }
        }
        total[0] = t;
        seen[0] = n;
      } else if (valid === undefined && fn === 'sum') {
        // Every group has rows (a group exists by having one), so a SUM is NULL only over no rows.
        for (let row = 0; row < length; row++) total[ids[row]!]! += values[row]!;
        if (length > 0) seen.fill(1);
      } else if (valid === undefined) {
        for (let row = 0; row < length; row++) {
          const g = ids[row]!;
          seen[g]!++;
          total[g]! += values[row]!;
        }
      } else {
        for (let row = 0; row < length; row++) {
          if (!isValidAt(valid, row)) continue;
          const g = ids[row]!;
          seen[g]!++;
          total[g]! += values[row]!;
        }
      }
      const out = new Array<Value>(count);
      // AVG of an INT is a DECIMAL quotient, truncated at its internal digits (src/local/decimal.ts).
      const divide =
        type.kind === 'decimal'
          ? decimalArithmetic('/', 0, 0, fracOf(type))
          : (a: number, b: number) => a / b;
      for (let g = 0; g < count; g++) {
        out[g] = seen[g] === 0 ? null : fn === 'sum' ? total[g]! : divide(total[g]!, seen[g]!);
      }
      return { type, values: out };
    }
    case 'min':
    case 'max': {
      const best = new Float64Array(count);
      const has = new Uint8Array(count);
      const max = fn === 'max';
      for (let row = 0; row < length; row++) {
        if (valid !== undefined && !isValidAt(valid, row)) continue;
        const g = ids[row]!;
        const x = values[row]!;
        if (has[g] === 0 || (max ? x > best[g]! : x < best[g]!)) {
          best[g] = x;
          has[g] = 1;
        }
      }
      const out = new Array<Value>(count);
      for (let g = 0; g < count; g++) out[g] = has[g] === 0 ? null : best[g]!;
      return { type, values: out };
    }
    default: {
      // Welford's running mean and squared deviations, as the row path computes them.
      const n = new Float64Array(count);
      const mean = new Float64Array(count);
      const m2 = new Float64Array(count);
      for (let row = 0; row < length; row++) {
        if (valid !== undefined && !isValidAt(valid, row)) continue;
        const x = values[row]!;
        const g = ids[row]!;
        const c = ++n[g]!;
        const delta = x - mean[g]!;
        mean[g]! += delta / c;
        m2[g]! += delta * (x - mean[g]!);
      }
      const out = new Array<Value>(count);
      for (let g = 0; g < count; g++) {
        if (n[g]! < 2) {
          out[g] = null;
          continue;
        }
        const variance = Math.max(0, m2[g]! / (n[g]! - 1));
        out[g] = fn === 'stddev' ? Math.sqrt(variance) : variance;
      }
      return { type, values: out };
    }
  }
}

/** The widest (group, value) range a bitset marks (4 MiB of bits). */
const MAX_SEEN_BITS = 1 << 25;

/**
 * COUNT(DISTINCT x) per group of INT values: each (group, value) pair as one number, marked in a
 * bitset when the pairs' range is small enough, else sorted (a typed array's sort, no
 * comparator) and distinct neighbours counted per group. NULLs are not
 * counted; a group without values counts 0. Undefined when the pairs do not fit in 2^53.
 */
function countDistinctIntegers(
  values: Float64Array,
  valid: Uint8Array | undefined,
  ids: ArrayLike<number>,
  count: number,
): KernelResult | undefined {
  const length = ids.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let n = 0;
  for (let row = 0; row < length; row++) {
    if (valid !== undefined && !isValidAt(valid, row)) continue;
    const x = values[row]!;
    if (x < min) min = x;
    if (x > max) max = x;
    n++;
  }
  const out = new Float64Array(count);
  if (n > 0) {
    const span = max - min + 1;
    if (!(span * count < 2 ** 53)) return undefined;
    if (span * count <= MAX_SEEN_BITS) {
      // Pairs few enough for a bitset of those seen: one pass, no sort.
      const seen = new Uint32Array(Math.ceil((span * count) / 32));
      for (let row = 0; row < length; row++) {
        if (valid !== undefined && !isValidAt(valid, row)) continue;
        const g = ids[row]!;
        const at = g * span + (values[row]! - min);
        const word = at >>> 5;
        const bit = 1 << (at & 31);
        if ((seen[word]! & bit) === 0) {
          seen[word]! |= bit;
          out[g]!++;
        }
      }
    } else {
      const pairs = new Float64Array(n);
      for (let row = 0, at = 0; row < length; row++) {
        if (valid !== undefined && !isValidAt(valid, row)) continue;
        pairs[at++] = ids[row]! * span + (values[row]! - min);
      }
      pairs.sort();
      for (let i = 0; i < n; i++) {
        if (i > 0 && pairs[i] === pairs[i - 1]) continue;
        out[Math.floor(pairs[i]! / span)]!++;
      }
    }
  }
  return { type: aggregateType('countDistinct', T.int), values: Array.from(out) };
}

const SHARED_PASS = new Set<AggregateFunction>(['count', 'sum', 'avg', 'min', 'max', 'stddev', 'variance']);

/**
 * Each call's fn(vector) per group, as `aggregateVector` computes it, with the calls over one
 * DOUBLE vector (the count, mean, deviation, minimum and maximum of one column) computed in one
 * loop over its rows instead of one loop each. The per-group arithmetic is the same operations in
 * the same row order, so the results are the same bits. Undefined entries: the row path computes them.
 */
export function aggregateVectors(
  calls: readonly { readonly fn: AggregateFunction; readonly vector: NumericVector | undefined }[],
  grouping: { readonly ids: ArrayLike<number>; readonly count: number },
): (KernelResult | undefined)[] {
  const results: (KernelResult | undefined)[] = new Array(calls.length).fill(undefined);
  const shared = new Map<Float64Array, number[]>();
  calls.forEach(({ fn, vector }, index) => {
    if (!vector) return;
    if (vector.kind === 'double' && SHARED_PASS.has(fn)) {
      const list = shared.get(vector.values) ?? [];
      list.push(index);
      shared.set(vector.values, list);
      return;
    }
    results[index] = aggregateVector(fn, vector, grouping);
  });
  for (const indices of shared.values()) {
    const vectors = indices.map((index) => calls[index]!.vector!);
    // One pass only over one vector: the same values with the same validity.
    if (indices.length === 1 || vectors.some((vector) => vector.valid !== vectors[0]!.valid)) {
      for (const index of indices)
        results[index] = aggregateVector(calls[index]!.fn, calls[index]!.vector!, grouping);
      continue;
    }
    const moments = doubleMoments(vectors[0]!, grouping, new Set(indices.map((index) => calls[index]!.fn)));
    for (const index of indices) {
      results[index] = momentResult(calls[index]!.fn, vectors[0]!.type, moments, grouping.count);
    }
  }
  return results;
}

interface Moments {
  readonly n: Float64Array;
  readonly total?: Float64Array;
  readonly low?: Float64Array;
  readonly high?: Float64Array;
  readonly mean?: Float64Array;
  readonly m2?: Float64Array;
}

function doubleMoments(
  vector: NumericVector,
  grouping: { readonly ids: ArrayLike<number>; readonly count: number },
  fns: ReadonlySet<AggregateFunction>,
): Moments {
  const { values, valid } = vector;
  const { ids, count } = grouping;
  const length = ids.length;
  const n = new Float64Array(count);
  const sum = fns.has('sum') || fns.has('avg');
  const min = fns.has('min');
  const max = fns.has('max');
  const spread = fns.has('stddev') || fns.has('variance');
  const total = new Float64Array(sum ? count : 0);
  const low = new Float64Array(min ? count : 0);
  const high = new Float64Array(max ? count : 0);
  const mean = new Float64Array(spread ? count : 0);
  const m2 = new Float64Array(spread ? count : 0);
  for (let row = 0; row < length; row++) {
    if (valid !== undefined && !isValidAt(valid, row)) continue;
    const g = ids[row]!;
    const x = values[row]!;
    const c = ++n[g]!;
    if (sum) total[g]! += x;
    if (min && (c === 1 || x < low[g]!)) low[g] = x;
    if (max && (c === 1 || x > high[g]!)) high[g] = x;
    if (spread) {
      const delta = x - mean[g]!;
      mean[g]! += delta / c;
      m2[g]! += delta * (x - mean[g]!);
    }
  }
  return { n, total, low, high, mean, m2 };
}

function momentResult(
  fn: AggregateFunction,
  argType: SqlType,
  moments: Moments,
  count: number,
): KernelResult {
  const type = aggregateType(fn, argType);
  const { n } = moments;
  const out = new Array<Value>(count);
  for (let g = 0; g < count; g++) {
    const seen = n[g]!;
    switch (fn) {
      case 'count':
        out[g] = seen;
        break;
      case 'sum':
        out[g] = seen === 0 ? null : moments.total![g]!;
        break;
      case 'avg':
        out[g] = seen === 0 ? null : moments.total![g]! / seen;
        break;
      case 'min':
        out[g] = seen === 0 ? null : moments.low![g]!;
        break;
      case 'max':
        out[g] = seen === 0 ? null : moments.high![g]!;
        break;
      default: {
        if (seen < 2) {
          out[g] = null;
          break;
        }
        const variance = Math.max(0, moments.m2![g]! / (seen - 1));
        out[g] = fn === 'stddev' ? Math.sqrt(variance) : variance;
      }
    }
  }
  return { type, values: out };
}
