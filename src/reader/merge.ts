/**
 * Combining the batch streams of a partitioned read: a k-way merge of streams that are each
 * sorted (ORDER BY pushed to every partition), plain concatenation, and LIMIT/OFFSET that stops
 * its source as soon as it has enough rows (ending the iteration of a parallel read kills the
 * partitions still running).
 */
import { type Data, DataType, DateUnit, type RecordBatch, type Schema } from 'apache-arrow';
import { SluiceError } from '../base/errors.ts';
import { RowGatherer } from './gather.ts';

export interface MergeKey {
  readonly column: string;
  readonly descending?: boolean;
  /**
   * Where NULLs go. Default as MySQL and MariaDB sort: first when ascending, last when
   * descending. It must match how each partition's ORDER BY placed them.
   */
  readonly nulls?: 'first' | 'last';
}

export interface MergeOptions {
  /** Stop after this many rows (ORDER BY … LIMIT n: each partition sends its top n). */
  readonly limit?: number;
  /** Rows per output batch (default 65,536). */
  readonly batchRows?: number;
}

/**
 * How one key column's values are compared, read straight from the Arrow buffers. Strings and
 * binaries compare by their bytes (UTF-8 byte order is code point order): partitions must be
 * sorted the same way, e.g. with a binary collation in their ORDER BY.
 */
enum KeyType {
  Number,
  Int64,
  Uint64,
  Decimal,
  Bytes,
  Bool,
  Null,
}

function keyTypeOf(type: DataType): KeyType {
  if (DataType.isNull(type)) return KeyType.Null;
  if (DataType.isBool(type)) return KeyType.Bool;
  if (DataType.isUtf8(type) || DataType.isBinary(type)) return KeyType.Bytes;
  if (DataType.isDecimal(type)) return KeyType.Decimal;
  if (DataType.isInt(type) && type.bitWidth === 64) return type.isSigned ? KeyType.Int64 : KeyType.Uint64;
  if (DataType.isDate(type)) return type.unit === DateUnit.DAY ? KeyType.Number : KeyType.Int64;
  if (DataType.isInt(type) || DataType.isFloat(type)) return KeyType.Number;
  if (
    DataType.isTimestamp(type) ||
    DataType.isDuration(type) ||
    (DataType.isTime(type) && type.bitWidth === 64)
  ) {
    return KeyType.Int64;
  }
  if (DataType.isTime(type)) return KeyType.Number;
  throw new SluiceError('CONFIG_INVALID', `cannot merge on a key of type ${type}`);
}

/** One key column of one batch, with the views the comparison reads. */
interface KeyColumn {
  readonly data: Data;
  /** Number keys: the values; 64-bit and decimal keys: their 32-bit words. */
  readonly numbers: ArrayLike<number>;
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  /** 32-bit words per value (64-bit: 2, decimals: 4 or 8). */
  readonly width: number;
}

const EMPTY_WORDS = new Uint32Array(0);
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_OFFSETS = new Int32Array(0);

function keyColumn(data: Data, type: KeyType): KeyColumn {
  const values = data.values as ArrayBufferView & ArrayLike<number>;
  const words =
    type === KeyType.Int64 || type === KeyType.Uint64 || type === KeyType.Decimal
      ? new Uint32Array(values.buffer, values.byteOffset, values.byteLength >> 2)
      : EMPTY_WORDS;
  return {
    data,
    numbers: type === KeyType.Number ? values : EMPTY_WORDS,
    words,
    bytes: type === KeyType.Bytes || type === KeyType.Bool ? (values as unknown as Uint8Array) : EMPTY_BYTES,
    offsets: type === KeyType.Bytes ? (data.valueOffsets as Int32Array) : EMPTY_OFFSETS,
    width: type === KeyType.Decimal ? data.stride : 2,
  };
}

function isNull(data: Data, index: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return false;
  const bit = data.offset + index;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) === 0;
}

