/**
 * Joins: inner, left, right, full, semi, anti and cross, on `using` columns or an `on` expression.
 * Equalities between the two sides (`using` keys, and `a = b` conjuncts of `on` with each side
 * over one input) become hash keys (relational.ts); the rest of the condition is evaluated on the
 * matching pairs, over the columns it names. Pairs are row numbers in Int32Arrays. NULL keys
 * never match. Output rows follow the left side's order.
 */
import { PlanError } from '../../base/errors.ts';
import { conjuncts, type Expr, referencedColumns } from '../../plan/expr.ts';
import type { JoinNode } from '../../plan/nodes.ts';
import {
  type Batch,
  findColumn,
  type LocalColumn,
  makeBatch,
  nullValues,
  rowRange,
  takeColumn,
  type Values,
} from '../batch.ts';
import { comparisonKeys, type KeyFn, keysOf } from '../compare.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { compileExpr, compilePredicate } from '../expr/compile.ts';
import { convertValue, evaluateAll } from '../expr/compiled.ts';
import { selectRows } from '../kernels/selection.ts';
import { isValidAt, vectorOfLocalColumn } from '../kernels/vectors.ts';
import { equalKeyPairs, type KeyValues, type Pairs, uniqueKeyLookup } from '../relational.ts';
import { isNumeric, mergeTypes } from '../types.ts';

interface KeyPair {
  readonly left: Expr;
  readonly right: Expr;
}

const within = (expr: Expr, names: ReadonlySet<string>): boolean => {
  const used = referencedColumns(expr);
  return used.size > 0 && [...used].every((name) => names.has(name));
};

/** The `on` condition split into hash-key equalities and the residual condition. */
function splitCondition(
  on: Expr | undefined,
  left: Batch,
  right: Batch,
): { keys: KeyPair[]; residual: Expr[] } {
  const keys: KeyPair[] = [];
  const residual: Expr[] = [];
  if (!on) return { keys, residual };
  const leftNames = new Set(left.columns.map((c) => c.name));
  const rightNames = new Set(right.columns.map((c) => c.name));
  const leftOnly = new Set([...leftNames].filter((name) => !rightNames.has(name)));
  const rightOnly = new Set([...rightNames].filter((name) => !leftNames.has(name)));
  for (const part of conjuncts(on)) {
    if (part.kind === 'binary' && part.op === '=') {
      if (within(part.left, leftOnly) && within(part.right, rightOnly)) {
        keys.push({ left: part.left, right: part.right });
        continue;
      }
      if (within(part.left, rightOnly) && within(part.right, leftOnly)) {
        keys.push({ left: part.right, right: part.left });
        continue;
      }
    }
    residual.push(part);
  }
  return { keys, residual };
}

const sameExpr = (a: Expr, b: Expr): boolean =>
  JSON.stringify(a, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
  JSON.stringify(b, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v));

function disjuncts(expr: Expr): Expr[] {
  return expr.kind === 'binary' && expr.op === 'or'
    ? [...disjuncts(expr.left), ...disjuncts(expr.right)]
    : [expr];
}

/**
 * `a = b OR a IS NULL OR b IS NULL` (in any order), a over the left side and b over the right:
 * what `a NOT IN (subquery)` decorrelates into, a NULL on either side counting as a match. A
 * semi or anti join on it runs as a hash join on a = b plus two facts about NULLs (the
 * null-aware anti join): against a non-empty right side, a left row whose a is NULL matches, and
 * a NULL b on the right matches every left row. Undefined for any other condition.
 */
function nullAwareKey(residual: readonly Expr[], left: Batch, right: Batch): KeyPair | undefined {
  if (residual.length !== 1) return undefined;
  const parts = disjuncts(residual[0]!);
  if (parts.length !== 3) return undefined;
  const equality = parts.find((part) => part.kind === 'binary' && part.op === '=');
  if (equality?.kind !== 'binary') return undefined;
  const [key] = splitCondition(equality, left, right).keys;
  if (!key) return undefined;
  const nullTests = parts.filter((part) => part !== equality);
  const tests = (side: Expr) =>
    nullTests.some((part) => part.kind === 'isNull' && !part.negated && sameExpr(part.operand, side));
  return tests(key.left) && tests(key.right) ? key : undefined;
}

/** How often a semi/anti join ran null-aware on a hash key, for tests: a fallback shows as no new run. */
export const nullAwareStats = { runs: 0 };

