/**
 * Window functions over numeric vectors (INT and DOUBLE): one loop per partition over typed
 * arrays, no value objects per row. The rows come ordered and split into partitions once per
 * window specification (ops/window.ts); a kernel writes its result at each row's position.
 *
 * Frame aggregates keep the row path's running state exactly (ops/frames.ts): values enter at
 * the frame's end and leave at its start, COUNT/SUM/AVG/STDDEV/VARIANCE as a count and sums of
 * differences from the partition's first value (the same additions in the same order, so the
 * answers are the row path's bit for bit), MIN/MAX as a monotone queue of positions. SUM of INT
 * is taken here only when every partial sum is an integer a double holds exactly; AVG of INT and
 * anything DECIMAL stay on the exact row path.
 */
import type { AggregateFunction } from '../../plan/expr.ts';
import { allValid, clearBit, isValidAt, kernelsEnabled, type NumericVector } from './vectors.ts';

/** The frame of each position: ROWS offsets (undefined: unbounded), or up to each row's last peer. */
export interface KernelFrame {
  readonly start: number | undefined;
  readonly end: number | undefined;
  /** For the default ordered frame: the last peer's position of each position of the partition. */
  readonly lastPeer?: (rows: ArrayLike<number>) => Int32Array;
}

/** Below this every partial sum of integers is exact in a double (as frames.ts's FLUSH). */
const EXACT_SUM = 2 ** 52;

const KERNEL_AGGREGATES = new Set<AggregateFunction>([
  'count',
  'sum',
  'avg',
  'stddev',
  'variance',
  'min',
  'max',
]);

/** Whether frameAggregateVector computes fn over this argument (else the row path does). */
export function frameKernelApplies(fn: AggregateFunction, arg: NumericVector | undefined): boolean {
  if (!kernelsEnabled() || !KERNEL_AGGREGATES.has(fn)) return false;
  if (arg === undefined) return fn === 'count';
  if (arg.kind === 'double') return true;
  if (arg.kind !== 'int') return false;
  if (fn === 'avg') return false;
  if (fn !== 'sum') return true;
  let total = 0;
  const { values, valid, length } = arg;
  for (let i = 0; i < length; i++) if (isValidAt(valid, i)) total += Math.abs(values[i]!);
  return total < EXACT_SUM;
}

/** Fills a result vector's validity: NULL where `n` (values counted in the frame) gives none. */
function newResult(length: number): KernelResult {
  return { values: new Float64Array(length), valid: allValid(length) };
}

/** A kernel's result: a value per row, NULL where its bit is clear. */
export type KernelResult = { values: Float64Array; valid: Uint8Array };

/**
 * fn over each position's frame, every partition, as a vector of `length` rows (NULL where the
 * frame holds no value, or fewer than two for STDDEV/VARIANCE). COUNT(*) when `arg` is undefined.
 */
export function frameAggregateVector(
  fn: AggregateFunction,
  arg: NumericVector | undefined,
  partitions: readonly ArrayLike<number>[],
  frame: KernelFrame,
  length: number,
): KernelResult {
  return frameAggregateVectors([fn], arg, partitions, frame, length).get(fn)!;
}

/**
 * Whether fn adds the argument's values as they are rather than as differences from the first
 * (SUM of INT, exact below EXACT_SUM): such a SUM shares its loop only with functions that do too.
 */
export const addsUnshifted = (fn: AggregateFunction, arg: NumericVector | undefined): boolean =>
  fn === 'sum' && arg?.kind === 'int';

/**
 * frameAggregateVector for several functions of the same argument and frame: COUNT, SUM, AVG,
 * STDDEV and VARIANCE come from one pass over the frames (two when a SUM of INT adds unshifted,
 * see addsUnshifted), each with the same additions as alone, so the same bits.
 */
