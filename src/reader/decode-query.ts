/**
 * One statement's rows decoded into batches, on whichever thread calls it: the core shared by
 * `readArrow` (current thread) and the partition workers. Free of apache-arrow, so workers do not
 * load it.
 */

import { SluiceError } from '../base/errors.ts';
import type { ColumnMeta } from '../db/column-meta.ts';
import type { RawConnection } from '../db/raw-query.ts';
import type { BatchBuffers } from './batch-buffers.ts';
import { planColumns, type TypeOptions } from './column-plan.ts';
import { binaryDecodable, type DecoderOptions, TextRowDecoder } from './decoder.ts';

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
  let binaryRows = false;
  await connection.stream(sql, params, {
    columns(columns, binary) {
      const plans = planColumns(columns, options);
      // The execution's columns decide: they must still be ones the binary decoder reads.
      if (binary && !binaryDecodable(columns, plans)) {
        throw new SluiceError(
          'WIRE_INVALID',
          'the prepared statement returned columns the binary decoder does not read',
        );
      }
      binaryRows = binary;
      decoder = new TextRowDecoder(plans, (batch) => sink.batch(batch), options);
      sink.columns(columns);
    },
    row(buf, start, end) {
      if (binaryRows) decoder!.addBinaryRow(buf, start, end);
      else decoder!.addRow(buf, start, end);
    },
    ...(options.protocol === 'text'
      ? {}
      : {
          binary: (columns: readonly ColumnMeta[]) => binaryDecodable(columns, planColumns(columns, options)),
        }),
  });
  decoder!.flush();
  return decoder!.rowsDecoded;
}
