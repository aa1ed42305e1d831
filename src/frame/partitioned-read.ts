/**
 * Reads one pushed query in parallel when its table can be split: native partitions, Spider
 * leaves (read on the leaves), or key ranges. The query is split into what every partition runs
 * and a merge (src/optimizer/partition-split.ts); each partition gets the same SQL with its own
 * FROM, runs on a worker thread, and the merge combines the partials. Anything that cannot be
 * split is read through one connection, and explain says why.
 */
import { type RecordBatch, Table } from 'apache-arrow';
import type { DbEndpoint } from '../db/endpoint.ts';
import { staticType } from '../local/static-type.ts';
import {
  PARTITIONS_ID,
  type PartitionSplit,
  roundsPerRow,
  splitForPartitions,
} from '../optimizer/partition-split.ts';
import type { PushedQuery } from '../optimizer/split.ts';
import { conjuncts, type Expr } from '../plan/expr.ts';
import { type PlanNode, planInputs, planLeaves, type ScanNode } from '../plan/nodes.ts';
import { renderPlan } from '../plan/render.ts';
import { type ReadTask, readParallel, readPartitionStreams } from '../reader/parallel.ts';
import type { PartitionPlan, PartitionScan } from '../reader/partitioning/scan.ts';
import { planPartitions } from '../reader/partitions.ts';
import type { TableFactsCache } from '../reader/table-facts.ts';
import { compilePlan } from '../sql/compile-plan.ts';
import type { LocalExecutor } from './runtime.ts';

export interface PartitionedQuery {
  readonly scan: ScanNode;
  readonly split: PartitionSplit;
  readonly plan: PartitionPlan;
  readonly tasks: readonly ReadTask[];
  /** A concatenation delivered partition by partition in key order (`arrivalOrderMatters`). */
  readonly inOrder?: boolean;
}

/** The scan a pushed query reads, when it reads exactly one table and may be partitioned. */
export function partitionableScan(query: PushedQuery): ScanNode | undefined {
  const leaves = planLeaves(query.subtree);
  const scan = leaves.length === 1 && leaves[0]!.kind === 'scan' ? leaves[0] : undefined;
  if (!scan || scan.options.partitioning === 'none') return undefined;
  return scan;
}

/** The digits a DECIMAL expression shows and carries, as local execution types it. */
function decimalOf(expr: Expr, input: PlanNode) {
  const type = staticType(expr, input);
  if (type?.kind !== 'decimal') return undefined;
  const scale = type.scale ?? 0;
  return { scale, frac: Math.max(scale, type.frac ?? 0) };
}

/**
 * Whether a local plan over pushed reads needs their rows in the order one scan gives: it rounds
 * a grouped SUM or AVG of a quotient after every row, so rows arriving partition by partition as
 * they finish would give other digits than the database's scan order.
 */
export function arrivalOrderMatters(residual: PlanNode): boolean {
  return (
    (residual.kind === 'aggregate' && roundsPerRow(residual, { decimalOf })) ||
    planInputs(residual).some(arrivalOrderMatters)
  );
}

/** FROM text for one partition: its table reference, with a key range as a derived table. */
function fromFor(scan: PartitionScan): { sql: string; params: readonly unknown[] } {
  if (!scan.where) return { sql: scan.from, params: [] };
  return {
    sql: `(SELECT * FROM ${scan.from} WHERE ${scan.where.sql}) AS sluice_range`,
    params: scan.where.params,
  };
}

/** Rows a LIMIT without ORDER BY may ask for and still be read in one piece. */
const ONE_PIECE_LIMIT = 10_000;

/** A projection that only picks columns, keeping their names. */
const picksColumns = (node: PlanNode) =>
  node.kind === 'project' && node.exprs.every((expr) => expr.kind === 'column');

