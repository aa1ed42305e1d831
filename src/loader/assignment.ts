/**
 * What happens when the consumer group hands this process its partitions. kafkajs has no revoke
 * callback and its own committed offsets are only for lag tools, so after every join each
 * assigned partition is moved to the offset the database holds, and its writer re-reads it; a
 * writer that lost its partition without knowing it is stopped by the offset guard in the
 * database, not here.
 */
import type { Admin, Consumer } from 'kafkajs';
import { describeError } from '../base/errors.ts';
import type { PartitionTable } from './partition-table.ts';

/** What positioning needs from the runner. */
export interface AssignmentHost {
  readonly partitions: PartitionTable;
  /** False for a consumer that has since been replaced: a seek on it would move nothing real. */
  isCurrent(consumer: Consumer): boolean;
  admin(): Promise<Admin>;
  trace(line: string): void;
}

/** Seeks each assigned partition to the offset the database holds, all partitions at once. */
export async function positionAssignment(
  host: AssignmentHost,
  consumer: Consumer,
  assignment: Readonly<Record<string, readonly number[]>>,
): Promise<void> {
  host.partitions.assign(assignment);
  // Before anything else: batches of the new assignment must be checked against the database.
  for (const [topic, partitions] of Object.entries(assignment))
    for (const partition of partitions) host.partitions.entry(topic, partition).writer.resetPosition();
  // Partitions are positioned concurrently: each waits for its own writer's queue only.
  await Promise.all(
    Object.entries(assignment).map(async ([topic, partitions]) => {
      const latest = await latestOffsets(host, topic);
      await Promise.all(partitions.map((partition) => position(host, consumer, topic, partition, latest)));
    }),
  );
}

/**
 * Seeks one assigned partition to the offset the database holds. When a batch fetched after
 * the assignment was written before the stored offset could be read, the writer has already
 * checked the consumer's position against the database, and a seek would only throw away the
 * batches fetched since.
 */
async function position(
  host: AssignmentHost,
  consumer: Consumer,
  topic: string,
  partition: number,
  latest: ReadonlyMap<number, number>,
): Promise<void> {
  const { writer, metrics } = host.partitions.entry(topic, partition);
  try {
    const offset = await writer.storedOffset();
    metrics.offset = offset;
    metrics.latest = latest.get(partition) ?? metrics.latest;
    if (!host.isCurrent(consumer)) return;
    if (writer.positionVerified) {
      host.trace(`assignment: ${topic}[${partition}] already verified at ${offset}; no seek`);
      return;
    }
    consumer.seek({ topic, partition, offset: String(offset) });
    writer.seeked(offset);
    host.trace(`assignment: ${topic}[${partition}] seek ${offset}`);
  } catch (error) {
    // The first batch checks the position again; a failure here only costs that check.
    metrics.lastError = describeError(error);
  }
}

/** Kafka's high watermark per partition, for the lag shown before the first batch; empty when unknown. */
async function latestOffsets(host: AssignmentHost, topic: string): Promise<Map<number, number>> {
  try {
    const offsets = await (await host.admin()).fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
  } catch {
    return new Map();
  }
}
