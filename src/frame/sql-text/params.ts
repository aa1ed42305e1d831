/**
 * `?` placeholders of SQL text filled with escaped literals before planning, so the planner sees
 * values (which it then sends to the database as parameters again). Placeholders inside strings,
 * quoted identifiers and comments are left alone.
 */

import { ConfigError } from '../../base/errors.ts';
import { escapeLiteral } from '../../db/driver.ts';

/** A value for a `?` placeholder of SQL text. */
export type SqlParam = string | number | boolean | null;

export function bindParams(sql: string, params: readonly SqlParam[]): string {
  let out = '';
  let used = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && c !== '`') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
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
