/**
 * Copies row ranges of RecordBatches into new batches, column by column with typed-array copies
 * (no per-value JS objects): what a k-way merge needs to turn its interleaved runs into batches of
 * a useful size. Flat columns only (everything the reader produces).
 */
import { type Data, DataType, type RecordBatch, type Schema } from 'apache-arrow';
import { SluiceError } from '../base/errors.ts';
import { toRecordBatch } from './batch.ts';
import type { ColumnBuffers } from './batch-buffers.ts';

type AnyTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
type TypedArrayConstructor = { new (length: number): AnyTypedArray };

enum Layout {
  Null,
  Fixed,
  Bits,
  Variable,
}

function layoutOf(type: DataType): Layout {
  if (DataType.isNull(type)) return Layout.Null;
  if (DataType.isBool(type)) return Layout.Bits;
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return Layout.Variable;
  if (
    DataType.isInt(type) ||
    DataType.isFloat(type) ||
    DataType.isDecimal(type) ||
    DataType.isDate(type) ||
    DataType.isTimestamp(type) ||
    DataType.isTime(type) ||
    DataType.isDuration(type) ||
    DataType.isFixedSizeBinary(type)
  ) {
    return Layout.Fixed;
  }
  throw new SluiceError(
    'TYPE_UNSUPPORTED',
    `gathering rows of ${type} columns is not supported (flat columns only)`,
  );
}

function isValid(data: Data, index: number): boolean {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true;
  const bit = data.offset + index;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

class ColumnGatherer {
  private readonly layout: Layout;
  private nulls = new Uint8Array(0);
  private nullCount = 0;
  private values: AnyTypedArray | Uint8Array = new Uint8Array(0);
  private offsets = new Int32Array(1);
  private dataLength = 0;
  private stride = 1;
  private ctor: TypedArrayConstructor | undefined;

  constructor(
    readonly type: DataType,
    private capacity: number,
  ) {
    this.layout = layoutOf(type);
    this.allocate(capacity, 0);
  }

  private allocate(capacity: number, rows: number): void {
    const nulls = new Uint8Array((capacity + 7) >> 3);
    nulls.set(this.nulls.subarray(0, (rows + 7) >> 3));
    this.nulls = nulls;
    if (this.layout === Layout.Bits) {
      const bits = new Uint8Array((capacity + 7) >> 3);
      bits.set(this.values.subarray(0, (rows + 7) >> 3) as Uint8Array);
      this.values = bits;
    } else if (this.layout === Layout.Variable) {
      const offsets = new Int32Array(capacity + 1);
      offsets.set(this.offsets.subarray(0, rows + 1));
      this.offsets = offsets;
      if (this.values.length === 0) this.values = new Uint8Array(64 * 1024);
    } else if (this.layout === Layout.Fixed && this.ctor) {
      const values = new this.ctor(capacity * this.stride);
      (values as Uint8Array).set(this.values.subarray(0, rows * this.stride) as Uint8Array);
      this.values = values;
    }
    this.capacity = capacity;
  }

  append(data: Data, start: number, end: number, rows: number): void {
    const count = end - start;
    if (rows + count > this.capacity) this.allocate(Math.max(rows + count, this.capacity * 2), rows);
    if (data.nullCount !== 0) {
      for (let i = start; i < end; i++) {
        if (!isValid(data, i)) {
          const row = rows + i - start;
          this.nulls[row >> 3]! |= 1 << (row & 7);
          this.nullCount++;
        }
      }
    }
    switch (this.layout) {
      case Layout.Null:
        return;
      case Layout.Fixed: {
        const source = data.values as AnyTypedArray;
        if (!this.ctor) {
          this.ctor = source.constructor as TypedArrayConstructor;
          this.stride = data.stride;
          this.values = new this.ctor(this.capacity * this.stride);
        }
        (this.values as Uint8Array).set(
          source.subarray(start * this.stride, end * this.stride) as Uint8Array,
          rows * this.stride,
        );
        return;
      }
      case Layout.Bits: {
        const source = data.values as Uint8Array;
        const target = this.values as Uint8Array;
        for (let i = start; i < end; i++) {
          const bit = data.offset + i;
          if (source[bit >> 3]! & (1 << (bit & 7))) {
            const row = rows + i - start;
            target[row >> 3]! |= 1 << (row & 7);
          }
        }
        return;
      }
      case Layout.Variable: {
        const sourceOffsets = data.valueOffsets as Int32Array;
        const from = sourceOffsets[start]!;
        const to = sourceOffsets[end]!;
        const length = to - from;
        if (this.dataLength + length > this.values.length) {
          const grown = new Uint8Array(Math.max(this.dataLength + length, this.values.length * 2));
          grown.set((this.values as Uint8Array).subarray(0, this.dataLength));
          this.values = grown;
        }
        (this.values as Uint8Array).set((data.values as Uint8Array).subarray(from, to), this.dataLength);
        const shift = this.dataLength - from;
        for (let i = start; i < end; i++) this.offsets[rows + i - start + 1] = sourceOffsets[i + 1]! + shift;
        this.dataLength += length;
        return;
      }
    }
  }

  finish(rows: number): ColumnBuffers {
    let validity: Uint8Array | undefined;
    if (this.nullCount > 0) {
      const bytes = (rows + 7) >> 3;
      validity = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i++) validity[i] = ~this.nulls[i]! & 0xff;
      if (rows & 7) validity[bytes - 1]! &= (1 << (rows & 7)) - 1;
    }
    const base = { nullCount: this.nullCount, validity };
    switch (this.layout) {
      case Layout.Null:
        return { nullCount: rows };
      case Layout.Bits:
        return { ...base, values: this.values.subarray(0, (rows + 7) >> 3) };
      case Layout.Variable:
        return {
          ...base,
          offsets: this.offsets.subarray(0, rows + 1),
          values: (this.values as Uint8Array).subarray(0, this.dataLength),
        };
      case Layout.Fixed:
        return { ...base, values: this.ctor ? this.values.subarray(0, rows * this.stride) : undefined };
    }
  }
}

/** Collects row ranges from batches of one schema and hands out new batches of them. */
export class RowGatherer {
  private columns: ColumnGatherer[] = [];
  private count = 0;

  constructor(
    readonly schema: Schema,
    private readonly capacity = 1024,
  ) {
    this.reset();
  }

  get rows(): number {
    return this.count;
  }

  private reset(): void {
    this.columns = this.schema.fields.map((field) => new ColumnGatherer(field.type, this.capacity));
    this.count = 0;
  }

  /** Appends rows [start, end) of `batch`. */
  append(batch: RecordBatch, start: number, end: number): void {
    if (end <= start) return;
    const children = batch.data.children;
    for (let c = 0; c < this.columns.length; c++)
      this.columns[c]!.append(children[c]!, start, end, this.count);
    this.count += end - start;
  }

  /** The rows gathered so far as one batch; the gatherer starts empty again. */
  take(): RecordBatch {
    const rows = this.count;
    const columns = this.columns.map((column) => column.finish(rows));
    this.reset();
    return toRecordBatch(this.schema, { rows, bytes: 0, columns });
  }
}
