/**
 * Runs one pipeline: a kafkajs consumer group whose batches go to one PartitionWriter per Kafka
 * partition, in parallel. The database holds the offsets; Kafka's committed offsets follow them
 * for lag tools only.
 *
 * kafkajs has no revoke callback: after every GROUP_JOIN each assigned partition is moved to the
 * offset the database holds (and its writer re-reads it); a writer that lost its partition
 * without knowing it is stopped by the offset guard in the database.
 */
import os from 'node:os';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { describeError, SluiceError } from '../base/errors.ts';
import { type DbSession, openSession } from '../db/driver.ts';
import {
  kafkaClient,
  prepareTables,
  startOffsetResolver,
  targetEndpoints,
  writerContext,
} from './context.ts';
import { permanentCrash } from './crash.ts';
import { type BatchReport, PartitionWriter, type WriterContext } from './partition-writer.ts';
import type { SourceRecord } from './record.ts';
import type { PipelineSpec } from './spec.ts';
import { type DesiredState, readPipeline, reportState } from './state.ts';

export type PartitionState = 'assigned' | 'loading' | 'idle' | 'paused' | 'error';

export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly state: PartitionState;
  /** Next offset to load, as stored with the rows. */
  readonly offset: number | null;
  /** Kafka's high watermark when the last batch was fetched. */
  readonly latest: number | null;
  readonly lag: number | null;
  readonly records: number;
  readonly rows: number;
  readonly failed: number;
  /** Records the transform or the spec's `where` dropped. */
  readonly filtered: number;
  /** Records skipped as duplicate keys (mode ignore). */
  readonly duplicates: number;
  readonly bytes: number;
  /**
   * Over the batches of the last RATE_WINDOW_MS: rows over the time from the first batch's start
   * to the last one's end, as `pipeline status` computes it from the batch history.
   */
  readonly rowsPerSecond: number;
  readonly bytesPerSecond: number;
  readonly lastBatchMs: number | null;
  readonly avgBatchMs: number | null;
  readonly lastError: string | null;
}

export interface RunnerStatus {
  readonly pipeline: string;
  readonly state: 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'error';
  readonly partitions: readonly PartitionStatus[];
  readonly lastError: string | null;
}

export interface RunnerOptions {
  /** How often the desired state is read and a heartbeat written (ms). */
  readonly pollMs?: number;
  /** Called when the group has given this process its partitions (before they are positioned). */
  readonly onAssigned?: (assignment: Readonly<Record<string, readonly number[]>>) => void;
  /** Called with each committed batch. */
  readonly onBatch?: (topic: string, partition: number, report: BatchReport) => void;
  readonly log?: (line: string) => void;
  /** Stop by itself once every assigned partition has reached Kafka's latest offset. */
  readonly untilCaughtUp?: boolean;
}

const RATE_WINDOW_MS = 10_000;
const TRACE = process.env.SLUICE_TRACE_LOADER === '1';
/** Batches of one partition waiting for its writer before the partition's fetching pauses. */
const MAX_QUEUED = 2;
const FETCH_BYTES_PER_PARTITION = 2 * 1024 * 1024;
/**
 * A whole fetch response: kafkajs decodes all of it before handing over the first batch, so a
 * response of every partition's 2 MB (16 MB for 8 partitions) kept the first write waiting
 * 0.7-1 s; at 4 MB it starts after 0.25-0.4 s, with the same throughput within the noise
 * (1M events, 8 partitions, bench/profile runs on 2 cores).
 */
const FETCH_BYTES = 4 * 1024 * 1024;

class PartitionMetrics {
  state: PartitionState = 'assigned';
  /** Batches handed to the writer and not yet written. */
  queued = 0;
  offset: number | null = null;
  latest: number | null = null;
  records = 0;
  rows = 0;
  failed = 0;
  filtered = 0;
  duplicates = 0;
  bytes = 0;
  lastBatchMs: number | null = null;
  batchMsTotal = 0;
  batches = 0;
  lastError: string | null = null;
  private readonly window: { started: number; at: number; rows: number; bytes: number }[] = [];

  record(report: BatchReport): void {
    this.records += report.records;
    this.rows += report.rowsLoaded;
    this.failed += report.failed;
    this.filtered += report.filtered;
    this.duplicates += report.duplicates;
    this.bytes += report.bytes;
    this.lastBatchMs = report.durationMs;
    this.batchMsTotal += report.durationMs;
    this.batches++;
    this.offset = report.nextOffset;
    const now = Date.now();
    this.window.push({
      started: now - report.durationMs,
      at: now,
      rows: report.rowsLoaded,
      bytes: report.bytes,
    });
    while (this.window.length > 0 && this.window[0]!.at < now - RATE_WINDOW_MS) this.window.shift();
  }

