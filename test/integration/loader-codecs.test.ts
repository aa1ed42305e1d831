/**
 * Compressed topics load exactly once, with each of Kafka's codecs. The broker itself compresses
 * (a topic's compression.type makes it recompress what it gets with the Java client's codecs:
 * xerial-framed snappy, lz4 frames, streaming zstd without a content size), and kafkajs with
 * sluice's codecs compresses the rest of the events; both halves must load.
 */
import { createRequire } from 'node:module';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  eventAt,
  eventJson,
  eventsChecksum,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { type CodecName, compressionType, registerCodecs } from '../../src/loader/codecs.ts';
import { createPipeline, pipelineStatus, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { eventSpec, tableChecksum, uniqueName, urlOf } from './loader-support.ts';

const stack = inject('stack');
const kafka = kafkaFor(stack.brokers);
const PARTITIONS = 2;
const EVENTS = 4000;
const SEED = 15;
const tables: string[] = [];
const topics: string[] = [];

registerCodecs();

afterAll(async () => {
  await withSession(stack.single, async (session) => {
    for (const table of tables) await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

/** A topic the broker compresses with `codec`; half the events come already compressed by kafkajs. */
async function compressedTopic(codec: CodecName): Promise<string> {
  const topic = uniqueName(`codec_${codec}`);
  topics.push(topic);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic, numPartitions: PARTITIONS, configEntries: [{ name: 'compression.type', value: codec }] },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const half = EVENTS / 2;
  await produceEvents(kafka, {
    topic,
    partitions: PARTITIONS,
    seed: SEED,
    ids: range(1, half),
    batchSize: 500,
  });
  const producer = kafka.producer();
  await producer.connect();
  for (const ids of [range(half + 1, half / 2), range(half + half / 2 + 1, half / 2)]) {
    await producer.send({
      topic,
      acks: -1,
      compression: compressionType(codec),
      messages: ids.map((id) => ({
        key: String(id),
        value: eventJson(eventAt(SEED, id)),
        partition: id % PARTITIONS,
      })),
    });
  }
  await producer.disconnect();
  return topic;
}

async function eventsTable(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  tables.push(name);
  await withSession(stack.single, (session) => session.query(eventsTableSql(name)));
  return name;
}

describe('compressed topics', () => {
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${codec}: every event loads exactly once`, async () => {
      const topic = await compressedTopic(codec);
      const name = await eventsTable(`codec_${codec}`);
      await createPipeline(eventSpec(name, stack.brokers, topic, { url: urlOf(stack.single) }));
      const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
      await runner.done;
      expect(await tableChecksum(stack.single, name)).toEqual(eventsChecksum(SEED, range(1, EVENTS)));
      const status = await pipelineStatus(stack.single, name);
      expect(status.partitions.map((partition) => partition.lag)).toEqual([0, 0]);
    });
  }

  it('a codec the client cannot read stops the pipeline with the reason in its status, not a restart loop', async () => {
    const topic = await compressedTopic('zstd');
    const name = await eventsTable('codec_missing');
    const registered = CompressionCodecs[CompressionTypes.ZSTD];
    // kafkajs's own answer for a codec nobody registered.
    const { KafkaJSNotImplemented } = createRequire(import.meta.url)('kafkajs/src/errors.js') as {
      KafkaJSNotImplemented: new (message: string) => Error;
    };
    CompressionCodecs[CompressionTypes.ZSTD] = () => {
      throw new KafkaJSNotImplemented('ZSTD compression not implemented');
    };
    try {
      await createPipeline(eventSpec(name, stack.brokers, topic, { url: urlOf(stack.single) }));
      const runner = await startPipeline(stack.single, name);
      const started = Date.now();
      const outcome = await runner.done.then(
        () => 'stopped',
        (error: unknown) => error,
      );
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(outcome).toMatchObject({ code: 'KAFKA_CODEC' });
      expect(String((outcome as Error).message)).toContain('ZSTD compression not implemented');
      const status = await pipelineStatus(stack.single, name);
      expect(status.state).toBe('error');
      expect(status.lastError).toContain('ZSTD compression not implemented');
      expect(await tableChecksum(stack.single, name)).toEqual({ count: 0, checksum: 0n });
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = registered;
    }
  });
});
