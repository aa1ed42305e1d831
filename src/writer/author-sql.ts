/**
 * SQL text written by a pipeline's author (SET expressions, a WHERE condition), the one place SQL
 * that is not built by sluice reaches the server. It is spliced into a statement as an
 * expression, like the DDL of a SingleStore pipeline, so anything that could end the expression
 * and start another statement (a separator) or hide the rest of the statement (a comment) is
 * refused. Record values never travel this way.
 */
import { ConfigError } from '../base/errors.ts';

const UNSAFE_SQL = /;|--|\/\*|#/;

/** Whether `sql` holds a statement separator or a comment. */
export function hasUnsafeSql(sql: string): boolean {
  return UNSAFE_SQL.test(sql);
}

/** SQL text from a spec: one expression, no statement separators or comments. */
export function checkExpression(what: string, sql: string): void {
  if (sql.trim() === '' || hasUnsafeSql(sql)) {
    throw new ConfigError(`${what} '${sql}' must be one SQL expression, without ';' or comments`);
  }
}