  rate(): { rows: number; bytes: number } {
    const now = Date.now();
    const recent = this.window.filter((entry) => entry.at >= now - RATE_WINDOW_MS);
    if (recent.length === 0) return { rows: 0, bytes: 0 };
    const first = Math.min(...recent.map((entry) => entry.started));
    const seconds = (Math.max(...recent.map((entry) => entry.at)) - first) / 1000;
    if (seconds <= 0) return { rows: 0, bytes: 0 };
    return {
      rows: recent.reduce((sum, entry) => sum + entry.rows, 0) / seconds,
      bytes: recent.reduce((sum, entry) => sum + entry.bytes, 0) / seconds,
    };
  }
}

export class PipelineRunner {
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private stateSession: DbSession | undefined;
  private context: WriterContext | undefined;
  private readonly writers = new Map<string, PartitionWriter>();
  private readonly metrics = new Map<string, PartitionMetrics>();
  private state: RunnerStatus['state'] = 'starting';
  private lastError: string | null = null;
  private poller: NodeJS.Timeout | undefined;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  private stopping: Promise<void> | undefined;
  private paused = false;
  private assigned = new Set<string>();
  readonly owner = `${os.hostname()}:${process.pid}`;
  /** Resolves when the runner has stopped; rejects when it stopped on an error. */
  readonly done: Promise<void>;

  constructor(
    readonly spec: PipelineSpec,
    private readonly options: RunnerOptions = {},
  ) {
    this.kafka = kafkaClient(spec);
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Callers that only use stop() must not see an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Step-by-step trace of batches and their outcomes, with SLUICE_TRACE_LOADER=1. */
  private trace(line: string): void {
    if (TRACE) this.options.log?.(`[${this.spec.name}] ${line}`);
  }

  private log(line: string): void {
    this.options.log?.(`[${this.spec.name}] ${line}`);
  }

  async start(): Promise<void> {
    const started = performance.now();
    const since = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
    try {
      const endpoints = targetEndpoints(this.spec);
      await prepareTables(endpoints);
      this.stateSession = await openSession(endpoints.state);
      this.context = await writerContext(
        this.spec,
        startOffsetResolver(this.spec, () => this.connectedAdmin()),
      );
      await this.context.batches.warm();
      this.log(`tables and writers ready (${since()}); joining consumer group ${this.spec.source.groupId}`);
      // kafkajs's run() returns once the group has been joined.
      await this.startConsumer();
      this.log(`consuming (${since()})`);
    } catch (error) {
      // Nothing may stay open when the pipeline cannot start (a missing topic, a server down).
      this.lastError = describeError(error);
      await this.shutdown('error');
      throw error;
    }
    this.state = 'running';
    await this.heartbeat();
    this.poller = setInterval(() => void this.heartbeat(), this.options.pollMs ?? 1000);
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  private async startConsumer(): Promise<void> {
    const { source, batch } = this.spec;
    const consumer = this.kafka.consumer({
      groupId: source.groupId,
      // Fetches smaller than a batch: decoding the next fetch overlaps writing this one.
      maxBytesPerPartition: Math.min(batch.maxBytes, FETCH_BYTES_PER_PARTITION),
      maxBytes: FETCH_BYTES,
      maxWaitTimeInMs: batch.maxIntervalMs,
      sessionTimeout: source.sessionTimeoutMs,
      // A member that dies while the group rebalances is waited for this long (not the session
      // timeout): keep it short, so a restarted process does not wait a minute for a dead one.
      rebalanceTimeout: source.sessionTimeoutMs * 2,
      heartbeatInterval: Math.min(3000, Math.floor(source.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
      // A crash kafkajs would restart by itself is left to it; anything else ends up in onCrash.
      retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      void this.onAssignment(consumer, event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) void this.onCrash(event.payload.error);
    });
    await consumer.connect();
    for (const topic of source.topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.onBatch(consumer, payload),
    });
  }

  private writerFor(
    topic: string,
    partition: number,
  ): { writer: PartitionWriter; metrics: PartitionMetrics } {
    const key = `${topic}\u0000${partition}`;
    let writer = this.writers.get(key);
    if (!writer) {
      writer = new PartitionWriter(this.context!, topic, partition);
      this.writers.set(key, writer);
    }
    let metrics = this.metrics.get(key);
    if (!metrics) {
      metrics = new PartitionMetrics();
      this.metrics.set(key, metrics);
    }
    return { writer, metrics };
  }

  /** After every join: seek each assigned partition to the offset the database holds. */
  private async onAssignment(consumer: Consumer, assignment: Record<string, number[]>): Promise<void> {
    this.options.onAssigned?.(assignment);
    const count = Object.values(assignment).reduce((sum, partitions) => sum + partitions.length, 0);
    this.log(`assigned ${count} partition(s)`);
    this.assigned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => `${topic}\u0000${p}`),
      ),
    );
    // Before anything else: batches of the new assignment must be checked against the database.
    for (const [topic, partitions] of Object.entries(assignment))
      for (const partition of partitions) this.writerFor(topic, partition).writer.resetPosition();
    // Partitions are positioned concurrently: each waits for its own writer's queue only.
    await Promise.all(
      Object.entries(assignment).map(async ([topic, partitions]) => {
        const latest = await this.latestOffsets(topic);
        await Promise.all(partitions.map((partition) => this.position(consumer, topic, partition, latest)));
      }),
    );
    if (this.options.untilCaughtUp && this.caughtUp()) void this.stop();
  }

