/**
 * Aggregates over window frames. A frame is a range of positions in an ordered partition that
 * only moves forward as the current row does (ROWS frames, and the default frame up to the
 * current row's last peer), so each aggregate keeps a running state: values enter at the frame's
 * end and leave at its start. MIN and MAX keep a monotonic queue.
 */
import type { AggregateFunction } from '../../plan/expr.ts';
import type { Values } from '../batch.ts';
import type { Collation } from '../collation.ts';
import { exactKey, type Key, orderKey } from '../compare.ts';
import { type DecimalValue, decimalArithmetic, fromUnscaled, fromUnscaledNumber } from '../decimal.ts';
import { fracOf, isExactNumeric, type SqlType, type Value } from '../types.ts';
import { normalizeInt, toNumber } from '../values.ts';
import { aggregateType } from './accumulate.ts';

/** The frame of each position of a partition of `size` rows: [start, end], empty when start > end. */
export type FrameBounds = (position: number) => readonly [number, number];

interface RunningAggregate {
  add(row: number): void;
  remove(row: number): void;
  value(): Value;
}

function numberReader(values: Values, type: SqlType): (row: number) => number | bigint | null {
  if (type.kind === 'int' || type.kind === 'decimal' || type.kind === 'double') {
    return (row) => values[row] as number | bigint | null;
  }
  return (row) => {
    const number = toNumber(values[row]!, type);
    return number === null ? null : Number(number);
  };
}

function running(
  fn: AggregateFunction,
  values: Values | undefined,
  type: SqlType | undefined,
  collation: Collation,
): () => RunningAggregate {
  if (values === undefined || type === undefined) {
    return () => {
      let n = 0;
      return { add: () => n++, remove: () => n--, value: () => n };
    };
  }
  if (fn === 'count' || fn === 'countDistinct') {
    return () => {
      let n = 0;
      return {
        add: (row) => {
          if (values[row] !== null) n++;
        },
        remove: (row) => {
          if (values[row] !== null) n--;
        },
        value: () => n,
      };
    };
  }
  if (fn === 'min' || fn === 'max') return runningExtreme(values, type, collation, fn === 'max');
  if ((fn === 'sum' || fn === 'avg') && isExactNumeric(type)) return runningExactSum(values, type, fn);
  const read = numberReader(values, type);
  return () => {
    let n = 0;
    let sum = 0;
    let sumSquares = 0;
    let shift: number | undefined;
    const take = (row: number, sign: 1 | -1) => {
      const value = read(row);
      if (value === null) return;
      n += sign;
      const x = Number(value);
      shift ??= x;
      const d = x - shift;
      sum += sign * d;
      sumSquares += sign * d * d;
    };
    return {
      add: (row) => take(row, 1),
      remove: (row) => take(row, -1),
      value: () => {
        if (n === 0) return null;
        const total = sum + n * shift!;
        switch (fn) {
          // INT and DECIMAL take runningExactSum: these are DOUBLE sums.
          case 'sum':
            return total;
          case 'avg':
            return total / n;
          default: {
            if (n < 2) return null;
            const variance = Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
            return fn === 'stddev' ? Math.sqrt(variance) : variance;
          }
        }
      },
    };
  };
}

/** Below this a running sum of unscaled integers in a double stays exact after one more addend below it. */
const FLUSH = 2 ** 52;

/**
 * SUM and AVG of INT or DECIMAL over a moving frame, exact: the unscaled integers (exactKey) add
 * in a double while it stays below 2^52 and spill into a bigint beyond, so the result does not
 * depend on the order values enter and leave; AVG divides as the server's my_decimal_div does.
 */
function runningExactSum(values: Values, type: SqlType, fn: 'sum' | 'avg'): () => RunningAggregate {
  const frac = fracOf(type);
  const toUnscaled = exactKey(frac);
  const units: (number | bigint | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) units[i] = toUnscaled(values[i]!) as number | bigint | null;
  const resultType = aggregateType(fn, type);
  const divide = fn === 'avg' ? decimalArithmetic('/', frac, 0, fracOf(resultType)) : undefined;
  const asValue = (unscaled: bigint): DecimalValue =>
    type.kind === 'int' ? normalizeInt(unscaled) : fromUnscaled(unscaled, frac);
  return () => {
    let n = 0;
    let small = 0;
    let big = 0n;
    const take = (row: number, sign: 1 | -1) => {
      const unit = units[row];
      if (unit === null || unit === undefined) return;
      n += sign;
      if (typeof unit === 'bigint') {
        big += sign === 1 ? unit : -unit;
      } else if (unit >= FLUSH || unit <= -FLUSH || small >= FLUSH || small <= -FLUSH) {
        big += BigInt(small) + BigInt(sign * unit);
        small = 0;
      } else {
        small += sign * unit;
      }
    };
    return {
      add: (row) => take(row, 1),
      remove: (row) => take(row, -1),
      value: () => {
        if (n === 0) return null;
        const sum =
          big === 0n && type.kind === 'decimal'
            ? fromUnscaledNumber(small, frac)
            : big === 0n
              ? small
              : asValue(big + BigInt(small));
        return divide ? divide(sum, n) : sum;
      },
    };
  };
}

/** MIN/MAX over a moving frame: a queue of positions whose keys only decrease (MAX) or increase (MIN). */
function runningExtreme(
  values: Values,
  type: SqlType,
  collation: Collation,
  max: boolean,
): () => RunningAggregate {
  const key = orderKey(type, collation);
  const keys: (Key | null)[] = new Array(values.length).fill(null);
  for (let i = 0; i < values.length; i++) keys[i] = key(values[i]!);
  return () => {
    const queue: number[] = [];
    let head = 0;
    return {
      add: (row) => {
        const k = keys[row];
        if (k === null || k === undefined) return;
        // Earlier rows with an equal key stay in front: the first of equals is the answer.
        while (
          queue.length > head &&
          (max ? keys[queue[queue.length - 1]!]! < k : keys[queue[queue.length - 1]!]! > k)
        ) {
          queue.pop();
        }
        queue.push(row);
      },
      remove: (row) => {
        if (queue.length > head && queue[head] === row) head++;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
      },
      value: () => (queue.length > head ? values[queue[head]!]! : null),
    };
  };
}

/** fn over each position's frame, for one partition (`rows` in order), written into `out`. */
export function frameAggregate(
  fn: AggregateFunction,
  values: Values | undefined,
  type: SqlType | undefined,
  collation: Collation,
): (rows: ArrayLike<number>, bounds: FrameBounds, out: Value[]) => void {
  const make = running(fn, values, type, collation);
  return (rows, bounds, out) => {
    const state = make();
    let lo = 0;
    let hi = -1;
    for (let position = 0; position < rows.length; position++) {
      const [start, end] = bounds(position);
      while (hi < end) {
        hi++;
        if (hi >= lo) state.add(rows[hi]!);
      }
      while (lo < start) {
        if (lo <= hi) state.remove(rows[lo]!);
        lo++;
      }
      out[rows[position]!] = state.value();
    }
  };
}
