/**
 * Local residual execution: evaluates any plan tree on this side, over Arrow tables the caller
 * supplies for its `values` leaves (the lead replaces every pushed-down subtree by a `values`
 * node fed with the Arrow result of its SQL). Semantics are MariaDB's, so a step gives the same
 * answer whether it ran in the database or here.
 */
import type { Table } from 'apache-arrow';
import { PlanError } from '../base/errors.ts';
import type { Expr } from '../plan/expr.ts';
import type { Field, PlanKind, PlanNode } from '../plan/nodes.ts';
import { outputFields } from '../plan/schema.ts';
import { batchFromArrow } from './arrow-in.ts';
import { batchToArrow } from './arrow-out.ts';
import type { Batch } from './batch.ts';
import { type Collation, DEFAULT_COLLATION } from './collation.ts';
import type { ExecContext } from './context.ts';
import { aggregateRows } from './ops/aggregate.ts';
import { filterRows, filterRowsWith } from './ops/filter.ts';
import { joinBatches } from './ops/join.ts';
import { mapBatch } from './ops/map-batches.ts';
import { projectChain } from './ops/project.ts';
import { distinctRows, unionBatches } from './ops/sets.ts';
import { limitBatch, sortBatch } from './ops/sort.ts';
import { windowRows } from './ops/window.ts';

export interface LocalOptions {
  /**
   * How strings compare, sort, group and join: the database's collation. Default
   * utf8mb4_general_ci, MariaDB's default and the collation sluice's connections use.
   */
  readonly collation?: Collation;
}

type Inputs = ReadonlyMap<string, Table>;
type Run = (node: PlanNode) => Promise<Batch>;
type Executors = {
  [K in PlanKind]: (
    node: Extract<PlanNode, { kind: K }>,
    run: Run,
    inputs: Inputs,
    context: ExecContext,
  ) => Promise<Batch>;
};

const EXECUTORS: Executors = {
  scan: async (node) => {
    throw new PlanError(
      `local execution got a scan of '${node.table}' on '${node.source}'; scans are read by the database and reach local execution as values nodes`,
    );
  },
  sqlText: async (node) => {
    throw new PlanError(
      `local execution got SQL text for '${node.source}'; SQL runs in the database and reaches local execution as a values node`,
    );
  },
  values: async (node, _run, inputs) => {
    const table = inputs.get(node.id);
    if (!table) {
      throw new PlanError(
        `no input table for values node '${node.id}'; inputs given: ${[...inputs.keys()].join(', ') || '(none)'}`,
        { id: node.id, available: [...inputs.keys()] },
      );
    }
    return batchOfTable(table, node.fields);
  },
  filter: async (node, run, _inputs, context) => filterRows(await run(node.input), node.predicate, context),
  jsFilter: async (node, run) => filterRowsWith(await run(node.input), node.predicate),
  project: async (node, run, _inputs, context) => {
    // Stacked SELECTs (one per withColumn) run as one where they fuse (ops/project.ts).
    const levels: (readonly Expr[])[] = [node.exprs];
    let input = node.input;
    for (; input.kind === 'project'; input = input.input) levels.unshift(input.exprs);
    return projectChain(await run(input), levels, context);
  },
  aggregate: async (node, run, _inputs, context) =>
    aggregateRows(await run(node.input), node.groupBy, node.aggregates, context),
  window: async (node, run, _inputs, context) => windowRows(await run(node.input), node.exprs, context),
  sort: async (node, run, _inputs, context) => sortBatch(await run(node.input), node.keys, context),
  limit: async (node, run) => limitBatch(await run(node.input), node.limit, node.offset),
  distinct: async (node, run, _inputs, context) => distinctRows(await run(node.input), context),
  join: async (node, run, _inputs, context) => {
    const [left, right] = await Promise.all([run(node.left), run(node.right)]);
    return joinBatches(left, right, node, context);
  },
  union: async (node, run, _inputs, context) => {
    const [left, right] = await Promise.all([run(node.left), run(node.right)]);
    return unionBatches(left, right, node.all, context);
  },
  mapBatches: async (node, run) => mapBatch(await run(node.input), node.fn, node.label),
};

/**
 * Batches of the tables seen, by the field hints they were read with: a cached frame's table is
 * read into a batch once, not at every action on it (a k-means iteration, each pass after the
 * one that cached it). Batches are never written to in place, so sharing one is safe.
 */
const batches = new WeakMap<Table, Map<string, Batch>>();

function batchOfTable(table: Table, fields: readonly Field[]): Batch {
  const key = JSON.stringify(fields);
  let byFields = batches.get(table);
  let batch = byFields?.get(key);
  if (!batch) {
    batch = batchFromArrow(table, fields);
    if (!byFields) {
      byFields = new Map();
      batches.set(table, byFields);
    }
    byFields.set(key, batch);
  }
  return batch;
}

/** The plan's output fields when the plan can tell them (they only hint the Arrow types). */
function fieldsOf(plan: PlanNode): readonly Field[] {
  try {
    return outputFields(plan);
  } catch {
    return [];
  }
}

/** Runs `plan` locally and returns its result as an Arrow table. */
export async function executeLocal(
  plan: PlanNode,
  inputs: Inputs,
  options: LocalOptions = {},
): Promise<Table> {
  const context: ExecContext = { collation: options.collation ?? DEFAULT_COLLATION };
  const run: Run = (node) =>
    (
      EXECUTORS[node.kind] as (
        node: PlanNode,
        run: Run,
        inputs: Inputs,
        context: ExecContext,
      ) => Promise<Batch>
    )(node, run, inputs, context);
  return batchToArrow(await run(plan), fieldsOf(plan));
}
