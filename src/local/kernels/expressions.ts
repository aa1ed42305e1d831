/**
 * Whole-column evaluation of the numeric expressions multi-pass work is made of: column
 * references, numeric literals, + - * /, comparisons, AND/OR/NOT, IS [NOT] NULL and negation over
 * INT and DOUBLE columns. Each node is one loop over typed arrays; NULLs travel in the validity
 * bitmap. The results are exactly the row-at-a-time evaluator's (src/local/expr): the same MariaDB
 * typing, division by zero and non-finite results as NULL, 1/0/NULL for predicates. Anything else
 * (DECIMAL operands, integer results beyond 2^53, strings, functions) returns undefined and the
 * caller uses the row path.
 */
import { type ArithmeticOp, type ComparisonOp, type Expr, someExpr } from '../../plan/expr.ts';
import type { Batch, LocalColumn, StringCodes } from '../batch.ts';
import { type Collation, collationKey, DEFAULT_COLLATION } from '../collation.ts';
import { compileExpr } from '../expr/compile.ts';
import { likeMatcher } from '../expr/like.ts';
import { plainDayNumber } from '../temporal.ts';
import { type SqlType, T, type Value } from '../types.ts';
import {
  allValid,
  andValidity,
  clearBit,
  isValidAt,
  kernelsEnabled,
  type NumericScalar,
  type NumericVector,
  vectorOfLocalColumn,
} from './vectors.ts';

export type Operand = NumericVector | NumericScalar;

export const isScalar = (operand: Operand): operand is NumericScalar => !('length' in operand);
/** INT, DOUBLE or DECIMAL: what comparisons, truth values and DOUBLE arithmetic read. */
const isNumber = (operand: Operand): boolean =>
  operand.kind === 'int' || operand.kind === 'double' || operand.kind === 'decimal';
/** INT or DOUBLE: what the kernels compute results of. */
const isIntOrDouble = (operand: Operand): boolean => operand.kind === 'int' || operand.kind === 'double';

function literalOperand(value: unknown): NumericScalar | undefined {
  if (typeof value === 'boolean') return { kind: 'int', value: value ? 1 : 0 };
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (Number.isSafeInteger(value)) return { kind: 'int', value };
  if (Number.isInteger(value)) return undefined;
  return { kind: /e/i.test(String(value)) ? 'double' : 'decimal', value };
}

/** Each expression node once per batch: `diff * diff` evaluates `diff` one time. */
export interface Memo {
  readonly nodes: Map<Expr, Operand | undefined>;
  readonly collation: Collation;
}

export function operand(expr: Expr, batch: Batch, memo: Memo): Operand | undefined {
  if (memo.nodes.has(expr)) return memo.nodes.get(expr);
  const result = evaluateNode(expr, batch, memo);
  memo.nodes.set(expr, result);
  return result;
}

/** No column, aggregate, window or subquery inside: the same value on every row. */
export const isConstantExpr = (expr: Expr): boolean =>
  !someExpr(
    expr,
    (node) =>
      node.kind === 'column' ||
      node.kind === 'aggregate' ||
      node.kind === 'window' ||
      node.kind === 'subquery' ||
      node.kind === 'outer',
  );