  /**
   * Seeks one assigned partition to the offset the database holds. When a batch fetched after
   * the assignment was written before the stored offset could be read, the writer has already
   * checked the consumer's position against the database, and a seek would only throw away the
   * batches fetched since.
   */
  private async position(
    consumer: Consumer,
    topic: string,
    partition: number,
    latest: ReadonlyMap<number, number>,
  ): Promise<void> {
    const { writer, metrics } = this.writerFor(topic, partition);
    try {
      const offset = await writer.storedOffset();
      metrics.offset = offset;
      metrics.latest = latest.get(partition) ?? metrics.latest;
      if (consumer !== this.consumer) return;
      if (writer.positionVerified) {
        this.trace(`assignment: ${topic}[${partition}] already verified at ${offset}; no seek`);
        return;
      }
      consumer.seek({ topic, partition, offset: String(offset) });
      writer.seeked(offset);
      this.trace(`assignment: ${topic}[${partition}] seek ${offset}`);
    } catch (error) {
      // The first batch checks the position again; a failure here only costs that check.
      metrics.lastError = describeError(error);
    }
  }

  private async latestOffsets(topic: string): Promise<Map<number, number>> {
    try {
      const offsets = await (await this.connectedAdmin()).fetchTopicOffsets(topic);
      return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
    } catch {
      return new Map();
    }
  }

