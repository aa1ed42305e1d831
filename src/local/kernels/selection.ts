/**
 * A WHERE clause as one generated loop that short-circuits: `a AND b` tests b only on rows where
 * a holds, so a selective first conjunct (a date range over lineitem) spares the rest most of
 * their work, and no intermediate 1/0 column is written per node (the whole-column kernels of
 * expressions.ts write one per comparison and per AND).
 *
 * A filter keeps the rows where the predicate is TRUE, so the loop computes truth, not the
 * three-valued result: `t(p)` holds when p is TRUE and `f(p)` when p is FALSE (NULL is neither):
 * t(a AND b) = t(a) && t(b), t(a OR b) = t(a) || t(b), t(NOT a) = f(a), f(a AND b) = f(a) || f(b),
 * f(a OR b) = f(a) && f(b); a comparison is TRUE (FALSE) when no operand is NULL and it holds
 * (does not). Leaves are read as the kernels read them: columns as vectors (DATEs as day numbers,
 * DECIMALs as the doubles the exact path compares), constant subtrees folded once, string
 * predicates decided once per distinct string (per dictionary code, read in the loop, when the
 * column has codes), and any other subexpression the kernels compute whole-column. What the
 * kernels cannot compute makes the whole predicate undefined (the caller's next path).
 *
 * The loop source depends on the predicate's shape only (constants are read from an array), and
 * is compiled once per shape.
 */

import { rememberRecent } from '../../base/recent.ts';
import { type ComparisonOp, conjunction, conjuncts, type Expr } from '../../plan/expr.ts';
import { type Batch, type BufferNumbers, makeBatch, takeRows } from '../batch.ts';
import { type Collation, DEFAULT_COLLATION } from '../collation.ts';
import {
  asDate,
  constantList,
  constantOperand,
  isConstantExpr,
  isScalar,
  JS_COMPARISON,
  type Memo,
  type Operand,
  operand,
  perDistinct,
  type StringTest,
  stringPredicate,
  vectorize,
} from './expressions.ts';
import { isValidAt, kernelsEnabled, vectorOfLocalColumn } from './vectors.ts';

interface Inputs {
  readonly vectors: BufferNumbers['values'][];
  readonly validity: (Uint8Array | undefined)[];
  readonly codes: Int32Array[];
  readonly tables: Float64Array[];
  readonly literals: number[];
  readonly batch: Batch;
  readonly memo: Memo;
}

/** A number in the loop: its JavaScript expression and when it is NULL ('false': never). */
interface Term {
  readonly kind: Operand['kind'];
  readonly value: string;
  readonly isNull: string;
  /** A constant (the same on every row). */
  readonly constant: boolean;
  readonly text?: string;
}

/** A column's numbers in a loop: the kernels' doubles or an Arrow buffer's own typed array. */
interface LoopVector {
  readonly kind: Operand['kind'];
  readonly values: BufferNumbers['values'];
  readonly valid: Uint8Array | undefined;
}

function vectorTerm(inputs: Inputs, vector: Operand | LoopVector): Term {
  if (!('values' in vector)) {
    const k = inputs.literals.push(vector.value) - 1;
    return { kind: vector.kind, value: `L${k}`, isNull: 'false', constant: true, text: vector.text };
  }
  const k = inputs.vectors.push(vector.values) - 1;
  inputs.validity.push(vector.valid);
  const isNull = vector.valid ? `((B${k}[i >> 3] >> (i & 7)) & 1) === 0` : 'false';
  return { kind: vector.kind, value: `C${k}[i]`, isNull, constant: false };
}

