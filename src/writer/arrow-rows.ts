/**
 * Arrow columns to the row values the bulk writer sends: dates and timestamps as the server's
 * text form (UTC), decimals as exact text, 64-bit integers as bigint, everything else as is.
 */
import { DataType, type Table } from 'apache-arrow';
import type { TsvValue } from '../db/tsv.ts';
import { unscaledToText } from '../values/decimal.ts';

type Convert = (value: unknown) => TsvValue;

export function arrowRows(table: Table): TsvValue[][] {
  const columns = Array.from({ length: table.numCols }, (_, index) => table.getChildAt(index)!);
  const converters = columns.map((column) => converterFor(column.type));
  const rows: TsvValue[][] = new Array(table.numRows);
  for (let row = 0; row < table.numRows; row++) {
    const values: TsvValue[] = new Array(columns.length);
    for (let column = 0; column < columns.length; column++) {
      const value = columns[column]!.get(row);
      values[column] = value === null || value === undefined ? null : converters[column]!(value);
    }
    rows[row] = values;
  }
  return rows;
}

function converterFor(type: DataType): Convert {
  // Dictionary-encoded columns (how Arrow builds string columns by default) read as their values.
  if (DataType.isDictionary(type)) return converterFor(type.dictionary);
  if (DataType.isDate(type)) return (value) => dateText(value).slice(0, 10);
  if (DataType.isTimestamp(type)) return (value) => dateText(value);
  if (DataType.isDecimal(type))
    return (value) => unscaledToText(BigInt(String(value)), (type as { scale: number }).scale);
  if (DataType.isBinary(type) || DataType.isFixedSizeBinary(type)) {
    return (value) => Buffer.from(value as Uint8Array).toString('latin1');
  }
  if (DataType.isInt(type) || DataType.isFloat(type) || DataType.isBool(type) || DataType.isUtf8(type)) {
    return (value) => value as TsvValue;
  }
  // Lists, structs, maps: JSON text, which a JSON column takes as is.
  return (value) =>
    JSON.stringify(value, (_key, inner) => (typeof inner === 'bigint' ? inner.toString() : inner));
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC from epoch milliseconds (or a Date). */
function dateText(value: unknown): string {
  const date = value instanceof Date ? value : new Date(Number(value));
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