/** A constant operand from the value the row compiler folds the subtree to (a DATE as its day). */
function scalarOfValue(type: SqlType, value: Value): NumericScalar | undefined {
  if (value === null) return undefined;
  if (typeof value === 'number') {
    if (type.kind === 'int' || type.kind === 'double' || type.kind === 'decimal') {
      return Number.isFinite(value) ? { kind: type.kind, value } : undefined;
    }
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (type.kind === 'date') {
    const day = plainDayNumber(value);
    return day === undefined ? undefined : { kind: 'date', value: day };
  }
  return type.kind === 'string' && !type.enumValues
    ? { kind: 'string', value: Number.NaN, text: value }
    : undefined;
}

export function constantOperand(expr: Expr, batch: Batch, memo: Memo): NumericScalar | undefined {
  if (expr.kind === 'literal' && !expr.decimal && typeof expr.value === 'number') {
    return literalOperand(expr.value);
  }
  try {
    const compiled = compileExpr(expr, { batch, collation: memo.collation, where: 'kernel' });
    return compiled.constant ? scalarOfValue(compiled.type, compiled.evaluate(0)) : undefined;
  } catch {
    // The row path reports the error in its own words.
    return undefined;
  }
}

function evaluateNode(expr: Expr, batch: Batch, memo: Memo): Operand | undefined {
  const operand = (node: Expr, b: Batch) => operandOf(node, b, memo);
  if (expr.kind !== 'alias' && isConstantExpr(expr)) return constantOperand(expr, batch, memo);
  switch (expr.kind) {
    case 'alias':
      return operand(expr.expr, batch);
    case 'literal':
      return literalOperand(expr.value);
    case 'column': {
      const column = batch.columns.find((c) => c.name === expr.name);
      return column ? vectorOfLocalColumn(column, batch.length) : undefined;
    }
    case 'binary': {
      if (expr.op === '=' || expr.op === '!=') {
        const text = stringPredicate(expr, batch, memo);
        if (text) return perDistinct(text.column, batch.length, text.test);
      }
      const left = operand(expr.left, batch);
      if (!left) return undefined;
      const right = operand(expr.right, batch);
      if (!right) return undefined;
      if (isScalar(left) && isScalar(right)) return undefined;
      switch (expr.op) {
        case 'and':
        case 'or':
          return logical(expr.op, left, right, batch.length);
        case '+':
        case '-':
        case '*':
        case '/':
          return arithmetic(expr.op, left, right, batch.length);
        case '%':
          return undefined;
        default:
          return compare(expr.op, left, right, batch.length);
      }
    }
    case 'in': {
      const text = stringPredicate(expr, batch, memo);
      return text ? perDistinct(text.column, batch.length, text.test) : inList(expr, batch, memo);
    }
    case 'between': {
      const inner = operand(expr.operand, batch);
      const low = operand(expr.low, batch);
      const high = operand(expr.high, batch);
      if (!inner || !low || !high || isScalar(inner)) return undefined;
      const above = compare('>=', inner, low, batch.length);
      const below = above && compare('<=', inner, high, batch.length);
      if (!above || !below) return undefined;
      const both = logical('and', above, below, batch.length);
      return both && expr.negated ? negation(both) : both;
    }
    case 'like': {
      const text = stringPredicate(expr, batch, memo);
      return text && perDistinct(text.column, batch.length, text.test);
    }
    case 'not': {
      const inner = operand(expr.operand, batch);
      if (!inner || isScalar(inner) || !isNumber(inner)) return undefined;
      const out = new Float64Array(inner.length);
      for (let i = 0; i < inner.length; i++) out[i] = inner.values[i] === 0 ? 1 : 0;
      return { kind: 'int', type: T.int, values: out, valid: inner.valid, length: inner.length };
    }
    case 'negate': {
      const inner = operand(expr.operand, batch);
      if (!inner || isScalar(inner) || !isIntOrDouble(inner)) return undefined;
      const out = new Float64Array(inner.length);
      for (let i = 0; i < inner.length; i++) {
        const x = inner.values[i]!;
        out[i] = x === 0 ? 0 : -x;
      }
      const type = inner.kind === 'double' ? T.double : T.int;
      return { kind: inner.kind, type, values: out, valid: inner.valid, length: inner.length };
    }
    case 'isNull': {
      const inner = operand(expr.operand, batch);
      if (!inner || isScalar(inner)) return undefined;
      const out = new Float64Array(inner.length);
      const whenNull = expr.negated ? 0 : 1;
      for (let i = 0; i < inner.length; i++) out[i] = isValidAt(inner.valid, i) ? 1 - whenNull : whenNull;
      return { kind: 'int', type: T.int, values: out, valid: undefined, length: inner.length };
    }
    case 'call':
      if (expr.name === 'least' || expr.name === 'greatest') {
        const args = expr.args.map((arg) => operand(arg, batch));
        return extreme(expr.name === 'greatest', args, batch.length);
      }
      if (expr.name === 'sqrt' && expr.args.length === 1) {
        const inner = operand(expr.args[0]!, batch);
        return inner && !isScalar(inner) && isIntOrDouble(inner) ? squareRoot(inner) : undefined;
      }
      return undefined;
    case 'case':
      return caseWhen(expr, batch, memo);
    default:
      return undefined;
  }
}

/** LEAST / GREATEST of INT and DOUBLE operands: NULL when any is; the first of equal values wins. */
function extreme(
  greatest: boolean,
  args: (Operand | undefined)[],
  length: number,
): NumericVector | undefined {
  if (args.some((arg) => arg === undefined || !isIntOrDouble(arg))) return undefined;
  const operands = args as Operand[];
  if (operands.every(isScalar)) return undefined;
  const double = operands.some((arg) => arg.kind === 'double');
  const out = new Float64Array(length);
  const readers = operands.map(reader);
  const first = readers[0]!;
  for (let i = 0; i < length; i++) out[i] = first(i);
  for (let k = 1; k < readers.length; k++) {
    const read = readers[k]!;
    if (greatest)
      for (let i = 0; i < length; i++) {
        const x = read(i);
        if (x > out[i]!) out[i] = x;
      }
    else
      for (let i = 0; i < length; i++) {
        const x = read(i);
        if (x < out[i]!) out[i] = x;
      }
  }
  let valid: Uint8Array | undefined;
  for (const arg of operands) if (!isScalar(arg)) valid = andValidity(valid, arg.valid);
  return { kind: double ? 'double' : 'int', type: double ? T.double : T.int, values: out, valid, length };
}

/** SQRT: NULL for a negative argument, as the row path gives it. */
function squareRoot(inner: NumericVector): NumericVector {
  const { length } = inner;
  const out = new Float64Array(length);
  let valid = inner.valid;
  for (let i = 0; i < length; i++) {
    const x = inner.values[i]!;
    if (x >= 0) out[i] = Math.sqrt(x);
    else if (isValidAt(valid, i)) {
      if (valid === inner.valid) valid = valid ? Uint8Array.from(valid) : allValid(length);
      clearBit(valid!, i);
    }
  }
  return { kind: 'double', type: T.double, values: out, valid, length };
}

/** CASE WHEN p THEN v ... [ELSE v] END with numeric results all INT or all DOUBLE (no conversion). */
function caseWhen(
  expr: Extract<Expr, { kind: 'case' }>,
  batch: Batch,
  memo: Memo,
): NumericVector | undefined {
  const operand = (node: Expr, b: Batch) => operandOf(node, b, memo);
  const length = batch.length;
  const branches: { when: Operand; result: Operand }[] = [];
  for (const branch of expr.branches) {
    const when = operand(branch.when, batch);
    const result = operand(branch.result, batch);
    if (!when || !result || isScalar(when) || !isNumber(when)) return undefined;
    if (!isIntOrDouble(result)) return undefined;
    branches.push({ when, result });
  }
  const otherwise = expr.otherwise ? operand(expr.otherwise, batch) : undefined;
  if (expr.otherwise && (!otherwise || !isIntOrDouble(otherwise))) return undefined;
  const results = [...branches.map((b) => b.result), ...(otherwise ? [otherwise] : [])];
  const kind = results[0]!.kind;
  if (results.some((result) => result.kind !== kind)) return undefined;
  const out = new Float64Array(length);
  const valid = allValid(length);
  const decided = new Uint8Array(length);
  for (const { when, result } of branches) {
    const w = when as NumericVector;
    const read = reader(result);
    const resultValid = isScalar(result) ? undefined : result.valid;
    for (let i = 0; i < length; i++) {
      if (decided[i] === 1 || w.values[i] === 0 || !isValidAt(w.valid, i)) continue;
      decided[i] = 1;
      out[i] = read(i);
      if (!isValidAt(resultValid, i)) clearBit(valid, i);
    }
  }
  const read = otherwise ? reader(otherwise) : undefined;
  const otherwiseValid = otherwise && !isScalar(otherwise) ? otherwise.valid : undefined;
  for (let i = 0; i < length; i++) {
    if (decided[i] === 1) continue;
    if (read && isValidAt(otherwiseValid, i)) out[i] = read(i);
    else clearBit(valid, i);
  }
  const type = kind === 'double' ? T.double : T.int;
  return { kind: kind as 'int' | 'double', type, values: out, valid, length };
}

/** The operand as a value reader for row i (scalars broadcast). */
const reader = (o: Operand): ((i: number) => number) => {
  if (isScalar(o)) {
    const value = o.value;
    return () => value;
  }
  const values = o.values;
  return (i) => values[i]!;
};

type Loop<A, B> = (a: A, b: B, out: Float64Array) => void;
const VECTOR_VECTOR: Record<'+' | '-' | '*' | '/', Loop<Float64Array, Float64Array>> = {
  '+': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
  },
  '-': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
  },
  '*': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! * b[i]!;
  },
  '/': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! / b[i]!;
  },
};
const VECTOR_SCALAR: Record<'+' | '-' | '*' | '/', Loop<Float64Array, number>> = {
  '+': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! + b;
  },
  '-': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! - b;
  },
  '*': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! * b;
  },
  '/': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i]! / b;
  },
};
const SCALAR_VECTOR: Record<'+' | '-' | '*' | '/', Loop<number, Float64Array>> = {
  '+': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a + b[i]!;
  },
  '-': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a - b[i]!;
  },
  '*': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a * b[i]!;
  },
  '/': (a, b, out) => {
    for (let i = 0; i < out.length; i++) out[i] = a / b[i]!;
  },
};

