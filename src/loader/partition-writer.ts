/**
 * One writer per Kafka partition. It turns the partition's records into rows and commits each
 * batch in ONE transaction per server together with the guarded move of that server's offset
 * (see state.ts `advanceOffset`), so after any crash every record is in the table once.
 *
 * One server: one transaction holds the rows, the offset move, the batch's bad records and its
 * stats. Spider cluster, direct to the leaves: every leaf keeps its own offset watermark for the
 * partition, moved in the same leaf transaction as the rows routed to that leaf. Leaves commit
 * independently, so after a crash they may stand at different offsets; the partition resumes at
 * the lowest, and a replayed batch is cut at every leaf's watermark so that each leaf only takes
 * records past its own. Bad records go to the head's errors table before any leaf commits,
 * keyed by (topic, partition, offset, seq) so a replay cannot add them twice.
 */

import { SluiceError } from '../base/errors.ts';
import { type DbSession, openSession } from '../db/driver.ts';
import type { DbEndpoint } from '../db/endpoint.ts';
import type { TsvValue } from '../db/tsv.ts';
import { withRetries } from '../runtime/retry.ts';
import { writeBatch } from '../writer/bulk-writer.ts';
import { type BulkWriteResult, isEncoded } from '../writer/rows.ts';
import type { BatchDecoder, RoutedBatch } from './batch-decoder.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { Decoder } from './formats.ts';
import type { LeafRouter } from './hash-router.ts';
import { joinBatches } from './join-batches.ts';
import { valueBytes } from './kafka-records.ts';
import { type Failure, type ProcessedBatch, processRecords } from './processor.ts';
import type { SourceRecord } from './record.ts';
import { chunks, segmentsAtWatermarks } from './segments.ts';
import type { PipelineSpec } from './spec.ts';
import {
  advanceOffset,
  type BatchCounts,
  type ErrorRecord,
  initOffset,
  insertBatch,
  insertErrors,
  pruneBatches,
  readOffset,
} from './state.ts';
import type { Transformer } from './transforms.ts';
import type { Slots } from './write-slots.ts';

/** What every writer of a pipeline shares. */
export interface WriterContext {
  readonly spec: PipelineSpec;
  readonly columns: readonly string[];
  readonly decoder: Decoder;
  readonly transformer: Transformer | undefined;
  /** Records to rows per write server, on worker threads where that pays. */
  readonly batches: BatchDecoder;
  /** Where sluice_pipelines / _batches / _errors live (the single server or the head). */
  readonly stateEndpoint: DbEndpoint;
  /** Servers that take rows and hold offsets: the single server, the head, or every leaf. */
  readonly writeEndpoints: readonly DbEndpoint[];
  /** Set when rows go straight to leaves. */
  readonly router: LeafRouter | undefined;
  /** Where a partition without stored offsets starts. */
  readonly startOffset: (topic: string, partition: number) => Promise<number>;
  /** Bounds how many partitions write at once; the others decode meanwhile. */
  readonly writeSlots?: Slots;
  /** Where bad records also go when the spec names a dead-letter topic. */
  readonly deadLetters?: DeadLetters;
}

export interface BatchReport extends BatchCounts {
  readonly records: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly nextOffset: number;
}

export type WriteOutcome =
  | { readonly kind: 'written'; readonly nextOffset: number; readonly batches: readonly BatchReport[] }
  /** The records do not start where the database says this partition stands: seek there first. */
  | { readonly kind: 'seek'; readonly offset: number }
  /** Fetched before the consumer was last moved: the records come again from the new position. */
  | { readonly kind: 'dropped' };

/** A retriable failure gets this many tries, with jittered exponential backoff between them. */
const WRITE_RETRIES = { attempts: 12, initialMs: 200, maxMs: 5000 } as const;

const isOffsetConflict = (error: SluiceError) => error.code === 'OFFSET_CONFLICT';

