/**
 * GROUP BY with aggregates. Groups come from hash grouping over normalized keys (relational.ts); each
 * aggregate call inside the output expressions (sum(a) / sum(b), sum(case when ...)) is computed
 * per group into a column, and the output expressions are then evaluated over one row per group.
 * A global aggregate (no group keys) gives one row, even over no input rows.
 */
import { PlanError } from '../../base/errors.ts';
import {
  type AggregateExpr,
  type Expr,
  Exprs,
  exprName,
  mapExpr,
  referencedColumns,
  someExpr,
  unalias,
} from '../../plan/expr.ts';
import { type Batch, findColumn, type LocalColumn, makeBatch, takeColumn } from '../batch.ts';
import { groupKey, keysOfColumn } from '../compare.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { compileExpr } from '../expr/compile.ts';
import { evaluateAll, presentValues } from '../expr/compiled.ts';
import { aggregateVectors, groupByNumbers, packIntegerKeys } from '../kernels/aggregates.ts';
import { vectorize } from '../kernels/expressions.ts';
import { type FusedCall, fuseGroupedAggregate } from '../kernels/fused.ts';
import { groupIdsOf } from '../kernels/group-ids.ts';
import { groupRowsByIds, keyIds } from '../relational.ts';
import { computed, T } from '../types.ts';
import { aggregate, type Grouping } from './accumulate.ts';
import { composeChain, projectChain, projectColumn } from './project.ts';

/** Names no user column has: aggregate results live under them while the outputs are evaluated. */
const AGGREGATE_PREFIX = '\u0000agg';

export function aggregateRows(
  batch: Batch,
  groupBy: readonly Expr[],
  aggregates: readonly Expr[],
  context: ExecContext,
): Batch {
  for (const expr of groupBy) {
    if (someExpr(expr, (node) => node.kind === 'aggregate' || node.kind === 'window')) {
      throw new PlanError('groupBy: a group key cannot contain an aggregate or a window function');
    }
  }
  const keyColumns = groupBy.map((expr) => projectColumn(batch, expr, context, 'groupBy'));
  const visible = new Set([...batch.columns.map((c) => c.name), ...keyColumns.map((c) => c.name)]);
  for (const expr of aggregates) {
    for (const name of referencedColumns(expr)) if (!visible.has(name)) findColumn(batch, name, 'agg');
  }
  // One INT or DOUBLE key without NULLs: grouped on its typed array; several INT keys without
  // NULLs: grouped on one exact number packed from them.
  const packed =
    keyColumns.length > 1 && keyColumns.every((column) => column.type.kind === 'int')
      ? packIntegerKeys(
          keyColumns.map((column) => column.values),
          batch.length,
        )
      : undefined;
  const numericGroups = packed
    ? groupByNumbers(packed, batch.length)
    : keyColumns.length === 1 && isNumericKey(keyColumns[0]!.type.kind)
      ? groupByNumbers(keyColumns[0]!.values, batch.length)
      : undefined;
  let grouping: Grouping;
  let firstRows: ArrayLike<number>;
  if (keyColumns.length === 0) {
    grouping = { ids: new Uint32Array(batch.length), count: 1 };
    firstRows = batch.length > 0 ? [0] : [-1];
  } else if (numericGroups) {
    grouping = numericGroups;
    firstRows = numericGroups.firstRows;
  } else {
    // Each key column as ids: from its codes or integer span where it has them, else by its keys.
    const ids = keyColumns.map(
      (column) =>
        groupIdsOf(column, batch.length, context.collation) ??
        keyIds(keysOfColumn(column, batch.length, groupKey(column.type, context.collation)), batch.length),
    );
    const groups = groupRowsByIds(ids, batch.length);
    grouping = { ids: groups.ids, count: groups.count };
    firstRows = groups.firstRows;
  }

  // Every aggregate call, computed once per group under a synthetic name.
  const calls: AggregateExpr[] = [];
  const rewritten = aggregates.map((expr) =>
    mapExpr(unalias(expr), (node) => {
      if (node.kind !== 'aggregate') return undefined;
      if (node.arg && someExpr(node.arg, (inner) => inner.kind === 'aggregate' || inner.kind === 'window')) {
        throw new PlanError(`agg: ${node.fn}() cannot contain another aggregate or a window function`);
      }
      calls.push(node);
      return Exprs.column(`${AGGREGATE_PREFIX}${calls.length - 1}`);
    }),
  );
  const scope = scopeOf(batch, context, 'agg');
  const kernels = aggregateVectors(
    calls.map((call) => ({
      fn: call.fn,
      vector: call.arg ? vectorize(call.arg, batch, context.collation) : undefined,
    })),
    grouping,
  );
  const callColumns: LocalColumn[] = calls.map((call, index) => {
    const fast = kernels[index];
    if (fast) return { name: `${AGGREGATE_PREFIX}${index}`, type: fast.type, values: fast.values };
    const arg = call.arg ? compileExpr(call.arg, scope) : undefined;
    const values = arg ? evaluateAll(arg, batch.length) : undefined;
    const result = aggregate(call.fn, values, arg?.type, grouping, context.collation, keyColumns.length > 0);
    return { name: `${AGGREGATE_PREFIX}${index}`, type: result.type, values: result.values };
  });

  // One row per group: the group keys, the aggregate results, and (as the server allows) any other
  // input column an output names outside an aggregate, from the group's first row.
  const groupKeyColumns = keyColumns.map((column) => takeColumn(column, firstRows));
  const known = new Set([...groupKeyColumns.map((c) => c.name), ...callColumns.map((c) => c.name)]);
  const loose = new Set<string>();
  for (const expr of rewritten)
    for (const name of referencedColumns(expr)) if (!known.has(name)) loose.add(name);
  const looseColumns = batch.columns
    .filter((column) => loose.has(column.name))
    .map((column) => takeColumn(column, firstRows));
  const perGroup = makeBatch([...groupKeyColumns, ...looseColumns, ...callColumns], grouping.count);

  const outputs = aggregates.map((expr, index) => {
    const name = exprName(expr);
    if (name === undefined) throw new PlanError('agg: every aggregate needs a name (use .as(name))');
    const inner = rewritten[index]!;
    // A bare aggregate (or a column) passes its values and type through, Arrow type included.
    if (inner.kind === 'column') {
      const column = findColumn(perGroup, inner.name, 'agg');
      return { name, type: column.type, values: presentValues(column.type, Array.from(column.values)) };
    }
    const compiled = compileExpr(inner, scopeOf(perGroup, context, 'agg'));
    return { name, type: computed(compiled.type), values: evaluateAll(compiled, grouping.count) };
  });
  return makeBatch([...groupKeyColumns, ...outputs], grouping.count);
}

