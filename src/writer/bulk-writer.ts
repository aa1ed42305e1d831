/**
 * The bulk writer: rows (arrays of values) into a table with a write mode, fast when the rows are
 * good and exact when some are not.
 *
 * Fast path: one `LOAD DATA LOCAL INFILE` stream (append / ignore / replace); upsert, which LOAD
 * DATA cannot do, streams into a staging table moved by one INSERT … SELECT … ON DUPLICATE KEY
 * UPDATE or `LOAD DATA … REPLACE` where that is the same (`bulk-upsert.ts`), or, for a few rows,
 * multi-row INSERT … ON DUPLICATE KEY UPDATE. With LOCAL the server turns bad values and
 * duplicate keys into warnings and keeps going, so the writer checks the warning count: when the
 * server changed or skipped anything it should not have, the load is rolled back to a savepoint
 * and the rows go again as strict multi-row INSERTs, halved around
 * every failing statement until each bad row stands alone with its own error. Good rows are
 * written, bad ones are returned (or thrown), none are silently altered or dropped.
 *
 * Used by Kafka pipelines (inside the transaction that also moves the offset) and by
 * `load()` for Arrow tables (its own transaction).
 */
import type { Table } from 'apache-arrow';
import { ConfigError, DatabaseError, SluiceError } from '../base/errors.ts';
import { type DbSession, openSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { quoteIdentifier, quoteTableName } from '../sql/identifiers.ts';
import { arrowEncodedRows } from './arrow-rows.ts';
import { upsertBulk } from './bulk-upsert.ts';
import { DUPLICATE_KEY, LOAD_ROW_ERRORS, writeHalving } from './halving.ts';
import {
  type BulkRows,
  type BulkWriteResult,
  isEncoded,
  type RowValues,
  rowCount,
  rowValues,
  tsvChunks,
  WRITE_MODES,
  type WriteMode,
} from './rows.ts';
import { writeStaged } from './staged-writer.ts';
import { loadDataReadsAsInsert } from './text-columns.ts';

export interface BulkWriteOptions {
  readonly mode?: WriteMode;
  /** upsert: the columns set from the new row on a duplicate key (default: every column written). */
  readonly updateColumns?: readonly string[];
  /** A bad row: `collect` returns it in `rejected` and writes the rest; `fail` throws (default). */
  readonly badRows?: 'fail' | 'collect';
  /** Target column ← SQL expression over the row's columns (written through a staging table). */
  readonly set?: Readonly<Record<string, string>>;
  /** SQL condition over the row's columns; rows for which it is not true are skipped (`filtered`). */
  readonly where?: string;
}

/** Rows per INSERT statement: large enough to amortise round trips, small enough to halve fast. */
const INSERT_CHUNK_ROWS = 1000;
/** From this many rows an upsert goes through a staging table (its few statements cost ~1 ms). */
const STAGED_UPSERT_ROWS = 1000;

/**
 * Writes `rows` into `table` inside the caller's open transaction (it uses a savepoint). Values
 * are in the order of `columns`; null and undefined are NULL.
 */
export async function writeBatch(
  session: DbSession,
  table: string,
  columns: readonly string[],
  rows: BulkRows,
  options: BulkWriteOptions = {},
): Promise<BulkWriteResult> {
  const mode = options.mode ?? 'append';
  if (!WRITE_MODES.includes(mode)) {
    throw new ConfigError(`write mode '${mode}' is not one of ${WRITE_MODES.join(', ')}`);
  }
  if (columns.length === 0) throw new ConfigError(`writing to '${table}' needs at least one column`);
  if (rowCount(rows) === 0) return { written: 0, duplicates: 0, rejected: [] };
  let result: BulkWriteResult | undefined;
  if (options.set !== undefined || options.where !== undefined) {
    result = await writeStaged(session, table, columns, await rowValues(rows), {
      mode,
      set: options.set,
      where: options.where,
      updateColumns: options.updateColumns,
    });
  } else if (!(await loadDataReadsAsInsert(session, table, columns))) {
    result = undefined; // BIT columns: only the strict INSERTs below store their numbers.
  } else if (mode !== 'upsert') {
    await session.query('SAVEPOINT sluice_bulk');
    result = await loadFast(session, table, columns, rows, mode).catch((error: unknown) => {
      if (error instanceof DatabaseError && LOAD_ROW_ERRORS.has(error.errno ?? 0)) return undefined;
      throw error;
    });
    if (result === undefined) await session.query('ROLLBACK TO SAVEPOINT sluice_bulk');
  } else if (rowCount(rows) >= STAGED_UPSERT_ROWS) {
    await session.query('SAVEPOINT sluice_bulk');
    result = await upsertBulk(session, table, columns, rows, options.updateColumns ?? columns);
    if (result === undefined) await session.query('ROLLBACK TO SAVEPOINT sluice_bulk');
  }
  result ??= await insertExact(
    session,
    table,
    columns,
    await rowValues(rows),
    mode,
    options.updateColumns ?? columns,
  );
  if (result.rejected.length > 0 && (options.badRows ?? 'fail') === 'fail') {
    const first = result.rejected[0]!;
    throw new SluiceError(
      'ROWS_REJECTED',
      `${result.rejected.length} row(s) could not be written to ${table}; row ${first.index}: ${first.error}`,
    );
  }
  return result;
}

/** LOAD DATA; undefined when the server raised warnings that need the exact path. */
async function loadFast(
  session: DbSession,
  table: string,
  columns: readonly string[],
  rows: BulkRows,
  mode: Exclude<WriteMode, 'upsert'>,
): Promise<BulkWriteResult | undefined> {
  const count = rowCount(rows);
  // Room for one warning per row, so "every warning is a skipped duplicate" can be checked.
  if (mode === 'ignore') await session.query('SET SESSION max_error_count = 65535');
  const duplicates = mode === 'append' ? 'default' : mode;
  const { affectedRows, warnings } = await session.loadData({
    table,
    columns,
    source: isEncoded(rows) ? rows.tsv : tsvChunks(rows),
    duplicates,
  });
  if (warnings === 0) {
    if (mode === 'ignore') return { written: affectedRows, duplicates: count - affectedRows, rejected: [] };
    return { written: count, duplicates: 0, rejected: [] };
  }
  if (mode === 'ignore' && warnings <= 65535) {
    const shown = await session.query<{ Code: number }>('SHOW WARNINGS');
    if (shown.length === warnings && shown.every((warning) => Number(warning.Code) === DUPLICATE_KEY)) {
      return { written: affectedRows, duplicates: count - affectedRows, rejected: [] };
    }
  }
  return undefined;
}

/** Strict multi-row statements, halved around failures until each bad row is alone. */
async function insertExact(
  session: DbSession,
  table: string,
  columns: readonly string[],
  rows: readonly RowValues[],
  mode: WriteMode,
  updateColumns: readonly string[],
): Promise<BulkWriteResult> {
  const sql = insertSql(table, columns, mode, updateColumns);
  return writeHalving(rows.length, INSERT_CHUNK_ROWS, mode, (start, end) =>
    session.query(sql, [rows.slice(start, end).map(driverValues)]),
  );
}

/** The statement for one chunk; the rows go in as one parameter the driver expands and escapes. */
export function insertSql(
  table: string,
  columns: readonly string[],
  mode: WriteMode,
  updateColumns: readonly string[] = columns,
): string {
  const target = `${quoteTableName(table)} (${columns.map(quoteIdentifier).join(', ')})`;
  // ignore inserts strictly too: only a duplicate may be skipped, never a bad value.
  const verb = mode === 'replace' ? 'REPLACE' : 'INSERT';
  let sql = `${verb} INTO ${target} VALUES ?`;
  if (mode === 'upsert') {
    if (updateColumns.length === 0) throw new ConfigError('upsert needs at least one column to update');
    const updates = updateColumns.map(
      (column) => `${quoteIdentifier(column)} = VALUES(${quoteIdentifier(column)})`,
    );
    sql += ` ON DUPLICATE KEY UPDATE ${updates.join(', ')}`;
  }
  return sql;
}

function driverValues(row: RowValues): unknown[] {
  return row.map((value) => (typeof value === 'bigint' ? value.toString() : (value ?? null)));
}

export interface LoadOptions extends BulkWriteOptions {
  /** Columns to write, in the order of the Arrow table's columns (default: the Arrow field names). */
  readonly columns?: readonly string[];
}

/**
 * Writes an Arrow table into a database table in one transaction: `db.load(arrowTable, table,
 * opts)` and `df.writeTo(table, { mode })` end here. Either every good row commits or nothing does.
 *
 * @example
 * const result = await load(endpoint, tableFromArrays({ id: [1, 2], name: ['a', 'b'] }), 'people', { mode: 'upsert' });
 */
export async function load(
  target: DbEndpoint | DbSession,
  data: Table,
  table: string,
  options: LoadOptions = {},
): Promise<BulkWriteResult> {
  const columns = options.columns ?? data.schema.fields.map((field) => field.name);
  if (columns.length !== data.numCols) {
    throw new ConfigError(
      `load into '${table}': ${columns.length} column name(s) for ${data.numCols} Arrow column(s)`,
    );
  }
  const rows = arrowEncodedRows(data);
  const write = (session: DbSession) =>
    session.transaction(() => writeBatch(session, table, columns, rows, options));
  if (isSession(target)) return write(target);
  const session = await openSession(target);
  try {
    return await write(session);
  } finally {
    await session.close();
  }
}

function isSession(target: DbEndpoint | DbSession): target is DbSession {
  return typeof (target as DbSession).query === 'function';
}