export class PartitionWriter {
  private sessions: DbSession[] | undefined;
  private stateSession: DbSession | undefined;
  /** The next offset each write server expects for this partition, as last read or written. */
  private watermarks: number[] | undefined;
  /** False until the consumer's position has been checked against the stored offsets. */
  private verified = false;
  private seekedTo: number | undefined;
  private positionUnknown = false;
  /** Changes whenever the consumer's position for this partition changes (assignment, seek). */
  generation = 0;
  /**
   * Work on this partition's connections runs one at a time: kafkajs may hand over a stale batch
   * of the same partition after a seek while the previous one is still being written, and two
   * transactions interleaved on one connection would commit each other.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /** The pieces being written, with their decoding started on arrival (see write). */
  private ahead: AheadPiece[] = [];
  /** Batches handed to write whose turn has not come, oldest first (see joinWaiting). */
  private waiting: Waiting[] = [];
  /** First offsets of the batches this writer committed, oldest first (see keepHistory). */
  private readonly recentBatches: number[] = [];

  constructor(
    private readonly context: WriterContext,
    readonly topic: string,
    readonly partition: number,
  ) {}

  private get pipeline(): string {
    return this.context.spec.name;
  }

  /** After a (re)assignment the consumer's position is unknown until the next batch shows it. */
  resetPosition(): void {
    this.positionUnknown = true;
    this.generation++;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.positionUnknown) {
        this.positionUnknown = false;
        this.verified = false;
        this.seekedTo = undefined;
        this.watermarks = undefined;
      }
      return work();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The offset this partition resumes at: the lowest watermark of its write servers. */
  async storedOffset(): Promise<number> {
    return this.exclusive(() => this.withRetries(async () => Math.min(...(await this.currentWatermarks()))));
  }

  /**
   * True once a batch fetched since the last assignment has been checked against the stored
   * offsets (and written from there): the consumer's position is then known to be right.
   */
  get positionVerified(): boolean {
    return !this.positionUnknown && this.verified;
  }

  /** Marks that the consumer was moved to `offset`, so the next batch may start there. */
  seeked(offset: number): void {
    this.generation++;
    const generation = this.generation;
    // In order with the writes: batches queued before the seek see the old generation and are dropped.
    void this.exclusive(async () => {
      if (this.generation === generation) this.seekedTo = offset;
    });
  }

  /**
   * Writes a batch fetched at `generation` (default: now). A batch from before the consumer's
   * last move is dropped, since its records come again from the new position. Batches that
   * wait while an earlier one is written are written together when their turn comes (see
   * joinWaiting): one transaction for several fetches when the writer is behind, one per fetch
   * when it keeps up.
   */
  async write(
    records: readonly SourceRecord[],
    heartbeat: () => Promise<void>,
    generation = this.generation,
  ): Promise<WriteOutcome> {
    // Decoded while the batches before it are written: per partition, decoding and writing
    // overlap. Cut as writeOnce cuts a batch written alone; the pieces are used only if they
    // make up a segment exactly, and only once (a retry decodes again).
    const { maxRows, maxBytes } = this.context.spec.batch;
    const ahead =
      // A transform runs where the batch is written only (a program is not started for a batch
      // that may yet be dropped).
      this.context.transformer
        ? []
        : [...chunks(records, maxRows, maxBytes)].map((piece) => ({
            records: piece,
            decoded: this.context.batches.decode(this.topic, this.partition, piece),
          }));
    for (const piece of ahead) piece.decoded.catch(() => undefined);
    const own: Waiting = { records, bytes: payloadBytes(records), generation, ahead, joined: undefined };
    this.waiting.push(own);
    return this.exclusive(async () => {
      this.waiting = this.waiting.filter((entry) => entry !== own);
      // Written by an earlier turn, in the same transaction as the batches before it.
      if (own.joined) return own.joined;
      if (generation !== this.generation) return { kind: 'dropped' } as const;
      const joined = this.joinWaiting(own);
      this.ahead = joined.flatMap((entry) => entry.ahead);
      const written = this.withRetries(() =>
        this.writeOnce(joined.length === 1 ? records : joined.flatMap((entry) => entry.records), heartbeat),
      );
      for (const entry of joined.slice(1)) {
        entry.joined = written.then((outcome) =>
          // A seek throws away every batch fetched before it, these with the rest.
          outcome.kind === 'written' ? { ...outcome, batches: [] } : ({ kind: 'dropped' } as const),
        );
        entry.joined.catch(() => undefined);
      }
      try {
        return await written;
      } finally {
        this.ahead = [];
      }
    });
  }

