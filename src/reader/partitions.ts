/**
 * The partition planner: how one table can be read as several independent scans. Each scan is
 * plain data (an endpoint, a FROM, maybe an extra WHERE), so the SQL compiler compiles the same
 * pushed query once per scan. Strategies, in the order `auto` tries them:
 *
 * - `spider`: a MariaDB Spider table; each partition's backing table is read on its leaf.
 * - `native`: a table with native partitions; `FROM t PARTITION (pN)` per partition.
 * - `key-range`: ranges of a numeric or date column (ConnectorX / Spark JDBC style). `auto` uses
 *   a single-column numeric or date primary key of a table big enough to be worth splitting;
 *   `{ column, lower?, upper?, count }` picks the column. The first and last ranges are
 *   open-ended and NULLs go to the first one, so the bounds set the stride and never drop rows.
 * - `singlestore`: the query is materialized as a result table, read per database partition.
 * - `single`: one scan, with the reason nothing else applied.
 */
import os from 'node:os';
import { type DbSession, quoteIdentifier, withSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { ConfigError, SluiceError } from '../errors.ts';
import { didYouMean, userTables } from '../suggest.ts';
import {
  createResultTableSql,
  dropResultTableSql,
  masterPartitionOrdinals,
  partitionIdFilter,
  resultTableName,
  resultTableReference,
  type SqlWithParams,
} from './singlestore.ts';
import { resolveSpiderTargets, type SpiderServer } from './spider.ts';

/** A bound of a key range: integers as bigint (exact beyond 2^53), decimals as numbers, dates as text. */
export type KeyValue = bigint | number | string;

/** One key range: `lower <= column < upper`; a missing bound is open. */
export interface KeyRange {
  readonly column: string;
  readonly lower?: KeyValue;
  readonly upper?: KeyValue;
  /** This range also takes the rows whose key is NULL. */
  readonly includeNulls: boolean;
}

/** One independent scan of a partitioned read. */
export interface PartitionScan {
  /** Names the partition in explain output and errors, e.g. `p3`, `leaf2:sluice.t`, `range 2/4`. */
  readonly label: string;
  /** Where to run the scan (a Spider leaf, not the head, for `spider`). */
  readonly endpoint: DbEndpoint;
  /** A quoted table reference for the FROM clause, possibly with `PARTITION (…)`; an alias may follow. */
  readonly from: string;
  /** A condition to AND into the query's WHERE, with its parameters. */
  readonly where?: SqlWithParams;
  /** For key ranges: the same condition as data, for compilers that qualify column names. */
  readonly range?: KeyRange;
}

export type PartitionStrategy = 'native' | 'spider' | 'singlestore' | 'key-range' | 'single';

/** SingleStore: run `create(pushedQuery)` on one connection, read the scans, then `drop` on it. */
export interface ResultTableStep {
  readonly name: string;
  readonly endpoint: DbEndpoint;
  /**
   * The statement that materializes the pushed query. Result tables belong to the connection
   * that creates it: keep that connection open until every scan has been read, then run `drop`.
   */
  create(query: SqlWithParams): SqlWithParams;
  readonly drop: string;
}

export interface PartitionPlan {
  readonly strategy: PartitionStrategy;
  /** Why this strategy was chosen (or why the read is not split), for `explain()`. */
  readonly reason: string;
  readonly table: { readonly schema: string; readonly name: string };
  readonly scans: readonly PartitionScan[];
  /** Scans run at once. */
  readonly parallelism: number;
  /** Present for `singlestore`: the scans read this result table. */
  readonly resultTable?: ResultTableStep;
}

export interface KeyRangePartitioning {
  readonly column: string;
  /** Where the ranges start and end; the table's MIN/MAX when left out. They never filter rows. */
  readonly lower?: KeyValue | Date;
  readonly upper?: KeyValue | Date;
  /** Number of ranges. */
  readonly count: number;
}

export type Partitioning = 'auto' | 'none' | KeyRangePartitioning;

export interface PlanPartitionsOptions {
  readonly partitioning?: Partitioning;
  /** Scans run at once; also the number of ranges `auto` makes (default: the machine's cores, at least 2). */
  readonly parallelism?: number;
  readonly dialect?: 'mariadb' | 'mysql' | 'singlestore';
  /** `auto` only splits by key range when each range gets about this many rows (default 250,000). */
  readonly minRowsPerScan?: number;
}

export interface TableRef {
  readonly name: string;
  /** Schema (database); the endpoint's when left out. */
  readonly schema?: string;
}

const DEFAULT_MIN_ROWS_PER_SCAN = 250_000;

/** The quoted `schema`.`table` reference. */
export function tableReference(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/** `SELECT <select> FROM <from> [WHERE <where>]` for one scan, e.g. to read it whole. */
export function scanSql(scan: PartitionScan, select = '*'): SqlWithParams {
  return {
    sql: `SELECT ${select} FROM ${scan.from}${scan.where ? ` WHERE ${scan.where.sql}` : ''}`,
    params: scan.where?.params ?? [],
  };
}

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

  return withSession(endpoint, async (session) => {
    if (options.dialect === 'singlestore' && partitioning === 'auto') {
      return singlestorePlan(session, endpoint, schema, ref.name, parallelism);
    }
    const info = await tableInfo(session, schema, ref.name);
    if (typeof partitioning === 'object') {
      return keyRangePlan(session, endpoint, schema, ref.name, partitioning, parallelism, 'requested');
    }
    if (info.engine === 'SPIDER') return spiderPlan(session, endpoint, schema, ref.name, info, parallelism);
    const partitions = await nativePartitions(session, schema, ref.name);
    if (partitions.length > 1) {
      return {
        ...base,
        strategy: 'native',
        reason: `table has ${partitions.length} native partitions`,
        scans: partitions.map((name) => ({
          label: name,
          endpoint,
          from: `${tableReference(schema, ref.name)} PARTITION (${quoteIdentifier(name)})`,
        })),
      };
    }
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

interface TableInfo {
  readonly engine: string;
  readonly comment: string;
  readonly estimatedRows: number;
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

/** Partition names to read; subpartitions when there are any (PARTITION (…) takes either). */
async function nativePartitions(session: DbSession, schema: string, table: string): Promise<string[]> {
  const rows = await session.query<{ PARTITION_NAME: string | null; SUBPARTITION_NAME: string | null }>(
    'SELECT PARTITION_NAME, SUBPARTITION_NAME FROM information_schema.PARTITIONS ' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL ' +
      'ORDER BY PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION',
    [schema, table],
  );
  return rows.map((row) => row.SUBPARTITION_NAME ?? row.PARTITION_NAME!);
}

async function spiderPlan(
  session: DbSession,
  head: DbEndpoint,
  schema: string,
  table: string,
  info: TableInfo,
  parallelism: number,
): Promise<PartitionPlan> {
  const partitions = await session.query<{ PARTITION_NAME: string | null; PARTITION_COMMENT: string }>(
    'SELECT PARTITION_NAME, PARTITION_COMMENT FROM information_schema.PARTITIONS ' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION',
    [schema, table],
  );
  const servers = (
    await session.query<Record<string, string | number>>(
      'SELECT Server_name, Host, Port, Username, Password, Db FROM mysql.servers',
    )
  ).map(
    (row): SpiderServer => ({
      name: String(row.Server_name),
      host: String(row.Host),
      port: Number(row.Port),
      user: String(row.Username ?? ''),
      password: String(row.Password ?? ''),
      database: String(row.Db ?? ''),
    }),
  );
  const targets = resolveSpiderTargets(
    head,
    schema,
    table,
    info.comment,
    partitions.map((partition) => ({
      name: partition.PARTITION_NAME,
      comment: partition.PARTITION_COMMENT ?? '',
    })),
    servers,
  );
  // Two partitions backed by the same table on the same server would read its rows twice.
  const seen = new Set<string>();
  const scans: PartitionScan[] = [];
  for (const target of targets) {
    const key = `${target.endpoint.host}:${target.endpoint.port}/${target.database}.${target.table}`;
    if (seen.has(key)) continue;
    seen.add(key);
    scans.push({
      label: `${target.partition ?? 'spider'}@${target.endpoint.host}:${target.endpoint.port}`,
      endpoint: target.endpoint,
      from: tableReference(target.database, target.table),
    });
  }
  return {
    table: { schema, name: table },
    parallelism,
    strategy: 'spider',
    reason: `Spider table with ${targets.length} partition(s) on ${scans.length} leaf table(s), read on the leaves`,
    scans,
  };
}

async function singlestorePlan(
  session: DbSession,
  endpoint: DbEndpoint,
  schema: string,
  table: string,
  parallelism: number,
): Promise<PartitionPlan> {
  const rows = await session.query(`SHOW PARTITIONS ON ${quoteIdentifier(schema)}`);
  return singlestoreResultTablePlan(endpoint, schema, table, masterPartitionOrdinals(rows), parallelism);
}

/** The SingleStore plan for known partition ordinals (what `SHOW PARTITIONS` lists as masters). */
export function singlestoreResultTablePlan(
  endpoint: DbEndpoint,
  schema: string,
  table: string,
  ordinals: readonly number[],
  parallelism: number,
  name = resultTableName(),
): PartitionPlan {
  if (ordinals.length === 0) {
    throw new SluiceError('CONFIG_INVALID', `SHOW PARTITIONS ON ${schema} lists no master partitions`);
  }
  return {
    table: { schema, name: table },
    parallelism,
    strategy: 'singlestore',
    reason: `SingleStore database with ${ordinals.length} partitions: the query is materialized as result table ${name}`,
    scans: ordinals.map((ordinal) => ({
      label: `partition ${ordinal}`,
      endpoint,
      from: resultTableReference(name),
      where: partitionIdFilter(ordinal),
    })),
    resultTable: {
      name,
      endpoint,
      create: (query) => createResultTableSql(name, query),
      drop: dropResultTableSql(name),
    },
  };
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const NUMBER_TYPES = new Set(['decimal', 'numeric', 'float', 'double', 'real']);
const DATETIME_TYPES = new Set(['datetime', 'timestamp']);

export type KeyKind = 'integer' | 'number' | 'date' | 'datetime';

function keyKind(dataType: string): KeyKind | undefined {
  const type = dataType.toLowerCase();
  if (INTEGER_TYPES.has(type)) return 'integer';
  if (NUMBER_TYPES.has(type)) return 'number';
  if (type === 'date') return 'date';
  if (DATETIME_TYPES.has(type)) return 'datetime';
  return undefined;
}

async function columnTypes(session: DbSession, schema: string, table: string): Promise<Map<string, string>> {
  const rows = await session.query<{ COLUMN_NAME: string; DATA_TYPE: string }>(
    'SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [schema, table],
  );
  return new Map(rows.map((row) => [row.COLUMN_NAME, row.DATA_TYPE]));
}

async function primaryKeyColumn(
  session: DbSession,
  schema: string,
  table: string,
): Promise<string | undefined> {
  const rows = await session.query<{ COLUMN_NAME: string; DATA_TYPE: string }>(
    'SELECT k.COLUMN_NAME, c.DATA_TYPE FROM information_schema.KEY_COLUMN_USAGE k ' +
      'JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME ' +
      "WHERE k.TABLE_SCHEMA = ? AND k.TABLE_NAME = ? AND k.CONSTRAINT_NAME = 'PRIMARY' ORDER BY k.ORDINAL_POSITION",
    [schema, table],
  );
  if (rows.length !== 1) return undefined;
  return keyKind(rows[0]!.DATA_TYPE) ? rows[0]!.COLUMN_NAME : undefined;
}

async function keyRangePlan(
  session: DbSession,
  endpoint: DbEndpoint,
  schema: string,
  table: string,
  partitioning: KeyRangePartitioning,
  parallelism: number,
  why: 'requested' | 'primary key',
): Promise<PartitionPlan> {
  const types = await columnTypes(session, schema, table);
  const dataType = types.get(partitioning.column);
  if (dataType === undefined) {
    throw new ConfigError(
      `partitioning column '${partitioning.column}' is not a column of '${table}'; columns: ${[...types.keys()].join(', ')}`,
    );
  }
  const kind = keyKind(dataType);
  if (!kind) {
    throw new ConfigError(
      `partitioning column '${partitioning.column}' is ${dataType}; key ranges need a numeric or date column`,
    );
  }
  let lower = partitioning.lower;
  let upper = partitioning.upper;
  if (lower === undefined || upper === undefined) {
    const column = quoteIdentifier(partitioning.column);
    const [row] = await session.query<{ lo: unknown; hi: unknown }>(
      `SELECT MIN(${column}) AS lo, MAX(${column}) AS hi FROM ${tableReference(schema, table)}`,
    );
    lower ??= row?.lo as KeyValue | undefined;
    upper ??= row?.hi as KeyValue | undefined;
  }
  const from = tableReference(schema, table);
  const ranges =
    lower === undefined || lower === null || upper === undefined || upper === null
      ? [{ column: partitioning.column, includeNulls: true }]
      : keyRanges(partitioning.column, kind, lower, upper, partitioning.count);
  const scans = ranges.map((range, index) => ({
    label: `range ${index + 1}/${ranges.length}`,
    endpoint,
    from,
    ...(range.lower === undefined && range.upper === undefined ? {} : { where: rangeCondition(range) }),
    range,
  }));
  const source = why === 'requested' ? 'requested' : 'on the primary key';
  return {
    table: { schema, name: table },
    parallelism,
    strategy: 'key-range',
    reason:
      ranges.length === 1
        ? `key range ${source} on ${partitioning.column}: one range (the column has one value or none)`
        : `${ranges.length} key ranges ${source} on ${partitioning.column} (${dataType}) between ${String(lower)} and ${String(upper)}`,
    scans,
  };
}

/** The SQL condition of one range, the column quoted and the bounds as parameters. */
export function rangeCondition(range: KeyRange): SqlWithParams {
  const column = quoteIdentifier(range.column);
  const parts: string[] = [];
  const params: KeyValue[] = [];
  if (range.lower !== undefined) {
    parts.push(`${column} >= ?`);
    params.push(range.lower);
  }
  if (range.upper !== undefined) {
    parts.push(`${column} < ?`);
    params.push(range.upper);
  }
  let sql = parts.join(' AND ') || 'TRUE';
  if (range.includeNulls) sql = `(${sql} OR ${column} IS NULL)`;
  return { sql, params };
}

/**
 * Splits [lower, upper] into `count` ranges of equal width; the first is open below (and takes
 * the NULLs), the last open above, so every row falls in exactly one range whatever the bounds.
 * Ranges that would be empty because the span is too narrow are merged away.
 */
export function keyRanges(
  column: string,
  kind: KeyKind,
  lower: KeyValue | Date,
  upper: KeyValue | Date,
  count: number,
): KeyRange[] {
  const boundaries = innerBoundaries(kind, lower, upper, count);
  const ranges: KeyRange[] = [];
  for (let index = 0; index <= boundaries.length; index++) {
    ranges.push({
      column,
      ...(index > 0 ? { lower: boundaries[index - 1] } : {}),
      ...(index < boundaries.length ? { upper: boundaries[index] } : {}),
      includeNulls: index === 0,
    });
  }
  return ranges;
}

/** The count - 1 split points strictly between lower and upper, increasing, without repeats. */
function innerBoundaries(
  kind: KeyKind,
  lower: KeyValue | Date,
  upper: KeyValue | Date,
  count: number,
): KeyValue[] {
  const points: KeyValue[] = [];
  if (kind === 'integer') {
    const lo = BigInt(toInteger(lower));
    const hi = BigInt(toInteger(upper));
    const span = hi - lo;
    let previous = lo;
    for (let i = 1; i < count; i++) {
      const point = lo + (span * BigInt(i)) / BigInt(count);
      if (point > previous && point <= hi) points.push(point);
      if (point > previous) previous = point;
    }
    // Integers the driver can send as plain numbers stay numbers.
    return points.map((point) => (BigInt(Number(point)) === point ? Number(point) : point));
  }
  const [lo, hi] = [toNumber(kind, lower), toNumber(kind, upper)];
  let previous = lo;
  for (let i = 1; i < count; i++) {
    const raw = lo + ((hi - lo) * i) / count;
    const point = kind === 'number' ? raw : Math.floor(raw);
    if (point > previous && point <= hi) {
      points.push(kind === 'number' ? point : formatKey(kind, point));
      previous = point;
    }
  }
  return points;
}

function toInteger(value: KeyValue | Date): string | bigint | number {
  if (value instanceof Date) throw new ConfigError('an integer key range needs integer bounds, not dates');
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.floor(value);
  return value;
}

const MS_PER_DAY = 86_400_000;

/** Dates as days, datetimes as seconds (UTC arithmetic on the wall-clock text), numbers as numbers. */
function toNumber(kind: KeyKind, value: KeyValue | Date): number {
  if (kind === 'number') return Number(value);
  const ms =
    value instanceof Date
      ? value.getTime()
      : (() => {
          const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/.exec(String(value));
          if (!match) throw new ConfigError(`'${String(value)}' is not a date for a key range`);
          const [, y, mo, d, h, mi, s] = match.map((part) => Number(part ?? 0));
          return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
        })();
  return kind === 'date' ? Math.floor(ms / MS_PER_DAY) : Math.floor(ms / 1000);
}

function formatKey(kind: KeyKind, point: number): string {
  const iso = new Date(kind === 'date' ? point * MS_PER_DAY : point * 1000).toISOString();
  return kind === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The plan as text for `explain()`: strategy, reason, and each scan with its server and SQL. */
export function describePartitionPlan(plan: PartitionPlan): string {
  const lines = [
    `partitions: ${plan.strategy}, ${plan.scans.length} scan(s), ${Math.min(plan.parallelism, plan.scans.length)} at a time (${plan.reason})`,
  ];
  if (plan.resultTable)
    lines.push(`  materialize: CREATE RESULT TABLE ${quoteIdentifier(plan.resultTable.name)} AS <query>`);
  for (const scan of plan.scans) {
    const where = scan.where ? ` WHERE ${scan.where.sql} [${scan.where.params.map(String).join(', ')}]` : '';
    lines.push(`  ${scan.label} on ${scan.endpoint.host}:${scan.endpoint.port}: FROM ${scan.from}${where}`);
  }
  return lines.join('\n');
}
