/**
 * A batch's packed record values (decode-protocol.ts) to LOAD DATA text per write server: what a
 * decode thread does with a batch. Each record is read by the direct reader when it can
 * (direct-rows.ts: bytes copied, no values built), otherwise by the format's decoder, in record
 * order either way; rows are appended to their server's text as soon as they are read, so no
 * batch of row values is kept alive.
 */

import { type TsvValue, tsvLine } from '../db/tsv.ts';
import { TsvOutput } from '../db/tsv-output.ts';
import type { DecodeAnswer, DecodeTask, EncodedServerRows } from './decode-protocol.ts';
import { type DirectRows, directRows } from './direct-rows.ts';
import { createDecoder, type Decoder } from './formats.ts';
import { hashRouter, type LeafRouter } from './hash-router.ts';
import { decodeInto, type ProcessedBatch, tombstone } from './processor.ts';

interface Reading {
  readonly decoder: Decoder;
  readonly direct: DirectRows | undefined;
  readonly router: LeafRouter | undefined;
}

/** By format and routing: a thread keeps its readers (and their scratch memory) between batches. */
const readings = new Map<string, Reading>();

function readingFor(task: DecodeTask): Reading {
  const key = JSON.stringify([task.format, task.routing]);
  let reading = readings.get(key);
  if (!reading) {
    const { routing } = task;
    reading = {
      decoder: createDecoder(task.format),
      direct: directRows(task.format),
      router: routing ? hashRouter(routing.shardKey, routing.keyIndex, routing.leafOfPartition) : undefined,
    };
    readings.set(key, reading);
  }
  return reading;
}

/** Record indexes of one server's rows, in a growing Int32Array. */
class RecordList {
  private items: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(16, capacity));
  }
  push(record: number): void {
    if (this.length === this.items.length) {
      const more = new Int32Array(this.items.length * 2);
      more.set(this.items);
      this.items = more;
    }
    this.items[this.length++] = record;
  }
  finish(): Int32Array {
    return this.items.slice(0, this.length);
  }
}

export function encodeBatch(task: DecodeTask): DecodeAnswer {
  const { decoder, direct, router } = readingFor(task);
  const payloads = Buffer.from(task.payloads.buffer, task.payloads.byteOffset, task.payloads.byteLength);
  const records = task.lengths.length;
  const outputs = Array.from({ length: task.servers }, () => new TsvOutput());
  const recordsOf = Array.from(
    { length: task.servers },
    () => new RecordList(router ? Math.ceil(records / task.servers) : records),
  );
  // Rows of the records the format's decoder reads, one record at a time.
  const general: ProcessedBatch = { rows: [], rowRecord: [], failures: [], filtered: 0 };
  const keyRow: TsvValue[] = [];
  const serverOf = (row: readonly TsvValue[]) => (router ? router.leafOf(row) : 0);
  for (let record = 0; record < records; record++) {
    const length = task.lengths[record]!;
    if (length < 0) {
      general.failures.push(tombstone(record));
      continue;
    }
    const start = task.starts[record]!;
    const rows = direct ? direct.read(payloads, start, start + length) : -1;
    if (rows >= 0) {
      for (let row = 0; row < rows; row++) {
        let server = 0;
        if (router) {
          keyRow[router.keyIndex] = direct!.value(row, router.keyIndex);
          server = router.leafOf(keyRow);
        }
        direct!.write(row, outputs[server]!);
        recordsOf[server]!.push(record);
      }
      continue;
    }
    decodeInto(general, decoder, payloads.subarray(start, start + length), record, 0);
    for (let row = 0; row < general.rows.length; row++) {
      const values = general.rows[row]!;
      const server = serverOf(values);
      outputs[server]!.appendString(tsvLine(values));
      recordsOf[server]!.push(record);
    }
    general.rows.length = 0;
    general.rowRecord.length = 0;
  }
  const servers: EncodedServerRows[] = outputs.map((output, server) => {
    const list = recordsOf[server]!;
    return { count: list.length, tsv: output.finish(), rowRecord: list.finish() };
  });
  return { servers, failures: general.failures, filtered: 0 };
}
