/**
 * Window functions: ROW_NUMBER, RANK, DENSE_RANK, LAG/LEAD, FIRST_VALUE/LAST_VALUE and aggregates
 * over frames. relational.ts splits the rows into partitions and orders each; peers (rows with equal
 * ORDER BY keys) share a rank and, in the default frame, each other's rows. Frames follow SQL:
 * ordered without a frame is RANGE UNBOUNDED PRECEDING to CURRENT ROW (peers included), unordered
 * is the whole partition, and `rows: [start, end]` is ROWS BETWEEN with undefined as UNBOUNDED.
 */
import { PlanError } from '../../base/errors.ts';
import {
  AGGREGATE_FUNCTIONS,
  type AggregateFunction,
  type Expr,
  Exprs,
  exprName,
  mapExpr,
  someExpr,
  unalias,
  type WindowExpr,
} from '../../plan/expr.ts';
import { type Batch, type LocalColumn, makeBatch, nullValues, renameColumn, type Values } from '../batch.ts';
import { groupKey, keyColumn } from '../compare.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { type DecimalValue, roundToScale } from '../decimal.ts';
import { compileExpr } from '../expr/compile.ts';
import { type Compiled, derived, evaluateAll, presentValues } from '../expr/compiled.ts';
import { vectorize } from '../kernels/expressions.ts';
import { columnOfVector, kernelsEnabled, type NumericVector } from '../kernels/vectors.ts';
import {
  frameAggregateVectors,
  frameKernelApplies,
  type KernelFrame,
  type KernelResult,
  rankVector,
  shiftVector,
} from '../kernels/windows.ts';
import { type KeyValues, orderedPartitions } from '../relational.ts';
import { computed, fracOf, type SqlType, T } from '../types.ts';
import { aggregateType } from './accumulate.ts';
import { type FrameBounds, frameAggregate } from './frames.ts';
import { sortKeyValues } from './sort.ts';

const WINDOW_PREFIX = '\u0000win';

const isAggregate = (fn: string): fn is AggregateFunction =>
  (AGGREGATE_FUNCTIONS as readonly string[]).includes(fn);

interface Ordered {
  readonly partitions: ArrayLike<number>[];
  /** For each row, the key values it is compared on, to find peers. */
  readonly sortKeys: readonly KeyValues[];
}

/** What the window calls of one step share. */
interface Shared {
  /** The rows' order for each window specification (PARTITION BY and ORDER BY), computed once. */
  readonly orders: Map<string, Ordered>;
  /** The aggregates asked of each argument over each frame (frameKey), computed in one loop. */
  readonly siblings: Map<string, Set<AggregateFunction>>;
  /** Kernel results by frameKey and function. */
  readonly results: Map<string, Map<AggregateFunction, KernelResult>>;
}

const keyText = (value: unknown): string =>
  JSON.stringify(value, (_key, inner) => (typeof inner === 'bigint' ? `${inner}n` : inner));

const specKey = (expr: WindowExpr): string => keyText([expr.partitionBy, expr.orderBy]);

/** The same argument over the same frame of the same order. */
const frameKey = (expr: WindowExpr): string =>
  keyText([expr.args[0] ?? null, expr.partitionBy, expr.orderBy, expr.frame ?? null]);

function orderOnce(batch: Batch, expr: WindowExpr, context: ExecContext, shared: Shared): Ordered {
  const key = specKey(expr);
  let ordered = shared.orders.get(key);
  if (!ordered) {
    ordered = orderRows(batch, expr, context);
    shared.orders.set(key, ordered);
  }
  return ordered;
}

/** The window calls of the expressions, each aggregate noted under its frameKey. */
function sharedOf(exprs: readonly Expr[]): Shared {
  const siblings = new Map<string, Set<AggregateFunction>>();
  for (const expr of exprs) {
    someExpr(expr, (node) => {
      if (node.kind === 'window' && isAggregate(node.fn)) {
        const key = frameKey(node);
        const fns = siblings.get(key) ?? new Set<AggregateFunction>();
        fns.add(node.fn);
        siblings.set(key, fns);
      }
      return false;
    });
  }
  return { orders: new Map(), siblings, results: new Map() };
}

