/**
 * The kafkajs consumer a runner reads with: its fetch sizes and group timings, and the three
 * events the runner acts on (the group handed over partitions, a batch arrived, the consumer
 * crashed for good). Kept apart because these settings are tuned on measurements (see
 * FETCH_BYTES) and read as one list; the runner only decides what happens on each event.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { PipelineSpec } from './spec.ts';

const FETCH_BYTES_PER_PARTITION = 2 * 1024 * 1024;
/**
 * A whole fetch response: kafkajs decodes all of it before handing over the first batch, so a
 * response of every partition's 2 MB (16 MB for 8 partitions) keeps the first write waiting
 * 0.7-1 s; at 4 MB it starts after 0.25-0.4 s, with the same throughput within the noise
 * (1M events, 8 partitions, bench/profile runs on 2 cores).
 */
const FETCH_BYTES = 4 * 1024 * 1024;

export interface GroupHandlers {
  /** The group (re)joined and gave this process these partitions. */
  readonly onJoin: (consumer: Consumer, assignment: Record<string, number[]>) => void;
  readonly onBatch: (consumer: Consumer, payload: EachBatchPayload) => Promise<void>;
  /** kafkajs gave up on the consumer and will not restart it itself. */
  readonly onCrash: (error: Error) => void;
}

/**
 * Creates, subscribes and runs a consumer for the spec's group. `onCreated` sees it before it
 * connects, so the caller can tell its events from those of a consumer it replaced. Resolves
 * once the group has been joined (kafkajs's run() returns then).
 */
export async function startGroupConsumer(
  kafka: Kafka,
  spec: PipelineSpec,
  handlers: GroupHandlers,
  onCreated: (consumer: Consumer) => void,
): Promise<Consumer> {
  const { source, batch } = spec;
  const consumer = kafka.consumer({
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
  onCreated(consumer);
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    handlers.onJoin(consumer, event.payload.memberAssignment);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) handlers.onCrash(event.payload.error);
  });
  await consumer.connect();
  for (const topic of source.topics) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 64,
    eachBatch: (payload) => handlers.onBatch(consumer, payload),
  });
  return consumer;
}
