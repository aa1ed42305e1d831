/**
 * A batch's records to the rows each write server takes.
 *
 * kafkajs fetches and decodes record batches on the main thread, and that thread was the
 * pipeline's bottleneck while it also parsed JSON and built LOAD DATA text (bench/results/
 * kafka-load.md). So, without a transform, batches of at least MIN_WORKER_RECORDS records are
 * decoded on worker threads (workers/decode-batch.ts), which send back the rows as ready LOAD
 * DATA text. The values themselves are only needed when the exact path runs (a bad row, upsert,
 * SET/WHERE); they are then decoded again here, by the same code, in the same order.
 *
 * With a transform, and for small batches (where a thread hand-off costs more than it saves),
 * everything runs on the main thread.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { workerBundle } from '../runtime/worker-bundle.ts';
import type { BulkRows, EncodedRows } from '../writer/rows.ts';
import type { DecodeAnswer, DecodeTask, RoutingData } from './decode-protocol.ts';
import { createDecoder, type Decoder } from './formats.ts';
import type { LeafRouter } from './hash-router.ts';
import { FetchedRecord } from './kafka-records.ts';
import { type Failure, processRecords, type ServerRowValues, splitRows } from './processor.ts';
import type { SourceRecord } from './record.ts';
import { confluentSchemaId, type SchemaRegistry } from './schema-registry.ts';
import type { FormatSpec } from './spec.ts';
import type { Transformer } from './transforms.ts';

/** One write server's rows of a batch, and for each row the index of the record it came from. */
export interface ServerRows {
  readonly rows: BulkRows;
  readonly rowRecord: ArrayLike<number>;
}

/** A Kafka batch decoded into rows, routed to the write servers, with the records that failed. */
export interface RoutedBatch {
  readonly failures: readonly Failure[];
  /** Records a transform filtered out (no rows, no failure). */
  readonly filtered: number;
  /** Per write server (one, or one per leaf when rows are routed). */
  readonly servers: readonly ServerRows[];
}

export interface BatchDecoderOptions {
  readonly format: FormatSpec;
  readonly decoder: Decoder;
  readonly transformer: Transformer | undefined;
  readonly router: LeafRouter | undefined;
  /** Write servers the rows are split over. */
  readonly servers: number;
  /** Worker threads for decoding; 0 decodes on the main thread. */
  readonly threads: number;
  /** Where Avro writer schemas come from, by the id in each record. */
  readonly registry?: SchemaRegistry;
}

/**
 * Below this many records a batch is decoded on the main thread: a hand-off costs about 0.25 ms
 * (64 or 256 events: 0.55-0.62 ms on a worker against 0.31-0.38 ms here; at 512 both take 1.3 ms
 * and the worker also wrote the LOAD DATA text).
 */
export const MIN_WORKER_RECORDS = 512;

/** Decode threads by default: every core but the one kafkajs runs on, at least one, at most 4. */
export function defaultDecodeThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

/** A format and its decoder. */
interface Reading {
  readonly format: FormatSpec;
  readonly decoder: Decoder;
}

export class BatchDecoder {
  private pool: Promise<Piscina> | undefined;
  private reading: Reading | undefined;

  constructor(private readonly options: BatchDecoderOptions) {}

  async decode(topic: string, partition: number, records: readonly SourceRecord[]): Promise<RoutedBatch> {
    const { transformer, threads } = this.options;
    const reading = await this.readingFor(records);
    if (transformer || threads === 0 || records.length < MIN_WORKER_RECORDS) {
      return this.decodeHere(topic, partition, records, reading.decoder);
    }
    return this.decodeOnWorker(topic, partition, records, reading);
  }

  /** The decoder for `records` on this thread (with a schema registry: one that knows their ids). */
  async decoderFor(records: readonly SourceRecord[]): Promise<Decoder> {
    return (await this.readingFor(records)).decoder;
  }

  /**
   * With a schema registry, the format (and its decoder) that know the schema of every id in
   * `records`: ids not seen yet are looked up first. The format grows with each new id, so it
   * changes rarely, and travels to the decode threads with each batch.
   */
  private async readingFor(records: readonly SourceRecord[]): Promise<Reading> {
    const { registry, format, decoder } = this.options;
    if (!registry || format.kind !== 'avro') return { format, decoder };
    const known = this.reading?.format.kind === 'avro' ? (this.reading.format.schemas ?? {}) : {};
    const ids = new Set<number>();
    for (const record of records) {
      const id = confluentSchemaId(record.value);
      if (id !== undefined && !(id in known)) ids.add(id);
    }
    if (ids.size === 0 && this.reading) return this.reading;
    const found = await registry.lookup(ids);
    const next: FormatSpec = { ...format, schemas: { ...known, ...Object.fromEntries(found) } };
    this.reading = { format: next, decoder: createDecoder(next) };
    return this.reading;
  }

