/**
 * Arrow column data into plain SQL values, reading the buffers directly: integers as
 * numbers (bigint beyond 2^53), DECIMAL as numbers, dates as 'YYYY-MM-DD', timestamps as
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]', booleans as 1/0. A numeric column without NULLs is used as the
 * typed array it is, without a copy.
 *
 * Arrow JS slices value and offset buffers when it slices data, but keeps `offset` for the
 * validity bitmap (and for booleans, whose bits are not sliced): values are read at `i`, bits at
 * `offset + i`.
 */
import { type Data, type DataType, makeData, TimeUnit, Type, type Vector } from 'apache-arrow';
import { formatClock, formatDays, formatEpochMicros, formatEpochMicrosBig } from '../values/civil-date.ts';
import { wordsToBigInt } from '../values/decimal.ts';
import { nullValues } from './batch.ts';
import { fromUnscaled, MAX_DOUBLE_FRAC } from './decimal.ts';
import { allValid, clearBit, rememberVector } from './kernels/vectors.ts';
import type { Value } from './types.ts';
import { normalizeInt } from './values.ts';

const utf8 = new TextDecoder();

const isValid = (data: Data, index: number): boolean => {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true;
  const bit = data.offset + index;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
};

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

/** One value of a chunk (its row `i`, known valid). */
export type ValueReader = (data: Data, i: number) => Value;

/** A chunk reader from a value reader: NULL where the validity bitmap says so. */
const chunkOf =
  (read: ValueReader): ChunkReader =>
  (data, out, at) => {
    for (let i = 0; i < data.length; i++) out[at + i] = isValid(data, i) ? read(data, i) : null;
  };

const readNumber: ValueReader = (data, i) => (data.values as ArrayLike<number>)[i]!;

/** Each chunk's 64-bit integers as 32-bit words, viewed once (not per value read). */
const wordViews = new WeakMap<object, Uint32Array>();

const readBigInt: ValueReader = (data, i) => {
  const values = data.values as BigInt64Array | BigUint64Array;
  let words = wordViews.get(values);
  if (words === undefined) {
    words = wordsOf(values, data.length);
    wordViews.set(values, words);
  }
  return int64Number(words, i, values instanceof BigInt64Array) ?? normalizeInt(values[i]!);
};

