/**
 * Runtime key filters (what DuckDB and Spark call join filter pushdown or runtime filters): a
 * hash join runs its left side first, and the right side is read keeping only rows whose key is
 * among the left side's keys, as early as the key column exists: at the Arrow input itself when
 * the column comes through unchanged. A correlated subquery decorrelated into a join with a
 * grouped side (TPC-H Q2's per-part minimum cost) then aggregates the few groups the outer query
 * asks for, not every group; a fact table is cut down by a small dimension before its other
 * filters and joins run.
 *
 * Filtering side X by the keys of side Y is exact when X's rows that match no Y row never reach
 * the output: the right side of inner, left, semi and anti joins (the reasoning of the
 * optimizer's local key filter). A filter moves down through steps that keep the column's values
 * and drop no row it would keep: projections (following a rename), filters, sorts, DISTINCT, an
 * aggregate's plain group keys, and a join's side that supplies the column (for join types that
 * keep that side's rows only when they appear in the output). Anywhere else it is applied to the
 * step's output. Keys are INT values held in a bitset over their range; a key column that is not
 * INT on either side, or a range too wide, makes no filter (a filter is only ever an
 * optimization: skipping one is always correct).
 */
import { conjuncts, type Expr, unalias } from '../../plan/expr.ts';
import type { JoinNode, PlanNode } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import { type Batch, type LocalColumn, takeRows } from '../batch.ts';
import { coversKeys, type KeySet, keySetOf, rowsOfKeys } from '../kernels/column-index.ts';
import { isValidAt, vectorOfLocalColumn } from '../kernels/vectors.ts';

/** Rows pass when their INT value in `column` is a key of the set. */
export interface KeyFilter extends KeySet {
  readonly column: string;
}

/** Rows filtered by a key filter, for tests: how many were read and how many kept. */
export const keyFilterStats = { applied: 0, indexed: 0, covered: 0, rowsIn: 0, rowsOut: 0 };

let enabled = true;

/** Runs `work` without runtime key filters (for tests and benchmarks comparing the two). */
export async function withoutKeyFilters<T>(work: () => Promise<T>): Promise<T> {
  const before = enabled;
  enabled = false;
  try {
    return await work();
  } finally {
    enabled = before;
  }
}

/**
 * A filter keeping the keys of `column` (INT, NULLs never match); undefined when it cannot be one.
 * A whole integer column read from Arrow gives the key set kept with its data (arrow-memo.ts).
 */
export function keyFilterOf(column: LocalColumn, length: number, target: string): KeyFilter | undefined {
  if (!enabled) return undefined;
  const kept = column.source?.keySet?.();
  if (kept) return { ...kept, column: target };
  const vector = vectorOfLocalColumn(column, length);
  if (vector?.kind !== 'int') return undefined;
  const keys = keySetOf(vector.values, vector.valid, length);
  return keys && { ...keys, column: target };
}

/** A filter of at most this share of keys for the rows looks its keys up in the column's index, if it has one. */
const LOOKUP_KEY_SHARE = 1 / 4;

/**
 * The batch without the rows some filter rejects (a filter whose column is missing or not INT is
 * skipped): the rows of the filter's keys from the column's index when it has one and the keys
 * are few (kernels/column-index.ts); nothing when the column is whole and the filter holds all its
 * keys; else a test of every row.
 */
export function applyKeyFilters(batch: Batch, filters: readonly KeyFilter[]): Batch {
  let out = batch;
  for (const filter of filters) {
    const column = out.columns.find((c) => c.name === filter.column);
    if (!column) continue;
    const { min, max, bits } = filter;
    const looked =
      filter.keys < out.length * LOOKUP_KEY_SHARE ? lookUp(column, filter, out.length) : undefined;
    if (looked) {
      keyFilterStats.applied++;
      keyFilterStats.indexed++;
      keyFilterStats.rowsIn += out.length;
      keyFilterStats.rowsOut += looked.length;
      if (looked.length < out.length) out = takeRows(out, looked);
      continue;
    }
    // Every key of the whole column passes: no row to drop (its NULL-key rows stay; the join
    // they feed matches them to nothing).
    const columnKeys = column.source?.keySet?.();
    if (columnKeys && coversKeys(filter, columnKeys)) {
      keyFilterStats.applied++;
      keyFilterStats.covered++;
      keyFilterStats.rowsIn += out.length;
      keyFilterStats.rowsOut += out.length;
      continue;
    }
    const vector = vectorOfLocalColumn(column, out.length);
    if (vector?.kind !== 'int') continue;
    const { values, valid } = vector;
    const rows = new Uint32Array(out.length);
    let n = 0;
    if (valid === undefined) {
      for (let i = 0; i < out.length; i++) {
        const v = values[i]!;
        if (v < min || v > max) continue;
        const at = v - min;
        if ((bits[at >>> 5]! >>> (at & 31)) & 1) rows[n++] = i;
      }
    } else {
      for (let i = 0; i < out.length; i++) {
        const v = values[i]!;
        if (v < min || v > max || !isValidAt(valid, i)) continue;
        const at = v - min;
        if ((bits[at >>> 5]! >>> (at & 31)) & 1) rows[n++] = i;
      }
    }
    keyFilterStats.applied++;
    keyFilterStats.rowsIn += out.length;
    keyFilterStats.rowsOut += n;
    if (n < out.length) out = takeRows(out, rows.subarray(0, n));
  }
  return out;
}