/** fn's kernel result, computed with those of its siblings the kernels apply to, in one loop. */
function frameKernelResult(
  expr: WindowExpr,
  fn: AggregateFunction,
  vector: NumericVector | undefined,
  ordered: Ordered,
  length: number,
  shared: Shared,
): KernelResult {
  const key = frameKey(expr);
  const done = shared.results.get(key)?.get(fn);
  if (done) return done;
  const fns = [...(shared.siblings.get(key) ?? [])].filter(
    (other) => other === fn || (!shared.results.get(key)?.has(other) && frameKernelApplies(other, vector)),
  );
  if (!fns.includes(fn)) fns.push(fn);
  const results = frameAggregateVectors(
    fns,
    vector,
    ordered.partitions,
    kernelFrame(expr, ordered.sortKeys),
    length,
  );
  const kept = shared.results.get(key) ?? new Map<AggregateFunction, KernelResult>();
  for (const [other, result] of results) kept.set(other, result);
  shared.results.set(key, kept);
  return results.get(fn)!;
}

function orderRows(batch: Batch, expr: WindowExpr, context: ExecContext): Ordered {
  const scope = scopeOf(batch, context, 'window');
  const partitionKeys = expr.partitionBy.map((key) => {
    const compiled = compileExpr(key, scope);
    return keyColumn(
      evaluateAll(compiled, batch.length),
      compiled.type,
      groupKey(compiled.type, context.collation),
    );
  });
  const sortKeys = sortKeyValues(batch, expr.orderBy, context, 'window');
  return {
    partitions: orderedPartitions(partitionKeys, sortKeys, batch.length),
    sortKeys: sortKeys.map((key) => key.values),
  };
}

/** For each position of a partition, whether it is a peer of the previous position. */
function peersOf(rows: ArrayLike<number>, sortKeys: readonly KeyValues[]): Uint8Array {
  const peer = new Uint8Array(rows.length);
  for (let i = 1; i < rows.length; i++) {
    let same = 1;
    for (const keys of sortKeys) {
      const a = keys[rows[i - 1]!];
      const b = keys[rows[i]!];
      if (a === b || (a !== null && b !== null && !(a! < b!) && !(a! > b!))) continue;
      same = 0;
      break;
    }
    peer[i] = same;
  }
  return peer;
}

/** The last peer's position of each position of a partition. */
function lastPeers(peer: Uint8Array): Int32Array {
  const size = peer.length;
  const lastPeer = new Int32Array(size);
  for (let i = size - 1; i >= 0; i--) lastPeer[i] = i + 1 < size && peer[i + 1] ? lastPeer[i + 1]! : i;
  return lastPeer;
}

/** frameBounds as the kernels take it. */
function kernelFrame(expr: WindowExpr, sortKeys: readonly KeyValues[]): KernelFrame {
  if (expr.frame) return { start: expr.frame.start, end: expr.frame.end };
  if (expr.orderBy.length === 0) return { start: undefined, end: undefined };
  return { start: undefined, end: undefined, lastPeer: (rows) => lastPeers(peersOf(rows, sortKeys)) };
}

function frameBounds(expr: WindowExpr, size: number, peer: Uint8Array): FrameBounds {
  if (expr.frame) {
    const { start, end } = expr.frame;
    return (position) => [
      start === undefined ? 0 : Math.max(0, position + start),
      end === undefined ? size - 1 : Math.min(size - 1, position + end),
    ];
  }
  if (expr.orderBy.length === 0) return () => [0, size - 1];
  // RANGE UNBOUNDED PRECEDING to CURRENT ROW: up to the last peer of the current row.
  const lastPeer = lastPeers(peer);
  return (position) => [0, lastPeer[position]!];
}

