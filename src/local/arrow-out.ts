/**
 * Batches back into Arrow tables. A column that arrived from Arrow and was passed through leaves
 * with its own Arrow type; a computed column gets the type of its SQL type: Int64 for integers,
 * Float64 for DECIMAL and DOUBLE values (they are numbers here), Utf8, Date32 for dates,
 * Timestamp(µs) for datetimes, Time64(µs), Binary. A field's SQL type name from the plan decides
 * for columns whose values say nothing (all NULL).
 */
import {
  Field as ArrowField,
  Binary,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  DurationMicrosecond,
  Float64,
  Int64,
  makeData,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  TimeUnit,
  Type,
  Uint64,
  Utf8,
  util,
} from 'apache-arrow';
import type { Field } from '../plan/nodes.ts';
import { daysFromCivil } from '../values/civil-date.ts';
import { bigIntToWords } from '../values/decimal.ts';
import type { Batch, LocalColumn, Values } from './batch.ts';
import { type DecimalValue, roundToScale, unscaledBig } from './decimal.ts';
import { nullCountOf } from './kernels/vectors.ts';
import { epochMicrosBig, parseDateTime, timeMicros } from './temporal.ts';
import { fracOf, type SqlType, typeFromSqlName, type Value } from './types.ts';
import { toText } from './values.ts';

const encoder = new TextEncoder();

interface Validity {
  bitmap: Uint8Array;
  nullCount: number;
}

function validity(values: Values, length: number): Validity {
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (values[i] === null || values[i] === undefined) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nullCount };
}

const isTyped = (values: Values) => ArrayBuffer.isView(values);

/** The Arrow type a computed column of this SQL type gets. */
function arrowTypeFor(type: SqlType, values: Values, hint: Field | undefined): DataType {
  const kind = type.kind === 'null' ? (typeFromSqlName(hint?.sqlType)?.kind ?? 'null') : type.kind;
  switch (kind) {
    case 'null':
      return new Null();
    case 'int': {
      // A typed array of numbers holds no bigint: Int64, as the scan below would find.
      if (isTyped(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array))
        return new Int64();
      let unsigned = false;
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (typeof value !== 'bigint') continue;
        // Beyond 64 bits (a SUM of BIGINT UNSIGNED): a DECIMAL, as the server gives it.
        if (value > 18446744073709551615n || value < -9223372036854775808n) return new Decimal(0, 38, 128);
        if (value > 9223372036854775807n) unsigned = true;
      }
      if (unsigned) {
        for (let i = 0; i < values.length; i++) {
          const value = values[i];
          if ((typeof value === 'number' || typeof value === 'bigint') && value < 0)
            return new Decimal(0, 38, 128);
        }
        return new Uint64();
      }
      return new Int64();
    }
    case 'decimal': {
      // Exact, as the server's DECIMAL results are (and as the reader gives them): 256 bits when
      // a value has more than 38 digits (DECIMAL(65,30) sums).
      const scale = Math.min(type.scale ?? 0, 38);
      const wide =
        (type.arrow as { bitWidth?: number } | undefined)?.bitWidth === 256 || hasWideDecimal(values, scale);
      return wide ? new Decimal(scale, 76, 256) : new Decimal(scale, 38, 128);
    }
    case 'double':
      return new Float64();
    case 'date':
      return new DateDay();
    case 'datetime':
      return new TimestampMicrosecond();
    case 'time':
      // As the reader gives TIME: a duration, which may be negative or exceed 24 hours.
      return new DurationMicrosecond();
    case 'binary':
      return new Binary();
    default:
      return new Utf8();
  }
}

type Typed = { new (length: number): ArrayLike<number | bigint> & { [i: number]: number | bigint } };

/**
 * Integers below 2^53 as little-endian 64-bit two's complement words, without a BigInt per value
 * (a BIGINT column read as numbers and written back); undefined if one is not such an integer.
 */
function int64Words(values: Float64Array): Uint32Array | undefined {
  const words = new Uint32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isSafeInteger(value)) return undefined;
    const magnitude = Math.abs(value);
    const low = magnitude % 4294967296;
    const high = (magnitude - low) / 4294967296;
    if (value >= 0) {
      words[2 * i] = low;
      words[2 * i + 1] = high;
    } else {
      // -m = ~m + 1, across both words.
      const negatedLow = (~low >>> 0) + 1;
      words[2 * i] = negatedLow >>> 0;
      words[2 * i + 1] = ((~high >>> 0) + (negatedLow > 0xffffffff ? 1 : 0)) >>> 0;
    }
  }
  return words;
}

