/**
 * Identifier quoting for the MySQL family, the one implementation: backticks, with a backtick
 * inside the name doubled. The dialects use it for every name in compiled queries; the driver,
 * the writers, the partition planner and the DDL helpers use it where a name must be in SQL text
 * (parameters cannot stand for identifiers).
 *
 * A name is one identifier: a dot is part of it (an Arrow field 'a.b' is the column `a.b`).
 * Only a table name a user writes (`load(data, 'db.table')`, a sharded table's name) may be
 * qualified by a database, and `quoteTableName` says so where that is meant.
 */

/** `name` as one quoted identifier. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * A table name a user wrote, optionally qualified ('db.table'): its database (null: the
 * connection's) and its name, split at the first dot, as information_schema queries take them.
 */
export function tableNameParts(name: string): { readonly schema: string | null; readonly table: string } {
  const dot = name.indexOf('.');
  return dot > 0 ? { schema: name.slice(0, dot), table: name.slice(dot + 1) } : { schema: null, table: name };
}

/** A table name, optionally qualified ('db.table'): each dot-separated part quoted. */
export function quoteTableName(name: string): string {
  return name.split('.').map(quoteIdentifier).join('.');
}