/** Rows where `expr` over the batch is NULL. */
function nullRows(batch: Batch, expr: Expr, context: ExecContext): number[] {
  const values = evaluateAll(compileExpr(expr, scopeOf(batch, context, 'join')), batch.length);
  const rows: number[] = [];
  for (let i = 0; i < batch.length; i++) if (values[i] === null) rows.push(i);
  return rows;
}

interface PairList {
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
}

/** The joined row of a pair: left's columns, then right's minus the `using` keys. */
function pairColumns(
  left: Batch,
  right: Batch,
  node: JoinNode,
  leftRows: ArrayLike<number>,
  rightRows: ArrayLike<number>,
  everyLeftRow = false,
): LocalColumn[] {
  const using = new Set(node.using);
  // Every left row once and in order (a lookup of at most one row each): its columns as they are.
  let identity = everyLeftRow || leftRows.length === left.length;
  if (!everyLeftRow) for (let i = 0; i < leftRows.length && identity; i++) identity = leftRows[i] === i;
  const columns: LocalColumn[] = left.columns.map((column) => {
    if (!using.has(column.name) || node.type === 'inner' || node.type === 'left' || node.type === 'cross') {
      return identity ? column : takeColumn(column, leftRows);
    }
    const other = findColumn(right, column.name, 'join');
    if (node.type === 'right') return takeColumn(other, rightRows);
    // FULL: the key from whichever side has the row.
    const type = mergeTypes(column.type, other.type);
    const values = nullValues(leftRows.length);
    for (let i = 0; i < leftRows.length; i++) {
      const l = leftRows[i]!;
      values[i] =
        l >= 0
          ? convertValue(column.values[l]!, column.type, type)
          : convertValue(other.values[rightRows[i]!]!, other.type, type);
    }
    return { name: column.name, type, values };
  });
  for (const column of right.columns) {
    if (!using.has(column.name)) columns.push(takeColumn(column, rightRows));
  }
  return columns;
}

/**
 * Pairs that pass the residual condition, evaluated over the pairs' values of the columns it
 * names only (whole-column kernels when they apply).
 */
function filterPairs(
  left: Batch,
  right: Batch,
  node: JoinNode,
  residual: Expr,
  pairs: PairList,
  context: ExecContext,
): PairList {
  const used = referencedColumns(residual);
  const batch = makeBatch(
    pairColumns(
      { ...left, columns: left.columns.filter((column) => used.has(column.name)) },
      { ...right, columns: right.columns.filter((column) => used.has(column.name)) },
      { ...node, type: 'inner' },
      pairs.left,
      pairs.right,
    ),
    pairs.left.length,
  );
  let selected: ArrayLike<number> | undefined = selectRows(residual, batch, context.collation);
  if (!selected) {
    const test = compilePredicate(residual, scopeOf(batch, context, 'join condition'));
    const rows: number[] = [];
    for (let i = 0; i < batch.length; i++) if (test(i)) rows.push(i);
    selected = rows;
  }
  const kept = { left: new Int32Array(selected.length), right: new Int32Array(selected.length) };
  for (let i = 0; i < selected.length; i++) {
    kept.left[i] = pairs.left[selected[i]!]!;
    kept.right[i] = pairs.right[selected[i]!]!;
  }
  return kept;
}

const PAIRS_PER_BLOCK = 1 << 20;

/** Every pair of rows (no equality to hash on), checked against the condition in bounded blocks. */
function allPairs(
  left: Batch,
  right: Batch,
  node: JoinNode,
  residual: Expr | undefined,
  context: ExecContext,
): PairList {
  const out = { left: [] as number[], right: [] as number[] };
  if (right.length === 0) return out;
  const block = Math.max(1, Math.floor(PAIRS_PER_BLOCK / right.length));
  for (let start = 0; start < left.length; start += block) {
    const end = Math.min(left.length, start + block);
    const size = (end - start) * right.length;
    let pairs: PairList = { left: new Int32Array(size), right: new Int32Array(size) };
    for (let l = start, at = 0; l < end; l++) {
      for (let r = 0; r < right.length; r++, at++) {
        (pairs.left as Int32Array)[at] = l;
        (pairs.right as Int32Array)[at] = r;
      }
    }
    if (residual) pairs = filterPairs(left, right, node, residual, pairs, context);
    for (let i = 0; i < pairs.left.length; i++) {
      out.left.push(pairs.left[i]!);
      out.right.push(pairs.right[i]!);
    }
  }
  return out;
}