/** The rows of the filter's keys from the column's index, when it has one and they are a few of its rows. */
function lookUp(column: LocalColumn, filter: KeyFilter, length: number): Int32Array | undefined {
  const index = column.source?.keyIndex?.();
  return index && rowsOfKeys(index, filter.bits, filter.min, Math.floor(length * LOOKUP_KEY_SHARE));
}

/** Filters for a step's input, and those left to apply to its output. */
export interface Routed {
  readonly down: readonly KeyFilter[];
  readonly here: readonly KeyFilter[];
}

const NONE: Routed = { down: [], here: [] };

/** Filters above a projection, renamed to the input columns they pass through unchanged. */
export function throughProject(exprs: readonly Expr[], filters: readonly KeyFilter[]): Routed {
  if (filters.length === 0) return NONE;
  const down: KeyFilter[] = [];
  const here: KeyFilter[] = [];
  for (const filter of filters) {
    const source = exprs.find((expr) => {
      const name = expr.kind === 'alias' ? expr.name : expr.kind === 'column' ? expr.name : undefined;
      return name === filter.column && unalias(expr).kind === 'column';
    });
    const inner = source && unalias(source);
    if (inner?.kind === 'column') down.push({ ...filter, column: inner.name });
    else here.push(filter);
  }
  return { down, here };
}

/** Filters above an aggregate: down when the column is a plain group key. */
export function throughAggregate(groupBy: readonly Expr[], filters: readonly KeyFilter[]): Routed {
  if (filters.length === 0) return NONE;
  const keys = new Set(groupBy.map((expr) => (expr.kind === 'column' ? expr.name : undefined)));
  return {
    down: filters.filter((filter) => keys.has(filter.column)),
    here: filters.filter((filter) => !keys.has(filter.column)),
  };
}

/** Each plan node's output names, worked out once per node (plan nodes never change). */
const namesOf = new WeakMap<PlanNode, ReadonlySet<string> | null>();

const fieldNames = (node: PlanNode): ReadonlySet<string> | undefined => {
  let names = namesOf.get(node);
  if (names === undefined) {
    try {
      names = new Set(outputFields(node).map((field) => field.name));
    } catch {
      names = null;
    }
    namesOf.set(node, names);
  }
  return names ?? undefined;
};

/** Filters above a join, sent to the side that supplies their column when that side's rows may be cut. */
export function throughJoin(
  node: JoinNode,
  filters: readonly KeyFilter[],
): { left: readonly KeyFilter[]; right: readonly KeyFilter[]; here: readonly KeyFilter[] } {
  if (filters.length === 0) return { left: [], right: [], here: [] };
  const leftNames = fieldNames(node.left);
  const rightNames = fieldNames(node.right);
  const toLeft = ['inner', 'left', 'semi', 'anti', 'cross'].includes(node.type);
  const toRight = ['inner', 'right', 'cross'].includes(node.type);
  const left: KeyFilter[] = [];
  const right: KeyFilter[] = [];
  const here: KeyFilter[] = [];
  for (const filter of filters) {
    const inLeft = leftNames?.has(filter.column) ?? false;
    const inRight = rightNames?.has(filter.column) ?? false;
    // A column named on both sides (USING) is pushed only where the output's value comes from.
    if (inLeft && !inRight && toLeft) left.push(filter);
    else if (inRight && !inLeft && toRight) right.push(filter);
    else here.push(filter);
  }
  return { left, right, here };
}

const keyPairsOf = new WeakMap<JoinNode, readonly { left: string; right: string }[]>();

/** The join's keys as (left column, right column) pairs, when both are plain columns. */
export function columnKeyPairs(node: JoinNode): readonly { left: string; right: string }[] {
  let pairs = keyPairsOf.get(node);
  if (!pairs) {
    pairs = keyPairsOfJoin(node);
    keyPairsOf.set(node, pairs);
  }
  return pairs;
}

function keyPairsOfJoin(node: JoinNode): { left: string; right: string }[] {
  const pairs: { left: string; right: string }[] = [];
  for (const name of node.using) pairs.push({ left: name, right: name });
  if (!node.on) return pairs;
  const leftNames = fieldNames(node.left);
  const rightNames = fieldNames(node.right);
  if (!leftNames || !rightNames) return pairs;
  for (const part of conjuncts(node.on)) {
    if (part.kind !== 'binary' || part.op !== '=') continue;
    const a = unalias(part.left);
    const b = unalias(part.right);
    if (a.kind !== 'column' || b.kind !== 'column') continue;
    if (leftNames.has(a.name) && rightNames.has(b.name) && !rightNames.has(a.name) && !leftNames.has(b.name))
      pairs.push({ left: a.name, right: b.name });
    else if (
      leftNames.has(b.name) &&
      rightNames.has(a.name) &&
      !rightNames.has(b.name) &&
      !leftNames.has(a.name)
    )
      pairs.push({ left: b.name, right: a.name });
  }
  return pairs;
}

/** Join types whose right rows that match no left row never reach the output. */
export const filtersRight = (node: JoinNode): boolean =>
  node.type === 'inner' || node.type === 'left' || node.type === 'semi' || node.type === 'anti';
