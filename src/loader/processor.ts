/**
 * A batch's records to rows: transform (if any), then the format's decoder. Every record ends up
 * as rows, as a failure (kept with its payload and the error), or as filtered (the transform
 * returned nothing for it).
 */
import type { TsvValue } from '../db/tsv.ts';
import { type Decoder, type Payload, RecordError } from './formats.ts';
import type { LeafRouter } from './hash-router.ts';
import type { SourceRecord, TransformResult } from './record.ts';
import type { Transformer } from './transforms.ts';

export interface Failure {
  /** Index of the record in the batch. */
  readonly record: number;
  /** Tells apart several failures of one record (lines of one payload, outputs of one transform). */
  readonly seq: number;
  readonly stage: 'parse' | 'transform' | 'load';
  readonly error: string;
  /** What failed, when it is not the record's own payload (a transform's output line). */
  readonly payload?: string;
}

export interface ProcessedBatch {
  readonly rows: TsvValue[][];
  /** For each row, the index of the record it came from. */
  readonly rowRecord: number[];
  readonly failures: Failure[];
  filtered: number;
}

export async function processRecords(
  topic: string,
  partition: number,
  records: readonly SourceRecord[],
  decoder: Decoder,
  transformer: Transformer | undefined,
): Promise<ProcessedBatch> {
  const batch: ProcessedBatch = { rows: [], rowRecord: [], failures: [], filtered: 0 };
  if (records.length === 0) return batch;
  if (!transformer) {
    for (let index = 0; index < records.length; index++) {
      const value = records[index]!.value;
      if (value === null) {
        batch.failures.push(tombstone(index));
        continue;
      }
      decodeInto(batch, decoder, value, index, 0);
    }
    return batch;
  }
  let answer: Awaited<ReturnType<Transformer['run']>>;
  try {
    answer = await transformer.run(topic, partition, records);
  } catch (error) {
    // The transform failed as a whole: every record is kept as failed, none is lost.
    const message = (error as Error).message;
    for (let index = 0; index < records.length; index++) {
      batch.failures.push({ record: index, seq: 0, stage: 'transform', error: message });
    }
    return batch;
  }
  if (answer.kind === 'lines') {
    // A program's lines cannot be traced to single records: they count against the batch's last.
    const last = records.length - 1;
    answer.lines.forEach((line, seq) => {
      decodeInto(batch, decoder, line, last, seq, line);
    });
    return batch;
  }
  answer.results.forEach((result: TransformResult, index) => {
    if ('error' in result) {
      batch.failures.push({ record: index, seq: 0, stage: 'transform', error: result.error });
    } else if (result.outputs.length === 0) {
      batch.filtered++;
    } else {
      result.outputs.forEach((output, seq) => {
        const shown = typeof output === 'string' ? output : JSON.stringify(output);
        decodeInto(batch, decoder, output, index, seq, result.outputs.length > 1 ? shown : undefined);
      });
    }
  });
  return batch;
}

/** The failure of a record without a value. */
export function tombstone(record: number): Failure {
  return { record, seq: 0, stage: 'parse', error: 'the record has no value (tombstone)' };
}

/** One payload's rows (or its failure) added to `batch`. */
export function decodeInto(
  batch: ProcessedBatch,
  decoder: Decoder,
  payload: Payload,
  record: number,
  seq: number,
  shown?: string,
): void {
  try {
    for (const row of decoder.decode(payload)) {
      batch.rows.push(row);
      batch.rowRecord.push(record);
    }
  } catch (error) {
    const stage = error instanceof RecordError ? error.stage : 'parse';
    batch.failures.push({
      record,
      seq,
      stage,
      error: (error as Error).message,
      ...(shown === undefined ? {} : { payload: shown }),
    });
  }
}

/** A batch's rows for one write server, and for each row the index of its record. */
export interface ServerRowValues {
  readonly rows: TsvValue[][];
  readonly rowRecord: number[];
}

/** The rows of a batch by write server: all to the one server, or each to the leaf owning its key. */
export function splitRows(
  batch: ProcessedBatch,
  router: LeafRouter | undefined,
  servers: number,
): ServerRowValues[] {
  if (!router) return [{ rows: batch.rows, rowRecord: batch.rowRecord }];
  const split = Array.from({ length: servers }, () => ({
    rows: [] as TsvValue[][],
    rowRecord: [] as number[],
  }));
  batch.rows.forEach((row, index) => {
    const target = split[router.leafOf(row)]!;
    target.rows.push(row);
    target.rowRecord.push(batch.rowRecord[index]!);
  });
  return split;
}