const isNumericKey = (kind: string) => kind === 'int' || kind === 'double';

/**
 * GROUP BY over stacked SELECTs (`levels`, the bottom one first, over `batch`): one generated loop
 * computes the key and the aggregates' arguments from the bottom input and adds them into their
 * groups (kernels/fused.ts), when the key is one column the chain computes as an INT and the
 * outputs are COUNT and DOUBLE SUM; otherwise the chain is projected and then grouped.
 */
export async function aggregateProjected(
  batch: Batch,
  levels: readonly (readonly Expr[])[],
  groupBy: readonly Expr[],
  aggregates: readonly Expr[],
  context: ExecContext,
): Promise<Batch> {
  const fused = await fusedAggregate(batch, levels, groupBy, aggregates);
  if (fused) return fused;
  return aggregateRows(projectChain(batch, levels, context), groupBy, aggregates, context);
}

async function fusedAggregate(
  batch: Batch,
  levels: readonly (readonly Expr[])[],
  groupBy: readonly Expr[],
  aggregates: readonly Expr[],
): Promise<Batch | undefined> {
  const key = groupBy.length === 1 ? groupBy[0]! : undefined;
  if (key?.kind !== 'column') return undefined;
  const composed = composeChain(levels);
  if (!composed) return undefined;
  const byName = new Map(composed.map((expr) => [exprName(expr)!, unalias(expr)]));
  const inline = (expr: Expr): Expr | undefined => {
    let missing = false;
    const out = mapExpr(expr, (node) => {
      if (node.kind !== 'column') return undefined;
      const body = byName.get(node.name);
      if (!body) missing = true;
      return body ?? node;
    });
    return missing ? undefined : out;
  };
  const keyExpr = byName.get(key.name);
  if (!keyExpr) return undefined;
  const calls: FusedCall[] = [];
  const names: string[] = [];
  for (const expr of aggregates) {
    const name = exprName(expr);
    const inner = unalias(expr);
    if (name === undefined || inner.kind !== 'aggregate') return undefined;
    if (inner.fn !== 'count' && inner.fn !== 'sum') return undefined;
    const arg = inner.arg && inline(inner.arg);
    if (inner.arg && !arg) return undefined;
    calls.push({ fn: inner.fn, arg });
    names.push(name);
  }
  const others = [...byName.values()].filter((expr) => expr.kind !== 'column' && expr.kind !== 'literal');
  const groups = await fuseGroupedAggregate(keyExpr, calls, batch, others);
  if (!groups) return undefined;
  return makeBatch(
    [
      { name: key.name, type: T.int, values: groups.keys },
      ...groups.results.map((result, index) => ({
        name: names[index]!,
        type: result.type,
        values: presentValues(result.type, result.values),
      })),
    ],
    groups.count,
  );
}