  /**
   * `first` and the batches waiting right behind it that go into its transaction: fetched since
   * the same move of the consumer, each continuing the one before, and together within the
   * batch limits (so writeOnce keeps them as one segment, made of the pieces decoded ahead).
   */
  private joinWaiting(first: Waiting): Waiting[] {
    const { maxRows, maxBytes } = this.context.spec.batch;
    const joined = [first];
    let rows = first.records.length;
    let bytes = first.bytes;
    if (rows >= maxRows || bytes >= maxBytes) return joined;
    for (const next of this.waiting) {
      const last = joined[joined.length - 1]!.records;
      if (
        next.generation !== first.generation ||
        next.records.length === 0 ||
        next.records[0]!.offset <= last[last.length - 1]!.offset ||
        rows + next.records.length > maxRows ||
        bytes + next.bytes >= maxBytes
      )
        break;
      joined.push(next);
      rows += next.records.length;
      bytes += next.bytes;
    }
    this.waiting = this.waiting.filter((entry) => !joined.includes(entry));
    return joined;
  }

  /**
   * The decoding of `records` started when they arrived, if consecutive pieces make up exactly
   * them (each piece once): joined into one batch when they are several.
   */
  private takeAhead(records: readonly SourceRecord[]): Promise<RoutedBatch> | undefined {
    const start = this.ahead.findIndex((piece) => piece.records[0] === records[0]);
    if (start < 0) return undefined;
    let end = start;
    let count = 0;
    while (end < this.ahead.length && count < records.length) count += this.ahead[end++]!.records.length;
    const last = this.ahead[end - 1]!.records;
    if (count !== records.length || last[last.length - 1] !== records[records.length - 1]) return undefined;
    const pieces = this.ahead.splice(start, end - start);
    if (pieces.length === 1) return pieces[0]!.decoded;
    return Promise.all(pieces.map((piece) => piece.decoded)).then((batches) =>
      joinBatches(batches.map((batch, index) => ({ records: pieces[index]!.records.length, batch }))),
    );
  }

  async close(): Promise<void> {
    await this.queue;
    await this.closeSessions();
  }

  private async closeSessions(): Promise<void> {
    const sessions = [...(this.sessions ?? []), ...(this.stateSession ? [this.stateSession] : [])];
    this.sessions = undefined;
    this.stateSession = undefined;
    await Promise.all(sessions.map((session) => session.close().catch(() => undefined)));
  }

  private withRetries<T>(work: () => Promise<T>): Promise<T> {
    return withRetries(work, {
      ...WRITE_RETRIES,
      onRetry: async (error) => {
        // Whatever the database holds now is the truth: read the watermarks again before retrying.
        this.watermarks = undefined;
        if (!isOffsetConflict(error)) await this.closeSessions();
      },
      // Another writer moved the offset: nothing is broken, only the watermarks were stale.
      immediate: isOffsetConflict,
    });
  }

  private async openSessions(): Promise<{ sessions: DbSession[]; state: DbSession }> {
    if (!this.sessions) {
      this.sessions = await Promise.all(this.context.writeEndpoints.map((endpoint) => openSession(endpoint)));
    }
    if (!this.stateSession) {
      // One server: the state tables share the writer's connection, so errors and stats are in its transaction.
      this.stateSession = this.context.router
        ? await openSession(this.context.stateEndpoint)
        : this.sessions[0]!;
    }
    return { sessions: this.sessions, state: this.stateSession };
  }

