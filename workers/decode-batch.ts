/**
 * piscina worker: decodes a batch of record payloads with the pipeline's format and writes the
 * rows as LOAD DATA text, per write server. It runs the very code the main thread runs
 * (processRecords, splitRows, tsvLine), so both give the same rows in the same order; the main
 * thread is left to kafkajs. The text comes back as transferred buffers, not copied.
 */
import { Piscina } from 'piscina';
import { tsvLine } from '../src/db/tsv.ts';
import type { DecodeAnswer, DecodeTask } from '../src/loader/decode-protocol.ts';
import { createDecoder, type Decoder } from '../src/loader/formats.ts';
import { hashRouter, type LeafRouter } from '../src/loader/hash-router.ts';
import { processRecords, splitRows } from '../src/loader/processor.ts';
import type { SourceRecord } from '../src/loader/record.ts';

/** Text per chunk: big enough to be cheap to send, small enough to start sending early. */
const CHUNK_CHARS = 256 * 1024;
const encoder = new TextEncoder();
const decoders = new Map<string, { decoder: Decoder; router: LeafRouter | undefined }>();

function setup(task: DecodeTask): { decoder: Decoder; router: LeafRouter | undefined } {
  const key = JSON.stringify([task.format, task.routing]);
  let entry = decoders.get(key);
  if (!entry) {
    const { routing } = task;
    entry = {
      decoder: createDecoder(task.format),
      router: routing ? hashRouter(routing.shardKey, routing.keyIndex, routing.leafOfPartition) : undefined,
    };
    decoders.set(key, entry);
  }
  return entry;
}

export default async function decodeBatch(task: DecodeTask): Promise<unknown> {
  const { decoder, router } = setup(task);
  const payloads = Buffer.from(task.payloads.buffer, task.payloads.byteOffset, task.payloads.byteLength);
  const records: SourceRecord[] = new Array(task.lengths.length);
  for (let index = 0; index < task.lengths.length; index++) {
    const length = task.lengths[index]!;
    const start = task.starts[index]!;
    const value = length < 0 ? null : payloads.subarray(start, start + length);
    // Only the value is decoded; offsets and keys stay with the main thread.
    records[index] = { offset: index, key: null, value, timestamp: '' };
  }
  const processed = await processRecords('', 0, records, decoder, undefined);
  const transfer: ArrayBuffer[] = [];
  const servers = splitRows(processed, router, task.servers).map(({ rows, rowRecord }) => {
    const tsv: Uint8Array[] = [];
    let chunk = '';
    for (const row of rows) {
      chunk += tsvLine(row);
      if (chunk.length >= CHUNK_CHARS) {
        tsv.push(encoder.encode(chunk));
        chunk = '';
      }
    }
    if (chunk.length > 0) tsv.push(encoder.encode(chunk));
    const recordOf = Int32Array.from(rowRecord);
    for (const bytes of tsv) transfer.push(bytes.buffer as ArrayBuffer);
    transfer.push(recordOf.buffer);
    return { count: rows.length, tsv, rowRecord: recordOf };
  });
  const answer: DecodeAnswer = { servers, failures: processed.failures, filtered: processed.filtered };
  // piscina's way to return buffers without copying them: an object naming what to transfer.
  const movable = {
    get [Piscina.transferableSymbol]() {
      return transfer;
    },
    get [Piscina.valueSymbol]() {
      return answer;
    },
  };
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]);
}
