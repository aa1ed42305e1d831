/**
 * Finding the bad rows of a failed multi-row statement: a statement that fails with an error
 * that belongs to one row's values is halved, and each half tried again, until every bad row
 * stands alone with the server's own error. Both writers (strict INSERT and INSERT … SELECT from
 * the staging table) run their chunks through this, so "which rows are bad" means the same thing
 * on both paths.
 */
import { DatabaseError } from '../base/errors.ts';
import type { RowRejection, WriteMode } from './rows.ts';

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
export const DUPLICATE_KEY = 1062;

/**
 * Errors a LOAD DATA statement stops on that belong to its rows (most bad values are only
 * warnings there): the rows then go through the strict INSERTs, which name the row.
 */
export const LOAD_ROW_ERRORS: ReadonlySet<number> = new Set([
  1114, // table is full (a MEMORY staging table outgrew max_heap_table_size)
  1263, // NULL supplied to a NOT NULL column
]);

export interface HalvingResult {
  /** Rows the statements wrote (every row of a statement that succeeded). */
  readonly written: number;
  /** Rows skipped as duplicates (mode ignore, where a lone row failed on its key). */
  readonly duplicates: number;
  readonly rejected: readonly RowRejection[];
}

/**
 * Runs `statement(start, end)` over `[0, count)` in chunks of `chunkRows`, halving each chunk
 * that fails with a row error. Any other error is the statement's or the connection's and is
 * thrown as it is.
 */
export async function writeHalving(
  count: number,
  chunkRows: number,
  mode: WriteMode,
  statement: (start: number, end: number) => Promise<unknown>,
): Promise<HalvingResult> {
  const rejected: RowRejection[] = [];
  let written = 0;
  let duplicates = 0;
  const attempt = async (start: number, end: number): Promise<void> => {
    try {
      await statement(start, end);
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
  for (let start = 0; start < count; start += chunkRows) {
    await attempt(start, Math.min(count, start + chunkRows));
  }
  return { written, duplicates, rejected };
}

/** The server's own words, without the "query failed on host:port" prefix. */
function serverMessage(error: DatabaseError): string {
  const cause = error.cause as Error | undefined;
  return cause?.message ?? error.message;
}
