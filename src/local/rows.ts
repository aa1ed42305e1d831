/**
 * Plain row objects in and out: what a JavaScript predicate sees, and what a mapBatches function
 * may return instead of an Arrow table.
 */
import { PlanError } from '../base/errors.ts';
import { formatEpochMicros } from '../values/civil-date.ts';
import { type Batch, type LocalColumn, makeBatch } from './batch.ts';
import { mergeTypes, type SqlType, T, type Value } from './types.ts';
import { normalizeInt, toText } from './values.ts';

/** A function from a row number to that row as an object of SQL values, keyed by column name. */
export function rowObjects(batch: Batch): (row: number) => Record<string, Value> {
  const columns = batch.columns;
  return (row) => {
    const object: Record<string, Value> = {};
    for (const column of columns) object[column.name] = column.values[row]!;
    return object;
  };
}

/** A JavaScript value as a SQL value and its type. */
function sqlValue(value: unknown): [Value, SqlType] {
  if (value === null || value === undefined) return [null, T.null];
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return [null, T.double];
      return [value, Number.isInteger(value) ? T.int : T.double];
    case 'bigint':
      return [normalizeInt(value), T.int];
    case 'boolean':
      return [value ? 1 : 0, T.int];
    case 'string':
      return [value, T.string];
    default:
      if (value instanceof Date) return [formatEpochMicros(value.getTime() * 1000), T.datetime];
      if (value instanceof Uint8Array) return [value, T.binary];
      return [JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? String(v) : v)), T.string];
  }
}

/** Row objects as a batch: columns in order of first appearance, types from the values. */
export function batchFromRows(rows: readonly unknown[]): Batch {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (row === null || typeof row !== 'object') {
      throw new PlanError(`mapBatches: expected row objects or an Arrow table, got a row ${String(row)}`);
    }
    for (const name of Object.keys(row)) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  const columns: LocalColumn[] = names.map((name) => {
    const values = new Array<Value>(rows.length);
    const types = new Array<SqlType>(rows.length);
    let type: SqlType = T.null;
    for (let i = 0; i < rows.length; i++) {
      const [value, valueType] = sqlValue((rows[i] as Record<string, unknown>)[name]);
      values[i] = value;
      types[i] = valueType;
      // Numbers widen (an integer column with one 2.5 is a DOUBLE column), anything with a string is text.
      type = mergeTypes(type, valueType);
    }
    if (type.kind === 'string') {
      for (let i = 0; i < values.length; i++) values[i] = toText(values[i]!, types[i]!);
    }
    return { name, type, values };
  });
  return makeBatch(columns, rows.length);
}