/** Columns the filters right above the scan (past column picks) fix to one value (`column = literal`). */
function pinnedColumns(subtree: PlanNode): Set<string> {
  const pinned = new Set<string>();
  const visit = (node: PlanNode): void => {
    if (node.kind === 'filter') {
      let below: PlanNode = node.input;
      while (below.kind === 'filter' || picksColumns(below)) below = planInputs(below)[0]!;
      if (below.kind === 'scan') {
        for (const term of conjuncts(node.predicate)) {
          if (term.kind !== 'binary' || term.op !== '=') continue;
          const [column, value] =
            term.left.kind === 'column' ? [term.left, term.right] : [term.right, term.left];
          if (column.kind === 'column' && value.kind === 'literal' && value.value !== null)
            pinned.add(column.name);
        }
      }
    }
    planInputs(node).forEach(visit);
  };
  visit(subtree);
  return pinned;
}

/** A LIMIT over rows in table order (no sort, aggregate or distinct below it), small enough. */
function smallUnorderedLimit(subtree: PlanNode): number | undefined {
  let node = subtree;
  while (node.kind === 'project') node = node.input;
  if (node.kind !== 'limit' || node.limit === undefined || node.limit + node.offset > ONE_PIECE_LIMIT)
    return undefined;
  let below: PlanNode = node.input;
  while (below.kind === 'project' || below.kind === 'filter') below = below.input;
  return below.kind === 'scan' ? node.limit + node.offset : undefined;
}

/**
 * Why a query is read in one piece on the calling thread although its table could be split: its
 * filter fixes a unique key (at most one row) or the partitioning columns (one partition), or a
 * small LIMIT ends it early. Splitting such a read costs more (worker threads, one connection per
 * partition, catalog queries) than the read itself.
 */
async function onePiece(
  query: PushedQuery,
  scan: ScanNode,
  endpoint: DbEndpoint,
  facts: TableFactsCache,
): Promise<OnePiece | undefined> {
  if (scan.options.partitioning !== undefined && scan.options.partitioning !== 'auto') return undefined;
  const limit = smallUnorderedLimit(query.subtree);
  if (limit !== undefined)
    return { reason: `LIMIT ${limit} without ORDER BY: at most ${limit} rows`, expectedRows: limit };
  const pinned = pinnedColumns(query.subtree);
  if (pinned.size === 0) return undefined;
  const known = await facts.facts(endpoint, endpoint.database, scan.table);
  const key = known.uniqueKeys.find((columns) => columns.every((column) => pinned.has(column)));
  if (key)
    return { reason: `the filter fixes unique key (${key.join(', ')}): one row at most`, expectedRows: 1 };
  const partitioned = known.partitionColumns;
  if (partitioned.length > 0 && partitioned.every((column) => pinned.has(column)))
    return { reason: `the filter fixes the partitioning columns (${partitioned.join(', ')}): one partition` };
  return undefined;
}

/** A read kept in one piece, why, and how many rows it may return at most when that is known. */
export interface OnePiece {
  readonly reason: string;
  readonly expectedRows?: number;
}

/** The table a query reads and how it splits over partitions, or why it does not split. */
function splittable(query: PushedQuery): { scan: ScanNode; split: PartitionSplit } | OnePiece {
  const scan = partitionableScan(query);
  if (!scan) return { reason: 'the query reads more than one table, or partitioning is off' };
  const split = splitForPartitions(query.subtree, { decimalOf });
  return 'reason' in split ? split : { scan, split };
}

/**
 * Whether a query is read in one piece because of its own filter or LIMIT (a unique key, the
 * partitioning columns, a small LIMIT), and how many rows it returns at most: `planPartitionedQuery`'s
 * answer for such a query, without planning the partitions of one that is not.
 */
export async function onePieceRead(
  query: PushedQuery,
  endpoint: DbEndpoint,
  facts: TableFactsCache,
): Promise<OnePiece | undefined> {
  const found = splittable(query);
  return 'reason' in found ? undefined : onePiece(query, found.scan, endpoint, facts);
}

