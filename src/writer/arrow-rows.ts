/**
 * Arrow columns to the row values the bulk writer sends: dates and timestamps as the server's
 * text form (UTC), decimals as exact text, 64-bit integers as bigint, everything else as is.
 */
import { DataType, type Table, TimeUnit, type Vector } from 'apache-arrow';
import type { TsvValue } from '../db/tsv.ts';
import { unscaledToText } from '../values/decimal.ts';

type Convert = (value: unknown) => TsvValue;

export function arrowRows(table: Table): TsvValue[][] {
  const columns = Array.from({ length: table.numCols }, (_, index) => table.getChildAt(index)!);
  const converters = columns.map((column) => converterFor(column.type));
  // Arrow JS reads a timestamp as a double of milliseconds, which drops microseconds: read those
  // columns as stored instead.
  const getters = columns.map((column) =>
    DataType.isTimestamp(column.type) ? storedTimestamps(column) : (row: number) => column.get(row),
  );
  const rows: TsvValue[][] = new Array(table.numRows);
  for (let row = 0; row < table.numRows; row++) {
    const values: TsvValue[] = new Array(columns.length);
    for (let column = 0; column < columns.length; column++) {
      const value = getters[column]!(row);
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
  if (DataType.isTimestamp(type)) {
    const unit = (type as { unit: TimeUnit }).unit;
    return (value) => timestampText(value as bigint, unit);
  }
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

/** A timestamp column's values as stored: bigints in the column's unit, NULL as null. */
function storedTimestamps(column: Vector): (row: number) => bigint | null {
  const values: (bigint | null)[] = [];
  for (const data of column.data) {
    const stored = data.values as unknown as BigInt64Array;
    for (let i = 0; i < data.length; i++) values.push(data.getValid(i) ? stored[i]! : null);
  }
  return (row) => values[row] ?? null;
}

const UNITS_PER_SECOND: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1n,
  [TimeUnit.MILLISECOND]: 1000n,
  [TimeUnit.MICROSECOND]: 1_000_000n,
  [TimeUnit.NANOSECOND]: 1_000_000_000n,
};

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC from a stored timestamp (nanoseconds cut to microseconds). */
function timestampText(stored: bigint, unit: TimeUnit): string {
  const perSecond = UNITS_PER_SECOND[unit];
  let seconds = stored / perSecond;
  let rest = stored % perSecond;
  if (rest < 0n) {
    seconds -= 1n;
    rest += perSecond;
  }
  const micros = (rest * 1_000_000n) / perSecond;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return `${base}.${micros.toString().padStart(6, '0')}`;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC from epoch milliseconds (or a Date). */
function dateText(value: unknown): string {
  const date = value instanceof Date ? value : new Date(Number(value));
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
