/**
 * The partitions one runner has seen: for each, its writer (which outlives reassignments, so a
 * partition that comes back keeps its connections) and its metrics, plus which of them the group
 * has assigned to this process right now. Assignment handling, batch dispatch and status all look
 * partitions up here, so they agree on one writer per partition.
 */
import { PartitionMetrics, type PartitionStatus } from './partition-metrics.ts';
import { PartitionWriter, type WriterContext } from './partition-writer.ts';

export interface PartitionEntry {
  readonly writer: PartitionWriter;
  readonly metrics: PartitionMetrics;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class PartitionTable {
  private readonly entries = new Map<string, PartitionEntry & { topic: string; partition: number }>();
  private assigned = new Set<string>();

  constructor(private readonly context: () => WriterContext) {}

  /** The partition's writer and metrics, made on first use. */
  entry(topic: string, partition: number): PartitionEntry {
    const key = keyOf(topic, partition);
    let entry = this.entries.get(key);
    if (!entry) {
      const writer = new PartitionWriter(this.context(), topic, partition);
      entry = { writer, metrics: new PartitionMetrics(), topic, partition };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Records what the group assigned to this process (replacing the previous assignment). */
  assign(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.assigned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => keyOf(topic, p))),
    );
  }

  /** Every assigned partition has loaded up to the latest offset Kafka reported for it. */
  caughtUp(): boolean {
    if (this.assigned.size === 0) return false;
    return [...this.assigned].every((key) => this.entries.get(key)?.metrics.caughtUp === true);
  }

  writers(): PartitionWriter[] {
    return [...this.entries.values()].map((entry) => entry.writer);
  }

  metrics(): PartitionMetrics[] {
    return [...this.entries.values()].map((entry) => entry.metrics);
  }

  statuses(): PartitionStatus[] {
    return [...this.entries.values()]
      .map((entry) => entry.metrics.status(entry.topic, entry.partition))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }
}
