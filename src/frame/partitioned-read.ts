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
import { PARTITIONS_ID, type PartitionSplit, splitForPartitions } from '../optimizer/partition-split.ts';
import type { PushedQuery } from '../optimizer/split.ts';
import type { Expr } from '../plan/expr.ts';
import { type PlanNode, planLeaves, type ScanNode } from '../plan/nodes.ts';
import { renderPlan } from '../plan/render.ts';
import { type ReadTask, readParallel } from '../reader/parallel.ts';
import type { PartitionPlan, PartitionScan } from '../reader/partitioning/scan.ts';
import { planPartitions } from '../reader/partitions.ts';
import { compilePlan } from '../sql/compile-plan.ts';
import type { LocalExecutor } from './runtime.ts';

export interface PartitionedQuery {
  readonly scan: ScanNode;
  readonly split: PartitionSplit;
  readonly plan: PartitionPlan;
  readonly tasks: readonly ReadTask[];
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

/** FROM text for one partition: its table reference, with a key range as a derived table. */
function fromFor(scan: PartitionScan): { sql: string; params: readonly unknown[] } {
  if (!scan.where) return { sql: scan.from, params: [] };
  return {
    sql: `(SELECT * FROM ${scan.from} WHERE ${scan.where.sql}) AS sluice_range`,
    params: scan.where.params,
  };
}

export async function planPartitionedQuery(
  query: PushedQuery,
  endpoint: DbEndpoint,
): Promise<PartitionedQuery | { reason: string }> {
  const scan = partitionableScan(query);
  if (!scan) return { reason: 'the query reads more than one table, or partitioning is off' };
  const split = splitForPartitions(query.subtree, { decimalOf });
  if ('reason' in split) return split;
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
  const lines = [
    `  read in ${partitioned.tasks.length} partitions (${partitioned.plan.strategy}: ${partitioned.plan.reason}), ${partitioned.split.description}`,
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
 * The query's rows as they arrive (a plain concatenation), or the merged result (partial
 * aggregates, top-N) once every partition has answered.
 */
export async function* readPartitioned(
  partitioned: PartitionedQuery,
  local: LocalExecutor,
  options: { signal?: AbortSignal; decimalAs?: 'decimal' | 'float64' },
): AsyncGenerator<RecordBatch> {
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