/** First row whose value is not finite (or is a division by zero), or -1. */
function firstBad(
  out: Float64Array,
  divisor: Float64Array | undefined,
  scalarDivisor: number | undefined,
): number {
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) return i;
    if (divisor !== undefined && divisor[i] === 0) return i;
  }
  return scalarDivisor === 0 && out.length > 0 ? 0 : -1;
}

function arithmetic(
  op: ArithmeticOp,
  left: Operand,
  right: Operand,
  length: number,
): NumericVector | undefined {
  if (!isNumber(left) || !isNumber(right)) return undefined;
  const double = left.kind === 'double' || right.kind === 'double';
  // DECIMAL operands (and integer division, which is DECIMAL) keep the exact path.
  if (!double && (left.kind !== 'int' || right.kind !== 'int' || op === '/')) return undefined;
  const a = isScalar(left) ? undefined : left.values;
  const b = isScalar(right) ? undefined : right.values;
  const sa = isScalar(left) ? left.value : 0;
  const sb = isScalar(right) ? right.value : 0;
  const valid = andValidity(
    isScalar(left) ? undefined : left.valid,
    isScalar(right) ? undefined : right.valid,
  );
  const out = new Float64Array(length);
  // One small loop function per (op, shape): each stays monomorphic and optimized.
  const op2 = op as '+' | '-' | '*' | '/';
  if (a && b) VECTOR_VECTOR[op2](a, b, out);
  else if (a) VECTOR_SCALAR[op2](a, sb, out);
  else SCALAR_VECTOR[op2](sa, b!, out);
  let outValid = valid;
  if (double) {
    // Division by zero and overflow to ±Infinity are NULL, as the server gives them.
    const divisorVector = op === '/' && !isScalar(right) ? right.values : undefined;
    const divisorScalar = op === '/' && isScalar(right) ? right.value : undefined;
    const divisor = reader(right);
    for (let i = firstBad(out, divisorVector, divisorScalar); i >= 0 && i < length; i++) {
      const r = out[i]!;
      if (Number.isFinite(r) && (op !== '/' || divisor(i) !== 0)) continue;
      if (!isValidAt(outValid, i)) continue;
      if (outValid === valid) outValid = valid ? Uint8Array.from(valid) : allValid(length);
      clearBit(outValid!, i);
    }
    return { kind: 'double', type: T.double, values: out, valid: outValid, length };
  }
  for (let i = 0; i < length; i++) {
    if (!Number.isSafeInteger(out[i]!) && isValidAt(valid, i)) return undefined;
  }
  return { kind: 'int', type: T.int, values: out, valid, length };
}