export async function planPartitionedQuery(
  query: PushedQuery,
  endpoint: DbEndpoint,
  facts: TableFactsCache,
): Promise<PartitionedQuery | OnePiece> {
  const found = splittable(query);
  if ('reason' in found) return found;
  const { scan, split } = found;
  const whole = await onePiece(query, scan, endpoint, facts);
  if (whole) return whole;
  const plan = await planPartitions(endpoint, scan.table, {
    partitioning: scan.options.partitioning ?? 'auto',
    parallelism: scan.options.parallelism,
    dialect: query.dialect.name,
  });
  if (plan.strategy === 'single' || plan.scans.length < 2) {
    return { reason: plan.reason };
  }
  const tasks = plan.scans.map((partition): ReadTask => {
    const compiled = compilePlan(split.perPartition, {
      dialect: query.dialect,
      tableSql: () => fromFor(partition),
    });
    return {
      label: partition.label,
      endpoint: partition.endpoint,
      sql: compiled.sql,
      params: compiled.params,
    };
  });
  return { scan, split, plan, tasks };
}

/** For explain(): the partitions, the SQL each runs, and the merge. */
export function describePartitionedQuery(partitioned: PartitionedQuery): string {
  const order =
    partitioned.inOrder && isConcatenation(partitioned.split.merge)
      ? ' in partition order (a grouped SUM or AVG of a quotient after the read rounds at every row)'
      : '';
  const lines = [
    `  read in ${partitioned.tasks.length} partitions (${partitioned.plan.strategy}: ${partitioned.plan.reason}), ${partitioned.split.description}${order}`,
  ];
  for (const task of partitioned.tasks) {
    lines.push(`    ${task.label} on ${task.endpoint.host}:${task.endpoint.port}: ${task.sql}`);
  }
  lines.push('    merge:');
  for (const line of renderPlan(partitioned.split.merge).split('\n')) lines.push(`      ${line}`);
  return lines.join('\n');
}

const isConcatenation = (merge: PlanNode) => merge.kind === 'values' && merge.id === PARTITIONS_ID;

/**
 * The query's rows as they arrive (a plain concatenation; partition by partition in key order
 * when `inOrder`), or the merged result (partial aggregates, top-N) once every partition has
 * answered.
 */
export async function* readPartitioned(
  partitioned: PartitionedQuery,
  local: LocalExecutor,
  options: { signal?: AbortSignal; decimalAs?: 'decimal' | 'float64' },
): AsyncGenerator<RecordBatch> {
  if (partitioned.inOrder && isConcatenation(partitioned.split.merge)) {
    yield* concatenateInOrder(partitioned.tasks, options);
    return;
  }
  const read = readParallel(partitioned.tasks, {
    parallelism: partitioned.plan.parallelism,
    signal: options.signal,
    decimalAs: options.decimalAs,
  });
  if (isConcatenation(partitioned.split.merge)) {
    yield* read;
    return;
  }
  const batches: RecordBatch[] = [];
  for await (const batch of read) batches.push(batch);
  const merged = await local(partitioned.split.merge, new Map([[PARTITIONS_ID, new Table(batches)]]));
  yield* merged.batches;
}

/**
 * Every partition read at once, delivered one after the other in task order (key order): the
 * later partitions wait in memory while the earlier ones are delivered.
 */
async function* concatenateInOrder(
  tasks: readonly ReadTask[],
  options: { signal?: AbortSignal; decimalAs?: 'decimal' | 'float64' },
): AsyncGenerator<RecordBatch> {
  const streams = readPartitionStreams(tasks, { signal: options.signal, decimalAs: options.decimalAs });
  try {
    for (const stream of streams) yield* stream;
  } finally {
    // A stream left unread holds its partition's statement open: close every one.
    await Promise.all(streams.map((stream) => stream.return?.()));
  }
}
