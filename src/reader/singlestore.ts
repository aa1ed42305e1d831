/**
 * SingleStore parallel reads (the SingleStore Spark connector's readFromAggregators): the pushed
 * query is materialized once as a result table, `CREATE RESULT TABLE rt AS SELECT …`, and each
 * task reads one database partition of it with `SELECT * FROM ::rt WHERE partition_id() = N`.
 * Only the SQL and the plan are built here; no SingleStore server runs in this project's tests.
 */
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../errors.ts';
import { quoteIdentifier } from '../sql/identifiers.ts';

/** A statement with its `?` parameters. */
export interface SqlWithParams {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** A fresh result table name: result tables live per connection, but names must not collide. */
export function resultTableName(): string {
  return `sluice_rt_${randomBytes(6).toString('hex')}`;
}

/** `CREATE RESULT TABLE rt AS <query>`: the query's parameters stay parameters. */
export function createResultTableSql(name: string, query: SqlWithParams): SqlWithParams {
  const select = query.sql.trim();
  if (!/^(select|with)\b/i.test(select)) {
    throw new SluiceError('CONFIG_INVALID', 'a SingleStore result table can only be created from a SELECT');
  }
  return { sql: `CREATE RESULT TABLE ${quoteIdentifier(name)} AS ${select}`, params: query.params };
}

export function dropResultTableSql(name: string): string {
  return `DROP RESULT TABLE ${quoteIdentifier(name)}`;
}

/** The FROM of a partition read: the result table on the aggregator, `::` prefixed. */
export function resultTableReference(name: string): string {
  return `::${quoteIdentifier(name)}`;
}

/** The WHERE of partition `ordinal`'s read. */
export function partitionIdFilter(ordinal: number): SqlWithParams {
  return { sql: 'partition_id() = ?', params: [ordinal] };
}

/**
 * The ordinals of the master partitions in `SHOW PARTITIONS` output (columns Ordinal, Host, Port,
 * Role, Locked); replicas hold copies and are not read.
 */
export function masterPartitionOrdinals(rows: readonly Record<string, unknown>[]): number[] {
  const ordinals = rows
    .filter((row) => String(row.Role ?? row.role ?? '').toLowerCase() === 'master')
    .map((row) => Number(row.Ordinal ?? row.ordinal))
    .filter((ordinal) => Number.isInteger(ordinal) && ordinal >= 0);
  return [...new Set(ordinals)].sort((a, b) => a - b);
}
