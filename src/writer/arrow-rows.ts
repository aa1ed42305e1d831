/**
 * Arrow columns to what the bulk writer sends: row values (dates and timestamps as the server's
 * text form (UTC), decimals as exact text, 64-bit integers as bigint, everything else as is), or
 * the same rows already as LOAD DATA text, written column by column from the buffers.
 */
import { type Data, DataType, Precision, type Table, TimeUnit, type Vector } from 'apache-arrow';
import { TSV_NULL, type TsvValue, tsvField } from '../db/tsv.ts';
import { unscaledToText } from '../values/decimal.ts';
import { type EncodedRows, TSV_CHUNK_CHARS } from './rows.ts';

type Convert = (value: unknown) => TsvValue;

export function arrowRows(table: Table): TsvValue[][] {
  const columns = Array.from({ length: table.numCols }, (_, index) => table.getChildAt(index)!);
  const readers = columns.map(valueReader);
  const rows: TsvValue[][] = new Array(table.numRows);
  for (let row = 0; row < table.numRows; row++) {
    const values: TsvValue[] = new Array(columns.length);
    for (let column = 0; column < columns.length; column++) values[column] = readers[column]!(row);
    rows[row] = values;
  }
  return rows;
}

/**
 * The table's rows as LOAD DATA text (the text `tsvLine` writes for `arrowRows`' values), and
 * the values on demand for the exact path. Integer and floating-point columns are written from
 * their typed arrays, without a value object per row.
 */
export function arrowEncodedRows(table: Table): EncodedRows {
  // Written as LOAD DATA reads it, so the server parses one chunk while the next is written.
  return {
    count: table.numRows,
    tsv: { [Symbol.iterator]: () => arrowTsv(table) },
    values: async () => arrowRows(table),
  };
}

function* arrowTsv(table: Table): Generator<Uint8Array> {
  let text = '';
  for (const batch of table.batches) {
    const fields = Array.from({ length: batch.numCols }, (_, index) => fieldWriter(batch.getChildAt(index)!));
    const last = fields.length - 1;
    for (let row = 0; row < batch.numRows; row++) {
      for (let column = 0; column < last; column++) text += `${fields[column]!(row)}\t`;
      text += `${fields[last]!(row)}\n`;
      if (text.length >= TSV_CHUNK_CHARS) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
  }
  if (text.length > 0) yield Buffer.from(text, 'utf8');
}

/** One column of a record batch (one Data) as the text of its field per row. */
function fieldWriter(column: Vector): (row: number) => string {
  const data = column.data[0] as Data | undefined;
  const type = column.type as DataType;
  const plain =
    (DataType.isInt(type) && type.bitWidth <= 32) ||
    (DataType.isFloat(type) && type.precision !== Precision.HALF);
  if (data === undefined || column.data.length !== 1 || !(plain || isInt64(type))) {
    const read = valueReader(column);
    return (row) => tsvField(read(row));
  }
  // Sliced Data keep their offset in the validity bitmap; their values start at the slice.
  const values = data.values as ArrayLike<number | bigint>;
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  const offset = data.offset;
  if (bitmap === undefined) return (row) => String(values[row]);
  return (row) => {
    const bit = offset + row;
    return (bitmap[bit >> 3]! & (1 << (bit & 7))) === 0 ? TSV_NULL : String(values[row]);
  };
}

function isInt64(type: DataType): boolean {
  return DataType.isInt(type) && type.bitWidth === 64;
}

/** A column's row values as the bulk writer sends them (NULL as null). */
function valueReader(column: Vector): (row: number) => TsvValue {
  const convert = converterFor(column.type);
  // Arrow JS reads a timestamp as a double of milliseconds, which drops microseconds: read those
  // columns as stored instead.
  const get = DataType.isTimestamp(column.type)
    ? storedTimestamps(column)
    : (row: number) => column.get(row) as unknown;
  return (row) => {
    const value = get(row);
    return value === null || value === undefined ? null : convert(value);
  };
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
