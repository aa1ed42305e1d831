/**
 * piscina worker: decodes a batch of record payloads with the pipeline's format and writes the
 * rows as LOAD DATA text, per write server (`encodeBatch`). Records the direct reader takes
 * (loader/direct-rows.ts) are copied from their payload into the text; the others go through
 * the code the main thread runs (decodeInto, tsvLine), so both threads give the same rows in the
 * same order. The text comes back as transferred buffers, not copied.
 */
import { Piscina } from 'piscina';
import type { DecodeAnswer, DecodeTask } from '../src/loader/decode-protocol.ts';
import { encodeBatch } from '../src/loader/encode-batch.ts';

export default async function decodeBatch(task: DecodeTask): Promise<unknown> {
  const answer: DecodeAnswer = encodeBatch(task);
  const transfer: ArrayBuffer[] = [];
  for (const server of answer.servers) {
    for (const bytes of server.tsv) transfer.push(bytes.buffer as ArrayBuffer);
    transfer.push(server.rowRecord.buffer as ArrayBuffer);
  }
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