export function frameAggregateVectors(
  fns: readonly AggregateFunction[],
  arg: NumericVector | undefined,
  partitions: readonly ArrayLike<number>[],
  frame: KernelFrame,
  length: number,
): Map<AggregateFunction, KernelResult> {
  const results = new Map<AggregateFunction, KernelResult>();
  for (const fn of fns) results.set(fn, newResult(length));
  const outputs = (unshifted: boolean): SumOutputs | undefined => {
    const pick = (fn: AggregateFunction) =>
      addsUnshifted(fn, arg) === unshifted ? results.get(fn) : undefined;
    const picked = {
      count: pick('count'),
      sum: pick('sum'),
      avg: pick('avg'),
      stddev: pick('stddev'),
      variance: pick('variance'),
    };
    return Object.values(picked).some((result) => result !== undefined) ? picked : undefined;
  };
  // A SUM of INT adds unshifted: one loop for it, one for the shifted rest.
  const loops = [outputs(false), outputs(true)].filter((o): o is SumOutputs => o !== undefined);
  const extremes = fns.filter((fn) => fn === 'min' || fn === 'max');
  const queue = extremes.length > 0 ? new Int32Array(maxSize(partitions)) : undefined;
  for (const rows of partitions) {
    const lastPeer = frame.lastPeer?.(rows);
    for (const fn of extremes)
      runExtreme(arg!, rows, frame, lastPeer, fn === 'max', queue!, results.get(fn)!);
    for (const loop of loops)
      runSums(loop, arg, rows, frame, lastPeer, loop.sum !== undefined && addsUnshifted('sum', arg));
  }
  return results;
}

const maxSize = (partitions: readonly ArrayLike<number>[]) =>
  partitions.reduce((max, rows) => Math.max(max, rows.length), 0);

function frameStart(frame: KernelFrame, position: number): number {
  return frame.start === undefined ? 0 : Math.max(0, position + frame.start);
}

function frameEnd(
  frame: KernelFrame,
  position: number,
  size: number,
  lastPeer: Int32Array | undefined,
): number {
  if (lastPeer) return lastPeer[position]!;
  return frame.end === undefined ? size - 1 : Math.min(size - 1, position + frame.end);
}

/** The results runSums writes (undefined: not asked for). */
interface SumOutputs {
  readonly count: KernelResult | undefined;
  readonly sum: KernelResult | undefined;
  readonly avg: KernelResult | undefined;
  readonly stddev: KernelResult | undefined;
  readonly variance: KernelResult | undefined;
}

function runSums(
  out: SumOutputs,
  arg: NumericVector | undefined,
  rows: ArrayLike<number>,
  frame: KernelFrame,
  lastPeer: Int32Array | undefined,
  unshifted: boolean,
): void {
  const size = rows.length;
  const values = arg?.values;
  const valid = arg?.valid;
  const { count, sum: sumOut, avg, stddev, variance } = out;
  const spread = stddev !== undefined || variance !== undefined;
  let n = 0;
  let sum = 0;
  let sumSquares = 0;
  // Integers add as they are (exact below EXACT_SUM); doubles as differences from the first value.
  let shift = 0;
  let shifted = unshifted;
  let lo = 0;
  let hi = -1;
  // Frame offsets as locals (undefined: unbounded); lastPeer replaces the end when given.
  const startOffset = frame.start === undefined ? Number.NEGATIVE_INFINITY : frame.start;
  const endOffset = frame.end === undefined ? Number.POSITIVE_INFINITY : frame.end;
  for (let position = 0; position < size; position++) {
    const start = Math.max(0, position + startOffset);
    const end = lastPeer ? lastPeer[position]! : Math.min(size - 1, position + endOffset);
    while (hi < end) {
      hi++;
      if (hi < lo) continue;
      if (values === undefined) {
        n++;
        continue;
      }
      const row = rows[hi]!;
      if (valid !== undefined && (valid[row >> 3]! & (1 << (row & 7))) === 0) continue;
      n++;
      const x = values[row]!;
      if (!shifted) {
        shift = x;
        shifted = true;
      }
      const d = x - shift;
      sum += d;
      sumSquares += d * d;
    }
    while (lo < start) {
      if (lo <= hi) {
        if (values === undefined) n--;
        else {
          const row = rows[lo]!;
          if (valid === undefined || (valid[row >> 3]! & (1 << (row & 7))) !== 0) {
            n--;
            const d = values[row]! - shift;
            sum += -d;
            sumSquares += -d * d;
          }
        }
      }
      lo++;
    }
    const at = rows[position]!;
    if (count !== undefined) count.values[at] = n;
    if (n === 0) {
      if (sumOut !== undefined) clearBit(sumOut.valid, at);
      if (avg !== undefined) clearBit(avg.valid, at);
      if (stddev !== undefined) clearBit(stddev.valid, at);
      if (variance !== undefined) clearBit(variance.valid, at);
      continue;
    }
    const total = sum + n * shift;
    if (sumOut !== undefined) sumOut.values[at] = total;
    if (avg !== undefined) avg.values[at] = total / n;
    if (!spread) continue;
    if (n < 2) {
      if (stddev !== undefined) clearBit(stddev.valid, at);
      if (variance !== undefined) clearBit(variance.valid, at);
      continue;
    }
    const v = Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
    if (variance !== undefined) variance.values[at] = v;
    if (stddev !== undefined) stddev.values[at] = Math.sqrt(v);
  }
}