  private async currentWatermarks(): Promise<number[]> {
    if (this.watermarks) return this.watermarks;
    const { sessions } = await this.openSessions();
    const stored = await Promise.all(
      sessions.map((session) => readOffset(session, this.pipeline, this.topic, this.partition)),
    );
    if (stored.some((offset) => offset === undefined)) {
      const start = await this.context.startOffset(this.topic, this.partition);
      await Promise.all(
        sessions.map((session, index) =>
          stored[index] === undefined
            ? initOffset(session, this.pipeline, this.topic, this.partition, start)
            : null,
        ),
      );
      return this.currentWatermarks();
    }
    this.watermarks = stored as number[];
    return this.watermarks;
  }

  private async writeOnce(
    records: readonly SourceRecord[],
    heartbeat: () => Promise<void>,
  ): Promise<WriteOutcome> {
    const watermarks = await this.currentWatermarks();
    const low = Math.min(...watermarks);
    const pending =
      records.length > 0 && records[0]!.offset >= low
        ? records
        : records.filter((record) => record.offset >= low);
    if (pending.length === 0) return { kind: 'written', nextOffset: Math.max(...watermarks), batches: [] };
    if (pending[0]!.offset > low && !this.verified && this.seekedTo !== low) {
      return { kind: 'seek', offset: low };
    }
    // From here a gap between the stored offset and the first record is real (compaction,
    // transaction markers, retention): the offset moves across it.
    this.verified = true;
    const batches: BatchReport[] = [];
    for (const chunk of chunks(pending, this.context.spec.batch.maxRows, this.context.spec.batch.maxBytes)) {
      for (const segment of segmentsAtWatermarks(chunk, this.watermarks!)) {
        batches.push(await this.writeSegment(segment));
      }
      await heartbeat();
    }
    return { kind: 'written', nextOffset: Math.max(...this.watermarks!), batches };
  }

  /** Writes records that every participating server has not seen yet (`segmentsAtWatermarks`). */
  private async writeSegment(records: readonly SourceRecord[]): Promise<BatchReport> {
    const started = performance.now();
    const { state } = await this.openSessions();
    const processed =
      (await this.takeAhead(records)) ??
      (await this.context.batches.decode(this.topic, this.partition, records));
    const errors = processed.failures.map((failure) => this.errorRecord(records, failure));
    try {
      const commit = () => this.commitSegment(records, processed, errors, started);
      return await (this.context.writeSlots ? this.context.writeSlots.run(commit) : commit());
    } catch (error) {
      // A stop by the error policy keeps the bad records (outside the rolled-back transaction).
      if (error instanceof PolicyStop) await insertErrors(state, this.pipeline, error.records);
      throw error;
    }
  }

  /**
   * Commits a segment on every server that has not seen it: on each, one transaction with its
   * rows, its bad records and the guarded move of its offset. Then the watermarks move and the
   * batch's history line is written.
   */
  private async commitSegment(
    records: readonly SourceRecord[],
    processed: RoutedBatch,
    errors: readonly ErrorRecord[],
    started: number,
  ): Promise<BatchReport> {
    const { sessions, state } = await this.openSessions();
    const watermarks = this.watermarks!;
    const segment: Segment = {
      records,
      processed,
      errors,
      first: records[0]!.offset,
      next: records[records.length - 1]!.offset + 1,
    };
    this.checkErrorPolicy(errors, records.length);
    const participants = sessions
      .map((_, index) => index)
      .filter((index) => watermarks[index]! <= segment.first);
    // Routed to leaves: the decode failures belong to no leaf, so they go to the head first.
    if (this.context.router && errors.length > 0) await this.keepErrors(state, records, errors);
    const counts = await Promise.all(
      participants.map((server) =>
        this.commitOnServer(segment, server, sessions[server]!, watermarks[server]!, state),
      ),
    );
    for (const server of participants) watermarks[server] = segment.next;
    const report: BatchReport = {
      ...sumCounts(counts),
      records: records.length,
      bytes: records.reduce((sum, record) => sum + valueBytes(record), 0),
      durationMs: performance.now() - started,
      nextOffset: segment.next,
    };
    await this.recordHistory(state, report, segment.first);
    return report;
  }

