/**
 * A fetched batch on its way to its partition's writer. The handler returns at once, so kafkajs
 * fetches and decodes the next batches while this one is written (each writer runs one
 * transaction at a time); fetching of a partition pauses while MAX_QUEUED of its batches wait.
 * Nothing here decides what is loaded: the writer checks every batch against the offsets in the
 * database and drops batches fetched before its last seek, so this module only moves batches
 * and outcomes.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { describeError } from '../base/errors.ts';
import { type FetchedMessage, sourceRecord } from './kafka-records.ts';
import type { PartitionTable } from './partition-table.ts';
import type { BatchReport } from './partition-writer.ts';
import type { SourceRecord } from './record.ts';

/**
 * Batches of one partition handed to its writer before the partition's fetching pauses: one
 * being written, the others waiting, and written together in one transaction when their turn
 * comes (PartitionWriter.write), so a writer that falls behind writes larger transactions.
 */
const MAX_QUEUED = 4;

/** What dispatching needs from the runner. */
export interface DispatchHost {
  readonly partitions: PartitionTable;
  /** False for a consumer that has since been replaced. */
  isCurrent(consumer: Consumer): boolean;
  isPaused(): boolean;
  trace(line: string): void;
  /** A batch was committed to the database. */
  committed(topic: string, partition: number, report: BatchReport): void;
  /** A write of the partition finished and moved its offset. */
  advanced(): void;
  /** A write failed after its retries: the pipeline stops. */
  failed(error: unknown): void;
}

export async function dispatchBatch(
  host: DispatchHost,
  consumer: Consumer,
  payload: EachBatchPayload,
): Promise<void> {
  const { batch, isRunning, isStale, resolveOffset } = payload;
  // Unresolved, a batch fetched just before a pause is fetched again after the resume.
  if (!isRunning() || isStale() || batch.messages.length === 0 || host.isPaused()) return;
  const { topic, partition } = batch;
  const { writer, metrics } = host.partitions.entry(topic, partition);
  metrics.latest = Number(batch.highWatermark);
  const records: SourceRecord[] = (batch.messages as unknown as FetchedMessage[]).map(sourceRecord);
  const generation = writer.generation;
  host.trace(
    `batch ${topic}[${partition}] ${records[0]!.offset}..${records[records.length - 1]!.offset} gen ${generation} queued ${metrics.queued}`,
  );
  metrics.queued++;
  if (metrics.queued >= MAX_QUEUED) consumer.pause([{ topic, partitions: [partition] }]);
  resolveOffset(batch.lastOffset());
  // Not awaited: kafkajs's own heartbeats go on in its fetch loop, which this handler must not block.
  void writer
    .write(records, async () => undefined, generation)
    .then(
      (outcome) => {
        metrics.queued--;
        if (metrics.queued < MAX_QUEUED && !host.isPaused() && host.isCurrent(consumer)) {
          consumer.resume([{ topic, partitions: [partition] }]);
        }
        if (outcome.kind === 'seek') {
          if (!host.isCurrent(consumer)) return;
          consumer.seek({ topic, partition, offset: String(outcome.offset) });
          writer.seeked(outcome.offset);
          return;
        }
        if (outcome.kind === 'dropped') return;
        for (const report of outcome.batches) {
          metrics.record(report);
          host.committed(topic, partition, report);
        }
        metrics.offset = outcome.nextOffset;
        metrics.state = host.isPaused() ? 'paused' : metrics.queued > 0 ? 'loading' : 'idle';
        // For lag tools only; the database's offset is the one that counts.
        consumer
          .commitOffsets([{ topic, partition, offset: String(outcome.nextOffset) }])
          .catch(() => undefined);
        host.advanced();
      },
      (error: unknown) => {
        metrics.queued--;
        metrics.state = 'error';
        metrics.lastError = describeError(error);
        host.failed(error);
      },
    );
  metrics.state = 'loading';
}