function term(inputs: Inputs, expr: Expr): Term | undefined {
  const { batch, memo } = inputs;
  if (expr.kind === 'alias') return term(inputs, expr.expr);
  if (isConstantExpr(expr)) {
    const constant = constantOperand(expr, batch, memo);
    return constant && vectorTerm(inputs, constant);
  }
  if (expr.kind === 'column') {
    const column = batch.columns.find((c) => c.name === expr.name);
    const kind = column?.type.kind;
    // Read from the Arrow buffer itself where it holds plain numbers: no copy into doubles.
    const buffer =
      kind === 'int' || kind === 'double' || kind === 'date' ? column!.source?.bufferNumbers?.() : undefined;
    if (buffer)
      return vectorTerm(inputs, {
        kind: kind as Operand['kind'],
        values: buffer.values,
        valid: buffer.valid,
      });
    const vector = column && vectorOfLocalColumn(column, batch.length);
    return vector && vectorTerm(inputs, vector);
  }
  const computed = operand(expr, batch, memo);
  return computed && !isScalar(computed) ? vectorTerm(inputs, computed) : undefined;
}

const NUMBER_KINDS = new Set(['int', 'double', 'decimal']);

/** Both sides of a comparison as numbers of one domain (dates with dates), as compare() takes them. */
function comparable(inputs: Inputs, left: Term, right: Term): [Term, Term] | undefined {
  if (left.kind === 'date' || right.kind === 'date') {
    const asDay = (t: Term): Term | undefined => {
      if (t.kind === 'date') return t;
      if (t.kind !== 'string' || t.text === undefined) return undefined;
      const day = asDate({ kind: 'string', value: Number.NaN, text: t.text });
      return day && isScalar(day) ? vectorTerm(inputs, day) : undefined;
    };
    const l = asDay(left);
    const r = asDay(right);
    return l && r ? [l, r] : undefined;
  }
  return NUMBER_KINDS.has(left.kind) && NUMBER_KINDS.has(right.kind) ? [left, right] : undefined;
}

const notNull = (...terms: Term[]): string =>
  terms
    .map((t) => t.isNull)
    .filter((n) => n !== 'false')
    .map((n) => `!(${n})`)
    .join(' && ') || 'true';

/** JavaScript that holds on a row when `expr` is TRUE there (`want`) or FALSE (`!want`). */
function truth(inputs: Inputs, expr: Expr, want: boolean): string | undefined {
  switch (expr.kind) {
    case 'alias':
      return truth(inputs, expr.expr, want);
    case 'not':
      return truth(inputs, expr.operand, !want);
    case 'binary':
      if (expr.op === 'and' || expr.op === 'or') {
        const left = truth(inputs, expr.left, want);
        const right = left && truth(inputs, expr.right, want);
        if (!left || !right) return undefined;
        // AND is TRUE when both are, FALSE when either is; OR the other way round.
        const both = (expr.op === 'and') === want;
        return `(${left} ${both ? '&&' : '||'} ${right})`;
      }
      if (expr.op in JS_COMPARISON) {
        const text = stringPredicate(expr, inputs.batch, inputs.memo);
        if (text) return stringTruth(inputs, text, want);
        return comparison(inputs, expr.op as ComparisonOp, expr.left, expr.right, want);
      }
      return valueTruth(inputs, expr, want);
    case 'between': {
      // x BETWEEN a AND b is x >= a AND x <= b; NOT BETWEEN is TRUE where that is FALSE.
      const inner = expr.negated ? !want : want;
      const low = comparison(inputs, '>=', expr.operand, expr.low, inner);
      const high = low && comparison(inputs, '<=', expr.operand, expr.high, inner);
      return low && high ? `(${low} ${inner ? '&&' : '||'} ${high})` : undefined;
    }
    case 'in': {
      const text = stringPredicate(expr, inputs.batch, inputs.memo);
      if (text) return stringTruth(inputs, text, want);
      return numberList(inputs, expr, want);
    }
    case 'like': {
      const text = stringPredicate(expr, inputs.batch, inputs.memo);
      return text && stringTruth(inputs, text, want);
    }
    case 'isNull': {
      const inner = term(inputs, expr.operand);
      if (!inner) return undefined;
      const isNull = inner.isNull === 'false' ? 'false' : `(${inner.isNull})`;
      return expr.negated === want ? `!${isNull}` : isNull;
    }
    default:
      return valueTruth(inputs, expr, want);
  }
}

