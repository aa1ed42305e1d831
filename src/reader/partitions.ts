/**
 * The partition planner: how one table can be read as several independent scans. Each scan is
 * plain data (an endpoint, a FROM, maybe an extra WHERE), so the SQL compiler compiles the same
 * pushed query once per scan. Strategies, in the order `auto` tries them (one file each in
 * `partitioning/`):
 *
 * - `spider`: a MariaDB Spider table; each partition's backing table is read on its leaf.
 * - `native`: a table with native partitions; `FROM t PARTITION (pN)` per partition.
 * - `key-range`: ranges of a numeric or date column (ConnectorX / Spark JDBC style). `auto` uses
 *   a single-column numeric or date primary key of a table big enough to be worth splitting;
 *   `{ column, lower?, upper?, count }` picks the column. The first and last ranges are
 *   open-ended and NULLs go to the first one, so the bounds set the stride and never drop rows.
 * - `single`: one scan, with the reason nothing else applied.
 */
import os from 'node:os';
import { ConfigError, SluiceError } from '../base/errors.ts';
import { didYouMean, userTables } from '../base/suggest.ts';
import { type DbSession, withSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { keyRangePlan, primaryKeyColumn } from './partitioning/key-range.ts';
import { nativePartitions, nativePlan } from './partitioning/native.ts';
import {
  type Partitioning,
  type PartitionPlan,
  type PlanPartitionsOptions,
  type TableInfo,
  type TableRef,
  tableReference,
} from './partitioning/scan.ts';
import { spiderPlan } from './partitioning/spider.ts';

const DEFAULT_MIN_ROWS_PER_SCAN = 250_000;
/**
 * SingleStore's own parallel read (a result table per query, read per database partition, as its
 * Spark connector does) needs a SingleStore server to be tested against; none runs here, so a
 * SingleStore table is read through one connection rather than by untested code.
 */
const SINGLESTORE_REASON =
  'SingleStore tables are read through one connection (result-table reads are not built)';

function defaultParallelism(): number {
  return Math.max(2, os.availableParallelism());
}

function checkPartitioning(partitioning: Partitioning): void {
  if (partitioning === 'auto' || partitioning === 'none') return;
  if (typeof partitioning !== 'object' || partitioning === null || typeof partitioning.column !== 'string') {
    throw new ConfigError(
      `partitioning is ${JSON.stringify(partitioning)}; valid: 'auto', 'none' or { column, lower?, upper?, count }`,
    );
  }
  if (!Number.isInteger(partitioning.count) || partitioning.count < 1 || partitioning.count > 10_000) {
    throw new ConfigError(`partitioning.count must be an integer from 1 to 10000, not ${partitioning.count}`);
  }
}

/**
 * Decides how `table` on `endpoint` is read: which scans, on which servers. It asks the
 * catalog (information_schema, the head's mysql.servers, SHOW PARTITIONS) and, for key ranges
 * without bounds, the column's MIN and MAX.
 */
export async function planPartitions(
  endpoint: DbEndpoint,
  table: string | TableRef,
  options: PlanPartitionsOptions = {},
): Promise<PartitionPlan> {
  const ref = typeof table === 'string' ? { name: table } : table;
  const schema = ref.schema ?? endpoint.database;
  const partitioning = options.partitioning ?? 'auto';
  checkPartitioning(partitioning);
  const parallelism = Math.max(1, Math.floor(options.parallelism ?? defaultParallelism()));
  const base = { table: { schema, name: ref.name }, parallelism };
  const single = (reason: string): PartitionPlan => ({
    ...base,
    strategy: 'single',
    reason,
    scans: [{ label: 'all', endpoint, from: tableReference(schema, ref.name) }],
  });
  if (partitioning === 'none') return single("partitioning: 'none'");
  if (options.dialect === 'singlestore' && partitioning === 'auto') return single(SINGLESTORE_REASON);

  return withSession(endpoint, async (session) => {
    const info = await tableInfo(session, schema, ref.name);
    if (typeof partitioning === 'object') {
      return keyRangePlan(session, endpoint, schema, ref.name, partitioning, parallelism, 'requested');
    }
    if (info.engine === 'SPIDER') return spiderPlan(session, endpoint, schema, ref.name, info, parallelism);
    const partitions = await nativePartitions(session, schema, ref.name);
    if (partitions.length > 1) return nativePlan(endpoint, schema, ref.name, partitions, parallelism);
    if (parallelism < 2) return single('parallelism is 1');
    const key = await primaryKeyColumn(session, schema, ref.name);
    if (!key) {
      return single('no native partitions, not a Spider table, no single-column numeric or date primary key');
    }
    const minRows = options.minRowsPerScan ?? DEFAULT_MIN_ROWS_PER_SCAN;
    const count = Math.min(parallelism, Math.floor(info.estimatedRows / minRows));
    if (count < 2) {
      return single(
        `about ${info.estimatedRows} rows: too few to split on primary key ${key} (${minRows} rows per scan at least)`,
      );
    }
    return keyRangePlan(
      session,
      endpoint,
      schema,
      ref.name,
      { column: key, count },
      parallelism,
      'primary key',
    );
  });
}

async function tableInfo(session: DbSession, schema: string, table: string): Promise<TableInfo> {
  const rows = await session.query<{
    ENGINE: string | null;
    TABLE_COMMENT: string;
    TABLE_ROWS: string | null;
  }>(
    'SELECT ENGINE, TABLE_COMMENT, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  );
  const row = rows[0];
  if (!row) {
    const names = await session.query<{ TABLE_NAME: string }>(
      'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME LIMIT 50',
      [schema],
    );
    const known = userTables(names.map((name) => name.TABLE_NAME));
    throw new SluiceError(
      'TABLE_NOT_FOUND',
      `table '${table}' does not exist in '${schema}'${didYouMean(table, known)}; tables there: ${known.join(', ') || 'none'}`,
    );
  }
  return {
    engine: (row.ENGINE ?? '').toUpperCase(),
    comment: row.TABLE_COMMENT ?? '',
    estimatedRows: Number(row.TABLE_ROWS ?? 0),
  };
}

/** The plan as text for `explain()`: strategy, reason, and each scan with its server and SQL. */
export function describePartitionPlan(plan: PartitionPlan): string {
  const lines = [
    `partitions: ${plan.strategy}, ${plan.scans.length} scan(s), ${Math.min(plan.parallelism, plan.scans.length)} at a time (${plan.reason})`,
  ];
  for (const scan of plan.scans) {
    const where = scan.where ? ` WHERE ${scan.where.sql} [${scan.where.params.map(String).join(', ')}]` : '';
    lines.push(`  ${scan.label} on ${scan.endpoint.host}:${scan.endpoint.port}: FROM ${scan.from}${where}`);
  }
  return lines.join('\n');
}
