/**
 * Aggregate functions over groups of rows, with MariaDB's results: NULL for SUM/AVG/MIN/MAX of no
 * values, COUNT counting non-NULL values, AVG of an exact column as a DECIMAL with 4 more digits,
 * sample STDDEV and VARIANCE (STDDEV_SAMP, VAR_SAMP; NULL for fewer than two values), MIN/MAX by
 * the collation for strings.
 */
import type { AggregateFunction } from '../../plan/expr.ts';
import type { Values } from '../batch.ts';
import type { Collation } from '../collation.ts';
import { groupKey, keysOf, orderKey } from '../compare.ts';
import {
  type DecimalValue,
  DIV_PRECISION_INCREMENT,
  decimalArithmetic,
  divideRounded,
  divisionFrac,
  fromUnscaled,
  fromUnscaledNumber,
  MAX_DOUBLE_FRAC,
  MAX_SCALE,
  POW10,
  pow10n,
  SAFE_UNSCALED,
  unscaledBig,
} from '../decimal.ts';
import { groupRows } from '../relational.ts';
import { fracOf, isExactNumeric, type SqlType, scaleOf, T, type Value } from '../types.ts';
import { normalizeInt, toNumber } from '../values.ts';

/** Rows grouped: the group of each row, and how many groups (one for a global aggregate, even of no rows). */
export interface Grouping {
  readonly ids: ArrayLike<number>;
  readonly count: number;
}

export interface AggregateResult {
  readonly type: SqlType;
  readonly values: Value[];
}

/** The type of fn(arg), as MariaDB types it. */
export function aggregateType(fn: AggregateFunction, arg: SqlType | undefined): SqlType {
  switch (fn) {
    case 'count':
    case 'countDistinct':
      return T.int;
    case 'min':
    case 'max':
      // One of the values: a column keeps its Arrow type.
      return arg ?? T.null;
    case 'sum':
      if (arg?.kind === 'int') return T.int;
      if (arg?.kind === 'decimal') return T.decimal(arg.scale ?? 0, fracOf(arg));
      return arg?.kind === 'null' ? T.null : T.double;
    case 'avg':
      // The sum divided by the count, as the server's my_decimal_div does it.
      if (arg && isExactNumeric(arg))
        return T.decimal(
          Math.min(scaleOf(arg) + DIV_PRECISION_INCREMENT, MAX_SCALE),
          divisionFrac(fracOf(arg), 0),
        );
      return arg?.kind === 'null' ? T.null : T.double;
    case 'stddev':
    case 'variance':
      // The server fixes the digits it shows for exact columns (STDDEV of an INT shows 4).
      if (arg && isExactNumeric(arg)) return { kind: 'double', scale: scaleOf(arg) + 4 };
      return arg?.kind === 'null' ? T.null : T.double;
  }
}

/** A numeric reader for values of `type` (strings and dates as DOUBLEs, as SUM reads them). */
function numbers(type: SqlType): (value: Value) => number | bigint | null {
  if (type.kind === 'int' || type.kind === 'decimal' || type.kind === 'double') {
    return (value) => value as number | bigint | null;
  }
  return (value) => {
    const number = toNumber(value, type);
    return number === null ? null : Number(number);
  };
}

function counts(values: Values | undefined, grouping: Grouping): Value[] {
  const out = new Float64Array(grouping.count);
  const { ids } = grouping;
  // COUNT(*) of one group (no GROUP BY): its rows.
  if (values === undefined && grouping.count === 1) return [ids.length];
  if (values === undefined) {
    for (let row = 0; row < ids.length; row++) out[ids[row]!]!++;
  } else {
    for (let row = 0; row < ids.length; row++) if (values[row] !== null) out[ids[row]!]!++;
  }
  return Array.from(out);
}

function countDistinct(values: Values, type: SqlType, grouping: Grouping, collation: Collation): Value[] {
  const out = new Array<Value>(grouping.count).fill(0);
  const keys = keysOf(values, groupKey(type, collation));
  const pairs = groupRows([Array.from(grouping.ids), keys], values.length);
  for (let i = 0; i < pairs.count; i++) {
    const row = pairs.firstRows[i]!;
    if (keys[row] !== null) out[grouping.ids[row]!] = (out[grouping.ids[row]!] as number) + 1;
  }
  return out;
}