function comparison(inputs: Inputs, op: ComparisonOp, leftExpr: Expr, rightExpr: Expr, want: boolean) {
  const left = term(inputs, leftExpr);
  const right = left && term(inputs, rightExpr);
  const pair = left && right && comparable(inputs, left, right);
  if (!pair) return undefined;
  const [l, r] = pair;
  if (l.constant && r.constant) return undefined;
  const holds = `${l.value} ${JS_COMPARISON[op]} ${r.value}`;
  return `(${notNull(l, r)} && ${want ? holds : `!(${holds})`})`;
}

function numberList(inputs: Inputs, expr: Extract<Expr, { kind: 'in' }>, want: boolean): string | undefined {
  const constants = constantList(expr, inputs.batch, inputs.memo);
  const inner = constants && term(inputs, expr.operand);
  if (!constants || !inner || !NUMBER_KINDS.has(inner.kind) || inner.constant) return undefined;
  if (!constants.every((c) => NUMBER_KINDS.has(c.kind))) return undefined;
  const hits = constants.map((c) => `${inner.value} === ${vectorTerm(inputs, c).value}`).join(' || ');
  const holds = expr.negated === want ? `!(${hits})` : `(${hits})`;
  return `(${notNull(inner)} && ${holds})`;
}

/** A string predicate per dictionary code when the column has codes, else as its kernel column. */
function stringTruth(inputs: Inputs, text: StringTest, want: boolean): string | undefined {
  const { batch } = inputs;
  const codes = text.column.source?.codes();
  if (!codes) {
    const vector = perDistinct(text.column, batch.length, text.test);
    if (!vector) return undefined;
    const value = vectorTerm(inputs, vector);
    return `(${notNull(value)} && ${value.value} ${want ? '!==' : '==='} 0)`;
  }
  const results = new Float64Array(codes.dictionary.length);
  for (let code = 0; code < results.length; code++)
    results[code] = text.test(codes.dictionary[code]!) ? 1 : 0;
  const k = inputs.codes.push(codes.codes) - 1;
  inputs.tables.push(results);
  // A NULL row's code is -1, which reads undefined: neither 1 nor 0.
  return `(T${k}[K${k}[i]] === ${want ? 1 : 0})`;
}

/** Any other expression as a truth value: TRUE when not NULL and not 0. */
function valueTruth(inputs: Inputs, expr: Expr, want: boolean): string | undefined {
  const value = term(inputs, expr);
  if (!value || !NUMBER_KINDS.has(value.kind) || value.constant) return undefined;
  return `(${notNull(value)} && ${value.value} ${want ? '!==' : '==='} 0)`;
}

type SelectLoop = (
  length: number,
  vectors: readonly BufferNumbers['values'][],
  validity: readonly (Uint8Array | undefined)[],
  codes: readonly Int32Array[],
  tables: readonly Float64Array[],
  literals: readonly number[],
  rows: Uint32Array,
) => number;

const loops = new Map<string, SelectLoop>();
const MAX_LOOPS = 256;

/** How often a WHERE ran as fused selections, for tests: a fallback shows as no new run. */
export const selectionStats = { runs: 0 };

/** Row numbers where the predicate is TRUE, in one loop; undefined when a leaf is not a kernel's. */
export function fusedSelection(predicate: Expr, batch: Batch, collation: Collation): Uint32Array | undefined {
  if (!kernelsEnabled()) return undefined;
  const inputs: Inputs = {
    vectors: [],
    validity: [],
    codes: [],
    tables: [],
    literals: [],
    batch,
    memo: { nodes: new Map(), collation },
  };
  const condition = truth(inputs, predicate, true);
  if (!condition) return undefined;
  const source = [
    // The array kind is part of the source, so each compiled loop sees one kind per input.
    ...inputs.vectors.map(
      (vector, k) =>
        `const C${k} = vectors[${k}]; // ${vector.constructor.name}${inputs.validity[k] ? `\nconst B${k} = validity[${k}];` : ''}`,
    ),
    ...inputs.codes.map((_, k) => `const K${k} = codes[${k}]; const T${k} = tables[${k}];`),
    ...inputs.literals.map((_, k) => `const L${k} = literals[${k}];`),
    'let n = 0;',
    `for (let i = 0; i < length; i++) if (${condition}) rows[n++] = i;`,
    'return n;',
  ].join('\n');
  let loop = loops.get(source);
  if (!loop) {
    loop = new Function(
      'length',
      'vectors',
      'validity',
      'codes',
      'tables',
      'literals',
      'rows',
      source,
    ) as SelectLoop;
    rememberRecent(loops, source, loop, MAX_LOOPS);
  }
  const rows = new Uint32Array(batch.length);
  const count = loop(
    batch.length,
    inputs.vectors,
    inputs.validity,
    inputs.codes,
    inputs.tables,
    inputs.literals,
    rows,
  );
  return rows.subarray(0, count);
}