/** MIN/MAX: positions whose values only decrease (MAX) or increase (MIN) from the queue's head. */
function runExtreme(
  arg: NumericVector,
  rows: ArrayLike<number>,
  frame: KernelFrame,
  lastPeer: Int32Array | undefined,
  max: boolean,
  queue: Int32Array,
  out: { values: Float64Array; valid: Uint8Array },
): void {
  const { values, valid } = arg;
  const size = rows.length;
  let head = 0;
  let tail = 0;
  let lo = 0;
  let hi = -1;
  for (let position = 0; position < size; position++) {
    const start = frameStart(frame, position);
    const end = frameEnd(frame, position, size, lastPeer);
    while (hi < end) {
      hi++;
      if (hi < lo) continue;
      const row = rows[hi]!;
      if (valid !== undefined && !isValidAt(valid, row)) continue;
      const x = values[row]!;
      // Earlier rows with an equal value stay in front: the first of equals is the answer.
      while (
        tail > head &&
        (max ? values[rows[queue[tail - 1]!]!]! < x : values[rows[queue[tail - 1]!]!]! > x)
      )
        tail--;
      queue[tail++] = hi;
    }
    while (lo < start) {
      if (lo <= hi && tail > head && queue[head] === lo) head++;
      lo++;
    }
    const at = rows[position]!;
    if (tail > head) out.values[at] = values[rows[queue[head]!]!]!;
    else clearBit(out.valid, at);
  }
}

/** LAG (negative offset) or LEAD of a numeric vector within each partition. */
export function shiftVector(
  arg: NumericVector,
  partitions: readonly ArrayLike<number>[],
  offset: number,
  length: number,
): { values: Float64Array; valid: Uint8Array } {
  const out = newResult(length);
  const { values, valid } = arg;
  for (const rows of partitions) {
    const size = rows.length;
    for (let i = 0; i < size; i++) {
      const at = rows[i]!;
      const from = i + offset;
      if (from < 0 || from >= size) {
        clearBit(out.valid, at);
        continue;
      }
      const row = rows[from]!;
      if (valid !== undefined && !isValidAt(valid, row)) clearBit(out.valid, at);
      else out.values[at] = values[row]!;
    }
  }
  return out;
}

/** ROW_NUMBER, RANK or DENSE_RANK per partition (`peers(rows)`: whether each position ties the previous). */
export function rankVector(
  fn: 'rowNumber' | 'rank' | 'denseRank',
  partitions: readonly ArrayLike<number>[],
  peers: (rows: ArrayLike<number>) => Uint8Array,
  length: number,
): Float64Array {
  const out = new Float64Array(length);
  for (const rows of partitions) {
    const size = rows.length;
    if (fn === 'rowNumber') {
      for (let i = 0; i < size; i++) out[rows[i]!] = i + 1;
      continue;
    }
    const peer = peers(rows);
    let rank = 0;
    let dense = 0;
    for (let i = 0; i < size; i++) {
      if (i === 0 || !peer[i]) {
        rank = i + 1;
        dense++;
      }
      out[rows[i]!] = fn === 'rank' ? rank : dense;
    }
  }
  return out;
}
