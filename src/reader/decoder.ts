/**
 * Decodes text-protocol result rows (the payload of each row packet) straight into Arrow column
 * buffers: no JS object, string or number box per row. Numbers and dates are parsed from their
 * ASCII digits by arithmetic, UTF-8 text is copied byte for byte into the Utf8 value buffer, and
 * every buffer is a fresh ArrayBuffer (never Node's Buffer pool) so a batch can be transferred to
 * another thread without copying.
 */
import { daysFromCivil } from '../values/civil-date.ts';
import { type ColumnPlan, Kind } from './column-plan.ts';

/** One column of a decoded batch: the buffers of an Arrow array, ready for `makeData`. */
export interface DecodedColumn {
  readonly nullCount: number;
  /** Validity bitmap (bit set = value present); absent when the column has no nulls. */
  readonly validity?: Uint8Array;
  /** Utf8/Binary: rows + 1 offsets into `values`. */
  readonly offsets?: Int32Array;
  /** The value buffer, typed as Arrow stores it (Int32Array, BigInt64Array, Uint32Array words…). */
  readonly values?: ArrayBufferView;
}

/** A batch of decoded rows as plain data (transferable between threads). */
export interface DecodedBatch {
  readonly rows: number;
  /** Bytes of all buffers, for accounting. */
  readonly bytes: number;
  readonly columns: readonly DecodedColumn[];
}

export interface DecoderOptions {
  /** Rows per batch at most (default 65,536). */
  readonly batchRows?: number;
  /** Bytes of buffers per batch at most, checked after each row (default 4 MiB). */
  readonly batchBytes?: number;
  /** Rows to drop before decoding (a retried partition skips what was already delivered). */
  readonly skipRows?: number;
}

export const DEFAULT_BATCH_ROWS = 65_536;
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

/** The ArrayBuffers of a batch, once each: the transfer list for postMessage. */
export function transferList(batch: DecodedBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const column of batch.columns) {
    for (const view of [column.validity, column.offsets, column.values]) {
      if (view) buffers.add(view.buffer as ArrayBuffer);
    }
  }
  return [...buffers];
}

const TWO_32 = 4294967296;
/** Integers up to this many digits are exact in a double. */
const SAFE_DIGITS = 15;
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
/** Seconds beyond which seconds × 10^6 is no longer exact in a double (about year 2255). */
const SAFE_SECONDS = 9_000_000_000;

/** Bytes per value of the fixed-width part of each kind (Utf8/Binary: the offset). */
function valueWidth(plan: ColumnPlan): number {
  switch (plan.kind) {
    case Kind.Null:
    case Kind.Bit1:
      return 0;
    case Kind.Int8:
    case Kind.Uint8:
      return 1;
    case Kind.Int16:
    case Kind.Uint16:
    case Kind.Year:
      return 2;
    case Kind.Int32:
    case Kind.Uint32:
    case Kind.Float32:
    case Kind.Date:
    case Kind.Utf8:
    case Kind.Binary:
      return 4;
    case Kind.Int64:
    case Kind.Uint64:
    case Kind.Bits:
    case Kind.Float64:
    case Kind.DecimalFloat64:
    case Kind.Timestamp:
    case Kind.Time:
      return 8;
    case Kind.Decimal:
      return plan.decimalBits / 8;
  }
}

/**
 * The buffers of one column being filled. Every builder has the same fields (views that a kind
 * does not use stay empty) so the decoder's property accesses stay monomorphic.
 */
class ColumnBuilder {
  readonly kind: Kind;
  readonly width: number;
  /** 32-bit words per value for 64-bit and decimal kinds. */
  readonly words: number;
  readonly scale: number;
  /** Bit set = NULL. Only NULLs touch it, so columns without NULLs cost nothing here. */
  nulls = new Uint8Array(0);
  nullCount = 0;
  /** The value buffer as bytes (Bool bitmap, Utf8/Binary data, or the fixed-width values). */
  bytes = new Uint8Array(0);
  i8 = new Int8Array(0);
  i16 = new Int16Array(0);
  i32 = new Int32Array(0);
  u32 = new Uint32Array(0);
  i64 = new BigInt64Array(0);
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  offsets = new Int32Array(0);
  /** Utf8/Binary: bytes used in `bytes`. */
  dataLength = 0;
  /** Utf8/Binary: bytes the previous batch used, to size the next one. */
  lastDataLength = 0;

