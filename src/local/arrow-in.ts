/**
 * Arrow tables into batches of plain SQL values, reading the buffers directly: integers as
 * numbers (bigint beyond 2^53), DECIMAL as numbers, dates as 'YYYY-MM-DD', timestamps as
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]', booleans as 1/0. A numeric column without NULLs is used as the
 * typed array it is, without a copy.
 *
 * Arrow JS slices value and offset buffers when it slices data, but keeps `offset` for the
 * validity bitmap (and for booleans, whose bits are not sliced): values are read at `i`, bits at
 * `offset + i`.
 */
import {
  type Field as ArrowField,
  type Data,
  type DataType,
  type Table,
  TimeUnit,
  Type,
  type Vector,
} from 'apache-arrow';
import type { Field } from '../plan/nodes.ts';
import { formatClock, formatDays, formatEpochMicros, formatEpochMicrosBig } from '../values/civil-date.ts';
import { wordsToBigInt } from '../values/decimal.ts';
import {
  type Batch,
  type LocalColumn,
  lazyColumn,
  makeBatch,
  type NumberColumn,
  nullValues,
} from './batch.ts';
import { fromUnscaled, MAX_DOUBLE_FRAC } from './decimal.ts';
import { rememberVector } from './kernels/vectors.ts';
import { type SqlType, T, typeFromSqlName, type Value } from './types.ts';
import { normalizeInt } from './values.ts';

const utf8 = new TextDecoder();

const isValid = (data: Data, index: number): boolean => {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true;
  const bit = data.offset + index;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
};

/** The SQL type of an Arrow type (the Arrow type kept, so an untouched column leaves as it came). */
export function sqlTypeOfArrow(type: DataType): SqlType {
  const withArrow = (base: SqlType): SqlType => Object.freeze({ ...base, arrow: type });
  switch (type.typeId) {
    case Type.Null:
      return withArrow(T.null);
    case Type.Int:
    case Type.Bool:
      return withArrow(T.int);
    case Type.Float:
      return withArrow(T.double);
    case Type.Decimal:
      return withArrow(T.decimal((type as unknown as { scale: number }).scale));
    case Type.Date:
      return withArrow(T.date);
    case Type.Timestamp:
      return withArrow(T.datetime);
    case Type.Time:
    case Type.Duration:
      // MariaDB's TIME reaches Arrow as a Duration (it may be negative or exceed 24 hours).
      return withArrow(T.time);
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
    case Type.BinaryView:
      return withArrow(T.binary);
    case Type.Dictionary:
      return withArrow(sqlTypeOfArrow((type as unknown as { dictionary: DataType }).dictionary));
    default:
      return withArrow(T.string);
  }
}

/** The column's type: the Arrow type's, refined by the plan's SQL type name where that says more. */
function columnType(field: ArrowField, hint: Field | undefined): SqlType {
  const fromArrow = sqlTypeOfArrow(field.type);
  const named = typeFromSqlName(hint?.sqlType);
  if (!named) return fromArrow;
  // A DECIMAL read as float64 keeps its decimal semantics; a date read as text is still a date.
  if (fromArrow.kind === 'double' && named.kind === 'decimal') return { ...named, arrow: field.type };
  if (
    fromArrow.kind === 'string' &&
    (named.kind === 'date' || named.kind === 'datetime' || named.kind === 'time')
  ) {
    return { ...named, arrow: field.type };
  }
  if (fromArrow.kind === 'string' && named.enumValues) return { ...fromArrow, enumValues: named.enumValues };
  return fromArrow;
}

type ChunkReader = (data: Data, out: Value[], at: number) => void;

const readNumbers: ChunkReader = (data, out, at) => {
  const values = data.values as ArrayLike<number>;
  for (let i = 0; i < data.length; i++) {
    out[at + i] = isValid(data, i) ? values[i]! : null;
  }
};

/** The 64-bit integer at `i` of `words` (two 32-bit words each) as a number when below 2^53. */
function int64Number(words: Uint32Array, i: number, signed: boolean): number | undefined {
  const low = words[2 * i]!;
  const high = words[2 * i + 1]!;
  if (high < 0x200000) return high * 4294967296 + low;
  if (signed && high >= 0xffe00000) return (high - 4294967296) * 4294967296 + low;
  return undefined;
}

