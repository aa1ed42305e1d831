/**
 * Seeded JSON events for the Kafka load tests and benchmark: the same seed gives the same events
 * everywhere, so a table's count and checksum can be compared with what was produced.
 */
import { crc32 } from 'node:zlib';
import { type Kafka, Kafka as KafkaClient, logLevel } from 'kafkajs';
import { Random } from './random.ts';

export interface EventRow {
  readonly id: number;
  readonly user: string;
  readonly kind: string;
  /** Cents, so sums stay exact. */
  readonly amountCents: number;
  readonly ts: number;
}

const KINDS = ['view', 'click', 'cart', 'order', 'refund', 'ship'] as const;

/** Event `id` (ids are consecutive from `first`), deterministic for a seed. */
export function eventAt(seed: number, id: number): EventRow {
  const random = new Random((seed * 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b));
  random.nextUint32();
  return {
    id,
    user: `user-${random.int(1, 50_000)}`,
    kind: random.pick(KINDS),
    amountCents: random.int(0, 9_999_999),
    ts: 1_700_000_000_000 + id * 7,
  };
}

/** The JSON payload a producer sends; nested, so column ← path mapping is exercised. */
export function eventJson(event: EventRow): string {
  return JSON.stringify({
    id: event.id,
    user: { name: event.user },
    kind: event.kind,
    amount: event.amountCents / 100,
    ts: event.ts,
  });
}

/** The events table and the JSON path of each of its columns. */
export const EVENT_COLUMNS = [
  { name: 'id', type: 'BIGINT NOT NULL', path: '$.id' },
  { name: 'user_name', type: 'VARCHAR(32) NOT NULL', path: '$.user.name' },
  { name: 'kind', type: 'VARCHAR(16) NOT NULL', path: '$.kind' },
  { name: 'amount', type: 'DECIMAL(12,2) NOT NULL', path: '$.amount' },
  { name: 'ts', type: 'BIGINT NOT NULL', path: '$.ts' },
] as const;

export function eventsTableSql(table: string): string {
  const columns = EVENT_COLUMNS.map((column) => `\`${column.name}\` ${column.type}`).join(', ');
  return `CREATE TABLE \`${table}\` (${columns}, PRIMARY KEY (id)) ENGINE=InnoDB`;
}

/** The row's text as the database prints it, for the checksum. */
export function eventText(event: EventRow): string {
  const amount = `${Math.floor(event.amountCents / 100)}.${String(event.amountCents % 100).padStart(2, '0')}`;
  return [event.id, event.user, event.kind, amount, event.ts].join('|');
}

/** The same checksum as `EVENTS_CHECKSUM_SQL` computes in the database: a sum of CRC32s. */
export function eventsChecksum(seed: number, ids: Iterable<number>): { count: number; checksum: bigint } {
  let count = 0;
  let checksum = 0n;
  for (const id of ids) {
    count++;
    checksum += BigInt(crc32(eventText(eventAt(seed, id))));
  }
  return { count, checksum };
}

/** Count and checksum of an events table, in SQL. */
export function eventsChecksumSql(table: string): string {
  return (
    `SELECT COUNT(*) AS n, COALESCE(SUM(CRC32(CONCAT_WS('|', id, user_name, kind, amount, ts))), 0) AS checksum ` +
    `FROM \`${table}\``
  );
}

export function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => first + index);
}

export function kafkaFor(brokers: readonly string[]): Kafka {
  return new KafkaClient({ clientId: 'sluice-events', brokers: [...brokers], logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface ProduceOptions {
  readonly topic: string;
  readonly partitions: number;
  readonly seed: number;
  readonly ids: readonly number[];
  /** Payload per id (default: the event's JSON); lets tests mix in bad records. */
  readonly payload?: (id: number) => string;
  /** Messages per request; big requests keep the producer cheap. */
  readonly batchSize?: number;
  /** Pause between requests, to spread the events over time. */
  readonly pauseMs?: number;
  /** Called with each id's send time (ms since epoch), for latency measurements. */
  readonly onSent?: (ids: readonly number[], at: number) => void;
}

/** Produces one message per id to partition id mod partitions, acks from all in-sync replicas. */
export async function produceEvents(kafka: Kafka, options: ProduceOptions): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const size = options.batchSize ?? 4000;
  const payload = options.payload ?? ((id: number) => eventJson(eventAt(options.seed, id)));
  try {
    for (let start = 0; start < options.ids.length; start += size) {
      const ids = options.ids.slice(start, start + size);
      const messages = ids.map((id) => ({
        key: String(id),
        value: payload(id),
        partition: id % options.partitions,
      }));
      await producer.send({ topic: options.topic, messages, acks: -1 });
      options.onSent?.(ids, Date.now());
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** The spec's JSON column mapping for the events table. */
export function eventFormat(): { kind: 'json'; columns: { column: string; path: string }[] } {
  return {
    kind: 'json',
    columns: EVENT_COLUMNS.map((column) => ({ column: column.name, path: column.path })),
  };
}