/** Each side's key columns, normalized for the comparison '=' would make. */
function joinKeys(
  left: Batch,
  right: Batch,
  keys: readonly KeyPair[],
  context: ExecContext,
): { leftKeys: KeyValues[]; rightKeys: KeyValues[] } {
  const leftScope = scopeOf(left, context, 'join');
  const rightScope = scopeOf(right, context, 'join');
  const leftKeys: KeyValues[] = [];
  const rightKeys: KeyValues[] = [];
  for (const key of keys) {
    const l = compileExpr(key.left, leftScope);
    const r = compileExpr(key.right, rightScope);
    // Both sides normalized for the comparison '=' would make (collation, number against string).
    const [keyL, keyR] = comparisonKeys(l.type, r.type, context.collation);
    // Numbers against numbers compare as they are: a typed array (no NULL, no bigint) is its own key.
    const asIs = isNumeric(l.type) && isNumeric(r.type);
    const keysOfSide = (values: Values, key: KeyFn): KeyValues =>
      asIs && ArrayBuffer.isView(values) && !(values instanceof BigInt64Array)
        ? (values as ArrayLike<number>)
        : keysOf(values, key);
    leftKeys.push(keysOfSide(evaluateAll(l, left.length), keyL));
    rightKeys.push(keysOfSide(evaluateAll(r, right.length), keyR));
  }
  return { leftKeys, rightKeys };
}

/** A right side of at most this share of the left's rows looks its keys up in the left key column's index. */
const INDEX_JOIN_SHARE = 1 / 4;

/** Index joins run, for tests asserting when the lookup (and not the hash join) answers. */
export const indexJoinStats = { runs: 0 };

/**
 * The pairs of an equi-join on one pair of INT columns whose left column is a whole column read
 * from Arrow with an index kept with its data (arrow-memo.ts), when the right side is a few rows:
 * each right row's matches looked up in the index (an index nested loop join, as a database
 * joins a few rows to an indexed table) instead of a pass over every left row. The pairs are put
 * in left-row order, right-row order within a left row (the order equalKeyPairs gives), by one
 * typed-array sort. NULL and keys absent from the index match nothing. Undefined when it does not
 * apply.
 */
function indexPairs(left: Batch, right: Batch, keys: readonly KeyPair[]): Pairs | undefined {
  if (keys.length !== 1 || right.length > left.length * INDEX_JOIN_SHARE) return undefined;
  if (left.length * right.length >= 2 ** 53) return undefined;
  const { left: leftKey, right: rightKey } = keys[0]!;
  if (leftKey.kind !== 'column' || rightKey.kind !== 'column') return undefined;
  const leftColumn = left.columns.find((column) => column.name === leftKey.name);
  const rightColumn = right.columns.find((column) => column.name === rightKey.name);
  if (leftColumn?.type.kind !== 'int' || rightColumn?.type.kind !== 'int') return undefined;
  const index = leftColumn.source?.keyIndex?.();
  const vector = index && vectorOfLocalColumn(rightColumn, right.length);
  if (!index || vector?.kind !== 'int') return undefined;
  indexJoinStats.runs++;
  const { min, max, starts, rows } = index;
  const { values, valid } = vector;
  let count = 0;
  for (let r = 0; r < right.length; r++) {
    const key = values[r]!;
    if (key < min || key > max || !isValidAt(valid, r) || !Number.isInteger(key)) continue;
    count += starts[key - min + 1]! - starts[key - min]!;
  }
  // Each pair as one number, left row first: sorted, they are in the order of the hash join.
  const width = right.length;
  const combined = new Float64Array(count);
  let at = 0;
  for (let r = 0; r < right.length; r++) {
    const key = values[r]!;
    if (key < min || key > max || !isValidAt(valid, r) || !Number.isInteger(key)) continue;
    for (let k = starts[key - min]!, end = starts[key - min + 1]!; k < end; k++)
      combined[at++] = rows[k]! * width + r;
  }
  combined.sort();
  const pairs = { left: new Int32Array(count), right: new Int32Array(count) };
  for (let i = 0; i < count; i++) {
    const pair = combined[i]!;
    const r = pair % width;
    pairs.left[i] = (pair - r) / width;
    pairs.right[i] = r;
  }
  return pairs;
}

function hashPairs(left: Batch, right: Batch, keys: readonly KeyPair[], context: ExecContext): PairList {
  const { leftKeys, rightKeys } = joinKeys(left, right, keys, context);
  return equalKeyPairs(leftKeys, rightKeys, left.length, right.length);
}

