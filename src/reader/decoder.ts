/**
 * Decodes text-protocol result rows (the payload of each row packet) straight into Arrow column
 * buffers: no JS object, string or number box per row. The row loop lives here; the column
 * buffers are `column-builder.ts`, the digit arithmetic for numbers and dates `text-parsers.ts`.
 * UTF-8 text is copied byte for byte into the Utf8 value buffer, and a finished batch
 * (`batch-buffers.ts`) can be transferred to another thread without copying.
 */

import { SluiceError } from '../base/errors.ts';
import { type ColumnMeta, MysqlType } from '../db/column-meta.ts';
import type { BatchBuffers } from './batch-buffers.ts';
import { ColumnBuilder } from './column-builder.ts';
import { type ColumnPlan, Kind } from './column-plan.ts';
import {
  lengthBytes,
  longLength,
  parseDate,
  parseDouble,
  parseSmallInt,
  parseTime,
  writeDecimal,
  writeInt64,
  writeTimestamp,
  writeWords64,
  ZERO_DATE,
} from './text-parsers.ts';

export interface DecoderOptions {
  /** Rows per batch at most (default 65,536). */
  readonly batchRows?: number;
  /** Bytes of buffers per batch at most, checked after each row (default 4 MiB). */
  readonly batchBytes?: number;
  /** Rows to drop before decoding (a retried partition skips what was already delivered). */
  readonly skipRows?: number;
  /**
   * Rows the result is expected to hold at most (a point lookup, a small LIMIT): the first
   * batch's buffers start that small and grow if more come, instead of the batch bound's size.
   */
  readonly expectedRows?: number;
  /**
   * 'auto' (default): a result whose columns are all numbers, DECIMALs and strings is read as a
   * prepared statement in the binary protocol (the server sends numbers as machine words instead
   * of formatting them), anything else as a plain query; 'text': always a plain query.
   */
  readonly protocol?: 'auto' | 'text';
}