  /**
   * Starts the decode threads ahead of the first batch (bundling the worker and loading it in
   * each thread takes a few hundred ms), when batches will be decoded on them.
   */
  async warm(): Promise<void> {
    if (this.options.transformer || this.options.threads === 0) return;
    await this.workers();
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool).destroy();
  }

  /** On this thread, rows as values: with a transform, for small batches, or as a fallback. */
  private async decodeHere(
    topic: string,
    partition: number,
    records: readonly SourceRecord[],
    decoder: Decoder,
  ): Promise<{ failures: Failure[]; filtered: number; servers: ServerRowValues[] }> {
    const { transformer, router, servers } = this.options;
    const processed = await processRecords(topic, partition, records, decoder, transformer);
    return {
      failures: processed.failures,
      filtered: processed.filtered,
      servers: splitRows(processed, router, servers),
    };
  }

  private workers(): Promise<Piscina> {
    this.pool ??= workerBundle('workers/decode-batch.ts').then(
      (filename) =>
        new Piscina({
          filename,
          minThreads: this.options.threads,
          maxThreads: this.options.threads,
          idleTimeout: 60_000,
        }),
    );
    return this.pool;
  }

  private async decodeOnWorker(
    topic: string,
    partition: number,
    records: readonly SourceRecord[],
    { format, decoder }: Reading,
  ): Promise<RoutedBatch> {
    const { router, servers } = this.options;
    const { payloads, starts, lengths } = packValues(records);
    const routing: RoutingData | undefined = router && {
      shardKey: router.shardKey,
      keyIndex: router.keyIndex,
      leafOfPartition: router.leafOfPartition,
    };
    const task: DecodeTask = { format, routing, servers, payloads, starts, lengths };
    let answer: DecodeAnswer;
    try {
      const pool = await this.workers();
      answer = (await pool.run(task, {
        transferList: [payloads.buffer, starts.buffer, lengths.buffer],
      })) as DecodeAnswer;
    } catch {
      // A thread that died (out of memory, a bundle that cannot load) must not stop the load: the
      // same code runs here, and whatever it throws is the real error.
      return this.decodeHere(topic, partition, records, decoder);
    }
    // The values, decoded here only if the exact path asks for them; once for all servers.
    let values: Promise<ServerRowValues[]> | undefined;
    const valuesOf = async (server: number) => {
      values ??= this.decodeHere(topic, partition, records, decoder).then((batch) => batch.servers);
      return (await values)[server]!.rows;
    };
    return {
      failures: answer.failures,
      filtered: answer.filtered,
      servers: answer.servers.map((encoded, server) => ({
        rowRecord: encoded.rowRecord,
        rows: {
          count: encoded.count,
          tsv: encoded.tsv,
          values: () => valuesOf(server),
        } satisfies EncodedRows,
      })),
    };
  }
}

/**
 * Values closer than this to the end of the previous one in the same memory are copied together
 * with the bytes between them (record headers, keys): one copy of a run is cheaper than one per
 * record.
 */
const MAX_GAP = 4096;
const EMPTY = new ArrayBuffer(0);

/**
 * A batch's record values in one buffer for the decode thread. kafkajs's values are views into
 * the fetch response (or a decompressed record batch), one after the other with each record's
 * header between: each run of them is copied at once, with the bytes between, and every value is
 * found again by its start and length.
 */
export function packValues(records: readonly SourceRecord[]): {
  payloads: Uint8Array<ArrayBuffer>;
  starts: Int32Array<ArrayBuffer>;
  lengths: Int32Array<ArrayBuffer>;
} {
  const starts = new Int32Array(records.length);
  const lengths = new Int32Array(records.length);
  const runs: { memory: ArrayBufferLike; from: number; to: number; at: number }[] = [];
  let run: (typeof runs)[number] | undefined;
  let total = 0;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    let memory: ArrayBufferLike;
    let from: number;
    let length: number;
    if (record instanceof FetchedRecord) {
      // Its position in the fetched bytes, without making a Buffer of it.
      const { frame, valueStart, valueLength } = record.message;
      memory = frame.memory.buffer;
      from = frame.memory.byteOffset + valueStart;
      length = valueLength;
    } else {
      const value = record.value;
      memory = value?.buffer ?? EMPTY;
      from = value?.byteOffset ?? 0;
      length = value?.length ?? -1;
    }
    if (length < 0) {
      lengths[index] = -1;
      continue;
    }
    const to = from + length;
    if (!run || run.memory !== memory || from < run.to || from - run.to > MAX_GAP) {
      run = { memory, from, to, at: total };
      runs.push(run);
    } else run.to = to;
    total = run.at + (run.to - run.from);
    starts[index] = run.at + (from - run.from);
    lengths[index] = length;
  }
  const payloads = new Uint8Array(total);
  for (const { memory, from, to, at } of runs) payloads.set(new Uint8Array(memory, from, to - from), at);
  return { payloads, starts, lengths };
}