/**
 * A string constant met by a DATE: its day number when it is a plain date; undefined otherwise
 * (a time part or other text compares as MariaDB does it on the row path).
 */
export function asDate(operand: Operand): Operand | undefined {
  if (operand.kind === 'date') return operand;
  if (operand.kind !== 'string' || !isScalar(operand)) return undefined;
  const day = plainDayNumber(operand.text!);
  return day === undefined ? undefined : { kind: 'date', value: day };
}

/** Numbers with numbers, dates with dates (or plain-date strings); anything else is the row path's. */
function compare(op: ComparisonOp, left: Operand, right: Operand, length: number): NumericVector | undefined {
  if (left.kind === 'date' || right.kind === 'date') {
    const l = asDate(left);
    const r = asDate(right);
    if (!l || !r) return undefined;
    left = l;
    right = r;
  } else if (!isNumber(left) || !isNumber(right)) {
    return undefined;
  }
  const out = new Float64Array(length);
  const a = isScalar(left) ? left.value : left.values;
  const b = isScalar(right) ? right.value : right.values;
  compareLoop(op, isScalar(left), isScalar(right))(a, b, out);
  const valid = andValidity(
    isScalar(left) ? undefined : left.valid,
    isScalar(right) ? undefined : right.valid,
  );
  return { kind: 'int', type: T.int, values: out, valid, length };
}

/** SQL comparison operators as JavaScript writes them (for generated loops). */
export const JS_COMPARISON: Record<ComparisonOp, string> = {
  '=': '===',
  '!=': '!==',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};
