/**
 * The dead-letter topic: bad records go there as they came (key, value, timestamp) with where
 * and why in headers, besides the errors table; good records load as before.
 */
import { describe, expect, inject, it } from 'vitest';
import { createTopic } from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { registerCodecs } from '../../src/loader/codecs.ts';
import { DEAD_LETTER_HEADERS } from '../../src/loader/dead-letters.ts';
import { createPipeline, pipelineErrors, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { uniqueName, urlOf, useScratch } from './loader-support.ts';

const stack = inject('stack');
const { kafka, tables, topics } = useScratch();

registerCodecs();

interface Letter {
  key: string | null;
  value: string | null;
  timestamp: string;
  headers: Record<string, string>;
}

/** Every message of a topic (read from the start by a fresh group). */
async function readAll(topic: string, expected: number): Promise<Letter[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const letters: Letter[] = [];
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          timestamp: message.timestamp,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          ),
        });
        if (letters.length >= expected) resolve();
      },
    });
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`only ${letters.length} of ${expected} dead letters`)), 30_000),
  );
  try {
    await Promise.race([done, timeout]);
    // Anything past the expected ones would be a duplicate: give it a moment to show up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    await consumer.disconnect();
  }
  return letters;
}

describe('dead-letter topic', () => {
  it('gets each bad record as it came, with topic, partition, offset, stage and error in headers', async () => {
    const name = uniqueName('dlq');
    tables.push(name);
    await withSession(stack.single, (session) =>
      session.query(
        `CREATE TABLE ${quoteIdentifier(name)} (id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL)`,
      ),
    );
    const topic = uniqueName('dlq_src');
    const deadLetterTopic = `${topic}.dlq`;
    topics.push(topic, deadLetterTopic);
    await createTopic(kafka, topic, 2);
    const partitions = [
      ['{"id":1,"qty":10,"name":"one"}', '{"id":2,"qty":20', '{"id":3,"qty":"lots","name":"three"}'],
      ['{"id":5,"qty":50,"name":"five"}', '{"id":6,"qty":60,"name":"a name far too long for the column"}'],
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: partitions.flatMap((values, partition) =>
        values.map((value, index) => ({
          key: `k${partition}-${index}`,
          value,
          partition,
          timestamp: `${1_700_000_000_000 + index}`,
        })),
      ),
    });
    await producer.disconnect();

    await createPipeline({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: {
        kind: 'json',
        columns: [
          { column: 'id', path: '$.id' },
          { column: 'qty', path: '$.qty' },
          { column: 'name', path: '$.name', default: 'unnamed' },
        ],
      },
      target: { url: urlOf(stack.single), table: name },
      errors: { deadLetter: { topic: deadLetterTopic, compression: 'lz4' } },
    });
    const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
    await runner.done;

    const loaded = await withSession(stack.single, (session) =>
      session.query<{ id: number }>(`SELECT id FROM ${quoteIdentifier(name)} ORDER BY id`),
    );
    expect(loaded.map((row) => row.id)).toEqual([1, 5]);
    const stored = await pipelineErrors(stack.single, name);
    expect(stored.map((error) => [error.partition, error.offset])).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
    ]);

    const letters = await readAll(deadLetterTopic, 3);
    letters.sort(
      (a, b) =>
        Number(a.headers[DEAD_LETTER_HEADERS.partition]) - Number(b.headers[DEAD_LETTER_HEADERS.partition]) ||
        Number(a.headers[DEAD_LETTER_HEADERS.offset]) - Number(b.headers[DEAD_LETTER_HEADERS.offset]),
    );
    expect(letters.map((letter) => [letter.key, letter.value, letter.timestamp])).toEqual([
      ['k0-1', partitions[0]![1], '1700000000001'],
      ['k0-2', partitions[0]![2], '1700000000002'],
      ['k1-1', partitions[1]![1], '1700000000001'],
    ]);
    expect(
      letters.map((letter) => [
        letter.headers[DEAD_LETTER_HEADERS.pipeline],
        letter.headers[DEAD_LETTER_HEADERS.topic],
        letter.headers[DEAD_LETTER_HEADERS.partition],
        letter.headers[DEAD_LETTER_HEADERS.offset],
        letter.headers[DEAD_LETTER_HEADERS.stage],
      ]),
    ).toEqual([
      [name, topic, '0', '1', 'parse'],
      [name, topic, '0', '2', 'load'],
      [name, topic, '1', '1', 'load'],
    ]);
    expect(letters[0]!.headers[DEAD_LETTER_HEADERS.message]).toMatch(/malformed JSON/);
    expect(letters[1]!.headers[DEAD_LETTER_HEADERS.message]).toMatch(/Incorrect integer value: 'lots'/);
    expect(letters[2]!.headers[DEAD_LETTER_HEADERS.message]).toMatch(/Data too long for column 'name'/);
  });
});