const readBool: ValueReader = (data, i) => {
  const bit = data.offset + i;
  return ((data.values as Uint8Array)[bit >> 3]! >> (bit & 7)) & 1;
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

function readDecimal(scale: number, bitWidth: number): ValueReader {
  const stride = bitWidth / 32;
  const divisor = 10 ** scale;
  const doubles = scale <= MAX_DOUBLE_FRAC;
  return (data, i) => {
    const words = data.values as Uint32Array;
    const base = i * stride;
    const unscaled = doubles ? unscaledNumber(words, base, stride) : undefined;
    // Beyond a double's digits the value stays exact: a bigint when it is an integer (a SUM
    // of BIGINT UNSIGNED), else its decimal text.
    if (unscaled === undefined) return fromUnscaled(wordsToBigInt(words, base, stride), scale);
    return scale === 0 ? unscaled : unscaled / divisor;
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

function readTimestamp(unit: TimeUnit): ValueReader {
  const factor = MICROS_PER[unit]!;
  const toMicros = BIG_MICROS_PER[unit]!;
  return (data, i) => {
    const raw = (data.values as ArrayLike<bigint | number>)[i]!;
    const micros = Number(raw) * factor;
    // Far dates (9999-12-31 is 2.5e17 µs) are split into days and time exactly, in bigint.
    return Math.abs(micros) < SAFE_MICROS
      ? formatEpochMicros(Math.floor(micros))
      : formatEpochMicrosBig(toMicros(BigInt(raw)));
  };
}

function readTime(unit: TimeUnit): ValueReader {
  const factor = MICROS_PER[unit]!;
  return (data, i) => {
    const micros = Math.floor(Number((data.values as ArrayLike<bigint | number>)[i]!) * factor);
    const sign = micros < 0 ? '-' : '';
    const abs = Math.abs(micros);
    const seconds = Math.floor(abs / 1e6);
    return (
      sign +
      formatClock(
        Math.floor(seconds / 3600),
        Math.floor(seconds / 60) % 60,
        seconds % 60,
        abs - seconds * 1e6,
      )
    );
  };
}

/**
 * Day numbers as 'YYYY-MM-DD', each day's text built once and shared (a date column holds few
 * distinct days, and shared strings cost no allocation per row).
 */
const dayTexts: (string | undefined)[] = new Array(1 << 16).fill(undefined);
export function dayText(days: number): string {
  // Days 0 (1970-01-01) to 65535 (2149) by index; any other day is formatted each time.
  if (days < 0 || days >= dayTexts.length) return formatDays(days);
  let text = dayTexts[days];
  if (text === undefined) {
    text = formatDays(days);
    dayTexts[days] = text;
  }
  return text;
}

const dayOf = (data: Data, i: number, millis: boolean): number => {
  const raw = Number((data.values as ArrayLike<number | bigint>)[i]!);
  return millis ? Math.floor(raw / 86_400_000) : raw;
};

const readDate =
  (millis: boolean): ValueReader =>
  (data, i) =>
    dayText(dayOf(data, i, millis));

/** A DATE column's day numbers and validity, kept for the kernels beside the column's text. */
function rememberDays(out: Value[], chunks: readonly Data[], millis: boolean): void {
  const days = daysOf(chunks, out.length, millis);
  rememberVector(out, days.values, days.valid);
}

/** Day numbers of DATE chunks, NULL rows cleared in the bitmap (undefined: none NULL). */
export function daysOf(chunks: readonly Data[], length: number, millis: boolean): NumbersAndValidity {
  const days = new Float64Array(length);
  let valid: Uint8Array | undefined;
  let at = 0;
  for (const data of chunks) {
    if (!millis && data.nullCount === 0) {
      days.set((data.values as Int32Array).subarray(0, data.length), at);
      at += data.length;
      continue;
    }
    for (let i = 0; i < data.length; i++, at++) {
      if (!isValid(data, i)) {
        valid ??= allValid(length);
        clearBit(valid, at);
        continue;
      }
      days[at] = dayOf(data, i, millis);
    }
  }
  return { values: days, valid };
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

const readString: ValueReader = (data, i) => {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return utf8.decode((data.values as Uint8Array).subarray(Number(offsets[i]!), Number(offsets[i + 1]!)));
};

const readBinary: ValueReader = (data, i) => {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return (data.values as Uint8Array).slice(Number(offsets[i]!), Number(offsets[i + 1]!));
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

/** The reader of one value of a column of this type, or undefined for Arrow's own accessor. */
export function valueReader(type: DataType): ValueReader | undefined {
  const t = type as unknown as { bitWidth: number; unit: TimeUnit; scale: number; precision: number };
  switch (type.typeId) {
    case Type.Int:
      return t.bitWidth === 64 ? readBigInt : readNumber;
    case Type.Float:
      return t.precision === 0 ? undefined : readNumber; // Float16 needs Arrow's decoding
    case Type.Bool:
      return readBool;
    case Type.Decimal:
      return readDecimal(t.scale, t.bitWidth);
    case Type.Date:
      return readDate(t.unit !== 0);
    case Type.Timestamp:
      return readTimestamp(t.unit);
    case Type.Time:
    case Type.Duration:
      return readTime(t.unit);
    case Type.Utf8:
    case Type.LargeUtf8:
      return readString;
    case Type.Binary:
    case Type.LargeBinary:
      return readBinary;
    default:
      return undefined;
  }
}

function chunkReader(type: DataType): ChunkReader | undefined {
  const t = type as unknown as { bitWidth: number };
  switch (type.typeId) {
    case Type.Int:
      return t.bitWidth === 64 ? readBigInts : readNumbers;
    case Type.Utf8:
    case Type.LargeUtf8:
      return readStrings;
    default: {
      const read = valueReader(type);
      return read && chunkOf(read);
    }
  }
}

/** Numbers and their validity bitmap (bit set: not NULL; undefined: every row valid). */
export interface NumbersAndValidity {
  readonly values: Float64Array;
  readonly valid: Uint8Array | undefined;
}

const isNumericType = (type: DataType): boolean => {
  const t = type as unknown as { scale: number; precision: number };
  return (
    type.typeId === Type.Int ||
    (type.typeId === Type.Float && t.precision > 0) ||
    (type.typeId === Type.Decimal && t.scale <= MAX_DOUBLE_FRAC)
  );
};

/**
 * A numeric column as one Float64Array and a validity bitmap (no boxed number per row): integers
 * and floats as they are, 64-bit integers and DECIMALs when every value is a number a double holds
 * exactly (integers below 2^53, DECIMALs within decimal.ts's double range; NULL rows hold 0).
 * Undefined otherwise: the column is read value by value.
 */
export function numbersOf(
  type: DataType,
  chunks: readonly Data[],
  length: number,
): NumbersAndValidity | undefined {
  if (!isNumericType(type)) return undefined;
  const t = type as unknown as { bitWidth: number; scale: number; precision: number };
  const float64 = type.typeId === Type.Float && t.precision === 2;
  const only = chunks.length === 1 ? chunks[0]! : undefined;
  // One chunk of doubles: its buffer as it is (nothing writes into a column's numbers).
  const out =
    float64 && only !== undefined
      ? (only.values as Float64Array).subarray(0, only.length)
      : new Float64Array(length);
  let valid: Uint8Array | undefined;
  let at = 0;
  for (const data of chunks) {
    if (data.nullCount > 0) {
      valid ??= allValid(length);
      clearInvalid(data, valid, at);
    }
    if (only !== undefined && float64) break;
    if (type.typeId === Type.Decimal) {
      if (!readDecimalNumbers(data, t.scale, t.bitWidth, out, at)) return undefined;
    } else if (type.typeId === Type.Int && t.bitWidth === 64) {
      const values = data.values as BigInt64Array | BigUint64Array;
      const words = wordsOf(values, data.length);
      const signed = values instanceof BigInt64Array;
      for (let i = 0; i < data.length; i++) {
        const low = words[2 * i]!;
        const high = words[2 * i + 1]!;
        if (high < 0x200000) out[at + i] = high * 4294967296 + low;
        else if (signed && high >= 0xffe00000) out[at + i] = (high - 4294967296) * 4294967296 + low;
        else if (isValid(data, i)) return undefined;
      }
    } else {
      out.set((data.values as Float64Array).subarray(0, data.length), at);
    }
    at += data.length;
  }
  return { values: out, valid };
}

/**
 * Clears in `valid` (from bit `at`) the rows `data`'s validity bitmap marks NULL: a byte of eight
 * valid rows is skipped whole, so a column with few NULLs costs one read per eight rows.
 */
function clearInvalid(data: Data, valid: Uint8Array, at: number): void {
  const bitmap = data.nullBitmap!;
  const { offset, length } = data;
  if ((offset & 7) !== 0) {
    for (let i = 0; i < length; i++) {
      const bit = offset + i;
      if ((bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) clearBit(valid, at + i);
    }
    return;
  }
  const first = offset >> 3;
  const bytes = (length + 7) >> 3;
  for (let b = 0; b < bytes; b++) {
    const byte = bitmap[first + b]!;
    if (byte === 0xff) continue;
    const base = b << 3;
    const end = Math.min(8, length - base);
    for (let k = 0; k < end; k++) if ((byte & (1 << k)) === 0) clearBit(valid, at + base + k);
  }
}

/** Arrow types of one fixed-width slot per row (values typed arrays sliced per chunk, see above). */
const FIXED_WIDTH = new Set<Type>([
  Type.Int,
  Type.Float,
  Type.Decimal,
  Type.Date,
  Type.Timestamp,
  Type.Time,
  Type.Duration,
]);

/**
 * Chunks of a fixed-width column (as parallel reads deliver a column, one chunk per partition) as
 * one Data of `type`: the value buffers and validity bitmaps copied end to end, no value decoded.
 * Undefined for other types.
 */
export function joinedFixedWidth(type: DataType, chunks: readonly Data[], length: number): Data | undefined {
  if (!FIXED_WIDTH.has(type.typeId) || chunks.length === 0) return undefined;
  const first = chunks[0]!.values as Uint32Array;
  const stride = type.typeId === Type.Decimal ? (type as unknown as { bitWidth: number }).bitWidth / 32 : 1;
  const Kind = first.constructor as new (n: number) => Uint32Array;
  const values = new Kind(length * stride);
  let valid: Uint8Array | undefined;
  let nullCount = 0;
  let at = 0;
  for (const data of chunks) {
    if ((data.values as Uint32Array).constructor !== Kind) return undefined;
    values.set((data.values as Uint32Array).subarray(0, data.length * stride), at * stride);
    if (data.nullCount > 0) {
      valid ??= allValid(length);
      clearInvalid(data, valid, at);
      nullCount += data.nullCount;
    }
    at += data.length;
  }
  return makeData({ type, length, nullCount, nullBitmap: valid, data: values } as never);
}

/** A numeric column without NULLs as one typed array (see numbersOf); undefined otherwise. */
function readNumeric(type: DataType, chunks: readonly Data[]): ArrayLike<number> | undefined {
  const t = type as unknown as { bitWidth: number; precision: number };
  if (!isNumericType(type)) return undefined;
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
  return numbersOf(type, chunks, length)?.values;
}

/**
 * DECIMAL words as numbers, as readDecimal reads them; false when a valid row needs the exact
 * path. 128-bit words (MariaDB's DECIMAL up to 38 digits) take an unrolled loop.
 */
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
  const n = data.length;
  if (stride === 4) {
    for (let i = 0, base = 0; i < n; i++, base += 4) {
      const w1 = words[base + 1]!;
      const w2 = words[base + 2]!;
      const w3 = words[base + 3]!;
      let unscaled: number;
      if (w2 === 0 && w3 === 0 && w1 < 0x40000) unscaled = w1 * 4294967296 + words[base]!;
      else if (w2 === 0xffffffff && w3 === 0xffffffff && w1 >= 0xfffc0000)
        unscaled = -((~w1 >>> 0) * 4294967296 + (~words[base]! >>> 0) + 1);
      else if (isValid(data, i)) return false;
      else unscaled = 0;
      out[at + i] = unscaled / divisor;
    }
    return true;
  }
  for (let i = 0; i < n; i++) {
    const unscaled = unscaledNumber(words, i * stride, stride);
    if (unscaled === undefined) {
      if (isValid(data, i)) return false;
      continue;
    }
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