type CompareLoop = (a: Float64Array | number, b: Float64Array | number, out: Float64Array) => void;
const compareLoops = new Map<string, CompareLoop>();

/**
 * One loop per (operator, scalar on the left, scalar on the right), written out so each reads its
 * arrays directly (a closure per element read cost more than the comparison).
 */
function compareLoop(op: ComparisonOp, leftScalar: boolean, rightScalar: boolean): CompareLoop {
  const key = `${op} ${leftScalar} ${rightScalar}`;
  let loop = compareLoops.get(key);
  if (!loop) {
    const x = leftScalar ? 'a' : 'a[i]';
    const y = rightScalar ? 'b' : 'b[i]';
    loop = new Function(
      'a',
      'b',
      'out',
      `for (let i = 0; i < out.length; i++) out[i] = ${x} ${JS_COMPARISON[op]} ${y} ? 1 : 0;`,
    ) as CompareLoop;
    compareLoops.set(key, loop);
  }
  return loop;
}

/** AND/OR in three-valued logic: a FALSE (for AND) or TRUE (for OR) operand decides even beside a NULL. */
function logical(op: 'and' | 'or', left: Operand, right: Operand, length: number): NumericVector | undefined {
  if (!isNumber(left) || !isNumber(right)) return undefined;
  const out = new Float64Array(length);
  if (!isScalar(left) && !isScalar(right) && !left.valid && !right.valid) {
    // No NULL on either side: two-valued logic.
    const [x, y] = [left.values, right.values];
    if (op === 'and') for (let i = 0; i < length; i++) out[i] = x[i] !== 0 && y[i] !== 0 ? 1 : 0;
    else for (let i = 0; i < length; i++) out[i] = x[i] !== 0 || y[i] !== 0 ? 1 : 0;
    return { kind: 'int', type: T.int, values: out, valid: undefined, length };
  }
  const a = reader(left);
  const b = reader(right);
  const va = isScalar(left) ? undefined : left.valid;
  const vb = isScalar(right) ? undefined : right.valid;
  const decides = op === 'and' ? 0 : 1;
  let valid: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const okA = isValidAt(va, i);
    const okB = isValidAt(vb, i);
    const x = a(i) !== 0 ? 1 : 0;
    const y = b(i) !== 0 ? 1 : 0;
    if ((okA && x === decides) || (okB && y === decides)) out[i] = decides;
    else if (okA && okB) out[i] = 1 - decides;
    else {
      valid ??= allValid(length);
      clearBit(valid, i);
    }
  }
  return { kind: 'int', type: T.int, values: out, valid, length };
}

/** NOT of a 1/0 vector (NULL stays NULL). */
function negation(inner: NumericVector): NumericVector {
  const out = new Float64Array(inner.length);
  for (let i = 0; i < inner.length; i++) out[i] = inner.values[i] === 0 ? 1 : 0;
  return { kind: 'int', type: T.int, values: out, valid: inner.valid, length: inner.length };
}

/** A string column, when `expr` is one (ENUMs too: = and IN compare their text). */
function stringColumn(expr: Expr, batch: Batch): LocalColumn | undefined {
  const inner = expr.kind === 'alias' ? expr.expr : expr;
  if (inner.kind !== 'column') return undefined;
  const column = batch.columns.find((c) => c.name === inner.name);
  return column && column.type.kind === 'string' ? column : undefined;
}

/**
 * A test on every row of a string column, decided once per distinct string (columns repeat
 * their values): per dictionary code when the column has codes, else per distinct value met.
 * NULL rows are NULL. Undefined when a value is not a string.
 */
export function perDistinct(column: LocalColumn, length: number, test: (text: string) => boolean) {
  const codes = column.source?.codes();
  if (codes) return perCode(codes, length, test);
  const values = column.values;
  const out = new Float64Array(length);
  let valid: Uint8Array | undefined;
  const seen = new Map<string, number>();
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      let result = seen.get(value);
      if (result === undefined) {
        result = test(value) ? 1 : 0;
        if (seen.size < 65_536) seen.set(value, result);
      }
      out[i] = result;
    } else if (value === null || value === undefined) {
      valid ??= allValid(length);
      clearBit(valid, i);
    } else return undefined;
  }
  const vector: NumericVector = { kind: 'int', type: T.int, values: out, valid, length };
  return vector;
}

