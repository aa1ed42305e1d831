/**
 * Decoded buffers to Arrow RecordBatches. The typed arrays become the Arrow arrays' buffers as
 * they are: nothing is copied, whether they were decoded on this thread or transferred from a
 * worker.
 */
import { type Data, DataType, makeData, RecordBatch, type Schema, Struct } from 'apache-arrow';
import { SluiceError } from '../base/errors.ts';
import type { BatchBuffers } from './batch-buffers.ts';

export function toRecordBatch(schema: Schema, batch: BatchBuffers): RecordBatch {
  if (batch.columns.length !== schema.fields.length) {
    throw new SluiceError(
      'INTERNAL',
      `batch has ${batch.columns.length} columns, schema ${schema.fields.length}`,
    );
  }
  const children = schema.fields.map((field, index): Data => {
    const column = batch.columns[index]!;
    // makeData takes the props it needs for each type and ignores the rest.
    return makeData({
      type: field.type,
      length: batch.rows,
      nullCount: column.nullCount,
      nullBitmap: column.validity,
      valueOffsets: column.offsets,
      data: column.values,
    } as Parameters<typeof makeData>[0]);
  });
  const data = makeData({ type: new Struct(schema.fields), length: batch.rows, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** A batch with the schema and no rows: it carries the schema through a stream with no results. */
export function emptyBatch(schema: Schema): RecordBatch {
  return toRecordBatch(schema, {
    rows: 0,
    bytes: 0,
    columns: schema.fields.map((field) =>
      DataType.isUtf8(field.type) || DataType.isBinary(field.type)
        ? { nullCount: 0, offsets: new Int32Array(1) }
        : { nullCount: 0 },
    ),
  });
}
