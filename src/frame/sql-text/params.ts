/**
 * `?` placeholders of SQL text filled with escaped literals before planning, so the planner sees
 * values (which it then sends to the database as parameters again). Placeholders inside strings,
 * quoted identifiers and comments are left alone.
 */

import { ConfigError } from '../../base/errors.ts';
import { escapeLiteral } from '../../db/driver.ts';
import { commentEnd, quotedEnd } from './lexical.ts';

/** A value for a `?` placeholder of SQL text. */
export type SqlParam = string | number | boolean | null;

export function bindParams(sql: string, params: readonly SqlParam[]): string {
  let out = '';
  let used = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const skipped = quotedEnd(sql, i) ?? commentEnd(sql, i);
    if (skipped !== undefined) {
      out += sql.slice(i, skipped);
      i = skipped;
    } else if (c === '?') {
      if (used >= params.length)
        throw new ConfigError(`the SQL has more ? placeholders than the ${params.length} params given`);
      out += literal(params[used++]!);
      i++;
    } else {
      out += c;
      i++;
    }
  }
  if (used !== params.length)
    throw new ConfigError(`${params.length} params given for ${used} ? placeholders`);
  return out;
}

function literal(value: SqlParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConfigError('params must be finite numbers');
    return String(value);
  }
  return escapeLiteral(value);
}
