/**
 * Arrow to plain row objects, for collect(). Values keep their exactness: 64-bit integers beyond
 * 2^53 stay bigint, DECIMAL stays an exact string, dates are 'YYYY-MM-DD' and timestamps
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]', times '[-]HH:MM:SS[.ffffff]' (as the database shows them), binary
 * is a Uint8Array.
 */
import { type DataType, type Table, TimeUnit, Type, type Vector } from 'apache-arrow';
import { decimalToString } from '../reader/values.ts';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function formatTimestampMicros(micros: bigint | number): string {
  const value = BigInt(micros);
  const ms = Number(value / 1000n) - (value % 1000n < 0n ? 1 : 0);
  const fraction = Number(((value % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const base = `${formatDate(d.getTime())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return fraction === 0 ? base : `${base}.${String(fraction).padStart(6, '0')}`;
}

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

/** TIME as MariaDB shows it: [-]HH:MM:SS[.ffffff], hours past 24 for durations. */
export function formatTimeMicros(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const seconds = abs / 1_000_000n;
  const fraction = Number(abs % 1_000_000n);
  const hours = seconds / 3600n;
  const base = `${sign}${pad(Number(hours))}:${pad(Number((seconds / 60n) % 60n))}:${pad(Number(seconds % 60n))}`;
  return fraction === 0 ? base : `${base}.${String(fraction).padStart(6, '0')}`;
}

/**
 * One value as collect() returns it. Timestamps and times arrive as they are stored (see
 * `storedValues`): Arrow JS's own getter turns a µs timestamp into a double of milliseconds,
 * which cannot hold every microsecond of dates far from 1970.
 */
export function convertValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Int:
      return typeof value === 'bigint' ? safeInteger(value) : value;
    case Type.Decimal:
      return decimalToString(value as Uint32Array, (type as unknown as { scale: number }).scale);
    case Type.Date:
      return formatDate(Number(value));
    case Type.Timestamp:
      return formatTimestampMicros(toMicros(value as bigint, (type as unknown as { unit: TimeUnit }).unit));
    case Type.Time:
    case Type.Duration:
      return formatTimeMicros(
        toMicros(value as bigint | number, (type as unknown as { unit: TimeUnit }).unit),
      );
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
      row[fields[c]!.name] = convertValue(columns[c]!(i), fields[c]!.type);
    rows[i] = row;
  }
  return rows;
}
