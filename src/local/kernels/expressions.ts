/**
 * Whole-column evaluation of the numeric expressions multi-pass work is made of: column
 * references, numeric literals, + - * /, comparisons, AND/OR/NOT, IS [NOT] NULL and negation over
 * INT and DOUBLE columns. Each node is one loop over typed arrays; NULLs travel in the validity
 * bitmap. The results are exactly the row-at-a-time evaluator's (src/local/expr): the same MariaDB
 * typing, division by zero and non-finite results as NULL, 1/0/NULL for predicates. Anything else
 * (DECIMAL operands, integer results beyond 2^53, strings, functions) returns undefined and the
 * caller uses the row path.
 */
import type { ArithmeticOp, ComparisonOp, Expr } from '../../plan/expr.ts';
import type { Batch } from '../batch.ts';
import { T } from '../types.ts';
import {
  allValid,
  andValidity,
  clearBit,
  isValidAt,
  kernelsEnabled,
  type NumericScalar,
  type NumericVector,
  vectorOfColumn,
} from './vectors.ts';

type Operand = NumericVector | NumericScalar;

const isScalar = (operand: Operand): operand is NumericScalar => !('length' in operand);

function literalOperand(value: unknown): NumericScalar | undefined {
  if (typeof value === 'boolean') return { kind: 'int', value: value ? 1 : 0 };
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (Number.isSafeInteger(value)) return { kind: 'int', value };
  if (Number.isInteger(value)) return undefined;
  return { kind: /e/i.test(String(value)) ? 'double' : 'decimal', value };
}

/** Each expression node once per batch: `diff * diff` evaluates `diff` one time. */
type Memo = Map<Expr, Operand | undefined>;

function operand(expr: Expr, batch: Batch, memo: Memo = new Map()): Operand | undefined {
  if (memo.has(expr)) return memo.get(expr);
  const result = evaluateNode(expr, batch, memo);
  memo.set(expr, result);
  return result;
}

function evaluateNode(expr: Expr, batch: Batch, memo: Memo): Operand | undefined {
  const operand = (node: Expr, b: Batch) => operandOf(node, b, memo);
  switch (expr.kind) {
    case 'alias':
      return operand(expr.expr, batch);
    case 'literal':
      return literalOperand(expr.value);
    case 'column': {
      const column = batch.columns.find((c) => c.name === expr.name);
      return column ? vectorOfColumn(column.values, column.type, batch.length) : undefined;
    }
    case 'binary': {
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
    case 'not': {
      const inner = operand(expr.operand, batch);
      if (!inner || isScalar(inner)) return undefined;
      const out = new Float64Array(inner.length);
      for (let i = 0; i < inner.length; i++) out[i] = inner.values[i] === 0 ? 1 : 0;
      return { kind: 'int', type: T.int, values: out, valid: inner.valid, length: inner.length };
    }
    case 'negate': {
      const inner = operand(expr.operand, batch);
      if (!inner || isScalar(inner)) return undefined;
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
        return inner && !isScalar(inner) ? squareRoot(inner) : undefined;
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
  if (args.some((arg) => arg === undefined || arg.kind === 'decimal')) return undefined;
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
    if (!when || !result || isScalar(when) || result.kind === 'decimal') return undefined;
    branches.push({ when, result });
  }
  const otherwise = expr.otherwise ? operand(expr.otherwise, batch) : undefined;
  if (expr.otherwise && (!otherwise || otherwise.kind === 'decimal')) return undefined;
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

function compare(op: ComparisonOp, left: Operand, right: Operand, length: number): NumericVector {
  const a = reader(left);
  const b = reader(right);
  const out = new Float64Array(length);
  switch (op) {
    case '=':
      for (let i = 0; i < length; i++) out[i] = a(i) === b(i) ? 1 : 0;
      break;
    case '!=':
      for (let i = 0; i < length; i++) out[i] = a(i) !== b(i) ? 1 : 0;
      break;
    case '<':
      for (let i = 0; i < length; i++) out[i] = a(i) < b(i) ? 1 : 0;
      break;
    case '<=':
      for (let i = 0; i < length; i++) out[i] = a(i) <= b(i) ? 1 : 0;
      break;
    case '>':
      for (let i = 0; i < length; i++) out[i] = a(i) > b(i) ? 1 : 0;
      break;
    case '>=':
      for (let i = 0; i < length; i++) out[i] = a(i) >= b(i) ? 1 : 0;
      break;
  }
  const valid = andValidity(
    isScalar(left) ? undefined : left.valid,
    isScalar(right) ? undefined : right.valid,
  );
  return { kind: 'int', type: T.int, values: out, valid, length };
}

/** AND/OR in three-valued logic: a FALSE (for AND) or TRUE (for OR) operand decides even beside a NULL. */
function logical(op: 'and' | 'or', left: Operand, right: Operand, length: number): NumericVector {
  const a = reader(left);
  const b = reader(right);
  const va = isScalar(left) ? undefined : left.valid;
  const vb = isScalar(right) ? undefined : right.valid;
  const out = new Float64Array(length);
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

const operandOf = (expr: Expr, batch: Batch, memo: Memo) => operand(expr, batch, memo);

/** The expression over every row of the batch as a vector, or undefined for the row path. */
export function vectorize(expr: Expr, batch: Batch): NumericVector | undefined {
  if (!kernelsEnabled()) return undefined;
  const result = operand(expr, batch);
  return result && !isScalar(result) ? result : undefined;
}

/** Row numbers where the predicate is TRUE (not FALSE, not NULL), or undefined for the row path. */
export function selectRows(predicate: Expr, batch: Batch): Uint32Array | undefined {
  if (!kernelsEnabled()) return undefined;
  const vector = vectorize(predicate, batch);
  if (!vector) return undefined;
  const { values, valid, length } = vector;
  const rows = new Uint32Array(length);
  let n = 0;
  if (valid === undefined) {
    for (let i = 0; i < length; i++) if (values[i] !== 0) rows[n++] = i;
  } else {
    for (let i = 0; i < length; i++) if (values[i] !== 0 && isValidAt(valid, i)) rows[n++] = i;
  }
  return rows.subarray(0, n);
}
