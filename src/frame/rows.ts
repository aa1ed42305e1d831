/**
 * Arrow to plain row objects, for collect(). Values keep their exactness: 64-bit integers beyond
 * 2^53 stay bigint, DECIMAL stays an exact string, dates are 'YYYY-MM-DD' and timestamps
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]', times '[-]HH:MM:SS[.ffffff]' (as the database shows them), binary
 * is a Uint8Array.
 */
import { type DataType, type Table, TimeUnit, Type, type Vector } from 'apache-arrow';
import { formatDays, formatDuration, formatEpochMicrosBig } from '../values/civil-date.ts';
import { decimalToString } from '../values/decimal.ts';

/** Arrow JS reads a Date32 or Date64 value as milliseconds since the epoch. */
const MILLIS_PER_DAY = 86_400_000;

const safeInteger = (value: bigint): number | bigint =>
  value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value;

/** A stored time or timestamp value in its Arrow unit (s, ms, µs, ns) as microseconds. */
function toMicros(value: bigint | number, unit: TimeUnit): bigint {
  const raw = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  switch (unit) {
    case TimeUnit.SECOND:
      return raw * 1_000_000n;
    case TimeUnit.MILLISECOND:
      return raw * 1000n;
    case TimeUnit.MICROSECOND:
      return raw;
    default:
      return raw / 1000n;
  }
}

/**
 * One value as collect() returns it. Timestamps and times arrive as they are stored (see
 * `storedValues`): Arrow JS's own getter turns a µs timestamp into a double of milliseconds,
 * which cannot hold every microsecond of dates far from 1970.
 */
export function collectedValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Int:
      return typeof value === 'bigint' ? safeInteger(value) : value;
    case Type.Decimal:
      return decimalToString(value as Uint32Array, (type as unknown as { scale: number }).scale);
    case Type.Date:
      return formatDays(Math.floor(Number(value) / MILLIS_PER_DAY));
    case Type.Timestamp:
      return formatEpochMicrosBig(toMicros(value as bigint, (type as unknown as { unit: TimeUnit }).unit));
    case Type.Time:
    case Type.Duration:
      return formatDuration(toMicros(value as bigint | number, (type as unknown as { unit: TimeUnit }).unit));
    case Type.Bool:
      return value ? 1 : 0;
    default:
      return value;
  }
}

/** A timestamp column's values as stored (bigint in the column's unit), NULL as null. */
function storedValues(vector: Vector): (bigint | null)[] {
  const out: (bigint | null)[] = [];
  for (const data of vector.data) {
    const values = data.values as unknown as BigInt64Array;
    for (let i = 0; i < data.length; i++) out.push(data.getValid(i) ? values[i]! : null);
  }
  return out;
}

export function arrowToRows(table: Table): Record<string, unknown>[] {
  const fields = table.schema.fields;
  const columns = fields.map((field) => {
    const vector = table.getChild(field.name)!;
    if (field.type.typeId !== Type.Timestamp && field.type.typeId !== Type.Duration) {
      return (i: number) => vector.get(i);
    }
    const stored = storedValues(vector);
    return (i: number) => stored[i];
  });
  const rows: Record<string, unknown>[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++)
      row[fields[c]!.name] = collectedValue(columns[c]!(i), fields[c]!.type);
    rows[i] = row;
  }
  return rows;
}