export function joinBatches(left: Batch, right: Batch, node: JoinNode, context: ExecContext): Batch {
  for (const name of node.using) {
    findColumn(left, name, 'join (left side)');
    findColumn(right, name, 'join (right side)');
  }
  if (node.type === 'cross' && (node.using.length > 0 || node.on)) {
    throw new PlanError('a cross join takes no join condition');
  }
  const { keys, residual } = splitCondition(node.on, left, right);
  for (const name of node.using)
    keys.push({ left: { kind: 'column', name }, right: { kind: 'column', name } });
  const condition = residual.reduce<Expr | undefined>(
    (all, part) => (all ? { kind: 'binary', op: 'and', left: all, right: part } : part),
    undefined,
  );

  let pairs: PairList;
  const nullAware =
    (node.type === 'semi' || node.type === 'anti') && keys.length === 0
      ? nullAwareKey(residual, left, right)
      : undefined;
  if (nullAware) {
    nullAwareStats.runs++;
    pairs = hashPairs(left, right, [nullAware], context);
  } else if (keys.length > 0 && !condition && (node.type === 'inner' || node.type === 'semi')) {
    pairs = indexPairs(left, right, keys) ?? hashPairs(left, right, keys, context);
  } else if (keys.length > 0) {
    const { leftKeys, rightKeys } = joinKeys(left, right, keys, context);
    // A left join on one key unique on the right (a lookup, as W4's failure times per drill):
    // every left row once and in order, with its right row or none; no pairs to sort.
    const lookup =
      node.type === 'left' && keys.length === 1 && !condition
        ? uniqueKeyLookup(leftKeys[0]!, rightKeys[0]!, left.length, right.length)
        : undefined;
    if (lookup) {
      return makeBatch(pairColumns(left, right, node, rowRange(left.length), lookup, true), left.length);
    }
    pairs = equalKeyPairs(leftKeys, rightKeys, left.length, right.length);
    if (condition) pairs = filterPairs(left, right, node, condition, pairs, context);
  } else {
    pairs = allPairs(left, right, node, condition, context);
  }

  // Pairs come in left-row order (equalKeyPairs, filterPairs and allPairs keep it): an inner
  // join's output is the pairs as they are; an outer join adds its unmatched rows in one pass.
  if (node.type === 'inner' || node.type === 'cross') {
    return makeBatch(pairColumns(left, right, node, pairs.left, pairs.right), pairs.left.length);
  }
  const leftHit = new Uint8Array(left.length);
  for (let i = 0; i < pairs.left.length; i++) leftHit[pairs.left[i]!] = 1;
  if (nullAware && right.length > 0) {
    if (nullRows(right, nullAware.right, context).length > 0) leftHit.fill(1);
    else for (const l of nullRows(left, nullAware.left, context)) leftHit[l] = 1;
  }
  if (node.type === 'semi' || node.type === 'anti') {
    const keep = node.type === 'semi' ? 1 : 0;
    let kept = 0;
    for (let l = 0; l < left.length; l++) kept += leftHit[l] === keep ? 1 : 0;
    if (kept === left.length) return left;
    const rows = new Int32Array(kept);
    for (let l = 0, at = 0; l < left.length; l++) if (leftHit[l] === keep) rows[at++] = l;
    return makeBatch(
      left.columns.map((column) => takeColumn(column, rows)),
      rows.length,
    );
  }

  const keepUnmatchedLeft = node.type === 'left' || node.type === 'full';
  const keepUnmatchedRight = node.type === 'right' || node.type === 'full';
  const rightHit = new Uint8Array(keepUnmatchedRight ? right.length : 0);
  let unmatchedRight = 0;
  if (keepUnmatchedRight) {
    for (let i = 0; i < pairs.right.length; i++) rightHit[pairs.right[i]!] = 1;
    for (let r = 0; r < right.length; r++) unmatchedRight += 1 - rightHit[r]!;
  }
  let unmatchedLeft = 0;
  if (keepUnmatchedLeft) for (let l = 0; l < left.length; l++) unmatchedLeft += 1 - leftHit[l]!;
  const total = pairs.left.length + unmatchedLeft + unmatchedRight;
  const outLeft = new Int32Array(total);
  const outRight = new Int32Array(total);
  let at = 0;
  const paired = pairs.left.length;
  for (let l = 0, p = 0; l < left.length; l++) {
    if (p < paired && pairs.left[p] === l) {
      for (; p < paired && pairs.left[p] === l; p++) {
        outLeft[at] = l;
        outRight[at++] = pairs.right[p]!;
      }
    } else if (keepUnmatchedLeft) {
      outLeft[at] = l;
      outRight[at++] = -1;
    }
  }
  for (let r = 0; r < rightHit.length; r++) {
    if (!rightHit[r]) {
      outLeft[at] = -1;
      outRight[at++] = r;
    }
  }
  return makeBatch(pairColumns(left, right, node, outLeft, outRight), total);
}
