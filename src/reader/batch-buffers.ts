/**
 * A batch of result rows as the buffers of Arrow arrays: plain data that a worker thread can post
 * with its ArrayBuffers transferred, and the main thread turns into a RecordBatch without copying
 * (`batch.ts`).
 */

/** One column of a decoded batch: the buffers of an Arrow array, ready for `makeData`. */
export interface ColumnBuffers {
  readonly nullCount: number;
  /** Validity bitmap (bit set = value present); absent when the column has no nulls. */
  readonly validity?: Uint8Array;
  /** Utf8/Binary: rows + 1 offsets into `values`. */
  readonly offsets?: Int32Array;
  /** The value buffer, typed as Arrow stores it (Int32Array, BigInt64Array, Uint32Array words…). */
  readonly values?: ArrayBufferView;
}

/** A batch of decoded rows as plain data (transferable between threads). */
export interface BatchBuffers {
  readonly rows: number;
  /** Bytes of all buffers, for accounting. */
  readonly bytes: number;
  readonly columns: readonly ColumnBuffers[];
}

/** The ArrayBuffers of a batch, once each: the transfer list for postMessage. */
export function transferList(batch: BatchBuffers): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const column of batch.columns) {
    for (const view of [column.validity, column.offsets, column.values]) {
      if (view) buffers.add(view.buffer as ArrayBuffer);
    }
  }
  return [...buffers];
}