  /**
   * Hands the batch to its partition's writer and returns at once, so kafkajs fetches and decodes
   * the next batches while this one is written (the writer runs one batch at a time per
   * partition). A partition with MAX_QUEUED batches waiting is paused until its writer catches
   * up. Nothing here decides what is loaded: the writer checks every batch against the offsets
   * in the database, and drops batches fetched before its last seek.
   */
  private async onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, resolveOffset } = payload;
    // Unresolved, a batch fetched just before a pause is fetched again after the resume.
    if (!isRunning() || isStale() || batch.messages.length === 0 || this.paused) return;
    const { topic, partition } = batch;
    const { writer, metrics } = this.writerFor(topic, partition);
    metrics.latest = Number(batch.highWatermark);
    const records: SourceRecord[] = batch.messages.map((message) => ({
      offset: Number(message.offset),
      key: message.key,
      value: message.value,
      timestamp: message.timestamp,
    }));
    const generation = writer.generation;
    this.trace(
      `batch ${topic}[${partition}] ${records[0]!.offset}..${records[records.length - 1]!.offset} gen ${generation} queued ${metrics.queued}`,
    );
    metrics.queued++;
    if (metrics.queued >= MAX_QUEUED) consumer.pause([{ topic, partitions: [partition] }]);
    resolveOffset(batch.lastOffset());
    // kafkajs's own heartbeats go on in its fetch loop, which this handler no longer blocks.
    void writer
      .write(records, async () => undefined, generation)
      .then(
        (outcome) => {
          metrics.queued--;
          if (metrics.queued < MAX_QUEUED && !this.paused && consumer === this.consumer) {
            consumer.resume([{ topic, partitions: [partition] }]);
          }
          if (outcome.kind === 'seek') {
            if (consumer !== this.consumer) return;
            consumer.seek({ topic, partition, offset: String(outcome.offset) });
            writer.seeked(outcome.offset);
            return;
          }
          if (outcome.kind === 'dropped') return;
          for (const report of outcome.batches) {
            metrics.record(report);
            this.options.onBatch?.(topic, partition, report);
          }
          metrics.offset = outcome.nextOffset;
          metrics.state = this.paused ? 'paused' : metrics.queued > 0 ? 'loading' : 'idle';
          // For lag tools only; the database's offset is the one that counts.
          consumer
            .commitOffsets([{ topic, partition, offset: String(outcome.nextOffset) }])
            .catch(() => undefined);
          if (this.options.untilCaughtUp && this.caughtUp()) void this.stop();
        },
        (error: unknown) => {
          metrics.queued--;
          metrics.state = 'error';
          metrics.lastError = describeError(error);
          void this.fail(error);
        },
      );
    metrics.state = 'loading';
  }

  /** Every assigned partition has loaded up to the latest offset Kafka reported for it. */
  private caughtUp(): boolean {
    if (this.assigned.size === 0) return false;
    return [...this.assigned].every((key) => {
      const metrics = this.metrics.get(key);
      return metrics?.latest != null && metrics.offset !== null && metrics.offset >= metrics.latest;
    });
  }

  /** kafkajs gave up on this consumer: start a new one, unless the runner is stopping. */
  private async onCrash(error: Error): Promise<void> {
    if (this.stopping) return;
    const permanent = permanentCrash(error);
    if (permanent) {
      await this.fail(permanent);
      return;
    }
    this.log(`consumer crashed (${error.message}); starting a new one`);
    const old = this.consumer;
    this.consumer = undefined;
    await old?.disconnect().catch(() => undefined);
    for (const writer of this.writers.values()) writer.resetPosition();
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.startConsumer();
        if (this.paused) this.applyPause(true);
        return;
      } catch (startError) {
        this.lastError = describeError(startError);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * attempt)));
      }
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.stateSession || this.stopping) return;
    try {
      const record = await readPipeline(this.stateSession, this.spec.name).catch((error: unknown) => {
        // A pipeline started from a spec that was never created has no row; it runs until stopped.
        if (error instanceof SluiceError && error.code === 'PIPELINE_NOT_FOUND') return undefined;
        throw error;
      });
      const desired: DesiredState = record?.desiredState ?? 'running';
      if (desired === 'stopped') {
        void this.stop();
        return;
      }
      this.applyPause(desired === 'paused');
      if (record) await reportState(this.stateSession, this.spec.name, this.state, this.owner);
    } catch (error) {
      // The state server may be restarting; the writers have their own retries.
      this.lastError = describeError(error);
      const closing = this.stateSession;
      this.stateSession = undefined;
      await closing?.close().catch(() => undefined);
      this.stateSession = await openSession(targetEndpoints(this.spec).state).catch(() => undefined);
    }
  }

  private applyPause(pause: boolean): void {
    if (pause === this.paused && this.state !== 'starting') return;
    this.paused = pause;
    const topics = this.spec.source.topics.map((topic) => ({ topic }));
    if (pause) this.consumer?.pause(topics);
    else this.consumer?.resume(topics);
    this.state = pause ? 'paused' : 'running';
    for (const metrics of this.metrics.values())
      if (metrics.state !== 'error') metrics.state = pause ? 'paused' : 'idle';
    this.log(pause ? 'paused' : 'running');
  }

  pause(): void {
    this.applyPause(true);
  }

  resume(): void {
    this.applyPause(false);
  }

  private async fail(error: unknown): Promise<void> {
    this.lastError = describeError(error);
    this.log(`stopping on error: ${this.lastError}`);
    await this.shutdown('error');
    this.settle.reject(error);
  }

  /** Stops consuming, closes every connection; resolves `done`. */
  async stop(): Promise<void> {
    await this.shutdown('stopped');
    this.settle.resolve();
  }

  private shutdown(final: 'stopped' | 'error'): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      clearInterval(this.poller);
      await this.consumer?.disconnect().catch(() => undefined);
      await this.admin?.disconnect().catch(() => undefined);
      await Promise.all([...this.writers.values()].map((writer) => writer.close()));
      await this.context?.transformer?.close().catch(() => undefined);
      await this.context?.batches.close().catch(() => undefined);
      await this.context?.deadLetters?.close();
      this.state = final;
      if (this.stateSession) {
        await reportState(this.stateSession, this.spec.name, final, null, this.lastError).catch(
          () => undefined,
        );
        await this.stateSession.close();
      }
    })();
    return this.stopping;
  }

  status(): RunnerStatus {
    const partitions = [...this.metrics.entries()]
      .map(([key, metrics]) => {
        const [topic, partition] = key.split('\u0000') as [string, string];
        const rate = metrics.rate();
        return {
          topic,
          partition: Number(partition),
          state: metrics.state,
          offset: metrics.offset,
          latest: metrics.latest,
          lag:
            metrics.latest === null || metrics.offset === null
              ? null
              : Math.max(0, metrics.latest - metrics.offset),
          records: metrics.records,
          rows: metrics.rows,
          failed: metrics.failed,
          filtered: metrics.filtered,
          duplicates: metrics.duplicates,
          bytes: metrics.bytes,
          rowsPerSecond: rate.rows,
          bytesPerSecond: rate.bytes,
          lastBatchMs: metrics.lastBatchMs,
          avgBatchMs: metrics.batches > 0 ? metrics.batchMsTotal / metrics.batches : null,
          lastError: metrics.lastError,
        };
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return { pipeline: this.spec.name, state: this.state, partitions, lastError: this.lastError };
  }
}