function offsetOf(expr: WindowExpr): number {
  const arg = expr.args[1];
  if (arg === undefined) return 1;
  if (
    arg.kind !== 'literal' ||
    typeof arg.value !== 'number' ||
    !Number.isInteger(arg.value) ||
    arg.value < 0
  ) {
    throw new PlanError(`${expr.fn}(): the offset must be a non-negative integer constant`);
  }
  return arg.value;
}

/**
 * The server computes window functions over a temporary table that holds each argument at its
 * shown digits: a quotient's inside digits are rounded away per row before a window SUM adds it.
 */
function shownDigits(arg: Compiled): Compiled {
  const { type } = arg;
  if (type.kind !== 'decimal' || fracOf(type) <= (type.scale ?? 0)) return arg;
  const scale = type.scale ?? 0;
  const frac = fracOf(type);
  const { evaluate } = arg;
  return derived(T.decimal(scale), [arg], (row) => {
    const value = evaluate(row);
    return value === null ? null : roundToScale(value as DecimalValue, frac, scale);
  });
}

/** A kernel's result as a column (lazy where it has NULLs, see batch.ts). */
function kernelColumn(
  type: SqlType,
  result: { values: Float64Array; valid: Uint8Array | undefined },
): LocalColumn {
  const kind = type.kind === 'int' ? 'int' : 'double';
  const values = presentValues(type, result.values);
  return columnOfVector('', { kind, type, values, valid: result.valid, length: values.length });
}

/** The argument as a vector for the kernels, when it is INT or DOUBLE numbers. */
function argVector(expr: Expr | undefined, batch: Batch, context: ExecContext): NumericVector | undefined {
  if (!kernelsEnabled() || !expr) return undefined;
  const vector = vectorize(expr, batch, context.collation);
  return vector && (vector.kind === 'int' || vector.kind === 'double') ? vector : undefined;
}