  constructor(readonly plan: ColumnPlan) {
    this.kind = plan.kind;
    this.width = valueWidth(plan);
    this.words = this.width / 4;
    this.scale = plan.scale;
  }

  get isVariable(): boolean {
    return this.kind === Kind.Utf8 || this.kind === Kind.Binary;
  }

  /** Fresh buffers for a batch of up to `capacity` rows. */
  reset(capacity: number): void {
    this.nulls = new Uint8Array((capacity + 7) >> 3);
    this.nullCount = 0;
    if (this.isVariable) {
      this.offsets = new Int32Array(capacity + 1);
      this.bytes = new Uint8Array(Math.max(65_536, Math.ceil(this.lastDataLength * 1.05)));
      this.dataLength = 0;
    } else if (this.kind === Kind.Bit1) {
      this.bytes = new Uint8Array((capacity + 7) >> 3);
    } else {
      this.setValues(new ArrayBuffer(capacity * this.width));
    }
  }

  private setValues(buffer: ArrayBuffer): void {
    this.bytes = new Uint8Array(buffer);
    switch (this.kind) {
      case Kind.Int8:
      case Kind.Uint8:
        this.i8 = new Int8Array(buffer);
        break;
      case Kind.Int16:
      case Kind.Uint16:
      case Kind.Year:
        this.i16 = new Int16Array(buffer);
        break;
      case Kind.Int32:
      case Kind.Uint32:
      case Kind.Date:
        this.i32 = new Int32Array(buffer);
        break;
      case Kind.Float32:
        this.f32 = new Float32Array(buffer);
        break;
      case Kind.Float64:
      case Kind.DecimalFloat64:
        this.f64 = new Float64Array(buffer);
        break;
      default:
        if (this.width >= 8) {
          this.u32 = new Uint32Array(buffer);
          this.i64 = new BigInt64Array(buffer, 0, buffer.byteLength >> 3);
        }
    }
  }

  /** Grows the buffers to `capacity` rows, keeping the first `rows`. */
  grow(capacity: number, rows: number): void {
    const nulls = new Uint8Array((capacity + 7) >> 3);
    nulls.set(this.nulls.subarray(0, (rows + 7) >> 3));
    this.nulls = nulls;
    if (this.isVariable) {
      const offsets = new Int32Array(capacity + 1);
      offsets.set(this.offsets.subarray(0, rows + 1));
      this.offsets = offsets;
    } else if (this.kind === Kind.Bit1) {
      const bits = new Uint8Array((capacity + 7) >> 3);
      bits.set(this.bytes.subarray(0, (rows + 7) >> 3));
      this.bytes = bits;
    } else if (this.width > 0) {
      const old = this.bytes;
      this.setValues(new ArrayBuffer(capacity * this.width));
      this.bytes.set(old.subarray(0, rows * this.width));
    }
  }

  /** Makes room for `extra` more bytes of variable-length data. */
  reserveData(extra: number): void {
    const needed = this.dataLength + extra;
    if (needed <= this.bytes.length) return;
    const data = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    data.set(this.bytes.subarray(0, this.dataLength));
    this.bytes = data;
  }

  /** Marks `row` NULL. */
  setNull(row: number): void {
    this.nulls[row >> 3]! |= 1 << (row & 7);
    this.nullCount++;
    if (this.isVariable) this.offsets[row + 1] = this.dataLength;
  }

  /** The Arrow validity bitmap (bit set = present): the complement of the NULL bits. */
  private validity(rows: number): Uint8Array | undefined {
    if (this.nullCount === 0) return undefined;
    const bytes = (rows + 7) >> 3;
    const validity = new Uint8Array(bytes);
    const nulls = this.nulls;
    for (let i = 0; i < bytes; i++) validity[i] = ~nulls[i]! & 0xff;
    // Bits past the last row stay clear, as Arrow expects.
    if (rows & 7) validity[bytes - 1]! &= (1 << (rows & 7)) - 1;
    return validity;
  }

