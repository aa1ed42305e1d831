/**
 * What one Kafka partition of a running pipeline has done, as `pipeline status`, the HTTP API and
 * the console show it: counters summed from the committed batches, the offsets it stands at and
 * Kafka's latest, and rates over a short window. Kept apart from the runner so that the figures a
 * user reads are computed in one place, the same way for every caller.
 */
import type { BatchReport } from './partition-writer.ts';

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

const RATE_WINDOW_MS = 10_000;

export class PartitionMetrics {
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

  /** Loaded up to the latest offset Kafka reported. */
  get caughtUp(): boolean {
    return this.latest != null && this.offset !== null && this.offset >= this.latest;
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

  status(topic: string, partition: number): PartitionStatus {
    const rate = this.rate();
    return {
      topic,
      partition,
      state: this.state,
      offset: this.offset,
      latest: this.latest,
      lag: this.latest === null || this.offset === null ? null : Math.max(0, this.latest - this.offset),
      records: this.records,
      rows: this.rows,
      failed: this.failed,
      filtered: this.filtered,
      duplicates: this.duplicates,
      bytes: this.bytes,
      rowsPerSecond: rate.rows,
      bytesPerSecond: rate.bytes,
      lastBatchMs: this.lastBatchMs,
      avgBatchMs: this.batches > 0 ? this.batchMsTotal / this.batches : null,
      lastError: this.lastError,
    };
  }
}
