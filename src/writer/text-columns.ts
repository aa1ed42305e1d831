/**
 * Whether LOAD DATA stores the rows' text as INSERT stores their values. It does for every column
 * type but BIT: LOAD DATA reads a BIT field's text as its bytes (the number 1, sent as '1', is
 * stored as 0x31), where INSERT reads the number. A write into BIT columns takes the strict
 * INSERTs. The answer is remembered per session and table (a pipeline's session asks once; a
 * column altered to BIT under a running pipeline is seen by its next session).
 */
import type { DbSession } from '../db/driver.ts';
import { tableNameParts } from '../sql/identifiers.ts';

const known = new WeakMap<DbSession, Map<string, ReadonlySet<string>>>();

/** False when one of `columns` of `table` is a BIT column (names compared without case). */
export async function loadDataReadsAsInsert(
  session: DbSession,
  table: string,
  columns: readonly string[],
): Promise<boolean> {
  let tables = known.get(session);
  if (tables === undefined) {
    tables = new Map();
    known.set(session, tables);
  }
  let bits = tables.get(table);
  if (bits === undefined) {
    const { schema, table: name } = tableNameParts(table);
    const rows = await session.query<{ COLUMN_NAME: string }>(
      'SELECT COLUMN_NAME FROM information_schema.COLUMNS ' +
        "WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND DATA_TYPE = 'bit'",
      [schema, name],
    );
    bits = new Set(rows.map((row) => row.COLUMN_NAME.toLowerCase()));
    tables.set(table, bits);
  }
  const found = bits;
  return !columns.some((column) => found.has(column.toLowerCase()));
}