  finish(rows: number): DecodedColumn {
    const validity = this.validity(rows);
    const base = { nullCount: this.nullCount, validity };
    switch (this.kind) {
      case Kind.Null:
        return { nullCount: rows };
      case Kind.Utf8:
      case Kind.Binary:
        this.lastDataLength = this.dataLength;
        return {
          ...base,
          offsets: this.offsets.subarray(0, rows + 1),
          values: this.bytes.subarray(0, this.dataLength),
        };
      case Kind.Bit1:
        return { ...base, values: this.bytes.subarray(0, (rows + 7) >> 3) };
      case Kind.Int8:
        return { ...base, values: this.i8.subarray(0, rows) };
      case Kind.Uint8:
        return { ...base, values: this.bytes.subarray(0, rows) };
      case Kind.Int16:
      case Kind.Year:
        return { ...base, values: this.i16.subarray(0, rows) };
      case Kind.Uint16:
        return { ...base, values: new Uint16Array(this.i16.buffer, 0, rows) };
      case Kind.Int32:
      case Kind.Date:
        return { ...base, values: this.i32.subarray(0, rows) };
      case Kind.Uint32:
        return { ...base, values: new Uint32Array(this.i32.buffer, 0, rows) };
      case Kind.Float32:
        return { ...base, values: this.f32.subarray(0, rows) };
      case Kind.Float64:
      case Kind.DecimalFloat64:
        return { ...base, values: this.f64.subarray(0, rows) };
      case Kind.Int64:
      case Kind.Timestamp:
      case Kind.Time:
        return { ...base, values: this.i64.subarray(0, rows) };
      case Kind.Uint64:
      case Kind.Bits:
        return { ...base, values: new BigUint64Array(this.u32.buffer, 0, rows) };
      case Kind.Decimal:
        return { ...base, values: this.u32.subarray(0, rows * this.words) };
    }
  }

  /** Bytes this column's buffers hold for `rows` rows. */
  byteSize(rows: number): number {
    const bitmap = (rows + 7) >> 3;
    if (this.isVariable) return bitmap + 4 * (rows + 1) + this.dataLength;
    if (this.kind === Kind.Bit1) return 2 * bitmap;
    return bitmap + rows * this.width;
  }
}

/**
 * Turns row payloads into batches. `addRow` takes the bytes of one row packet (after the 4-byte
 * header); a batch is handed to `onBatch` when it reaches the row or byte bound, and `flush`
 * hands over the last, partial one.
 */
export class TextRowDecoder {
  private readonly builders: ColumnBuilder[];
  private readonly batchRows: number;
  private readonly batchBytes: number;
  /** Fixed bytes per row across all columns (values, offsets, validity rounded up). */
  private readonly fixedRowBytes: number;
  private capacity = 0;
  private rows = 0;
  /** Bytes of variable-length data in the current batch. */
  private dataBytes = 0;
  private skip: number;
  /** Rows decoded so far across all batches (skipped rows not counted). */
  rowsDecoded = 0;

  constructor(
    readonly plans: readonly ColumnPlan[],
    private readonly onBatch: (batch: DecodedBatch) => void,
    options: DecoderOptions = {},
  ) {
    this.batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
    this.batchBytes = Math.max(1, Math.floor(options.batchBytes ?? DEFAULT_BATCH_BYTES));
    this.skip = Math.max(0, Math.floor(options.skipRows ?? 0));
    this.builders = plans.map((plan) => new ColumnBuilder(plan));
    this.fixedRowBytes = this.builders.reduce((sum, builder) => sum + builder.width + 0.125, 0);
    // As many rows as the byte bound allows: untouched pages of a large allocation cost no memory.
    this.startBatch(Math.min(this.batchRows, Math.ceil(this.batchBytes / this.fixedRowBytes) + 1));
  }

  private startBatch(capacity: number): void {
    this.capacity = capacity;
    this.rows = 0;
    this.dataBytes = 0;
    for (const builder of this.builders) builder.reset(capacity);
  }

