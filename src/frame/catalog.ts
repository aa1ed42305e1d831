/**
 * The tables and columns of one database, read once at connect (and again on refresh), so that
 * frames know their columns before anything runs and a missing name fails with the list of the
 * names that do exist.
 */
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

/** The fields of a query's result, from a run that returns no rows. */
export async function queryFields(
  session: DbSession,
  sql: string,
  limit: (statement: string) => string = (statement) => statement,
): Promise<readonly Field[]> {
  const fields = await session.fields(limit(`SELECT * FROM (${sql}) AS sluice_probe LIMIT 0`));
  return fields.map((name) => Object.freeze({ name }));
}