function sums(values: Values, type: SqlType, grouping: Grouping): { sums: Value[]; counts: Float64Array } {
  if (type.kind === 'decimal') return decimalSums(values, fracOf(type), grouping);
  const read = numbers(type);
  const { ids } = grouping;
  const total = new Float64Array(grouping.count);
  const seen = new Float64Array(grouping.count);
  let needsBigInt = false;
  for (let row = 0; row < ids.length; row++) {
    const value = read(values[row]!);
    if (value === null) continue;
    const group = ids[row]!;
    seen[group]!++;
    if (typeof value === 'bigint') needsBigInt = true;
    const sum = total[group]! + Number(value);
    // Past 2^53 on the way a double sum of integers may have lost a unit, even if it comes back.
    if (sum >= 2 ** 53 || sum <= -(2 ** 53)) needsBigInt = true;
    total[group] = sum;
  }
  const out = new Array<Value>(grouping.count);
  if (type.kind === 'int') {
    for (let g = 0; g < grouping.count; g++) if (Math.abs(total[g]!) >= 2 ** 53) needsBigInt = true;
  }
  if (type.kind === 'int' && needsBigInt) {
    // Integer sums beyond 2^53 are summed again exactly.
    const exact = new Array<bigint>(grouping.count).fill(0n);
    for (let row = 0; row < ids.length; row++) {
      const value = values[row];
      if (value !== null && value !== undefined) exact[ids[row]!]! += BigInt(value as number | bigint);
    }
    for (let g = 0; g < grouping.count; g++) out[g] = seen[g] === 0 ? null : normalizeInt(exact[g]!);
    return { sums: out, counts: seen };
  }
  for (let g = 0; g < grouping.count; g++) out[g] = seen[g] === 0 ? null : total[g]!;
  return { sums: out, counts: seen };
}

/** Above this a group's running double sum moves into its bigint, so every addition stays exact. */
const FLUSH = 2 ** 52;

/**
 * DECIMAL sums on unscaled integers: each value's unscaled integer (exact, see decimal.ts) adds
 * into a per-group double while that stays below 2^52, and moves into a per-group bigint before
 * it could lose a unit. The result does not depend on the order of the rows.
 */
function decimalSums(
  values: Values,
  frac: number,
  grouping: Grouping,
): { sums: Value[]; counts: Float64Array } {
  const { ids } = grouping;
  const total = new Float64Array(grouping.count);
  const seen = new Float64Array(grouping.count);
  let big: bigint[] | undefined;
  const factor = frac <= MAX_DOUBLE_FRAC ? POW10[frac]! : Number.NaN;
  for (let row = 0; row < ids.length; row++) {
    const value = values[row]!;
    if (value === null) continue;
    const group = ids[row]!;
    seen[group]!++;
    if (typeof value === 'number') {
      const unscaled = Math.round(value * factor);
      if (unscaled < SAFE_UNSCALED && unscaled > -SAFE_UNSCALED) {
        const sum = total[group]! + unscaled;
        if (sum < FLUSH && sum > -FLUSH) {
          total[group] = sum;
          continue;
        }
      }
    }
    big ??= new Array<bigint>(grouping.count).fill(0n);
    big[group]! += unscaledBig(value as DecimalValue, frac);
  }
  const out = new Array<Value>(grouping.count);
  for (let g = 0; g < grouping.count; g++) {
    if (seen[g] === 0) out[g] = null;
    else if (big === undefined || big[g] === 0n) out[g] = fromUnscaledNumber(total[g]!, frac);
    else out[g] = fromUnscaled(big[g]! + BigInt(total[g]!), frac);
  }
  return { sums: out, counts: seen };
}

function extremes(
  values: Values,
  type: SqlType,
  grouping: Grouping,
  collation: Collation,
  max: boolean,
): Value[] {
  const key = orderKey(type, collation);
  const bestKey = new Array<ReturnType<typeof key>>(grouping.count).fill(null);
  const best = new Array<Value>(grouping.count).fill(null);
  const { ids } = grouping;
  for (let row = 0; row < ids.length; row++) {
    const value = values[row]!;
    if (value === null) continue;
    const k = key(value)!;
    const group = ids[row]!;
    const current = bestKey[group];
    if (current === null || current === undefined || (max ? k > current : k < current)) {
      bestKey[group] = k;
      best[group] = value;
    }
  }
  return best;
}

