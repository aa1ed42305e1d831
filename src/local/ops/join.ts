/**
 * Joins: inner, left, right, full, semi, anti and cross, on `using` columns or an `on` expression.
 * Equalities between the two sides (`using` keys, and `a = b` conjuncts of `on` with each side
 * over one input) become hash keys for Arquero's hash join; the rest of the condition is evaluated
 * on the matching pairs. NULL keys never match. Output rows follow the left side's order.
 */
import { PlanError } from '../../base/errors.ts';
import { conjuncts, type Expr, referencedColumns } from '../../plan/expr.ts';
import type { JoinNode } from '../../plan/nodes.ts';
import { type Batch, findColumn, type LocalColumn, makeBatch, nullValues, takeValues } from '../batch.ts';
import { comparisonKeys, keysOf } from '../compare.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { compileExpr, compilePredicate } from '../expr/compile.ts';
import { convertValue, evaluateAll } from '../expr/compiled.ts';
import { equalKeyPairs, type KeyValues } from '../relational.ts';
import { mergeTypes } from '../types.ts';

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

interface PairList {
  left: number[];
  right: number[];
}

/** The joined row of a pair: left's columns, then right's minus the `using` keys. */
function pairColumns(
  left: Batch,
  right: Batch,
  node: JoinNode,
  leftRows: ArrayLike<number>,
  rightRows: ArrayLike<number>,
): LocalColumn[] {
  const using = new Set(node.using);
  const columns: LocalColumn[] = left.columns.map((column) => {
    if (!using.has(column.name) || node.type === 'inner' || node.type === 'left' || node.type === 'cross') {
      return { ...column, values: takeValues(column.values, leftRows) };
    }
    const other = findColumn(right, column.name, 'join');
    if (node.type === 'right') return { ...other, values: takeValues(other.values, rightRows) };
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
    if (!using.has(column.name)) columns.push({ ...column, values: takeValues(column.values, rightRows) });
  }
  return columns;
}

/** Pairs that pass the residual condition. */
function filterPairs(
  left: Batch,
  right: Batch,
  node: JoinNode,
  residual: Expr,
  pairs: PairList,
  context: ExecContext,
) {
  const batch = makeBatch(
    pairColumns(left, right, { ...node, type: 'inner' }, pairs.left, pairs.right),
    pairs.left.length,
  );
  const test = compilePredicate(residual, scopeOf(batch, context, 'join condition'));
  const kept: PairList = { left: [], right: [] };
  for (let i = 0; i < pairs.left.length; i++) {
    if (test(i)) {
      kept.left.push(pairs.left[i]!);
      kept.right.push(pairs.right[i]!);
    }
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
  const out: PairList = { left: [], right: [] };
  if (right.length === 0) return out;
  const block = Math.max(1, Math.floor(PAIRS_PER_BLOCK / right.length));
  for (let start = 0; start < left.length; start += block) {
    const end = Math.min(left.length, start + block);
    let pairs: PairList = { left: [], right: [] };
    for (let l = start; l < end; l++) {
      for (let r = 0; r < right.length; r++) {
        pairs.left.push(l);
        pairs.right.push(r);
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

function hashPairs(left: Batch, right: Batch, keys: readonly KeyPair[], context: ExecContext): PairList {
  const leftScope = scopeOf(left, context, 'join');
  const rightScope = scopeOf(right, context, 'join');
  const leftKeys: KeyValues[] = [];
  const rightKeys: KeyValues[] = [];
  for (const key of keys) {
    const l = compileExpr(key.left, leftScope);
    const r = compileExpr(key.right, rightScope);
    // Both sides normalized for the comparison '=' would make (collation, number against string).
    const [keyL, keyR] = comparisonKeys(l.type, r.type, context.collation);
    leftKeys.push(keysOf(evaluateAll(l, left.length), keyL));
    rightKeys.push(keysOf(evaluateAll(r, right.length), keyR));
  }
  const pairs = equalKeyPairs(leftKeys, rightKeys, left.length, right.length);
  return { left: Array.from(pairs.left), right: Array.from(pairs.right) };
}

/**
 * Pairs in left-row order, by a stable counting sort. Within a left row, right rows stay in the
 * order the hash join produced them, which is their input order.
 */
function inLeftOrder(pairs: PairList, leftLength: number): { starts: Int32Array; right: Int32Array } {
  const starts = new Int32Array(leftLength + 1);
  for (const l of pairs.left) starts[l + 1]!++;
  for (let i = 0; i < leftLength; i++) starts[i + 1]! += starts[i]!;
  const fill = starts.slice(0, leftLength);
  const right = new Int32Array(pairs.left.length);
  for (let i = 0; i < pairs.left.length; i++) right[fill[pairs.left[i]!]!++] = pairs.right[i]!;
  return { starts, right };
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
  if (keys.length > 0) {
    pairs = hashPairs(left, right, keys, context);
    if (condition) pairs = filterPairs(left, right, node, condition, pairs, context);
  } else {
    pairs = allPairs(left, right, node, condition, context);
  }

  const leftHit = new Uint8Array(left.length);
  for (const l of pairs.left) leftHit[l] = 1;
  if (node.type === 'semi' || node.type === 'anti') {
    const keep = node.type === 'semi' ? 1 : 0;
    const rows: number[] = [];
    for (let l = 0; l < left.length; l++) if (leftHit[l] === keep) rows.push(l);
    return makeBatch(
      left.columns.map((column) => ({ ...column, values: takeValues(column.values, rows) })),
      rows.length,
    );
  }

  const { starts, right: rightByLeft } = inLeftOrder(pairs, left.length);
  const outLeft: number[] = [];
  const outRight: number[] = [];
  const keepUnmatchedLeft = node.type === 'left' || node.type === 'full';
  for (let l = 0; l < left.length; l++) {
    const from = starts[l]!;
    const to = starts[l + 1]!;
    if (from === to && keepUnmatchedLeft) {
      outLeft.push(l);
      outRight.push(-1);
    }
    for (let k = from; k < to; k++) {
      outLeft.push(l);
      outRight.push(rightByLeft[k]!);
    }
  }
  if (node.type === 'right' || node.type === 'full') {
    const rightHit = new Uint8Array(right.length);
    for (const r of pairs.right) rightHit[r] = 1;
    for (let r = 0; r < right.length; r++) {
      if (!rightHit[r]) {
        outLeft.push(-1);
        outRight.push(r);
      }
    }
  }
  return makeBatch(pairColumns(left, right, node, outLeft, outRight), outLeft.length);
}
