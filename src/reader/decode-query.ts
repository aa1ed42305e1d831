/**
 * One statement's rows decoded into batches, on whichever thread calls it: the core shared by
 * `readArrow` (current thread) and the partition workers. Free of apache-arrow, so workers do not
 * load it.
 */

import type { ColumnMeta } from '../db/column-meta.ts';
import type { RawConnection } from '../db/raw-query.ts';
import type { BatchBuffers } from './batch-buffers.ts';
import { planColumns, type TypeOptions } from './column-plan.ts';
import { type DecoderOptions, TextRowDecoder } from './decoder.ts';

/** Callbacks of a streaming statement: its columns, then decoded batches. */
export interface DecodeSink {
  columns(columns: readonly ColumnMeta[]): void;
  batch(batch: BatchBuffers): void;
}

/**
 * Runs `sql` on `connection` and decodes its rows into batches for `sink`. Resolves with the
 * number of rows once the last batch is out. The shared core of `readArrow` and the workers.
 */
export async function decodeQuery(
  connection: RawConnection,
  sql: string,
  params: readonly unknown[],
  sink: DecodeSink,
  options: TypeOptions & DecoderOptions = {},
): Promise<number> {
  let decoder: TextRowDecoder | undefined;
  await connection.stream(sql, params, {
    columns(columns) {
      decoder = new TextRowDecoder(planColumns(columns, options), (batch) => sink.batch(batch), options);
      sink.columns(columns);
    },
    row(buf, start, end) {
      decoder!.addRow(buf, start, end);
    },
  });
  decoder!.flush();
  return decoder!.rowsDecoded;
}