  /**
   * One server's transaction: its rows, the rows it rejected, the offset guard, and the bad
   * records (on this server; on the head when rows are routed to leaves).
   */
  private commitOnServer(
    segment: Segment,
    server: number,
    session: DbSession,
    watermark: number,
    state: DbSession,
  ): Promise<BatchCounts> {
    const { records, processed, errors } = segment;
    return session.transaction(async () => {
      const { written, rejected } = await this.loadRows(session, segment, server);
      this.checkErrorPolicy([...errors, ...rejected], records.length);
      // The accounting server (the first) counts records that produced no row; each server counts its own rows.
      const accounting = server === 0;
      const counts: BatchCounts = {
        rowsLoaded: written.written,
        duplicates: written.duplicates,
        failed: (accounting ? processed.failures.length : 0) + rejected.length,
        filtered: (accounting ? processed.filtered : 0) + (written.filtered ?? 0),
      };
      await this.moveOffset(session, watermark, segment.next, counts);
      if (this.context.router) await this.keepErrors(state, records, rejected);
      else await this.keepErrors(session, records, [...errors, ...rejected]);
      return counts;
    });
  }

  /** Writes the server's rows; the rows the database rejected come back as error records. */
  private async loadRows(
    session: DbSession,
    segment: Segment,
    server: number,
  ): Promise<{ written: BulkWriteResult; rejected: ErrorRecord[] }> {
    const { spec } = this.context;
    const { rows, rowRecord } = segment.processed.servers[server]!;
    const written = await writeBatch(session, spec.target.table, this.context.columns, rows, {
      mode: spec.target.mode,
      updateColumns: spec.target.updateColumns,
      set: spec.target.set,
      where: spec.target.where,
      badRows: 'collect',
    });
    // Rejections come from the exact path, which has the values (decoded again if need be).
    const values = !isEncoded(rows) ? rows : written.rejected.length > 0 ? await rows.values() : [];
    const rejected = written.rejected.map((rejection, seq) =>
      this.errorRecord(segment.records, {
        record: rowRecord[rejection.index]!,
        seq: 1000 + seq,
        stage: 'load',
        error: rejection.error,
        payload: rowText(values[rejection.index]!),
      }),
    );
    return { written, rejected };
  }

  /**
   * The guard comes last in the transaction but before COMMIT: if another writer moved the
   * offset meanwhile, everything the transaction did rolls back.
   */
  private async moveOffset(
    session: DbSession,
    from: number,
    next: number,
    counts: BatchCounts,
  ): Promise<void> {
    const moved = await advanceOffset(session, this.pipeline, this.topic, this.partition, from, next, counts);
    if (!moved) {
      throw new SluiceError(
        'OFFSET_CONFLICT',
        `${this.topic}[${this.partition}]: the stored offset is no longer ${from}; another writer moved it`,
        { retriable: true },
      );
    }
  }

  /** Bad records into the errors table and, when the spec names one, the dead-letter topic. */
  private async keepErrors(
    session: DbSession,
    records: readonly SourceRecord[],
    errors: readonly ErrorRecord[],
  ): Promise<void> {
    if (errors.length > 0) await insertErrors(session, this.pipeline, errors);
    await this.context.deadLetters?.send(records, errors);
  }

  /** The batch's line in sluice_batches: stats only, so a lost line loses history, never data. */
  private async recordHistory(state: DbSession, report: BatchReport, firstOffset: number): Promise<void> {
    await insertBatch(state, this.pipeline, {
      ...report,
      topic: this.topic,
      partition: this.partition,
      firstOffset,
    }).catch(() => undefined);
    await this.keepHistory(state, firstOffset);
  }