const wordsOf = (values: BigInt64Array | BigUint64Array, length: number) =>
  new Uint32Array(values.buffer, values.byteOffset, length * 2);

/** 64-bit integers read as two 32-bit words: a number without a bigint when it is below 2^53. */
const readBigInts: ChunkReader = (data, out, at) => {
  const values = data.values as BigInt64Array | BigUint64Array;
  const words = wordsOf(values, data.length);
  const signed = values instanceof BigInt64Array;
  for (let i = 0; i < data.length; i++) {
    out[at + i] = isValid(data, i) ? (int64Number(words, i, signed) ?? normalizeInt(values[i]!)) : null;
  }
};

const readBools: ChunkReader = (data, out, at) => {
  const bits = data.values as Uint8Array;
  for (let i = 0; i < data.length; i++) {
    const bit = data.offset + i;
    out[at + i] = isValid(data, i) ? (bits[bit >> 3]! >> (bit & 7)) & 1 : null;
  }
};

/**
 * The unscaled integer of the DECIMAL at `base` (`stride` 32-bit words, two's complement) as a
 * number when a double holds it exactly (below 2^50, see decimal.ts), else undefined.
 */
function unscaledNumber(words: Uint32Array, base: number, stride: number): number | undefined {
  const w0 = words[base]!;
  const w1 = words[base + 1]!;
  let high = true;
  let allOnes = true;
  for (let k = 2; k < stride; k++) {
    const w = words[base + k];
    high &&= w === 0;
    allOnes &&= w === 0xffffffff;
  }
  if (high && w1 < 0x40000) return w1 * 4294967296 + w0;
  if (allOnes && w1 >= 0xfffc0000) return -((~w1 >>> 0) * 4294967296 + (~w0 >>> 0) + 1);
  return undefined;
}

function readDecimals(scale: number, bitWidth: number): ChunkReader {
  const stride = bitWidth / 32;
  const divisor = 10 ** scale;
  const doubles = scale <= MAX_DOUBLE_FRAC;
  return (data, out, at) => {
    const words = data.values as Uint32Array;
    for (let i = 0; i < data.length; i++) {
      if (!isValid(data, i)) {
        out[at + i] = null;
        continue;
      }
      const base = i * stride;
      const unscaled = doubles ? unscaledNumber(words, base, stride) : undefined;
      // Beyond a double's digits the value stays exact: a bigint when it is an integer (a SUM
      // of BIGINT UNSIGNED), else its decimal text.
      if (unscaled === undefined) out[at + i] = fromUnscaled(wordsToBigInt(words, base, stride), scale);
      else out[at + i] = scale === 0 ? unscaled : unscaled / divisor;
    }
  };
}

const MICROS_PER: Record<number, number> = {
  [TimeUnit.SECOND]: 1_000_000,
  [TimeUnit.MILLISECOND]: 1_000,
  [TimeUnit.MICROSECOND]: 1,
  [TimeUnit.NANOSECOND]: 0.001,
};

const BIG_MICROS_PER: Record<number, (value: bigint) => bigint> = {
  [TimeUnit.SECOND]: (value) => value * 1_000_000n,
  [TimeUnit.MILLISECOND]: (value) => value * 1_000n,
  [TimeUnit.MICROSECOND]: (value) => value,
  [TimeUnit.NANOSECOND]: (value) => (value >= 0n ? value / 1_000n : -((-value + 999n) / 1_000n)),
};

const SAFE_MICROS = 2 ** 53;

function readTimestamps(unit: TimeUnit): ChunkReader {
  const factor = MICROS_PER[unit]!;
  const toMicros = BIG_MICROS_PER[unit]!;
  return (data, out, at) => {
    const values = data.values as ArrayLike<bigint | number>;
    for (let i = 0; i < data.length; i++) {
      if (!isValid(data, i)) {
        out[at + i] = null;
        continue;
      }
      const raw = values[i]!;
      const micros = Number(raw) * factor;
      // Far dates (9999-12-31 is 2.5e17 µs) are split into days and time exactly, in bigint.
      out[at + i] =
        Math.abs(micros) < SAFE_MICROS
          ? formatEpochMicros(Math.floor(micros))
          : formatEpochMicrosBig(toMicros(BigInt(raw)));
    }
  };
}

