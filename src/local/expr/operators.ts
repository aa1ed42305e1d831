/**
 * Operators with MariaDB's semantics: arithmetic typed as the server types it (integer, DECIMAL
 * with its scale, DOUBLE), division and modulo by zero giving NULL, comparisons returning 1/0/NULL,
 * AND/OR/NOT in three-valued logic, IN and BETWEEN with their NULL rules.
 */
import type { ArithmeticOp, ComparisonOp } from '../../plan/expr.ts';
import type { Collation } from '../collation.ts';
import { commonKeys, comparisonKeys, type Key } from '../compare.ts';
import {
  type DecimalValue,
  DIV_PRECISION_INCREMENT,
  decimalArithmetic,
  divisionFrac,
  MAX_SCALE,
} from '../decimal.ts';
import { computed, fracOf, type SqlType, scaleOf, T, type Value } from '../types.ts';
import { normalizeInt, toNumber, truth } from '../values.ts';
import { arithmeticKind, type Compiled, constant, derived } from './compiled.ts';

type Num = number | bigint;

/**
 * The result type of `left op right`, as MariaDB types it: the display scale is the larger one
 * for + - %, the sum for * and the dividend's + div_precision_increment for /, capped at 38; the
 * internal digits follow decimal.ts.
 */
export function arithmeticType(op: ArithmeticOp, left: SqlType, right: SqlType): SqlType {
  const a = arithmeticKind(left);
  const b = arithmeticKind(right);
  if (a === 'null' || b === 'null') return T.null;
  if (a === 'double' || b === 'double') return T.double;
  const fracA = fracOf(left);
  const fracB = fracOf(right);
  if (op === '/') {
    return T.decimal(
      Math.min(scaleOf(left) + DIV_PRECISION_INCREMENT, MAX_SCALE),
      divisionFrac(fracA, fracB),
    );
  }
  if (a === 'int' && b === 'int') return T.int;
  if (op === '*') return T.decimal(Math.min(scaleOf(left) + scaleOf(right), MAX_SCALE), fracA + fracB);
  return T.decimal(Math.max(scaleOf(left), scaleOf(right)), Math.max(fracA, fracB));
}

function intOp(op: ArithmeticOp): (a: Num, b: Num) => Value {
  const big = (a: Num, b: Num, f: (x: bigint, y: bigint) => bigint) => normalizeInt(f(BigInt(a), BigInt(b)));
  switch (op) {
    case '+':
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') {
          const r = a + b;
          if (Number.isSafeInteger(r)) return r;
        }
        return big(a, b, (x, y) => x + y);
      };
    case '-':
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') {
          const r = a - b;
          if (Number.isSafeInteger(r)) return r;
        }
        return big(a, b, (x, y) => x - y);
      };
    case '*':
      return (a, b) => {
        if (typeof a === 'number' && typeof b === 'number') {
          const r = a * b;
          if (Number.isSafeInteger(r)) return r;
        }
        return big(a, b, (x, y) => x * y);
      };
    case '%':
      return (a, b) => {
        // biome-ignore lint/suspicious/noDoubleEquals: 0 and 0n are both zero.
        if (b == 0) return null;
        if (typeof a === 'number' && typeof b === 'number') return a % b;
        return big(a, b, (x, y) => x % y);
      };
    case '/':
      // Division is never integer-typed (see arithmeticType); kept for a total switch.
      return (a, b) => (Number(b) === 0 ? null : Number(a) / Number(b));
  }
}

function floatOp(op: ArithmeticOp): (a: number, b: number) => number | null {
  switch (op) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    case '/':
      return (a, b) => (b === 0 ? null : a / b);
    case '%':
      return (a, b) => (b === 0 ? null : a % b);
  }
}