function fixedWidth(
  type: DataType,
  values: Values,
  ArrayType: Typed,
  convert: (value: Value) => number | bigint | null,
): Data {
  const length = values.length;
  if (isTyped(values) && values instanceof (ArrayType as unknown as typeof Float64Array)) {
    return makeData({ type, length, nullCount: 0, data: values } as never);
  }
  if (values instanceof Float64Array && (ArrayType as unknown) === BigInt64Array) {
    const words = int64Words(values);
    if (words)
      return makeData({ type, length, nullCount: 0, data: new BigInt64Array(words.buffer) } as never);
  }
  const data = new ArrayType(length);
  const nulls = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i]!;
    const converted = value === null ? null : convert(value);
    if (converted === null) {
      nullCount++;
      continue;
    }
    nulls[i >> 3]! |= 1 << (i & 7);
    data[i] = converted;
  }
  return makeData({ type, length, nullCount, nullBitmap: nullCount > 0 ? nulls : undefined, data } as never);
}

/**
 * A typed array of integers below 2^53 (a computed INT column: CASE, a flag, a count) as BIGINT
 * data, written as two 32-bit words each instead of one bigint per value; undefined when a value
 * is not such an integer (fixedWidth then converts it value by value).
 */
function int64FromNumbers(type: DataType, values: Values): Data | undefined {
  if (!isTyped(values) || values instanceof BigInt64Array || values instanceof BigUint64Array)
    return undefined;
  const numbers = values as ArrayLike<number>;
  const length = numbers.length;
  const data = new BigInt64Array(length);
  const words = new Uint32Array(data.buffer);
  for (let i = 0; i < length; i++) {
    const value = numbers[i]!;
    if (value >>> 0 === value) {
      // 0 to 2^32 - 1 (flags, counts, ids): the low word alone; the buffer starts zeroed.
      words[2 * i] = value;
      continue;
    }
    if (!Number.isSafeInteger(value)) return undefined;
    const high = Math.floor(value / 4294967296);
    words[2 * i] = value - high * 4294967296;
    words[2 * i + 1] = high;
  }
  return makeData({ type, length, nullCount: 0, data } as never);
}

const MICROS_PER_UNIT: Record<number, number> = {
  [TimeUnit.SECOND]: 1_000_000,
  [TimeUnit.MILLISECOND]: 1_000,
  [TimeUnit.MICROSECOND]: 1,
  [TimeUnit.NANOSECOND]: 0.001,
};

const MICROS_TO_UNIT: Record<number, (micros: bigint) => bigint> = {
  [TimeUnit.SECOND]: (micros) => micros / 1_000_000n,
  [TimeUnit.MILLISECOND]: (micros) => micros / 1_000n,
  [TimeUnit.MICROSECOND]: (micros) => micros,
  [TimeUnit.NANOSECOND]: (micros) => micros * 1_000n,
};

function dayNumber(value: Value): number | null {
  if (typeof value !== 'string') return null;
  const parts = parseDateTime(value);
  return parts ? daysFromCivil(parts.year, parts.month, parts.day) : null;
}

function timeValueMicros(value: Value): number | null {
  return typeof value === 'string' ? timeMicros(value) : null;
}

function asNumber(value: Value): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

function asBigInt(value: Value): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.round(value)) : null;
  return null;
}

/**
 * Text columns: when every value is ASCII, the whole column is encoded in one call and the offsets
 * are the string lengths; otherwise each value is encoded on its own.
 */
function utf8Data(type: DataType, values: Values, columnType: SqlType): Data {
  const length = values.length;
  const texts = new Array<string | null>(length).fill(null);
  let total = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i]!;
    const text = value === null ? null : typeof value === 'string' ? value : toText(value, columnType);
    texts[i] = text;
    if (text !== null) total += text.length;
  }
  const joined = texts.join('');
  const bytes = encoder.encode(joined);
  if (bytes.length !== total) return variableWidth(type, texts, (value) => value as string | null);
  const offsets = new Int32Array(length + 1);
  const nulls = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  let at = 0;
  for (let i = 0; i < length; i++) {
    const text = texts[i] ?? null;
    if (text === null) nullCount++;
    else {
      nulls[i >> 3]! |= 1 << (i & 7);
      at += text.length;
    }
    offsets[i + 1] = at;
  }
  return makeData({
    type,
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? nulls : undefined,
    valueOffsets: offsets,
    data: bytes,
  } as never);
}