function readTimes(unit: TimeUnit): ChunkReader {
  const factor = MICROS_PER[unit]!;
  return (data, out, at) => {
    const values = data.values as ArrayLike<bigint | number>;
    for (let i = 0; i < data.length; i++) {
      if (!isValid(data, i)) {
        out[at + i] = null;
        continue;
      }
      const micros = Math.floor(Number(values[i]!) * factor);
      const sign = micros < 0 ? '-' : '';
      const abs = Math.abs(micros);
      const seconds = Math.floor(abs / 1e6);
      out[at + i] =
        sign +
        formatClock(
          Math.floor(seconds / 3600),
          Math.floor(seconds / 60) % 60,
          seconds % 60,
          abs - seconds * 1e6,
        );
    }
  };
}

/**
 * Day numbers as 'YYYY-MM-DD', each day's text built once and shared (a date column holds few
 * distinct days, and shared strings cost no allocation per row).
 */
const dayTexts: (string | undefined)[] = new Array(1 << 16).fill(undefined);
function dayText(days: number): string {
  // Days 0 (1970-01-01) to 65535 (2149) by index; any other day is formatted each time.
  if (days < 0 || days >= dayTexts.length) return formatDays(days);
  let text = dayTexts[days];
  if (text === undefined) {
    text = formatDays(days);
    dayTexts[days] = text;
  }
  return text;
}

const readDates =
  (millis: boolean): ChunkReader =>
  (data, out, at) => {
    const values = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++) {
      if (!isValid(data, i)) {
        out[at + i] = null;
        continue;
      }
      const raw = Number(values[i]!);
      out[at + i] = dayText(millis ? Math.floor(raw / 86_400_000) : raw);
    }
  };

/** A DATE column's day numbers and validity, kept for the kernels beside the column's text. */
function rememberDays(out: Value[], chunks: readonly Data[], millis: boolean): void {
  const days = new Float64Array(out.length);
  let valid: Uint8Array | undefined;
  let at = 0;
  for (const data of chunks) {
    const values = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < data.length; i++, at++) {
      if (!isValid(data, i)) {
        valid ??= new Uint8Array((out.length + 7) >> 3).fill(0xff);
        valid[at >> 3]! &= ~(1 << (at & 7));
        continue;
      }
      const raw = Number(values[i]!);
      days[at] = millis ? Math.floor(raw / 86_400_000) : raw;
    }
  }
  rememberVector(out, days, valid);
}

/** Variable-width strings; a chunk that is all ASCII is decoded once and sliced. */
const readStrings: ChunkReader = (data, out, at) => {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  const bytes = data.values as Uint8Array;
  const first = Number(offsets[0]!);
  const last = Number(offsets[data.length]!);
  let ascii = true;
  for (let k = first; k < last; k++) {
    if (bytes[k]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  const whole = ascii ? utf8.decode(bytes.subarray(first, last)) : '';
  for (let i = 0; i < data.length; i++) {
    if (!isValid(data, i)) {
      out[at + i] = null;
      continue;
    }
    const start = Number(offsets[i]!);
    const end = Number(offsets[i + 1]!);
    out[at + i] = ascii ? whole.slice(start - first, end - first) : utf8.decode(bytes.subarray(start, end));
  }
};

const readBinaries: ChunkReader = (data, out, at) => {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  const bytes = data.values as Uint8Array;
  for (let i = 0; i < data.length; i++) {
    out[at + i] = isValid(data, i) ? bytes.slice(Number(offsets[i]!), Number(offsets[i + 1]!)) : null;
  }
};

/** Anything else through Arrow's own accessor (objects as JSON text). */
function readGeneric(vector: Vector, out: Value[]): void {
  for (let i = 0; i < vector.length; i++) {
    const value = vector.get(i) as unknown;
    if (value === null || value === undefined) out[i] = null;
    else if (typeof value === 'number' || typeof value === 'string') out[i] = value;
    else if (typeof value === 'bigint') out[i] = normalizeInt(value);
    else if (typeof value === 'boolean') out[i] = value ? 1 : 0;
    else if (value instanceof Uint8Array) out[i] = value;
    else out[i] = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? String(v) : v));
  }
}

