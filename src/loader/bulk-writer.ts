/**
 * The bulk writer: rows (arrays of values) into a table with a write mode, fast when the rows are
 * good and exact when some are not.
 *
 * Fast path: one `LOAD DATA LOCAL INFILE` stream (append / ignore / replace), or multi-row
 * INSERT … ON DUPLICATE KEY UPDATE (upsert, which LOAD DATA cannot do). With LOCAL the server
 * turns bad values and duplicate keys into warnings and keeps going, so the writer checks the
 * warning count: when the server changed or skipped anything it should not have, the load is
 * rolled back to a savepoint and the rows go again as strict multi-row INSERTs, halved around
 * every failing statement until each bad row stands alone with its own error. Good rows are
 * written, bad ones are returned (or thrown), none are silently altered or dropped.
 *
 * Used by Kafka pipelines (inside the transaction that also moves the offset) and by
 * `load()` for Arrow tables (its own transaction).
 */
import type { Table } from 'apache-arrow';
import { type DbSession, openSession, quoteIdentifier } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import { type TsvValue, tsvLine } from '../db/tsv.ts';
import { ConfigError, DatabaseError, SluiceError } from '../errors.ts';
import { arrowRows } from './arrow-rows.ts';
import { writeStaged } from './staged-writer.ts';

export const WRITE_MODES = ['append', 'ignore', 'replace', 'upsert'] as const;
/**
 * append: a duplicate key is an error (the row is rejected); ignore: a duplicate is skipped;
 * replace: a duplicate is deleted and the new row inserted; upsert: the existing row's columns
 * are updated (ON DUPLICATE KEY UPDATE).
 */
export type WriteMode = (typeof WRITE_MODES)[number];

export type RowValues = readonly TsvValue[];

/**
 * Rows already written as LOAD DATA text (by a decode worker), the values themselves on demand:
 * the fast path sends the text as it is, and only the exact path (bad rows, upsert, SET/WHERE)
 * asks for the values.
 */
export interface EncodedRows {
  readonly count: number;
  /** `tsvLine` of every row, in order, in chunks. */
  readonly tsv: readonly Uint8Array[];
  /** The same rows as values, in the same order. */
  values(): Promise<readonly RowValues[]>;
}

/** What the bulk writer takes: rows as values, or rows already encoded as LOAD DATA text. */
export type BulkRows = readonly RowValues[] | EncodedRows;

export function isEncoded(rows: BulkRows): rows is EncodedRows {
  return !Array.isArray(rows);
}

export function rowCount(rows: BulkRows): number {
  return isEncoded(rows) ? rows.count : rows.length;
}

export async function rowValues(rows: BulkRows): Promise<readonly RowValues[]> {
  return isEncoded(rows) ? rows.values() : rows;
}

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

export interface RowRejection {
  /** Position of the row in the input. */
  readonly index: number;
  readonly error: string;
  readonly errno: number | undefined;
}

export interface BulkWriteResult {
  /** Rows inserted, replaced or updated. */
  readonly written: number;
  /** Rows skipped because their key existed (mode ignore). */
  readonly duplicates: number;
  readonly rejected: readonly RowRejection[];
  /** Rows the `where` condition skipped. */
  readonly filtered?: number;
}

/** Server errors that belong to one row's values, not to the statement or the connection. */
export const ROW_ERRORS: ReadonlySet<number> = new Set([
  1048, // column cannot be null
  1062, // duplicate entry
  1264, // out of range
  1265, // data truncated
  1292, // incorrect date/time value
  1366, // incorrect integer/decimal/string value
  1367, // illegal value
  1364, // field has no default
  1406, // data too long
  1451, // foreign key (parent)
  1452, // foreign key (child)
  1690, // value out of range in expression
  3819, // check constraint (MySQL)
  4025, // CONSTRAINT failed (MariaDB)
  4078, // illegal parameter data type
]);
const DUPLICATE_KEY = 1062;
/** Rows per INSERT statement: large enough to amortise round trips, small enough to halve fast. */
const INSERT_CHUNK_ROWS = 1000;
/** Text per LOAD DATA chunk handed to the driver. */
const TSV_CHUNK_CHARS = 256 * 1024;

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
      rowErrors: ROW_ERRORS,
    });
  } else if (mode !== 'upsert') {
    await session.query('SAVEPOINT sluice_bulk');
    result = await loadFast(session, table, columns, rows, mode);
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
  const rejected: RowRejection[] = [];
  let written = 0;
  let duplicates = 0;
  const attempt = async (start: number, end: number): Promise<void> => {
    try {
      await session.query(sql, [rows.slice(start, end).map(driverValues)]);
      written += end - start;
    } catch (error) {
      const errno = (error as DatabaseError).errno;
      if (!(error instanceof DatabaseError) || errno === undefined || !ROW_ERRORS.has(errno)) throw error;
      if (end - start > 1) {
        const middle = start + Math.ceil((end - start) / 2);
        await attempt(start, middle);
        await attempt(middle, end);
      } else if (mode === 'ignore' && errno === DUPLICATE_KEY) {
        duplicates++;
      } else {
        rejected.push({ index: start, error: serverMessage(error), errno });
      }
    }
  };
  for (let start = 0; start < rows.length; start += INSERT_CHUNK_ROWS) {
    await attempt(start, Math.min(rows.length, start + INSERT_CHUNK_ROWS));
  }
  return { written, duplicates, rejected };
}

/** The statement for one chunk; the rows go in as one parameter the driver expands and escapes. */
export function insertSql(
  table: string,
  columns: readonly string[],
  mode: WriteMode,
  updateColumns: readonly string[] = columns,
): string {
  const target = `${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')})`;
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

/** The server's own words, without the "query failed on host:port" prefix. */
function serverMessage(error: DatabaseError): string {
  const cause = error.cause as Error | undefined;
  return cause?.message ?? error.message;
}

function driverValues(row: RowValues): unknown[] {
  return row.map((value) => (typeof value === 'bigint' ? value.toString() : (value ?? null)));
}

/** Rows as TSV text in chunks of about TSV_CHUNK_CHARS. */
export function* tsvChunks(rows: readonly RowValues[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += tsvLine(row);
    if (chunk.length >= TSV_CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
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
  const rows = arrowRows(data);
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