export const DEFAULT_BATCH_ROWS = 65_536;
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

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
    private readonly onBatch: (batch: BatchBuffers) => void,
    options: DecoderOptions = {},
  ) {
    this.batchRows = Math.max(1, Math.floor(options.batchRows ?? DEFAULT_BATCH_ROWS));
    this.batchBytes = Math.max(1, Math.floor(options.batchBytes ?? DEFAULT_BATCH_BYTES));
    this.skip = Math.max(0, Math.floor(options.skipRows ?? 0));
    this.builders = plans.map((plan) => new ColumnBuilder(plan));
    this.fixedRowBytes = this.builders.reduce((sum, builder) => sum + builder.width + 0.125, 0);
    // As many rows as the byte bound allows: untouched pages of a large allocation cost no memory.
    const bound = Math.min(this.batchRows, Math.ceil(this.batchBytes / this.fixedRowBytes) + 1);
    const expected =
      options.expectedRows === undefined ? bound : Math.max(1, Math.floor(options.expectedRows));
    this.startBatch(Math.min(bound, expected));
  }

  private startBatch(capacity: number): void {
    this.capacity = capacity;
    this.rows = 0;
    this.dataBytes = 0;
    for (const builder of this.builders) builder.reset(capacity);
  }

  /** The row the next value goes into, or -1 when the row is skipped. */
  private beginRow(): number {
    if (this.skip > 0) {
      this.skip--;
      return -1;
    }
    if (this.rows === this.capacity) {
      const capacity = Math.min(this.batchRows, this.capacity * 2);
      for (const builder of this.builders) builder.grow(capacity, this.rows);
      this.capacity = capacity;
    }
    return this.rows;
  }

  private endRow(row: number): void {
    this.rows = row + 1;
    this.rowsDecoded++;
    if (this.rows >= this.batchRows || this.rows * this.fixedRowBytes + this.dataBytes >= this.batchBytes) {
      this.emit();
    }
  }

  /** Decodes one row from `buf[start, end)`: the payload of a text-protocol row packet. */
  addRow(buf: Uint8Array, start: number, end: number): void {
    const row = this.beginRow();
    if (row < 0) return;
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
      } else {
        const header = lengthBytes(len);
        len = longLength(buf, pos);
        pos += header;
      }
      const valueEnd = pos + len;
      if (valueEnd > end)
        throw new SluiceError('WIRE_INVALID', `row packet ends inside column ${c} (${b.plan.name})`);
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
    this.endRow(row);
  }

  /**
   * Decodes one row from `buf[start, end)`: the payload of a binary-protocol row packet (a
   * prepared statement's result). Numbers arrive as little-endian words, so nothing is parsed:
   * the server does not format them either (reading four DOUBLE columns of 1M rows costs MariaDB
   * 0.2 CPU s this way, 0.9 s as text). Only for columns `binaryDecodable` accepts; strings and
   * DECIMALs are length-encoded text, as in the text protocol, and decode the same way.
   */
  addBinaryRow(buf: Uint8Array, start: number, end: number): void {
    const row = this.beginRow();
    if (row < 0) return;
    const builders = this.builders;
    const count = builders.length;
    // 0x00, then the NULL bitmap with the first column at bit 2.
    const nulls = start + 1;
    let pos = nulls + ((count + 9) >> 3);
    for (let c = 0; c < count; c++) {
      const b = builders[c]!;
      const bit = c + 2;
      if ((buf[nulls + (bit >> 3)]! & (1 << (bit & 7))) !== 0) {
        b.setNull(row);
        continue;
      }
      const kind = b.kind;
      const width = WIRE_WIDTH[kind]!;
      if (width > 0) {
        if (pos + width > end)
          throw new SluiceError('WIRE_INVALID', `row packet ends inside column ${c} (${b.plan.name})`);
        writeFixed(b, kind, row, buf, pos);
        pos += width;
        continue;
      }
      let len = buf[pos]!;
      if (len < 0xfb) {
        pos += 1;
      } else {
        const header = lengthBytes(len);
        len = longLength(buf, pos);
        pos += header;
      }
      const valueEnd = pos + len;
      if (valueEnd > end)
        throw new SluiceError('WIRE_INVALID', `row packet ends inside column ${c} (${b.plan.name})`);
      if (kind === Kind.Utf8 || kind === Kind.Binary) {
        if (b.dataLength + len > b.bytes.length) b.reserveData(len);
        b.bytes.set(buf.subarray(pos, valueEnd), b.dataLength);
        b.dataLength += len;
        b.offsets[row + 1] = b.dataLength;
        this.dataBytes += len;
      } else if (kind === Kind.Decimal) {
        writeDecimal(b, row, buf, pos, valueEnd);
      } else if (!decodeOther(b, row, buf, pos, valueEnd)) {
        b.setNull(row);
      }
      pos = valueEnd;
    }
    this.endRow(row);
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

/**
 * Bytes of a value in a binary-protocol row, by kind (0: length-encoded, as in the text
 * protocol). MEDIUMINT travels in 4 bytes like INT, YEAR in 2.
 */
const WIRE_WIDTH: Record<number, number> = {
  [Kind.Int8]: 1,
  [Kind.Uint8]: 1,
  [Kind.Int16]: 2,
  [Kind.Uint16]: 2,
  [Kind.Year]: 2,
  [Kind.Int32]: 4,
  [Kind.Uint32]: 4,
  [Kind.Int64]: 8,
  [Kind.Uint64]: 8,
  [Kind.Float64]: 8,
  [Kind.Decimal]: 0,
  [Kind.DecimalFloat64]: 0,
  [Kind.Utf8]: 0,
  [Kind.Binary]: 0,
};

/** The column types whose binary-protocol values `addBinaryRow` decodes (dates and times are structs there). */
const BINARY_TYPES: ReadonlySet<number> = new Set([
  MysqlType.TINY,
  MysqlType.SHORT,
  MysqlType.INT24,
  MysqlType.LONG,
  MysqlType.LONGLONG,
  // FLOAT stays on text: the server shows it with 6 digits there, which the reader keeps, so a
  // FLOAT column reads the same whatever else the statement selects.
  MysqlType.DOUBLE,
  MysqlType.DECIMAL,
  MysqlType.NEWDECIMAL,
  MysqlType.YEAR,
  MysqlType.VARCHAR,
  MysqlType.VAR_STRING,
  MysqlType.STRING,
  MysqlType.ENUM,
  MysqlType.SET,
  MysqlType.TINY_BLOB,
  MysqlType.MEDIUM_BLOB,
  MysqlType.LONG_BLOB,
  MysqlType.BLOB,
  MysqlType.JSON,
]);

/** Whether every column's binary-protocol values decode with `addBinaryRow` (on a little-endian machine). */
export function binaryDecodable(metas: readonly ColumnMeta[], plans: readonly ColumnPlan[]): boolean {
  if (!LITTLE_ENDIAN || metas.length === 0) return false;
  return metas.every(
    (meta, c) =>
      BINARY_TYPES.has(meta.columnType) &&
      WIRE_WIDTH[plans[c]!.kind] !== undefined &&
      // A DOUBLE with fixed decimals (DOUBLE(10,2), STDDEV of an INT) is rounded to them as text,
      // which the reader keeps; 31 and up: shown in full, the value the binary protocol sends.
      (meta.columnType !== MysqlType.DOUBLE || meta.decimals >= FREE_DECIMALS),
  );
}

/** `decimals` of a DOUBLE the server shows in full (MySQL's NOT_FIXED_DEC is 31, MariaDB's 39). */
const FREE_DECIMALS = 31;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Eight bytes copied here are read as a DOUBLE of the machine's (little-endian) order. */
const scratch = new Uint8Array(8);
const scratchF64 = new Float64Array(scratch.buffer);

function writeFixed(b: ColumnBuilder, kind: number, row: number, buf: Uint8Array, pos: number): void {
  switch (kind) {
    case Kind.Int8:
    case Kind.Uint8:
      b.bytes[row] = buf[pos]!;
      return;
    case Kind.Int16:
    case Kind.Uint16:
      b.i16[row] = buf[pos]! | (buf[pos + 1]! << 8);
      return;
    case Kind.Year: {
      const year = buf[pos]! | (buf[pos + 1]! << 8);
      if (year === 0) b.setNull(row);
      else b.i16[row] = year;
      return;
    }
    case Kind.Int32:
    case Kind.Uint32:
      b.i32[row] = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24);
      return;
    case Kind.Float64:
      for (let i = 0; i < 8; i++) scratch[i] = buf[pos + i]!;
      b.f64[row] = scratchF64[0]!;
      return;
    default:
      // Int64 / Uint64: the two little-endian words as they are (two's complement, as i64 holds them).
      b.u32[row * 2] =
        (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
      b.u32[row * 2 + 1] =
        (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0;
  }
}