function variableWidth(
  type: DataType,
  values: Values,
  bytesOf: (value: Value) => Uint8Array | string | null,
): Data {
  const length = values.length;
  const offsets = new Int32Array(length + 1);
  const nulls = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  let capacity = 1024;
  let buffer = new Uint8Array(capacity);
  let used = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i]!;
    const content = value === null ? null : bytesOf(value);
    if (content === null) {
      nullCount++;
      offsets[i + 1] = used;
      continue;
    }
    nulls[i >> 3]! |= 1 << (i & 7);
    const need = typeof content === 'string' ? content.length * 3 : content.length;
    if (used + need > capacity) {
      while (used + need > capacity) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(buffer.subarray(0, used));
      buffer = grown;
    }
    if (typeof content === 'string') {
      used += encoder.encodeInto(content, buffer.subarray(used)).written;
    } else {
      buffer.set(content, used);
      used += content.length;
    }
    offsets[i + 1] = used;
  }
  return makeData({
    type,
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? nulls : undefined,
    valueOffsets: offsets,
    data: buffer.subarray(0, used),
  } as never);
}

/** Whether some value needs more than 38 digits at `scale` (only exact text and bigints can). */
function hasWideDecimal(values: Values, scale: number): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string' || typeof value === 'bigint') {
      const whole = String(value).replace(/^-/, '').split('.')[0]!.replace(/^0+/, '');
      if (whole.length + scale > 38) return true;
    }
  }
  return false;
}

function decimalData(type: DataType, values: Values, columnType: SqlType): Data {
  const { scale, bitWidth } = type as unknown as { scale: number; bitWidth: number };
  const stride = bitWidth / 32;
  const length = values.length;
  const words = new Uint32Array(length * stride);
  const { bitmap, nullCount } = validity(values, length);
  const factor = 10 ** scale;
  const frac = Math.max(fracOf(columnType), scale);
  for (let i = 0; i < length; i++) {
    // A quotient's extra digits are rounded away here, as the server does when it sends it.
    const raw = values[i]!;
    if (raw === null) continue;
    const value = frac > scale ? roundToScale(raw as DecimalValue, frac, scale) : raw;
    const base = i * stride;
    if (typeof value === 'number' && Math.abs(value * factor) < 2 ** 52) {
      // The common case without BigInt: two's complement words from the magnitude.
      const scaled = Math.round(value * factor);
      const magnitude = Math.abs(scaled);
      const low = magnitude % 4294967296;
      const high = (magnitude - low) / 4294967296;
      if (scaled >= 0) {
        words[base] = low;
        words[base + 1] = high;
      } else {
        const negatedLow = (~low >>> 0) + 1;
        words[base] = negatedLow >>> 0;
        words[base + 1] = ((~high >>> 0) + (negatedLow > 0xffffffff ? 1 : 0)) >>> 0;
        for (let k = 2; k < stride; k++) words[base + k] = 0xffffffff;
      }
      continue;
    }
    const unscaled =
      typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string'
        ? unscaledBig(value, scale)
        : unscaledBig(toText(value, columnType) ?? '0', scale);
    bigIntToWords(unscaled, words, base, stride);
  }
  return makeData({
    type,
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? bitmap : undefined,
    data: words,
  } as never);
}

function boolData(type: DataType, values: Values): Data {
  const length = values.length;
  const bits = new Uint8Array((length + 7) >> 3);
  const { bitmap, nullCount } = validity(values, length);
  for (let i = 0; i < length; i++) {
    const value = values[i];
    // biome-ignore lint/suspicious/noDoubleEquals: 0 and 0n are both false.
    if (value !== null && value !== undefined && value != 0) bits[i >> 3]! |= 1 << (i & 7);
  }
  return makeData({
    type,
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? bitmap : undefined,
    data: bits,
  } as never);
}

