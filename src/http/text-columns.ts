/**
 * The text of every value of a record batch, made column by column from the Arrow buffers (no
 * row objects), for the NDJSON, JSON and CSV encoders. Values read as `collect()` has them:
 * 64-bit integers and DECIMALs with every digit (integers as JSON numbers, DECIMALs as strings),
 * dates 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]', times '[-]HH:MM:SS[.ffffff]',
 * booleans 1/0, binary as base64. A type without a loop here goes through `arrowToRows` for that
 * column only.
 */
import { type Data, type DataType, makeVector, type RecordBatch, Table, TimeUnit, Type } from 'apache-arrow';
import { arrowToRows } from '../frame/rows.ts';
import { formatDays, formatDuration, formatEpochMicrosBig } from '../values/civil-date.ts';
import { unscaledToText, wordsToBigInt } from '../values/decimal.ts';

export type TextFormat = 'json' | 'csv';

const NULL_TEXT: Record<TextFormat, string> = { json: 'null', csv: '' };

/** CSV needs quotes around text with a quote, comma or line break, and around a leading `#` (control lines). */
const CSV_SPECIAL = /[",\r\n]/;
export function csvText(text: string): string {
  return CSV_SPECIAL.test(text) || text.startsWith('#') ? `"${text.replaceAll('"', '""')}"` : text;
}

const MICROS_PER_UNIT: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000n,
  [TimeUnit.MILLISECOND]: 1000n,
  [TimeUnit.MICROSECOND]: 1n,
  [TimeUnit.NANOSECOND]: 0n,
};

function toMicros(value: bigint | number, unit: TimeUnit): bigint {
  const raw = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  return unit === TimeUnit.NANOSECOND ? raw / 1000n : raw * MICROS_PER_UNIT[unit];
}

/**
 * How one column's values become text: `number` (JSON as is), `plain` (a JSON string that needs
 * no escaping, CSV as is: decimals, dates, times, base64) or `text` (escaped in both).
 */
type Kind = 'number' | 'plain' | 'text';

/** The value at row `i` as text (the validity bit is checked by the caller), for the column's buffers. */
function valueText(data: Data, format: TextFormat): { kind: Kind; at: (i: number) => string } | undefined {
  const type = data.type as DataType & {
    bitWidth?: number;
    scale?: number;
    unit?: TimeUnit;
    precision?: number;
  };
  const values = data.values as ArrayLike<number | bigint> & { subarray?: unknown };
  switch (data.typeId) {
    case Type.Int:
      return { kind: 'number', at: (i) => String(values[i]) };
    case Type.Float: {
      if (type.precision === 0) return undefined; // half floats: the generic path
      const floats = values as ArrayLike<number>;
      return {
        kind: 'number',
        at:
          format === 'json'
            ? (i) => {
                const v = floats[i]!;
                return Number.isFinite(v) ? JSON.stringify(v) : 'null';
              }
            : (i) => String(floats[i]),
      };
    }
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const offset = data.offset;
      return {
        kind: 'number',
        at: (i) => ((bits[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1 ? '1' : '0'),
      };
    }
    case Type.Decimal: {
      const words = data.values as Uint32Array;
      const width = (type.bitWidth ?? 128) / 32;
      const scale = type.scale ?? 0;
      return { kind: 'plain', at: (i) => unscaledToText(wordsToBigInt(words, i * width, width), scale) };
    }
    case Type.Date: {
      if ((type as { unit?: number }).unit !== 0) return undefined; // DateMillisecond: the generic path
      const days = values as Int32Array;
      return { kind: 'plain', at: (i) => formatDays(days[i]!) };
    }
    case Type.Timestamp: {
      const unit = type.unit ?? TimeUnit.MICROSECOND;
      return { kind: 'plain', at: (i) => formatEpochMicrosBig(toMicros(values[i]!, unit)) };
    }
    case Type.Time:
    case Type.Duration: {
      const unit = type.unit ?? TimeUnit.MICROSECOND;
      return { kind: 'plain', at: (i) => formatDuration(toMicros(values[i]!, unit)) };
    }
    case Type.Utf8: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { kind: 'text', at: (i) => buffer.toString('utf8', offsets[i]!, offsets[i + 1]!) };
    }
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { kind: 'plain', at: (i) => buffer.toString('base64', offsets[i]!, offsets[i + 1]!) };
    }
    default:
      return undefined;
  }
}

/** One column's values the way `collect()` has them, for types without a loop above. */
function genericCells(data: Data, name: string, format: TextFormat): string[] {
  return arrowToRows(new Table({ [name]: makeVector(data) })).map((row) => genericText(row[name], format));
}

function genericText(value: unknown, format: TextFormat): string {
  if (value === null || value === undefined) return NULL_TEXT[format];
  if (value instanceof Uint8Array) {
    const base64 = Buffer.from(value).toString('base64');
    return format === 'json' ? JSON.stringify(base64) : base64;
  }
  if (format === 'csv') return csvText(String(value));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value) ?? 'null';
}

/** The text of every value of one column, NULL as `null` (JSON) or empty (CSV). */
export function columnCells(data: Data, name: string, format: TextFormat): string[] {
  const text = valueText(data, format);
  if (!text) return genericCells(data, name, format);
  const { kind, at } = text;
  const cells = new Array<string>(data.length);
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  const offset = data.offset;
  const none = NULL_TEXT[format];
  for (let i = 0; i < data.length; i++) {
    if (bitmap && !((bitmap[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1)) {
      cells[i] = none;
      continue;
    }
    const value = at(i);
    if (kind === 'number') cells[i] = value;
    else if (format === 'json') cells[i] = kind === 'plain' ? `"${value}"` : JSON.stringify(value);
    else cells[i] = kind === 'plain' ? value : csvText(value);
  }
  return cells;
}

/** Every column of a batch as text, in schema order (a batch from Arrow JS has one Data per column). */
export function batchCells(batch: RecordBatch, format: TextFormat): string[][] {
  return batch.schema.fields.map((field, c) => columnCells(batch.data.children[c]!, field.name, format));
}
