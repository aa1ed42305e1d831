import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';

const { brokers } = inject('stack');
const MESSAGES = 10_000;
const PARTITIONS = 4;
const kafka = new Kafka({ clientId: 'sluice-test', brokers: [...brokers], logLevel: logLevel.WARN });

describe('the Kafka broker', () => {
  const topic = `smoke-${Date.now()}`;
  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it(`takes ${MESSAGES} messages over ${PARTITIONS} partitions and gives every one back unchanged`, async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(metadata.topics[0]!.partitions).toHaveLength(PARTITIONS);

    const sent = new Map<string, string>();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < MESSAGES; i += 500) {
      const messages = Array.from({ length: 500 }, (_, j) => {
        const n = i + j;
        const value = JSON.stringify({ n, text: `événement ${n} 🦀`, even: n % 2 === 0 });
        sent.set(`key-${n}`, value);
        return { key: `key-${n}`, value };
      });
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    const received = new Map<string, string>();
    const perPartition = new Map<number, number>();
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            received.set(message.key!.toString(), message.value!.toString());
            perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
            if (received.size === MESSAGES) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.size).toBe(MESSAGES);
    expect(received).toEqual(sent);
    expect([...perPartition.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect([...perPartition.values()].reduce((a, b) => a + b, 0)).toBe(MESSAGES);
  });
});