  /** Decodes one row from `buf[start, end)`: the payload of a text-protocol row packet. */
  addRow(buf: Uint8Array, start: number, end: number): void {
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    if (this.rows === this.capacity) {
      const capacity = Math.min(this.batchRows, this.capacity * 2);
      for (const builder of this.builders) builder.grow(capacity, this.rows);
      this.capacity = capacity;
    }
    const row = this.rows;
    const builders = this.builders;
    const count = builders.length;
    let pos = start;
    for (let c = 0; c < count; c++) {
      const b = builders[c]!;
      // Length-encoded string: one byte below 0xfb, 0xfb = NULL, 0xfc/0xfd/0xfe = 2/3/8 more bytes.
      let len = buf[pos]!;
      if (len < 0xfb) {
        pos += 1;
      } else if (len === 0xfb) {
        pos += 1;
        b.setNull(row);
        continue;
      } else if (len === 0xfc) {
        len = buf[pos + 1]! | (buf[pos + 2]! << 8);
        pos += 3;
      } else if (len === 0xfd) {
        len = buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16);
        pos += 4;
      } else {
        len = (buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16) | (buf[pos + 4]! << 24)) >>> 0;
        len += (buf[pos + 5]! | (buf[pos + 6]! << 8)) * TWO_32;
        pos += 9;
      }
      const valueEnd = pos + len;
      if (valueEnd > end) throw new Error(`row packet ends inside column ${c} (${b.plan.name})`);
      // The most common kinds first, inline; the rest in decodeOther.
      const kind = b.kind;
      if (kind === Kind.Utf8 || kind === Kind.Binary) {
        if (b.dataLength + len > b.bytes.length) b.reserveData(len);
        const data = b.bytes;
        let at = b.dataLength;
        if (len <= 64) {
          for (let i = pos; i < valueEnd; i++) data[at++] = buf[i]!;
        } else {
          data.set(buf.subarray(pos, valueEnd), at);
          at += len;
        }
        b.dataLength = at;
        b.offsets[row + 1] = at;
        this.dataBytes += len;
      } else if (kind === Kind.Int32 || kind === Kind.Uint32) {
        b.i32[row] = parseSmallInt(buf, pos, valueEnd);
      } else if (kind === Kind.Decimal) {
        writeDecimal(b, row, buf, pos, valueEnd);
      } else if (kind === Kind.Date) {
        const days = parseDate(buf, pos);
        if (days === ZERO_DATE) b.setNull(row);
        else b.i32[row] = days;
      } else if (!decodeOther(b, row, buf, pos, valueEnd)) {
        b.setNull(row);
      }
      pos = valueEnd;
    }
    this.rows = row + 1;
    this.rowsDecoded++;
    if (this.rows >= this.batchRows || this.rows * this.fixedRowBytes + this.dataBytes >= this.batchBytes) {
      this.emit();
    }
  }

  private emit(): void {
    const rows = this.rows;
    const bytes = this.builders.reduce((sum, builder) => sum + builder.byteSize(rows), 0);
    const columns = this.builders.map((builder) => builder.finish(rows));
    this.startBatch(this.capacity);
    this.onBatch({ rows, bytes, columns });
  }

  /** Hands over the rows decoded since the last batch, if any. */
  flush(): void {
    if (this.rows > 0) this.emit();
  }
}

/** Writes one non-NULL value of the less common kinds; false when it decodes to null. */
function decodeOther(b: ColumnBuilder, row: number, buf: Uint8Array, pos: number, end: number): boolean {
  switch (b.kind) {
    case Kind.Int8:
    case Kind.Uint8:
      b.bytes[row] = parseSmallInt(buf, pos, end);
      return true;
    case Kind.Int16:
    case Kind.Uint16:
      b.i16[row] = parseSmallInt(buf, pos, end);
      return true;
    case Kind.Int64:
    case Kind.Uint64:
      writeInt64(b, row, buf, pos, end);
      return true;
    case Kind.Float32:
      b.f32[row] = parseDouble(buf, pos, end);
      return true;
    case Kind.Float64:
    case Kind.DecimalFloat64:
      b.f64[row] = parseDouble(buf, pos, end);
      return true;
    case Kind.Timestamp:
      return writeTimestamp(b, row, buf, pos, end);
    case Kind.Time:
      writeWords64(b, row, parseTime(buf, pos, end));
      return true;
    case Kind.Year: {
      const year = parseSmallInt(buf, pos, end);
      if (year === 0) return false;
      b.i16[row] = year;
      return true;
    }
    case Kind.Bit1:
      if (buf[pos] !== 0) b.bytes[row >> 3]! |= 1 << (row & 7);
      return true;
    case Kind.Bits: {
      let hi = 0;
      let lo = 0;
      for (let i = pos; i < end; i++) {
        hi = ((hi << 8) | (lo >>> 24)) >>> 0;
        lo = ((lo << 8) | buf[i]!) >>> 0;
      }
      b.u32[row * 2] = lo;
      b.u32[row * 2 + 1] = hi;
      return true;
    }
    default:
      // Kind.Null never has a value; the kinds handled inline in addRow never get here.
      return false;
  }
}