/** Compares two non-NULL key values: negative, zero or positive. */
function compareValues(type: KeyType, a: KeyColumn, i: number, b: KeyColumn, j: number): number {
  switch (type) {
    case KeyType.Number: {
      const x = a.numbers[i]!;
      const y = b.numbers[j]!;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case KeyType.Int64:
    case KeyType.Uint64:
    case KeyType.Decimal: {
      const width = a.width;
      // The top word carries the sign (unsigned for Uint64); the words below compare unsigned.
      const top = width - 1;
      let x = a.words[i * width + top]!;
      let y = b.words[j * width + top]!;
      if (type !== KeyType.Uint64) {
        x |= 0;
        y |= 0;
      }
      if (x !== y) return x < y ? -1 : 1;
      for (let w = top - 1; w >= 0; w--) {
        const p = a.words[i * width + w]!;
        const q = b.words[j * width + w]!;
        if (p !== q) return p < q ? -1 : 1;
      }
      return 0;
    }
    case KeyType.Bytes: {
      let p = a.offsets[i]!;
      const pEnd = a.offsets[i + 1]!;
      let q = b.offsets[j]!;
      const qEnd = b.offsets[j + 1]!;
      for (; p < pEnd && q < qEnd; p++, q++) {
        const d = a.bytes[p]! - b.bytes[q]!;
        if (d !== 0) return d;
      }
      return pEnd - p - (qEnd - q);
    }
    case KeyType.Bool: {
      const x = bit(a, i);
      const y = bit(b, j);
      return x - y;
    }
    case KeyType.Null:
      return 0;
  }
}

function bit(column: KeyColumn, index: number): number {
  const position = column.data.offset + index;
  return (column.bytes[position >> 3]! >> (position & 7)) & 1;
}

interface ResolvedKey {
  readonly index: number;
  readonly type: KeyType;
  /** 1 ascending, -1 descending. */
  readonly direction: number;
  /** -1 when NULLs sort first, 1 when last. */
  readonly nullOrder: number;
}

function resolveKeys(schema: Schema, keys: readonly MergeKey[]): ResolvedKey[] {
  if (keys.length === 0)
    throw new SluiceError('CONFIG_INVALID', 'a sorted merge needs at least one sort key');
  return keys.map((key) => {
    const index = schema.fields.findIndex((field) => field.name === key.column);
    if (index < 0) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `sort key '${key.column}' is not a column of the result; columns: ${schema.fields.map((f) => f.name).join(', ')}`,
      );
    }
    const nullsFirst = (key.nulls ?? (key.descending ? 'last' : 'first')) === 'first';
    return {
      index,
      type: keyTypeOf(schema.fields[index]!.type),
      direction: key.descending ? -1 : 1,
      nullOrder: nullsFirst ? -1 : 1,
    };
  });
}

/** A stream's position: its current batch and row. */
interface Cursor {
  readonly stream: number;
  readonly iterator: AsyncIterator<RecordBatch>;
  batch: RecordBatch;
  row: number;
  keys: KeyColumn[];
}

/**
 * Merges streams that are each sorted by `keys` into one sorted stream (ties keep the order of
 * the streams). Rows are copied in runs: while one stream keeps winning, its rows go out as a
 * range. With `limit`, the merge stops its sources once it has that many rows.
 */
