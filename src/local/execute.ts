/**
 * Local residual execution: evaluates any plan tree on this side, over Arrow tables the caller
 * supplies for its `values` leaves (the lead replaces every pushed-down subtree by a `values`
 * node fed with the Arrow result of its SQL). Semantics are MariaDB's, so a step gives the same
 * answer whether it ran in the database or here.
 */
import type { Table } from 'apache-arrow';
import { PlanError } from '../base/errors.ts';
import type { Expr } from '../plan/expr.ts';
import type { Field, JoinNode, PlanKind, PlanNode } from '../plan/nodes.ts';
import { outputFields } from '../plan/schema.ts';
import { batchFromArrow } from './arrow-in.ts';
import { batchToArrow } from './arrow-out.ts';
import type { Batch } from './batch.ts';
import { type Collation, DEFAULT_COLLATION } from './collation.ts';
import type { ExecContext } from './context.ts';
import { aggregateProjected, aggregateRows } from './ops/aggregate.ts';
import { filterRows, filterRowsWith } from './ops/filter.ts';
import { joinBatches } from './ops/join.ts';
import {
  applyKeyFilters,
  columnKeyPairs,
  filtersRight,
  type KeyFilter,
  keyFilterOf,
  throughAggregate,
  throughJoin,
  throughProject,
} from './ops/key-filter.ts';
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
/** Runs a node; `filters` are runtime key filters its output must pass (ops/key-filter.ts). */
type Run = (node: PlanNode, filters?: readonly KeyFilter[]) => Promise<Batch>;
type Executors = {
  [K in PlanKind]: (
    node: Extract<PlanNode, { kind: K }>,
    run: Run,
    inputs: Inputs,
    context: ExecContext,
    filters: readonly KeyFilter[],
  ) => Promise<Batch>;
};

/** A step that keeps every value of its input's columns and drops no row a filter keeps: filters go below it. */
const below = async (
  input: PlanNode,
  run: Run,
  filters: readonly KeyFilter[],
  step: (batch: Batch) => Batch,
): Promise<Batch> => step(await run(input, filters));

/** A step filters do not pass: they apply to its output. */
const above = async (filters: readonly KeyFilter[], batch: Promise<Batch>): Promise<Batch> =>
  applyKeyFilters(await batch, filters);

/** A right side with this many times fewer rows than the left gets no runtime key filter. */
const SMALL_RIGHT_SHARE = 8;
/** Nor does a right side of at most this many rows: the join reads them all faster than a filter is made. */
const SMALL_RIGHT_ROWS = 64;

/** At most how many rows a node gives: its input table's, through steps that drop or keep rows. */
function rowsAtMost(node: PlanNode, inputs: Inputs): number | undefined {
  switch (node.kind) {
    case 'values':
      return inputs.get(node.id)?.numRows;
    case 'filter':
    case 'jsFilter':
    case 'project':
    case 'aggregate':
    case 'window':
    case 'sort':
    case 'limit':
    case 'distinct':
      return rowsAtMost(node.input, inputs);
    default:
      return undefined;
  }
}