function chunkReader(type: DataType): ChunkReader | undefined {
  const t = type as unknown as { bitWidth: number; unit: TimeUnit; scale: number; precision: number };
  switch (type.typeId) {
    case Type.Int:
      return t.bitWidth === 64 ? readBigInts : readNumbers;
    case Type.Float:
      return t.precision === 0 ? undefined : readNumbers; // Float16 needs Arrow's decoding
    case Type.Bool:
      return readBools;
    case Type.Decimal:
      return readDecimals(t.scale, t.bitWidth);
    case Type.Date:
      return readDates(t.unit !== 0);
    case Type.Timestamp:
      return readTimestamps(t.unit);
    case Type.Time:
    case Type.Duration:
      return readTimes(t.unit);
    case Type.Utf8:
    case Type.LargeUtf8:
      return readStrings;
    case Type.Binary:
    case Type.LargeBinary:
      return readBinaries;
    default:
      return undefined;
  }
}

/**
 * A numeric column without NULLs as one typed array (no boxed number per row): 8-32-bit integers
 * and floats as their own kind, 64-bit integers and DECIMALs as a Float64Array when every value
 * is a number a double holds exactly (integers below 2^53, DECIMALs within decimal.ts's double
 * range). Undefined otherwise, and the column is read value by value.
 */
function readNumeric(type: DataType, chunks: readonly Data[]): ArrayLike<number> | undefined {
  const t = type as unknown as { bitWidth: number; scale: number; precision: number };
  const numeric =
    type.typeId === Type.Int ||
    (type.typeId === Type.Float && t.precision > 0) ||
    (type.typeId === Type.Decimal && t.scale <= MAX_DOUBLE_FRAC);
  if (!numeric) return undefined;
  const length = chunks.reduce((n, data) => n + data.length, 0);
  const narrow = (type.typeId === Type.Int && t.bitWidth < 64) || type.typeId === Type.Float;
  if (narrow && chunks.length > 0) {
    // Chunks of one typed array kind (Int32, Float64, ...) join as that kind: a copy, no conversion.
    const Kind = (chunks[0]!.values as Float64Array).constructor as new (n: number) => Float64Array;
    const joined = new Kind(length);
    let offset = 0;
    for (const data of chunks) {
      joined.set((data.values as Float64Array).subarray(0, data.length), offset);
      offset += data.length;
    }
    return joined;
  }
  const out = new Float64Array(length);
  let at = 0;
  for (const data of chunks) {
    if (type.typeId === Type.Decimal) {
      if (!readDecimalNumbers(data, t.scale, t.bitWidth, out, at)) return undefined;
    } else {
      const values = data.values as BigInt64Array | BigUint64Array;
      const words = wordsOf(values, data.length);
      const signed = values instanceof BigInt64Array;
      for (let i = 0; i < data.length; i++) {
        const low = words[2 * i]!;
        const high = words[2 * i + 1]!;
        if (high < 0x200000) out[at + i] = high * 4294967296 + low;
        else if (signed && high >= 0xffe00000) out[at + i] = (high - 4294967296) * 4294967296 + low;
        else return undefined;
      }
    }
    at += data.length;
  }
  return out;
}

/** DECIMAL words as numbers, as readDecimals reads them; false when one needs the exact path. */
function readDecimalNumbers(
  data: Data,
  scale: number,
  bitWidth: number,
  out: Float64Array,
  at: number,
): boolean {
  const stride = bitWidth / 32;
  const divisor = 10 ** scale;
  const words = data.values as Uint32Array;
  for (let i = 0; i < data.length; i++) {
    const unscaled = unscaledNumber(words, i * stride, stride);
    if (unscaled === undefined) return false;
    out[at + i] = scale === 0 ? unscaled : unscaled / divisor;
  }
  return true;
}