function computeWindow(batch: Batch, expr: WindowExpr, context: ExecContext, shared: Shared): LocalColumn {
  const scope = scopeOf(batch, context, 'window');
  for (const node of [...expr.args, ...expr.partitionBy, ...expr.orderBy.map((key) => key.expr)]) {
    if (someExpr(node, (inner) => inner.kind === 'window' || inner.kind === 'aggregate')) {
      throw new PlanError(`window: ${expr.fn}() cannot contain an aggregate or another window function`);
    }
  }
  const ordered = orderOnce(batch, expr, context, shared);
  const { partitions, sortKeys } = ordered;
  const fn = expr.fn;
  const vector = argVector(expr.args[0], batch, context);
  // Compiled only for the row path: compiling a column reference decodes its values.
  const argExpr = expr.args[0];
  const arg = argExpr && !vector ? shownDigits(compileExpr(argExpr, scope)) : undefined;
  const argType = vector?.type ?? arg?.type;
  const column = (type: SqlType, values: Values): LocalColumn => ({ name: '', type, values });

  if (isAggregate(fn)) {
    if (fn === 'countDistinct') throw new PlanError('countDistinct cannot be a window function');
    const type = aggregateType(fn, argType);
    if ((argExpr === undefined ? kernelsEnabled() : vector !== undefined) && frameKernelApplies(fn, vector)) {
      return kernelColumn(type, frameKernelResult(expr, fn, vector, ordered, batch.length, shared));
    }
    const exact = vector ? shownDigits(compileExpr(argExpr!, scope)) : arg;
    const out = nullValues(batch.length);
    const argValues = exact ? evaluateAll(exact, batch.length) : undefined;
    const run = frameAggregate(fn, argValues, exact?.type, context.collation);
    for (const rows of partitions) run(rows, frameBounds(expr, rows.length, peersOf(rows, sortKeys)), out);
    return column(type, presentValues(type, out));
  }

  const ranking = fn === 'rowNumber' || fn === 'rank' || fn === 'denseRank';
  if (ranking && kernelsEnabled()) {
    return column(
      T.int,
      rankVector(fn, partitions, (rows) => peersOf(rows, sortKeys), batch.length),
    );
  }
  if ((fn === 'lag' || fn === 'lead') && vector) {
    const offset = offsetOf(expr) * (fn === 'lag' ? -1 : 1);
    return kernelColumn(vector.type, shiftVector(vector, partitions, offset, batch.length));
  }
  const exact = vector ? shownDigits(compileExpr(argExpr!, scope)) : arg;
  const argValues = exact ? evaluateAll(exact, batch.length) : undefined;
  const out = nullValues(batch.length);
  for (const rows of partitions) {
    const size = rows.length;
    switch (fn) {
      case 'rowNumber':
        for (let i = 0; i < size; i++) out[rows[i]!] = i + 1;
        break;
      case 'rank':
      case 'denseRank': {
        const peer = peersOf(rows, sortKeys);
        let rank = 0;
        let dense = 0;
        for (let i = 0; i < size; i++) {
          if (i === 0 || !peer[i]) {
            rank = i + 1;
            dense++;
          }
          out[rows[i]!] = fn === 'rank' ? rank : dense;
        }
        break;
      }
      case 'lag':
      case 'lead': {
        if (!argValues) throw new PlanError(`${fn}() needs a value to read`);
        const offset = offsetOf(expr) * (fn === 'lag' ? -1 : 1);
        for (let i = 0; i < size; i++) {
          const from = i + offset;
          out[rows[i]!] = from >= 0 && from < size ? argValues[rows[from]!]! : null;
        }
        break;
      }
      case 'firstValue':
      case 'lastValue': {
        if (!argValues) throw new PlanError(`${fn}() needs a value to read`);
        const bounds = frameBounds(expr, size, peersOf(rows, sortKeys));
        for (let i = 0; i < size; i++) {
          const [start, end] = bounds(i);
          out[rows[i]!] = start > end ? null : argValues[rows[fn === 'firstValue' ? start : end]!]!;
        }
        break;
      }
    }
  }
  // LAG, LEAD, FIRST_VALUE and LAST_VALUE give values of their argument: a column keeps its Arrow type.
  return column(ranking ? T.int : (exact?.type ?? T.null), out);
}

/**
 * Appends each aliased window expression to every row. An expression may use window calls inside
 * (fn.sum('x').over(w).div(2)): each call is computed first, then the expression around it.
 */
export function windowRows(batch: Batch, exprs: readonly Expr[], context: ExecContext): Batch {
  const calls: LocalColumn[] = [];
  const shared = sharedOf(exprs);
  const rewritten = exprs.map((expr) =>
    mapExpr(unalias(expr), (node) => {
      if (node.kind !== 'window') return undefined;
      calls.push(
        renameColumn(computeWindow(batch, node, context, shared), `${WINDOW_PREFIX}${calls.length}`),
      );
      return Exprs.column(calls[calls.length - 1]!.name);
    }),
  );
  const withCalls = makeBatch([...batch.columns, ...calls], batch.length);
  const added: LocalColumn[] = exprs.map((expr, index) => {
    const name = exprName(expr);
    if (name === undefined) throw new PlanError('window: every window column needs a name (use .as(name))');
    const inner = rewritten[index]!;
    if (inner.kind === 'column' && inner.name.startsWith(WINDOW_PREFIX)) {
      return renameColumn(calls.find((c) => c.name === inner.name)!, name);
    }
    const compiled = compileExpr(inner, scopeOf(withCalls, context, 'window'));
    return { name, type: computed(compiled.type), values: evaluateAll(compiled, batch.length) };
  });
  const names = new Set(added.map((column) => column.name));
  return makeBatch([...batch.columns.filter((column) => !names.has(column.name)), ...added], batch.length);
}