/** Integers that fit in a double exactly (TINYINT … INT, YEAR). */
function parseSmallInt(buf: Uint8Array, pos: number, end: number): number {
  let negative = false;
  if (buf[pos] === 0x2d) {
    negative = true;
    pos++;
  }
  let value = 0;
  for (let i = pos; i < end; i++) value = value * 10 + (buf[i]! - 0x30);
  return negative ? -value : value;
}

function ascii(buf: Uint8Array, pos: number, end: number): string {
  let text = '';
  for (let i = pos; i < end; i++) text += String.fromCharCode(buf[i]!);
  return text;
}

/** Writes an integer-valued double (|v| < 2^53) as a little-endian two's complement 64-bit word pair. */
function writeWords64(b: ColumnBuilder, row: number, value: number): void {
  b.u32[row * 2] = value >>> 0;
  b.u32[row * 2 + 1] = Math.floor(value / TWO_32);
}

function writeInt64(b: ColumnBuilder, row: number, buf: Uint8Array, pos: number, end: number): void {
  const negative = buf[pos] === 0x2d;
  if (end - pos - (negative ? 1 : 0) <= SAFE_DIGITS) {
    writeWords64(b, row, parseSmallInt(buf, pos, end));
  } else {
    // 16 digits or more: rare (ids above 10^15, BIGINT UNSIGNED above 2^63); BigInt is exact.
    // The BigInt64Array stores the two's complement, so unsigned values above 2^63 land intact.
    b.i64[row] = BigInt.asIntN(64, BigInt(ascii(buf, pos, end)));
  }
}

/**
 * Parses a decimal as text into a double. The common case (at most 15 significant digits and a
 * power of ten up to 10^22) is exact arithmetic and correctly rounded (Clinger's fast path);
 * anything else goes through the engine's own parser.
 */
function parseDouble(buf: Uint8Array, pos: number, end: number): number {
  let i = pos;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  } else if (buf[i] === 0x2b) {
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  let seenPoint = false;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 || c !== 0x30) digits++;
      mantissa = mantissa * 10 + (c - 0x30);
      if (seenPoint) exponent--;
    } else if (c === 0x2e && !seenPoint) {
      seenPoint = true;
    } else {
      break;
    }
  }
  if (i < end) {
    const c = buf[i]!;
    if (c !== 0x65 && c !== 0x45) return Number(ascii(buf, pos, end));
    i++;
    let expNegative = false;
    if (buf[i] === 0x2d) {
      expNegative = true;
      i++;
    } else if (buf[i] === 0x2b) {
      i++;
    }
    let e = 0;
    for (; i < end; i++) e = e * 10 + (buf[i]! - 0x30);
    exponent += expNegative ? -e : e;
  }
  if (digits > SAFE_DIGITS || exponent > 22 || exponent < -22) return Number(ascii(buf, pos, end));
  const value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
  return negative ? -value : value;
}

/** Decimal text to a scaled integer in 32-bit words (two's complement, little-endian). */
function writeDecimal(b: ColumnBuilder, row: number, buf: Uint8Array, pos: number, end: number): void {
  let i = pos;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let fraction = -1;
  let digits = 0;
  let value = 0;
  for (let j = i; j < end; j++) {
    const c = buf[j]!;
    if (c === 0x2e) {
      fraction = 0;
    } else {
      digits++;
      if (fraction >= 0) fraction++;
      value = value * 10 + (c - 0x30);
    }
  }
  const missing = b.scale - Math.max(0, fraction);
  const words = b.words;
  const at = row * words;
  const u32 = b.u32;
  if (digits + missing <= SAFE_DIGITS && missing >= 0) {
    const scaled = (negative ? -value : value) * POW10[missing]!;
    u32[at] = scaled >>> 0;
    const hi = Math.floor(scaled / TWO_32);
    u32[at + 1] = hi;
    const fill = scaled < 0 ? 0xffffffff : 0;
    for (let w = 2; w < words; w++) u32[at + w] = fill;
    return;
  }
  writeLongDecimal(u32, at, words, buf, i, end, negative, missing);
}