function perCode(strings: StringCodes, length: number, test: (text: string) => boolean): NumericVector {
  const { codes, dictionary } = strings;
  const results = new Float64Array(dictionary.length);
  for (let code = 0; code < dictionary.length; code++) results[code] = test(dictionary[code]!) ? 1 : 0;
  const out = new Float64Array(length);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const code = codes[i]!;
    if (code >= 0) out[i] = results[code]!;
    else {
      valid ??= allValid(length);
      clearBit(valid, i);
    }
  }
  return { kind: 'int', type: T.int, values: out, valid, length };
}

/** A test of a string column's text that decides a predicate on each row (NULL rows are NULL). */
export interface StringTest {
  readonly column: LocalColumn;
  readonly test: (text: string) => boolean;
}

/**
 * `column = 'text'` (or !=), `column [NOT] IN ('a', 'b')` and `column [NOT] LIKE 'pattern'` with
 * constants, under the collation, as a test of the column's text; undefined for anything else.
 */
export function stringPredicate(expr: Expr, batch: Batch, memo: Memo): StringTest | undefined {
  if (expr.kind === 'binary' && (expr.op === '=' || expr.op === '!=')) {
    let column = stringColumn(expr.left, batch);
    let other = expr.right;
    if (!column) {
      column = stringColumn(expr.right, batch);
      other = expr.left;
    }
    if (!column || !isConstantExpr(other)) return undefined;
    const constant = constantOperand(other, batch, memo);
    if (constant?.kind !== 'string') return undefined;
    const fold = collationKey(memo.collation);
    const key = fold(constant.text!);
    const negated = expr.op === '!=';
    return { column, test: (text) => (fold(text) === key) !== negated };
  }
  if (expr.kind === 'in') {
    const column = stringColumn(expr.operand, batch);
    const constants = column && constantList(expr, batch, memo);
    if (!column || !constants?.every((item) => item.kind === 'string')) return undefined;
    const fold = collationKey(memo.collation);
    const keys = new Set(constants.map((item) => fold(item.text!)));
    return { column, test: (text) => keys.has(fold(text)) !== expr.negated };
  }
  if (expr.kind === 'like') {
    const column = stringColumn(expr.operand, batch);
    if (!column || !isConstantExpr(expr.pattern)) return undefined;
    const pattern = constantOperand(expr.pattern, batch, memo);
    if (pattern?.kind !== 'string') return undefined;
    const matches = likeMatcher(pattern.text!, memo.collation);
    return { column, test: (text) => matches(text) !== expr.negated };
  }
  return undefined;
}

/** An IN list's constants; undefined when one is not a constant or is NULL (left to the row path). */
export function constantList(
  expr: Extract<Expr, { kind: 'in' }>,
  batch: Batch,
  memo: Memo,
): NumericScalar[] | undefined {
  if (expr.list.length === 0 || !expr.list.every(isConstantExpr)) return undefined;
  const items = expr.list.map((item) => constantOperand(item, batch, memo));
  return items.some((item) => item === undefined) ? undefined : (items as NumericScalar[]);
}

/** `x [NOT] IN (numbers)`: numbers against numbers. */
function inList(expr: Extract<Expr, { kind: 'in' }>, batch: Batch, memo: Memo): NumericVector | undefined {
  const constants = constantList(expr, batch, memo);
  if (!constants || stringColumn(expr.operand, batch)) return undefined;
  const inner = operandOf(expr.operand, batch, memo);
  if (!inner || isScalar(inner) || !isNumber(inner) || !constants.every(isNumber)) return undefined;
  const set = new Set(constants.map((item) => item.value));
  const out = new Float64Array(inner.length);
  const hit = expr.negated ? 0 : 1;
  for (let i = 0; i < inner.length; i++) out[i] = set.has(inner.values[i]!) ? hit : 1 - hit;
  return { kind: 'int', type: T.int, values: out, valid: inner.valid, length: inner.length };
}

const operandOf = (expr: Expr, batch: Batch, memo: Memo) => operand(expr, batch, memo);

/** The expression over every row of the batch as a vector, or undefined for the row path. */
export function vectorize(
  expr: Expr,
  batch: Batch,
  collation: Collation = DEFAULT_COLLATION,
): NumericVector | undefined {
  if (!kernelsEnabled()) return undefined;
  const result = operand(expr, batch, { nodes: new Map(), collation });
  // Day numbers are the kernels' own, and DECIMAL results belong to the exact path.
  return result && !isScalar(result) && isIntOrDouble(result) ? result : undefined;
}