/** Values as Arrow data of `type`; values that cannot be of that type become NULL. */
function toArrowData(type: DataType, values: Values, columnType: SqlType): Data {
  const t = type as unknown as { bitWidth: number; isSigned: boolean; precision: number; unit: TimeUnit };
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type, length: values.length } as never);
    case Type.Int: {
      if (t.bitWidth === 64) {
        return (
          (t.isSigned && int64FromNumbers(type, values)) ||
          fixedWidth(type, values, t.isSigned ? BigInt64Array : (BigUint64Array as never), asBigInt)
        );
      }
      const arrays: Record<number, Typed> = t.isSigned
        ? { 8: Int8Array, 16: Int16Array, 32: Int32Array }
        : { 8: Uint8Array, 16: Uint16Array, 32: Uint32Array };
      return fixedWidth(type, values, arrays[t.bitWidth]!, asNumber);
    }
    case Type.Float:
      if (t.precision === 0) return fixedWidth(new Float64(), values, Float64Array, asNumber);
      return fixedWidth(type, values, t.precision === 1 ? Float32Array : Float64Array, asNumber);
    case Type.Decimal:
      return decimalData(type, values, columnType);
    case Type.Bool:
      return boolData(type, values);
    case Type.Date:
      return t.unit === 0
        ? fixedWidth(type, values, Int32Array, dayNumber)
        : fixedWidth(type, values, BigInt64Array, (value) => {
            const days = dayNumber(value);
            return days === null ? null : BigInt(days) * 86_400_000n;
          });
    case Type.Timestamp: {
      const fromMicros = MICROS_TO_UNIT[t.unit]!;
      return fixedWidth(type, values, BigInt64Array, (value) => {
        const parts = typeof value === 'string' ? parseDateTime(value) : null;
        return parts ? fromMicros(epochMicrosBig(parts)) : null;
      });
    }
    case Type.Duration: {
      const per = MICROS_PER_UNIT[t.unit]!;
      return fixedWidth(type, values, BigInt64Array, (value) => {
        const micros = timeValueMicros(value);
        return micros === null ? null : BigInt(Math.round(micros / per));
      });
    }
    case Type.Time: {
      const per = MICROS_PER_UNIT[t.unit]!;
      if (t.bitWidth === 64) {
        return fixedWidth(type, values, BigInt64Array, (value) => {
          const micros = timeValueMicros(value);
          return micros === null ? null : BigInt(Math.round(micros / per));
        });
      }
      return fixedWidth(type, values, Int32Array, (value) => {
        const micros = timeValueMicros(value);
        return micros === null ? null : Math.round(micros / per);
      });
    }
    case Type.Binary:
      return variableWidth(type, values, (value) =>
        value instanceof Uint8Array ? value : encoder.encode(toText(value, columnType) ?? ''),
      );
    case Type.Utf8:
      return columnType.kind === 'binary'
        ? variableWidth(type, values, (value) =>
            value instanceof Uint8Array ? value : toText(value, columnType),
          )
        : utf8Data(type, values, columnType);
    default:
      // LargeUtf8, views, dictionaries and the rest leave as plain strings.
      return utf8Data(new Utf8(), values, columnType);
  }
}

/** A DOUBLE column still to be decoded, straight from its source's numbers and bitmap. */
function numberData(column: LocalColumn, length: number): Data | undefined {
  if (column.type.kind !== 'double') return undefined;
  const numbers = column.source?.numbers();
  const arrow = column.type.arrow as unknown as { typeId: Type; precision: number } | undefined;
  if (!numbers) return undefined;
  if (arrow !== undefined && !(arrow.typeId === Type.Float && arrow.precision === 2)) return undefined;
  const { valid } = numbers;
  const nullCount = nullCountOf(valid, length);
  return makeData({
    type: new Float64(),
    length,
    nullCount,
    nullBitmap: nullCount > 0 ? valid : undefined,
    data: numbers.values,
  } as never);
}

function columnData(column: LocalColumn, hint: Field | undefined, length: number): Data {
  const arrow = column.type.arrow;
  const passThrough =
    arrow !== undefined &&
    arrow.typeId !== Type.Dictionary &&
    arrow.typeId !== Type.LargeUtf8 &&
    arrow.typeId !== Type.LargeBinary;
  const read = passThrough ? column.source?.arrowData?.() : undefined;
  if (read && (read.type === arrow || util.compareTypes(read.type, arrow!))) return read;
  const numbers = numberData(column, length);
  if (numbers) return numbers;
  const type = passThrough ? arrow : arrowTypeFor(column.type, column.values, hint);
  return toArrowData(type, column.values, column.type);
}

/** The batch as an Arrow table; `fields` (the plan's output fields, by name) are type hints. */
export function batchToArrow(batch: Batch, fields: readonly Field[] = []): Table {
  const datas = batch.columns.map((column) =>
    columnData(
      column,
      fields.find((field) => field.name === column.name),
      batch.length,
    ),
  );
  const arrowFields = batch.columns.map(
    (column, index) => new ArrowField(column.name, datas[index]!.type, true),
  );
  const schema = new Schema(arrowFields);
  if (batch.length === 0 && arrowFields.length === 0) return new Table(schema);
  const struct = makeData({
    type: new Struct(arrowFields),
    length: batch.length,
    nullCount: 0,
    children: datas,
  });
  return new Table([new RecordBatch(schema, struct)]);
}