/** The exact path for decimals beyond 15 digits: base-2^16 limbs, then two's complement. */
function writeLongDecimal(
  u32: Uint32Array,
  at: number,
  words: number,
  buf: Uint8Array,
  start: number,
  end: number,
  negative: boolean,
  missing: number,
): void {
  if (missing < 0) throw new Error(`decimal '${ascii(buf, start, end)}' has more digits than its scale`);
  const limbs = new Uint32Array(words * 2);
  const multiply = (factor: number, add: number) => {
    let carry = add;
    for (let l = 0; l < limbs.length; l++) {
      const v = limbs[l]! * factor + carry;
      limbs[l] = v % 65536;
      carry = Math.floor(v / 65536);
    }
  };
  for (let j = start; j < end; j++) {
    const c = buf[j]!;
    if (c !== 0x2e) multiply(10, c - 0x30);
  }
  for (let m = 0; m < missing; m++) multiply(10, 0);
  if (negative) {
    let carry = 1;
    for (let l = 0; l < limbs.length; l++) {
      const v = (~limbs[l]! & 0xffff) + carry;
      limbs[l] = v & 0xffff;
      carry = v >>> 16;
    }
  }
  for (let w = 0; w < words; w++) u32[at + w] = (limbs[2 * w]! | (limbs[2 * w + 1]! << 16)) >>> 0;
}

/** Returned by parseDate for '0000-00-00' and other dates with a zero month or day. */
const ZERO_DATE = -2147483648;

function digits2(buf: Uint8Array, at: number): number {
  return (buf[at]! - 0x30) * 10 + (buf[at + 1]! - 0x30);
}

function digits4(buf: Uint8Array, at: number): number {
  return digits2(buf, at) * 100 + digits2(buf, at + 2);
}

/** 'YYYY-MM-DD' to days since the epoch, or ZERO_DATE. */
function parseDate(buf: Uint8Array, pos: number): number {
  const month = digits2(buf, pos + 5);
  const day = digits2(buf, pos + 8);
  if (month === 0 || day === 0) return ZERO_DATE;
  const year = digits4(buf, pos);
  const index = (year - TABLE_FIRST_YEAR) * 12 + month - 1;
  // Most dates fall in the table of month starts; the arithmetic covers the rest.
  if (index >= 0 && index < MONTH_STARTS.length && month <= 12) return MONTH_STARTS[index]! + day - 1;
  return daysFromCivil(year, month, day);
}

/** Days since the epoch of the first of each month, 1900-01 to 2199-12. */
const TABLE_FIRST_YEAR = 1900;
const MONTH_STARTS = Int32Array.from({ length: 300 * 12 }, (_, index) =>
  daysFromCivil(TABLE_FIRST_YEAR + Math.floor(index / 12), (index % 12) + 1, 1),
);

/** 'YYYY-MM-DD HH:MM:SS[.ffffff]' to microseconds since the epoch; false for zero dates. */
function writeTimestamp(b: ColumnBuilder, row: number, buf: Uint8Array, pos: number, end: number): boolean {
  const days = parseDate(buf, pos);
  if (days === ZERO_DATE) return false;
  const seconds =
    days * 86400 + digits2(buf, pos + 11) * 3600 + digits2(buf, pos + 14) * 60 + digits2(buf, pos + 17);
  const micros = fractionMicros(buf, pos + 19, end);
  if (seconds < SAFE_SECONDS && seconds > -SAFE_SECONDS) {
    writeWords64(b, row, seconds * 1_000_000 + micros);
  } else {
    b.i64[row] = BigInt(seconds) * 1_000_000n + BigInt(micros);
  }
  return true;
}

/** '.ffffff' (1 to 6 digits, or nothing) at `at` as microseconds. */
function fractionMicros(buf: Uint8Array, at: number, end: number): number {
  if (at >= end || buf[at] !== 0x2e) return 0;
  let micros = 0;
  let digits = 0;
  for (let i = at + 1; i < end && digits < 6; i++, digits++) micros = micros * 10 + (buf[i]! - 0x30);
  return micros * POW10[6 - digits]!;
}

/** '[-]H…H:MM:SS[.ffffff]' to signed microseconds. */
function parseTime(buf: Uint8Array, pos: number, end: number): number {
  let i = pos;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let hours = 0;
  for (; i < end && buf[i] !== 0x3a; i++) hours = hours * 10 + (buf[i]! - 0x30);
  const minutes = digits2(buf, i + 1);
  const seconds = digits2(buf, i + 4);
  const micros = (hours * 3600 + minutes * 60 + seconds) * 1_000_000 + fractionMicros(buf, i + 6, end);
  return negative ? -micros : micros;
}
