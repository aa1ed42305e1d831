/**
 * What a partition plan is made of: scans as plain data (an endpoint, a FROM, maybe an extra
 * WHERE), shared by the planner (`../partitions.ts`) and its strategies.
 */
import type { DbEndpoint } from '../../db/endpoint.ts';
import { quoteIdentifier } from '../../sql/identifiers.ts';

/** A statement with its `?` parameters. */
export interface SqlWithParams {
  readonly sql: string;
  readonly params: readonly unknown[];
}

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

export type PartitionStrategy = 'native' | 'spider' | 'key-range' | 'single';

export interface PartitionPlan {
  readonly strategy: PartitionStrategy;
  /** Why this strategy was chosen (or why the read is not split), for `explain()`. */
  readonly reason: string;
  readonly table: { readonly schema: string; readonly name: string };
  readonly scans: readonly PartitionScan[];
  /** Scans run at once. */
  readonly parallelism: number;
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

/** What the planner knows of a table from information_schema.TABLES. */
export interface TableInfo {
  readonly engine: string;
  readonly comment: string;
  readonly estimatedRows: number;
}

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