  /**
   * Keeps the last `batch.history` batches of this partition in sluice_batches (like SingleStore's
   * pipelines_batches_metadata_to_keep), so the table does not grow with every batch forever.
   * The first offsets of recent batches are remembered here; after a restart the older rows go
   * once `history` new batches have been written.
   */
  private async keepHistory(state: DbSession, firstOffset: number): Promise<void> {
    const keep = this.context.spec.batch.history;
    this.recentBatches.push(firstOffset);
    if (this.recentBatches.length <= keep) return;
    this.recentBatches.splice(0, this.recentBatches.length - keep);
    await pruneBatches(state, this.pipeline, this.topic, this.partition, this.recentBatches[0]!).catch(
      () => undefined,
    );
  }

  private checkErrorPolicy(failures: readonly ErrorRecord[], records: number): void {
    const { policy, maxPerBatch } = this.context.spec.errors;
    if (failures.length === 0) return;
    if (policy === 'stop' || (maxPerBatch > 0 && failures.length > maxPerBatch)) {
      throw new PolicyStop(
        `${this.topic}[${this.partition}]: ${failures.length} of ${records} record(s) in a batch failed ` +
          `(error policy ${policy}${maxPerBatch > 0 ? `, at most ${maxPerBatch} per batch` : ''}); see the errors table`,
        failures,
      );
    }
  }

  private errorRecord(records: readonly SourceRecord[], failure: Failure): ErrorRecord {
    const record = records[failure.record]!;
    return {
      topic: this.topic,
      partition: this.partition,
      offset: record.offset,
      seq: failure.seq,
      stage: failure.stage,
      error: failure.error,
      key: record.key,
      payload: failure.payload ?? record.value,
    };
  }

  /** For `test`: the rows a batch would load, without writing. */
  static async dryRun(
    context: WriterContext,
    topic: string,
    partition: number,
    records: readonly SourceRecord[],
  ): Promise<ProcessedBatch> {
    const decoder = await context.batches.decoderFor(records);
    return processRecords(topic, partition, records, decoder, context.transformer);
  }
}

/** A piece of a fetched batch, its decoding started when the batch arrived. */
interface AheadPiece {
  readonly records: readonly SourceRecord[];
  readonly decoded: Promise<RoutedBatch>;
}

/** A fetched batch handed to write, until its turn. */
interface Waiting {
  readonly records: readonly SourceRecord[];
  /** The records' payload bytes (what batch.maxBytes bounds). */
  readonly bytes: number;
  readonly generation: number;
  readonly ahead: readonly AheadPiece[];
  /** Set when an earlier turn writes these records in its transaction: that turn's outcome. */
  joined: Promise<WriteOutcome> | undefined;
}

function payloadBytes(records: readonly SourceRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += valueBytes(record);
  return bytes;
}

/** A piece of a batch that every participating server takes whole (see segmentsAtWatermarks). */
interface Segment {
  readonly records: readonly SourceRecord[];
  readonly processed: RoutedBatch;
  /** Records that failed before the database (decode, transform). */
  readonly errors: readonly ErrorRecord[];
  readonly first: number;
  /** The offset every participating server stands at once the segment is committed. */
  readonly next: number;
}

function sumCounts(counts: readonly BatchCounts[]): BatchCounts {
  return counts.reduce(
    (sum, each) => ({
      rowsLoaded: sum.rowsLoaded + each.rowsLoaded,
      duplicates: sum.duplicates + each.duplicates,
      failed: sum.failed + each.failed,
      filtered: sum.filtered + each.filtered,
    }),
    { rowsLoaded: 0, duplicates: 0, failed: 0, filtered: 0 },
  );
}

/** The error policy stopped the pipeline; the bad records travel along so they can be kept. */
class PolicyStop extends SluiceError {
  constructor(
    message: string,
    readonly records: readonly ErrorRecord[],
  ) {
    super('PIPELINE_STOPPED', message);
  }
}

function rowText(row: readonly TsvValue[]): string {
  return JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}
