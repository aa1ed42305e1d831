/**
 * Compressed topics load exactly once, with each of Kafka's codecs. The broker itself compresses
 * (a topic's compression.type makes it recompress what it gets with the Java client's codecs:
 * xerial-framed snappy, lz4 frames, streaming zstd without a content size), and kafkajs with
 * sluice's codecs compresses the rest of the events; both halves must load.
 */
import { createRequire } from 'node:module';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import {
  eventAt,
  eventJson,
  eventsChecksum,
  eventsTableSql,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { type CodecName, compressionType, registerCodecs } from '../../src/loader/codecs.ts';
import { createPipeline, pipelineStatus, startPipeline } from '../../src/loader/pipeline.ts';
import { eventSpec, tableChecksum, uniqueName, urlOf, useScratch } from './loader-support.ts';

const stack = inject('stack');
const { kafka, tables, topics } = useScratch();
const PARTITIONS = 2;
const EVENTS = 4000;
const SEED = 15;

registerCodecs();

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

  /** With zstd batches read through `codec`: the pipeline stops within seconds, reason in its status. */
  async function expectStop(prefix: string, codec: () => unknown, reason: string): Promise<void> {
    const topic = await compressedTopic('zstd');
    const name = await eventsTable(prefix);
    const registered = CompressionCodecs[CompressionTypes.ZSTD];
    CompressionCodecs[CompressionTypes.ZSTD] = codec;
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
      const status = await pipelineStatus(stack.single, name);
      expect(status.state).toBe('error');
      expect(status.lastError).toContain(reason);
      expect(await tableChecksum(stack.single, name)).toEqual({ count: 0, checksum: 0n });
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = registered;
    }
  }

  it('a codec the client cannot read stops the pipeline with the reason in its status, not a restart loop', async () => {
    // kafkajs's own answer for a codec nobody registered.
    const { KafkaJSNotImplemented } = createRequire(import.meta.url)('kafkajs/src/errors.js') as {
      KafkaJSNotImplemented: new (message: string) => Error;
    };
    await expectStop(
      'codec_missing',
      () => {
        throw new KafkaJSNotImplemented('ZSTD compression not implemented');
      },
      'ZSTD compression not implemented',
    );
  });

  it('a batch that does not decompress stops the pipeline the same way', async () => {
    const registered = CompressionCodecs[CompressionTypes.ZSTD]() as {
      decompress(data: Buffer): Promise<Buffer>;
    };
    // sluice's own zstd codec, given bytes that are not a zstd frame (a corrupt batch).
    await expectStop(
      'codec_corrupt',
      () => ({ ...registered, decompress: () => registered.decompress(Buffer.from('not a zstd frame')) }),
      'a zstd-compressed record batch could not be decompressed',
    );
  });
});