export function arithmetic(op: ArithmeticOp, left: Compiled, right: Compiled): Compiled {
  const type = arithmeticType(op, left.type, right.type);
  if (type.kind === 'null') return constant(T.null, null);
  const lt = left.type;
  const rt = right.type;
  const le = left.evaluate;
  const re = right.evaluate;
  const read = (evaluate: (row: number) => Value, from: SqlType) =>
    from.kind === 'int' || from.kind === 'decimal' || from.kind === 'double'
      ? (evaluate as (row: number) => Num | null)
      : (row: number) => toNumber(evaluate(row), from);
  // Exact DECIMAL text counts as a number here: the decimal evaluator reads it exactly.
  const a = read(le, lt);
  const b = read(re, rt);
  let evaluate: (row: number) => Value;
  if (type.kind === 'decimal') {
    const f = decimalArithmetic(op, fracOf(lt), fracOf(rt), fracOf(type));
    evaluate = (row) => {
      const x = a(row);
      if (x === null) return null;
      const y = b(row);
      return y === null ? null : f(x as DecimalValue, y as DecimalValue);
    };
  } else if (type.kind === 'int') {
    const f = intOp(op);
    evaluate = (row) => {
      const x = a(row);
      if (x === null) return null;
      const y = b(row);
      return y === null ? null : f(x, y);
    };
  } else {
    const f = floatOp(op);
    evaluate = (row) => {
      const x = a(row);
      if (x === null) return null;
      const y = b(row);
      if (y === null) return null;
      const r = f(Number(x), Number(y));
      return r === null || !Number.isFinite(r) ? null : r;
    };
  }
  return derived(type, [left, right], evaluate);
}

export function negate(operand: Compiled): Compiled {
  const kind = arithmeticKind(operand.type);
  if (kind === 'null') return constant(T.null, null);
  const type = kind === 'double' ? T.double : computed(operand.type);
  const { evaluate } = operand;
  const from = operand.type;
  return derived(type, [operand], (row) => {
    const value = kind === 'double' ? toNumber(evaluate(row), from) : (evaluate(row) as Num | string | null);
    if (value === null) return null;
    if (typeof value === 'bigint') return normalizeInt(-value);
    // Exact DECIMAL text keeps its digits.
    if (typeof value === 'string') return value.startsWith('-') ? value.slice(1) : `-${value}`;
    return value === 0 ? 0 : -Number(value);
  });
}

const COMPARE: Record<ComparisonOp, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '!=': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/** A side's key function; a constant side's key is computed once. */
function keyed(compiled: Compiled, key: (value: Value) => Key | null): (row: number) => Key | null {
  if (compiled.constant) {
    const fixed = key(compiled.evaluate(0));
    return () => fixed;
  }
  const { evaluate } = compiled;
  return (row) => key(evaluate(row));
}

export function comparison(
  op: ComparisonOp,
  left: Compiled,
  right: Compiled,
  collation: Collation,
): Compiled {
  if (left.type.kind === 'null' || right.type.kind === 'null') return constant(T.int, null);
  const [keyL, keyR] = comparisonKeys(left.type, right.type, collation);
  const a = keyed(left, keyL);
  const b = keyed(right, keyR);
  const test = COMPARE[op];
  return derived(T.int, [left, right], (row) => {
    const x = a(row);
    if (x === null) return null;
    const y = b(row);
    if (y === null) return null;
    return test(x < y ? -1 : x > y ? 1 : 0) ? 1 : 0;
  });
}

const truthOf = (compiled: Compiled) => {
  const { evaluate, type } = compiled;
  if (type.kind === 'int') {
    return (row: number): 0 | 1 | null => {
      const value = evaluate(row);
      // biome-ignore lint/suspicious/noDoubleEquals: 0 and 0n are both false.
      return value === null ? null : value == 0 ? 0 : 1;
    };
  }
  return (row: number) => truth(evaluate(row), type);
};

