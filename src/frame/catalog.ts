/**
 * The tables and columns of one database, read once at connect (and again on refresh), so that
 * frames know their columns before anything runs and a missing name fails with the list of the
 * names that do exist.
 */

import { DatabaseError } from '../base/errors.ts';
import { didYouMean, userTables } from '../base/suggest.ts';
import type { DbSession } from '../db/driver.ts';
import type { Field } from '../plan/nodes.ts';

export type Catalog = ReadonlyMap<string, readonly Field[]>;

export async function readCatalog(session: DbSession): Promise<Catalog> {
  const rows = await session.query<{ table_name: string; column_name: string; column_type: string }>(
    `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`,
  );
  const catalog = new Map<string, Field[]>();
  for (const row of rows) {
    const fields = catalog.get(row.table_name) ?? [];
    fields.push(Object.freeze({ name: row.column_name, sqlType: String(row.column_type).toLowerCase() }));
    catalog.set(row.table_name, fields);
  }
  return catalog;
}

/**
 * The fields of a query's result, from a run that returns no rows. The text runs as a derived
 * table, so when that fails the error is about the user's text, not the wrapper: a syntax error
 * is the server's message for the text alone, a missing table says which tables there are.
 */
export async function queryFields(
  session: DbSession,
  sql: string,
  catalog: Catalog,
  limit: (statement: string) => string = (statement) => statement,
): Promise<readonly Field[]> {
  let fields: string[];
  try {
    fields = await session.fields(limit(`SELECT * FROM (${sql}) AS sluice_probe LIMIT 0`));
  } catch (error) {
    throw await sqlTextError(session, sql, catalog, error);
  }
  return fields.map((name) => Object.freeze({ name }));
}

const ER_PARSE_ERROR = 1064;
const ER_NO_SUCH_TABLE = 1146;

async function sqlTextError(
  session: DbSession,
  sql: string,
  catalog: Catalog,
  error: unknown,
): Promise<unknown> {
  if (!(error instanceof DatabaseError)) return error;
  if (error.errno === ER_PARSE_ERROR) {
    const own = await session.check(sql).then(
      () => undefined,
      (checked: unknown) => checked,
    );
    // The text parses on its own: it is the derived-table form the server rejects.
    if (!(own instanceof DatabaseError)) {
      return new DatabaseError(`${error.message} (sql() text runs as a derived table: ${sql})`, error.cause);
    }
    return new DatabaseError(`${own.message}\n  in sql() text: ${sql}`, own.cause);
  }
  if (error.errno === ER_NO_SUCH_TABLE) {
    const missing = /Table '(?:[^']*\.)?([^'.]+)' doesn't exist/.exec(error.message)?.[1];
    const known = userTables([...catalog.keys()]);
    if (missing !== undefined) {
      return new DatabaseError(
        `${error.message}${didYouMean(missing, known)}; tables: ${known.join(', ') || '(none)'}`,
        error.cause,
      );
    }
  }
  return error;
}
