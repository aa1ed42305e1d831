/**
 * The buffers of one result column while rows are decoded into it: grown by doubling, kept as
 * fresh ArrayBuffers (never Node's Buffer pool) so a finished batch can be transferred to another
 * thread, and one class for every kind so the decoder's property accesses stay monomorphic.
 */
import type { ColumnBuffers } from './batch-buffers.ts';
import { type ColumnPlan, Kind } from './column-plan.ts';

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
export class ColumnBuilder {
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
      this.bytes = new Uint8Array(
        Math.max(Math.min(65_536, capacity * 64), Math.ceil(this.lastDataLength * 1.05)),
      );
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

  finish(rows: number): ColumnBuffers {
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