/** A whole column's values. */
export function readVector(vector: Vector): ArrayLike<Value> {
  const type = vector.type as DataType;
  const chunks = vector.data as Data[];
  // A numeric column without NULLs in one chunk: its typed array as it is.
  if (
    chunks.length === 1 &&
    chunks[0]!.nullCount === 0 &&
    ((type.typeId === Type.Int && (type as unknown as { bitWidth: number }).bitWidth < 64) ||
      (type.typeId === Type.Float && (type as unknown as { precision: number }).precision > 0))
  ) {
    const data = chunks[0]!;
    return (data.values as Float64Array).subarray(0, data.length);
  }
  const numbers = chunks.every((data) => data.nullCount === 0) ? readNumeric(type, chunks) : undefined;
  if (numbers) return numbers;
  const out = nullValues(vector.length);
  if (type.typeId === Type.Dictionary) {
    const dictionaryChunks = chunks.map((data) => data.dictionary);
    let at = 0;
    for (let c = 0; c < chunks.length; c++) {
      const data = chunks[c]!;
      const dictionary = dictionaryChunks[c] ? readVector(dictionaryChunks[c]!) : [];
      const indices = data.values as ArrayLike<number | bigint>;
      for (let i = 0; i < data.length; i++) {
        out[at + i] = isValid(data, i) ? (dictionary[Number(indices[i]!)] ?? null) : null;
      }
      at += data.length;
    }
    return out;
  }
  const reader = chunkReader(type);
  if (!reader) {
    readGeneric(vector, out);
    return out;
  }
  let at = 0;
  for (const data of chunks) {
    if (data.typeId === Type.Null) out.fill(null, at, at + data.length);
    else reader(data, out, at);
    at += data.length;
  }
  if (type.typeId === Type.Date && chunks.every((data) => data.typeId === Type.Date))
    rememberDays(out, chunks, (type as unknown as { unit: number }).unit !== 0);
  return out;
}

/**
 * A DOUBLE or 32-bit-or-narrower integer column with NULLs as numbers and a bitmap, for a lazy
 * column (batch.ts): the kernels read these, the row path's values are read only if asked for.
 */
function hasNumbersWithNulls(vector: Vector): boolean {
  const type = vector.type as DataType;
  const t = type as unknown as { bitWidth: number; precision: number };
  const numeric =
    (type.typeId === Type.Int && t.bitWidth <= 32) || (type.typeId === Type.Float && t.precision === 2);
  return numeric && (vector.data as Data[]).some((data) => data.nullCount > 0);
}

function readNumbersWithNulls(vector: Vector): NumberColumn {
  const chunks = vector.data as Data[];
  const values = new Float64Array(vector.length);
  const valid = new Uint8Array((vector.length + 7) >> 3).fill(0xff);
  let at = 0;
  for (const data of chunks) {
    const source = data.values as Float64Array;
    if (source instanceof Float64Array) values.set(source.subarray(0, data.length), at);
    else for (let i = 0; i < data.length; i++) values[at + i] = source[i]!;
    const bitmap = data.nullBitmap;
    if (bitmap && bitmap.length > 0 && data.nullCount > 0) {
      if ((at & 7) === 0 && (data.offset & 7) === 0) {
        valid.set(bitmap.subarray(data.offset >> 3, (data.offset + data.length + 7) >> 3), at >> 3);
      } else {
        for (let i = 0; i < data.length; i++) {
          const bit = data.offset + i;
          const row = at + i;
          if ((bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0) valid[row >> 3]! |= 1 << (row & 7);
          else valid[row >> 3]! &= ~(1 << (row & 7));
        }
      }
    } else if ((at & 7) !== 0 || (data.length & 7) !== 0) {
      // Bits a previous chunk's byte copy may have left beyond its rows.
      for (let row = at; row < at + data.length; row++) valid[row >> 3]! |= 1 << (row & 7);
    } else valid.fill(0xff, at >> 3, (at + data.length) >> 3);
    at += data.length;
  }
  return { values, valid };
}

/** An Arrow table as a batch; `fields` (the plan's, by name) refine the column types. */
export function batchFromArrow(table: Table, fields: readonly Field[] = []): Batch {
  const columns: LocalColumn[] = table.schema.fields.map((field, index) => {
    const vector = table.getChildAt(index)!;
    const hint = fields.find((f) => f.name === field.name);
    const type =
      field.type.typeId === Type.Null ? (typeFromSqlName(hint?.sqlType) ?? T.null) : columnType(field, hint);
    const numbers =
      (type.kind === 'int' || type.kind === 'double') && hasNumbersWithNulls(vector)
        ? () => readNumbersWithNulls(vector)
        : undefined;
    if (field.type.typeId === Type.Null) return { name: field.name, type, values: nullValues(table.numRows) };
    return lazyColumn(field.name, type, () => readVector(vector), numbers);
  });
  return makeBatch(columns, table.numRows);
}