export async function* mergeSorted(
  streams: readonly AsyncIterable<RecordBatch>[],
  keys: readonly MergeKey[],
  options: MergeOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? 65_536));
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  let schema: Schema | undefined;
  let resolved: ResolvedKey[] = [];
  const pull = async (stream: number): Promise<Cursor | undefined> => {
    const iterator = iterators[stream]!;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return undefined;
      const batch = next.value;
      if (!schema) {
        schema = batch.schema;
        resolved = resolveKeys(schema, keys);
      }
      if (batch.numRows === 0) continue;
      return { stream, iterator, batch, row: 0, keys: cursorKeys(batch) };
    }
  };
  const cursorKeys = (batch: RecordBatch) =>
    resolved.map((key) => keyColumn(batch.data.children[key.index]!, key.type));
  const compare = (a: Cursor, i: number, b: Cursor, j: number): number => {
    for (let k = 0; k < resolved.length; k++) {
      const key = resolved[k]!;
      const x = a.keys[k]!;
      const y = b.keys[k]!;
      const xNull = isNull(x.data, i);
      const yNull = isNull(y.data, j);
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull ? key.nullOrder : -key.nullOrder;
      }
      const order = compareValues(key.type, x, i, y, j);
      if (order !== 0) return order * key.direction;
    }
    return a.stream - b.stream;
  };

  try {
    if (limit <= 0) return;
    const heap: Cursor[] = [];
    const firsts = await Promise.all(iterators.map((_, stream) => pull(stream)));
    for (const cursor of firsts) if (cursor) heap.push(cursor);
    if (!schema) return;
    const less = (a: Cursor, b: Cursor) => compare(a, a.row, b, b.row) < 0;
    const siftDown = (start: number) => {
      let index = start;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < heap.length && less(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && less(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === index) return;
        [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
        index = smallest;
      }
    };
    for (let index = (heap.length >> 1) - 1; index >= 0; index--) siftDown(index);

    const gatherer = new RowGatherer(schema, Math.min(batchRows, 4096));
    let emitted = 0;
    let yieldedAny = false;
    while (heap.length > 0 && emitted + gatherer.rows < limit) {
      const top = heap[0]!;
      // The runner-up among the root's children bounds how far the top stream may run.
      const second =
        heap.length < 2 ? undefined : heap.length < 3 || less(heap[1]!, heap[2]!) ? heap[1]! : heap[2]!;
      const start = top.row;
      const room = Math.min(limit - emitted - gatherer.rows, batchRows - gatherer.rows);
      const end = Math.min(top.batch.numRows, start + room);
      let row = start + 1;
      while (row < end && (!second || compare(top, row, second, second.row) < 0)) row++;
      gatherer.append(top.batch, start, row);
      top.row = row;
      if (top.row >= top.batch.numRows) {
        const next = await pull(top.stream);
        if (next) {
          heap[0] = next;
        } else {
          heap[0] = heap[heap.length - 1]!;
          heap.pop();
        }
      }
      if (heap.length > 0) siftDown(0);
      if (gatherer.rows >= batchRows) {
        emitted += gatherer.rows;
        yieldedAny = true;
        yield gatherer.take();
      }
    }
    if (gatherer.rows > 0 || !yieldedAny) yield gatherer.take();
  } finally {
    // Ending early (limit reached, or the consumer stopped): stop every source.
    await Promise.allSettled(iterators.map((iterator) => iterator.return?.()));
  }
}

/** The streams one after another, up to `limit` rows. */
export async function* concatBatches(
  streams: readonly AsyncIterable<RecordBatch>[],
  options: { readonly limit?: number } = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  let remaining = options.limit ?? Number.POSITIVE_INFINITY;
  for (const stream of streams) {
    if (remaining <= 0) return;
    for await (const batch of stream) {
      if (batch.numRows <= remaining) {
        remaining -= batch.numRows;
        yield batch;
      } else {
        yield batch.slice(0, remaining);
        remaining = 0;
      }
      if (remaining <= 0) return;
    }
  }
}

/**
 * LIMIT / OFFSET over a stream: skips `offset` rows, yields up to `limit` (zero-copy slices), and
 * stops the source as soon as it has them: ending a parallel read early kills its partitions.
 * A stream cut to nothing still yields one empty batch, so the schema travels on.
 */
export async function* limitBatches(
  source: AsyncIterable<RecordBatch>,
  options: { readonly limit?: number; readonly offset?: number },
): AsyncGenerator<RecordBatch, void, undefined> {
  let skip = Math.max(0, options.offset ?? 0);
  let remaining = options.limit ?? Number.POSITIVE_INFINITY;
  let yielded = false;
  let last: RecordBatch | undefined;
  for await (const batch of source) {
    last = batch;
    if (remaining <= 0) break;
    let slice = batch;
    if (skip > 0) {
      const skipped = Math.min(skip, slice.numRows);
      skip -= skipped;
      slice = slice.slice(skipped, slice.numRows);
    }
    if (slice.numRows > remaining) slice = slice.slice(0, remaining);
    if (slice.numRows === 0) continue;
    remaining -= slice.numRows;
    yielded = true;
    yield slice;
    if (remaining <= 0) break;
  }
  if (!yielded && last) yield last.slice(0, 0);
}
