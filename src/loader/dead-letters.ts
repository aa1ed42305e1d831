/**
 * The dead-letter topic: bad records, as they came, sent to a Kafka topic besides the errors
 * table, for the tools Kafka Connect users already point at one (errors.deadletterqueue.*).
 *
 * The original key, value and timestamp are kept; headers say where each came from and why it
 * failed. They are sent inside the batch's database transaction, before COMMIT: a batch that
 * commits has sent its bad records, and a crash before COMMIT sends them again when the batch is
 * replayed. So the topic gets every bad record at least once (Kafka Connect's guarantee too),
 * while the errors table keeps each exactly once.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { type CodecName, compressionType } from './codecs.ts';
import type { SourceRecord } from './record.ts';
import type { ErrorRecord } from './state.ts';

export interface DeadLetterSpec {
  readonly topic: string;
  /** Created with this many partitions when missing. */
  readonly partitions: number;
  readonly compression: CodecName | 'none';
}

export const DEAD_LETTER_HEADERS = {
  pipeline: 'sluice.errors.pipeline',
  topic: 'sluice.errors.topic',
  partition: 'sluice.errors.partition',
  offset: 'sluice.errors.offset',
  stage: 'sluice.errors.stage',
  message: 'sluice.errors.message',
} as const;

export class DeadLetters {
  private producer: Promise<Producer> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly spec: DeadLetterSpec,
    private readonly pipeline: string,
  ) {}

  /** Sends one message per bad record (a record with several errors is sent once, with the first). */
  async send(records: readonly SourceRecord[], failures: readonly ErrorRecord[]): Promise<void> {
    if (failures.length === 0) return;
    const byOffset = new Map(records.map((record) => [record.offset, record]));
    const first = new Map<number, ErrorRecord>();
    for (const failure of failures) if (!first.has(failure.offset)) first.set(failure.offset, failure);
    const messages: Message[] = [...first.values()].map((failure) => {
      const record = byOffset.get(failure.offset);
      return {
        key: record?.key ?? failure.key,
        value: record ? record.value : failure.payload === null ? null : Buffer.from(failure.payload),
        timestamp: record?.timestamp,
        headers: {
          [DEAD_LETTER_HEADERS.pipeline]: this.pipeline,
          [DEAD_LETTER_HEADERS.topic]: failure.topic,
          [DEAD_LETTER_HEADERS.partition]: String(failure.partition),
          [DEAD_LETTER_HEADERS.offset]: String(failure.offset),
          [DEAD_LETTER_HEADERS.stage]: failure.stage,
          [DEAD_LETTER_HEADERS.message]: failure.error.slice(0, 10_000),
        },
      };
    });
    const producer = await this.connected();
    await producer.send({
      topic: this.spec.topic,
      acks: -1,
      compression: compressionType(this.spec.compression),
      messages,
    });
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const existing = await admin.listTopics();
        if (!existing.includes(this.spec.topic)) {
          await admin.createTopics({
            topics: [{ topic: this.spec.topic, numPartitions: this.spec.partitions }],
            waitForLeaders: true,
          });
        }
      } finally {
        await admin.disconnect();
      }
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      // The next batch tries again (the broker may be restarting).
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  async close(): Promise<void> {
    const producer = await this.producer?.catch(() => undefined);
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }
}