async function runJoin(
  node: JoinNode,
  run: Run,
  inputs: Inputs,
  context: ExecContext,
  filters: readonly KeyFilter[],
): Promise<Batch> {
  const routed = throughJoin(node, filters);
  const left = await run(node.left, routed.left);
  const rightFilters = [...routed.right];
  // A key filter costs a pass over the left rows (a few ns each); it is not built for a right
  // side of far fewer rows (a lookup table), whose steps cost less than that pass would.
  const rightRows = rowsAtMost(node.right, inputs);
  const smallRight =
    rightRows !== undefined && (rightRows * SMALL_RIGHT_SHARE < left.length || rightRows <= SMALL_RIGHT_ROWS);
  if (filtersRight(node) && !smallRight) {
    for (const pair of columnKeyPairs(node)) {
      const column = left.columns.find((c) => c.name === pair.left);
      const filter = column && keyFilterOf(column, left.length, pair.right);
      if (filter) rightFilters.push(filter);
    }
  }
  const right = await run(node.right, rightFilters);
  return applyKeyFilters(joinBatches(left, right, node, context), routed.here);
}

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
  values: async (node, _run, inputs, _context, filters) => {
    const table = inputs.get(node.id);
    if (!table) {
      throw new PlanError(
        `no input table for values node '${node.id}'; inputs given: ${[...inputs.keys()].join(', ') || '(none)'}`,
        { id: node.id, available: [...inputs.keys()] },
      );
    }
    return applyKeyFilters(batchOfTable(table, node.fields), filters);
  },
  filter: async (node, run, _inputs, context, filters) =>
    below(node.input, run, filters, (batch) => filterRows(batch, node.predicate, context)),
  jsFilter: async (node, run, _inputs, _context, filters) =>
    above(
      filters,
      run(node.input).then((batch) => filterRowsWith(batch, node.predicate)),
    ),
  project: async (node, run, _inputs, context, filters) => {
    if (node.input.kind !== 'project') {
      const routed = throughProject(node.exprs, filters);
      return applyKeyFilters(
        projectChain(await run(node.input, routed.down), [node.exprs], context),
        routed.here,
      );
    }
    // Stacked SELECTs (one per withColumn) run as one where they fuse (ops/project.ts); key
    // filters then apply to the top's output, whose columns they name.
    const levels: (readonly Expr[])[] = [node.exprs];
    let input: PlanNode = node.input;
    for (; input.kind === 'project'; input = input.input) levels.unshift(input.exprs);
    return applyKeyFilters(projectChain(await run(input), levels, context), filters);
  },
  aggregate: async (node, run, _inputs, context, filters) => {
    const routed = throughAggregate(node.groupBy, filters);
    if (node.input.kind === 'project' && routed.down.length === 0) {
      // Over stacked SELECTs: grouped in the loop that computes them where it fuses.
      const levels: (readonly Expr[])[] = [];
      let input: PlanNode = node.input;
      for (; input.kind === 'project'; input = input.input) levels.unshift(input.exprs);
      const grouped = await aggregateProjected(
        await run(input),
        levels,
        node.groupBy,
        node.aggregates,
        context,
      );
      return applyKeyFilters(grouped, routed.here);
    }
    const batch = await run(node.input, routed.down);
    return applyKeyFilters(aggregateRows(batch, node.groupBy, node.aggregates, context), routed.here);
  },
  window: async (node, run, _inputs, context, filters) =>
    above(
      filters,
      run(node.input).then((batch) => windowRows(batch, node.exprs, context)),
    ),
  sort: async (node, run, _inputs, context, filters) =>
    below(node.input, run, filters, (batch) => sortBatch(batch, node.keys, context)),
  limit: async (node, run, _inputs, _context, filters) =>
    above(
      filters,
      run(node.input).then((batch) => limitBatch(batch, node.limit, node.offset)),
    ),
  distinct: async (node, run, _inputs, context, filters) =>
    below(node.input, run, filters, (batch) => distinctRows(batch, context)),
  join: async (node, run, inputs, context, filters) => runJoin(node, run, inputs, context, filters),
  union: async (node, run, _inputs, context, filters) => {
    const [left, right] = await Promise.all([run(node.left), run(node.right)]);
    return applyKeyFilters(unionBatches(left, right, node.all, context), filters);
  },
  mapBatches: async (node, run, _inputs, _context, filters) =>
    above(
      filters,
      run(node.input).then((batch) => mapBatch(batch, node.fn, node.label)),
    ),
};

/**
 * Batches of the tables seen, by the field hints they were read with: a cached frame's table is
 * read into a batch once, not at every action on it (a k-means iteration, each pass after the
 * one that cached it). Batches are never written to in place, so sharing one is safe. The hints'
 * text is the key only once a table is read with other hint objects: a table seen once (a new
 * read's) costs no key.
 */
interface Seen {
  readonly fields: readonly Field[];
  readonly batch: Batch;
  byKey?: Map<string, Batch>;
}

const batches = new WeakMap<Table, Seen>();

function batchOfTable(table: Table, fields: readonly Field[]): Batch {
  const seen = batches.get(table);
  if (!seen) {
    const batch = batchFromArrow(table, fields);
    batches.set(table, { fields, batch });
    return batch;
  }
  if (seen.fields === fields) return seen.batch;
  seen.byKey ??= new Map([[JSON.stringify(seen.fields), seen.batch]]);
  const key = JSON.stringify(fields);
  let batch = seen.byKey.get(key);
  if (!batch) {
    batch = batchFromArrow(table, fields);
    seen.byKey.set(key, batch);
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
  const run: Run = (node, filters = []) =>
    (
      EXECUTORS[node.kind] as (
        node: PlanNode,
        run: Run,
        inputs: Inputs,
        context: ExecContext,
        filters: readonly KeyFilter[],
      ) => Promise<Batch>
    )(node, run, inputs, context, filters);
  return batchToArrow(await run(plan), fieldsOf(plan));
}