/** Welford's running mean and sum of squared deviations, per group. */
function spreads(values: Values, type: SqlType, grouping: Grouping, standardDeviation: boolean): Value[] {
  const read = numbers(type);
  const n = new Float64Array(grouping.count);
  const mean = new Float64Array(grouping.count);
  const m2 = new Float64Array(grouping.count);
  const { ids } = grouping;
  for (let row = 0; row < ids.length; row++) {
    const value = read(values[row]!);
    if (value === null) continue;
    const x = Number(value);
    const g = ids[row]!;
    const count = ++n[g]!;
    const delta = x - mean[g]!;
    mean[g]! += delta / count;
    m2[g]! += delta * (x - mean[g]!);
  }
  const out = new Array<Value>(grouping.count);
  for (let g = 0; g < grouping.count; g++) {
    if (n[g]! < 2) {
      out[g] = null;
      continue;
    }
    const variance = Math.max(0, m2[g]! / (n[g]! - 1));
    out[g] = standardDeviation ? Math.sqrt(variance) : variance;
  }
  return out;
}

/**
 * SUM and AVG of a quotient (values with more digits than their scale) per group, as MariaDB
 * computes them when it groups through a temporary table (a GROUP BY without a usable index):
 * the running sum lives in a column of the result's scale, so it is rounded to that scale after
 * every row (Item_sum_sum::update_field storing into its DECIMAL field). Without GROUP BY the
 * server keeps every digit, and so does the plain path.
 */
function groupedQuotientSums(
  fn: 'sum' | 'avg',
  values: Values,
  argType: SqlType,
  grouping: Grouping,
): Value[] {
  const frac = fracOf(argType);
  const scale = scaleOf(argType);
  const step = pow10n(frac - scale);
  const totals = new Array<bigint | null>(grouping.count).fill(null);
  const seen = new Float64Array(grouping.count);
  const { ids } = grouping;
  for (let row = 0; row < ids.length; row++) {
    const value = values[row]!;
    if (value === null) continue;
    const group = ids[row]!;
    seen[group]!++;
    const sum = (totals[group] ?? 0n) * step + unscaledBig(value as DecimalValue, frac);
    totals[group] = divideRounded(sum, step);
  }
  const sumType = T.decimal(scale);
  const divide = decimalArithmetic('/', scale, 0, fracOf(aggregateType('avg', sumType)));
  return totals.map((total, g) => {
    if (total === null) return null;
    const sum = fromUnscaled(total, scale);
    return fn === 'sum' ? sum : divide(sum, seen[g]!);
  });
}

/** fn(values) for every group; `values` undefined is COUNT(*). */
export function aggregate(
  fn: AggregateFunction,
  values: Values | undefined,
  argType: SqlType | undefined,
  grouping: Grouping,
  collation: Collation,
  grouped = false,
): AggregateResult {
  if (grouped && (fn === 'sum' || fn === 'avg') && argType && fracOf(argType) > scaleOf(argType)) {
    return {
      type: aggregateType(fn, T.decimal(scaleOf(argType))),
      values: groupedQuotientSums(fn, values!, argType, grouping),
    };
  }
  const type = aggregateType(fn, argType);
  if (values === undefined || argType === undefined)
    return { type: T.int, values: counts(undefined, grouping) };
  switch (fn) {
    case 'count':
      return { type, values: counts(values, grouping) };
    case 'countDistinct':
      return { type, values: countDistinct(values, argType, grouping, collation) };
    case 'sum':
      return { type, values: sums(values, argType, grouping).sums };
    case 'avg': {
      const { sums: totals, counts: seen } = sums(values, argType, grouping);
      if (type.kind !== 'decimal') {
        return { type, values: totals.map((total, g) => (total === null ? null : Number(total) / seen[g]!)) };
      }
      const divide = decimalArithmetic('/', fracOf(argType), 0, fracOf(type));
      const out = totals.map((total, g) => (total === null ? null : divide(total as DecimalValue, seen[g]!)));
      return { type, values: out };
    }
    case 'min':
    case 'max':
      return { type, values: extremes(values, argType, grouping, collation, fn === 'max') };
    case 'stddev':
    case 'variance':
      return { type, values: spreads(values, argType, grouping, fn === 'stddev') };
  }
}