/**
 * A WHERE that ANDs tests of string columns with other conjuncts, in two steps: the others
 * first, then the string tests on the rows they kept only. A string test is decided per
 * dictionary code, and building the codes hashes every row's bytes: after a selective first
 * step (`p_size = 37 AND p_type LIKE '%BRASS'` keeps 2 % of the rows at the size test) only
 * the kept rows are hashed. A row passes a WHERE when every conjunct is TRUE, in any order.
 * Undefined when the predicate is not such an AND or a step is not a kernel's. `kept` holds the
 * rows the first step kept: of every column (`all`, codes built for them then carry on to the
 * rows the filter outputs) or of the tested columns only.
 */
function inTwoSteps(
  predicate: Expr,
  batch: Batch,
  collation: Collation,
  all: boolean,
): { first: Uint32Array; kept: Batch; second: Uint32Array } | undefined {
  const parts = conjuncts(predicate);
  if (parts.length < 2) return undefined;
  const memo: Memo = { nodes: new Map(), collation };
  const strings: Expr[] = [];
  const others: Expr[] = [];
  const tested = new Set<string>();
  for (const part of parts) {
    const test = stringPredicate(part, batch, memo);
    if (test) {
      strings.push(part);
      tested.add(test.column.name);
    } else others.push(part);
  }
  if (strings.length === 0 || others.length === 0) return undefined;
  const first = fusedSelection(conjunction(others)!, batch, collation);
  if (!first) return undefined;
  const columns = all
    ? batch
    : makeBatch(
        batch.columns.filter((column) => tested.has(column.name)),
        batch.length,
      );
  const kept = first.length === batch.length ? columns : takeRows(columns, first);
  const second = first.length === 0 ? first : fusedSelection(conjunction(strings)!, kept, collation);
  return second && { first, kept, second };
}

/**
 * A WHERE's output batch when it runs in two steps (inTwoSteps): the string tests' codes of the
 * kept rows stay with the output's columns. Undefined otherwise (filter with selectRows).
 */
export function selectInTwoSteps(predicate: Expr, batch: Batch, collation: Collation): Batch | undefined {
  if (!kernelsEnabled()) return undefined;
  const steps = inTwoSteps(predicate, batch, collation, true);
  if (!steps) return undefined;
  selectionStats.runs++;
  const { kept, second } = steps;
  return second.length === kept.length ? kept : takeRows(kept, second);
}

/** Rows of the second step (numbered among the first step's) as rows of the batch. */
function throughFirst(first: Uint32Array, second: Uint32Array, length: number): Uint32Array {
  if (first.length === length) return second;
  const rows = new Uint32Array(second.length);
  for (let i = 0; i < second.length; i++) rows[i] = first[second[i]!]!;
  return rows;
}

/** Row numbers where the predicate is TRUE (not FALSE, not NULL), or undefined for the row path. */
export function selectRows(
  predicate: Expr,
  batch: Batch,
  collation: Collation = DEFAULT_COLLATION,
): Uint32Array | undefined {
  if (!kernelsEnabled()) return undefined;
  const steps = inTwoSteps(predicate, batch, collation, false);
  const fused = steps
    ? throughFirst(steps.first, steps.second, batch.length)
    : fusedSelection(predicate, batch, collation);
  if (fused) {
    selectionStats.runs++;
    return fused;
  }
  const vector = vectorize(predicate, batch, collation);
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
