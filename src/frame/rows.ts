/**
 * Arrow to plain row objects, for collect(). Values keep their exactness: 64-bit integers beyond
 * 2^53 stay bigint, DECIMAL stays an exact string, dates are 'YYYY-MM-DD' and timestamps
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]' (as the database shows them), binary is a Uint8Array.
 */
import { type DataType, type Table, Type } from 'apache-arrow';

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

/** Decimal128 stored as 4 little-endian 32-bit words, two's complement. */
export function decimalToString(words: Uint32Array, scale: number): string {
  let value = 0n;
  for (let i = words.length - 1; i >= 0; i--) value = (value << 32n) | BigInt(words[i]!);
  const bits = BigInt(words.length * 32);
  if (value >> (bits - 1n)) value -= 1n << bits;
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

export function convertValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Int:
      return typeof value === 'bigint' ? safeInteger(value) : value;
    case Type.Decimal:
      return decimalToString(value as Uint32Array, (type as unknown as { scale: number }).scale);
    case Type.Date:
      return formatDate(Number(value));
    case Type.Timestamp: {
      const unit = (type as unknown as { unit: number }).unit;
      // Arrow JS returns timestamps as milliseconds (a number) whatever the stored unit.
      if (typeof value === 'number') return formatTimestampMicros(BigInt(Math.round(value * 1000)));
      return formatTimestampMicros(unit === 2 ? (value as bigint) : BigInt(value as bigint) * 1000n);
    }
    case Type.Bool:
      return value ? 1 : 0;
    default:
      return value;
  }
}

export function arrowToRows(table: Table): Record<string, unknown>[] {
  const fields = table.schema.fields;
  const columns = fields.map((field) => table.getChild(field.name)!);
  const rows: Record<string, unknown>[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++)
      row[fields[c]!.name] = convertValue(columns[c]!.get(i), fields[c]!.type);
    rows[i] = row;
  }
  return rows;
}