export function and(left: Compiled, right: Compiled): Compiled {
  const a = truthOf(left);
  const b = truthOf(right);
  return derived(T.int, [left, right], (row) => {
    const x = a(row);
    if (x === 0) return 0;
    const y = b(row);
    if (y === 0) return 0;
    return x === null || y === null ? null : 1;
  });
}

export function or(left: Compiled, right: Compiled): Compiled {
  const a = truthOf(left);
  const b = truthOf(right);
  return derived(T.int, [left, right], (row) => {
    const x = a(row);
    if (x === 1) return 1;
    const y = b(row);
    if (y === 1) return 1;
    return x === null || y === null ? null : 0;
  });
}

export function not(operand: Compiled): Compiled {
  const a = truthOf(operand);
  return derived(T.int, [operand], (row) => {
    const x = a(row);
    return x === null ? null : x === 1 ? 0 : 1;
  });
}

export function isNull(operand: Compiled, negated: boolean): Compiled {
  const { evaluate } = operand;
  return derived(T.int, [operand], (row) => ((evaluate(row) === null) !== negated ? 1 : 0));
}

/** The truth of a compiled condition as a row predicate (true only for 1, as WHERE keeps rows). */
export function predicateOf(compiled: Compiled): (row: number) => boolean {
  const test = truthOf(compiled);
  return (row) => test(row) === 1;
}

/**
 * x IN (a, b, ...): 1 when some item equals x; otherwise NULL when x or some item is NULL; else 0.
 * A list of constants is looked up in a set of keys.
 */
export function inList(
  operand: Compiled,
  list: readonly Compiled[],
  negated: boolean,
  collation: Collation,
): Compiled {
  const flip = (value: Value): Value => (value === null || !negated ? value : value === 1 ? 0 : 1);
  if (list.length === 0) return constant(T.int, negated ? 1 : 0);
  const keys = commonKeys([operand.type, ...list.map((item) => item.type)], collation);
  const keyOperand = keyed(operand, keys[0]!);
  const itemKeys = list.map((item, index) => keyed(item, keys[index + 1]!));
  if (list.every((item) => item.constant)) {
    const set = new Set<Key>();
    let hasNull = false;
    for (const key of itemKeys) {
      const value = key(0);
      if (value === null) hasNull = true;
      else set.add(typeof value === 'bigint' ? normalizeInt(value) : value);
    }
    return derived(T.int, [operand], (row) => {
      const x = keyOperand(row);
      if (x === null) return null;
      if (set.has(typeof x === 'bigint' ? normalizeInt(x) : x)) return flip(1);
      return hasNull ? null : flip(0);
    });
  }
  return derived(T.int, [operand, ...list], (row) => {
    const x = keyOperand(row);
    if (x === null) return null;
    let sawNull = false;
    for (const key of itemKeys) {
      const y = key(row);
      if (y === null) sawNull = true;
      else if (!(x < y) && !(x > y)) return flip(1);
    }
    return sawNull ? null : flip(0);
  });
}

/** x BETWEEN low AND high is (x >= low AND x <= high), compared in one common mode. */
export function between(
  operand: Compiled,
  low: Compiled,
  high: Compiled,
  negated: boolean,
  collation: Collation,
): Compiled {
  const [k0, k1, k2] = commonKeys([operand.type, low.type, high.type], collation);
  const x = keyed(operand, k0!);
  const lo = keyed(low, k1!);
  const hi = keyed(high, k2!);
  return derived(T.int, [operand, low, high], (row) => {
    const value = x(row);
    if (value === null) return null;
    const l = lo(row);
    const h = hi(row);
    const aboveLow = l === null ? null : value >= l ? 1 : 0;
    const belowHigh = h === null ? null : value <= h ? 1 : 0;
    let result: 0 | 1 | null;
    if (aboveLow === 0 || belowHigh === 0) result = 0;
    else if (aboveLow === null || belowHigh === null) result = null;
    else result = 1;
    return result === null || !negated ? result : result === 1 ? 0 : 1;
  });
}
