/**
 * Bad records are kept, good ones load; write modes; transforms through a whole pipeline; the
 * bulk writer's Arrow entry point.
 */
import path from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, inject, it } from 'vitest';
import { createTopic } from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { createPipeline, pipelineErrors, pipelineStatus, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { load } from '../../src/writer/bulk-writer.ts';
import { uniqueName, urlOf, useScratch } from './loader-support.ts';

const stack = inject('stack');
const { kafka, tables, topics } = useScratch();
const fixtures = path.resolve(import.meta.dirname, '..', 'fixtures', 'transforms');

async function table(ddlBody: string): Promise<string> {
  const name = uniqueName('rec');
  tables.push(name);
  await withSession(stack.single, (session) =>
    session.query(`CREATE TABLE ${quoteIdentifier(name)} (${ddlBody}) ENGINE=InnoDB`),
  );
  return name;
}

/** A topic whose partition p holds `perPartition[p]`, in order. */
async function topicWith(perPartition: readonly (readonly string[])[]): Promise<string> {
  const topic = uniqueName('records');
  topics.push(topic);
  await createTopic(kafka, topic, perPartition.length);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: perPartition.flatMap((values, partition) =>
      values.map((value, index) => ({ key: `k${partition}-${index}`, value, partition })),
    ),
  });
  await producer.disconnect();
  return topic;
}

async function rows(name: string, order = 'id'): Promise<Record<string, unknown>[]> {
  return withSession(stack.single, (session) =>
    session.query(`SELECT * FROM ${quoteIdentifier(name)} ORDER BY ${quoteIdentifier(order)}`),
  );
}

async function runToEnd(spec: Record<string, unknown>): Promise<void> {
  await createPipeline(spec, { baseDir: fixtures });
  const runner = await startPipeline(stack.single, spec.name as string, { untilCaughtUp: true });
  await runner.done;
}

const itemsFormat = {
  kind: 'json',
  columns: [
    { column: 'id', path: '$.id' },
    { column: 'qty', path: '$.qty' },
    { column: 'name', path: '$.name', default: 'unnamed' },
  ],
};

describe('bad records', () => {
  it('go to the errors table with topic, partition, offset and error, while every good record loads', async () => {
    const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL');
    await withSession(stack.single, (session) =>
      session.query(`INSERT INTO ${quoteIdentifier(name)} VALUES (900, 1, 'already here')`),
    );
    const partition0 = [
      '{"id":1,"qty":10,"name":"one"}',
      '{"id":2,"qty":20', // offset 1: malformed JSON
      '{"id":3,"qty":"lots","name":"three"}', // offset 2: a string in an INT column
      '{"id":4,"qty":40}',
    ];
    const partition1 = [
      '{"id":5,"qty":50,"name":"five"}',
      '{"id":5,"qty":51,"name":"five again"}', // offset 1: duplicate key in the same batch
      '{"id":900,"qty":9,"name":"clash"}', // offset 2: duplicate of a row already in the table
      '{"id":6,"qty":60,"name":"a name far too long for the column"}', // offset 3: too long
      '{"id":7,"qty":70,"name":"seven"}',
    ];
    const topic = await topicWith([partition0, partition1]);
    await runToEnd({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: itemsFormat,
      target: { url: urlOf(stack.single), table: name },
    });

    expect(await rows(name)).toEqual([
      { id: 1, qty: 10, name: 'one' },
      { id: 4, qty: 40, name: 'unnamed' },
      { id: 5, qty: 50, name: 'five' },
      { id: 7, qty: 70, name: 'seven' },
      { id: 900, qty: 1, name: 'already here' },
    ]);
    const errors = await pipelineErrors(stack.single, name);
    expect(errors.map((error) => [error.partition, error.offset, error.stage])).toEqual([
      [0, 1, 'parse'],
      [0, 2, 'load'],
      [1, 1, 'load'],
      [1, 2, 'load'],
      [1, 3, 'load'],
    ]);
    expect(errors[0]!.error).toMatch(/malformed JSON/);
    expect(errors[0]!.payload).toBe(partition0[1]);
    expect(errors[0]!.key).toBe('k0-1');
    expect(errors[1]!.error).toMatch(/Incorrect integer value: 'lots'/);
    expect(errors[2]!.error).toMatch(/Duplicate entry '5'/);
    expect(errors[3]!.error).toMatch(/Duplicate entry '900'/);
    expect(errors[4]!.error).toMatch(/Data too long for column 'name'/);
    expect(errors.every((error) => error.topic === topic)).toBe(true);

    // Nothing is dropped silently: loaded + failed = consumed, per partition.
    const status = await pipelineStatus(stack.single, name);
    expect(
      status.partitions.map((p) => [p.offset, p.rowsLoaded, p.failed, p.duplicates, p.filtered]),
    ).toEqual([
      [4, 2, 2, 0, 0],
      [5, 2, 3, 0, 0],
    ]);
  });

  it('are kept the same way from batches decoded on worker threads as from the main thread', async () => {
    // 1,500 records per partition come in one fetch, above the size decoded on worker threads.
    const bad = (p: number) =>
      new Map<number, string>([
        [17, `{"id":${p * 10_000 + 17},"qty":`], // malformed JSON
        [250, `{"id":${p * 10_000 + 250},"qty":"many"}`], // a string in an INT column
        [251, `{"id":${p * 10_000 + 3},"qty":1}`], // duplicate of record 3 in the same batch
        [1400, `{"id":${p * 10_000 + 1400},"qty":1,"name":"a name far too long for the column"}`],
      ]);
    const partition = (p: number) =>
      Array.from(
        { length: 1500 },
        (_, index) =>
          bad(p).get(index) ?? JSON.stringify({ id: p * 10_000 + index, qty: index, name: `n\t${index}` }),
      );
    const topic = await topicWith([partition(0), partition(1)]);
    const outcomes = [];
    for (const decodeThreads of [2, 0]) {
      const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL');
      await runToEnd({
        name,
        source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
        format: itemsFormat,
        target: { url: urlOf(stack.single), table: name },
        batch: { decodeThreads },
      });
      const errors = await pipelineErrors(stack.single, name);
      const status = await pipelineStatus(stack.single, name);
      outcomes.push({
        rows: await rows(name),
        errors: errors.map((error) => [
          error.partition,
          error.offset,
          error.stage,
          error.error.replaceAll(name, 'TABLE'),
          error.payload,
        ]),
        counts: status.partitions.map((p) => [p.offset, p.rowsLoaded, p.failed]),
      });
    }
    const [threads, here] = outcomes;
    expect(threads!.rows).toHaveLength(2 * (1500 - 4));
    expect(threads!.rows.find((row) => row.id === 10_005)).toEqual({ id: 10_005, qty: 5, name: 'n\t5' });
    expect(threads!.errors.map(([p, offset, stage]) => [p, offset, stage])).toEqual([
      [0, 17, 'parse'],
      [0, 250, 'load'],
      [0, 251, 'load'],
      [0, 1400, 'load'],
      [1, 17, 'parse'],
      [1, 250, 'load'],
      [1, 251, 'load'],
      [1, 1400, 'load'],
    ]);
    expect(threads!.errors[1]![3]).toMatch(/Incorrect integer value: 'many'/);
    expect(threads!.errors[2]![3]).toMatch(/Duplicate entry '3'/);
    expect(threads!.counts).toEqual([
      [1500, 1496, 4],
      [1500, 1496, 4],
    ]);
    expect(threads).toEqual(here);
  });

  it('stop the pipeline under the stop policy, with the batch not loaded and the records kept', async () => {
    const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL');
    const topic = await topicWith([['{"id":1,"qty":1}', 'not json', '{"id":2,"qty":2}']]);
    await createPipeline({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: itemsFormat,
      target: { url: urlOf(stack.single), table: name },
      errors: { policy: 'stop' },
    });
    const runner = await startPipeline(stack.single, name);
    await expect(runner.done).rejects.toThrow(/1 of 3 record\(s\) in a batch failed/);
    expect(await rows(name)).toEqual([]);
    expect((await pipelineErrors(stack.single, name)).map((error) => error.offset)).toEqual([1]);
    const status = await pipelineStatus(stack.single, name);
    expect(status.state).toBe('error');
    expect(status.lastError).toMatch(/error policy stop/);
    expect(status.partitions[0]!.offset).toBe(0);
  });
});

describe('numbers', () => {
  it('beyond what a double holds load exactly', async () => {
    const name = await table(
      'id BIGINT UNSIGNED NOT NULL PRIMARY KEY, qty DECIMAL(30,12) NOT NULL, name VARCHAR(20)',
    );
    const topic = await topicWith([
      [
        '{"id":18446744073709551615,"qty":123456789012345678.123456789012}',
        '{"id":9007199254740993,"qty":0.5}',
      ],
    ]);
    await runToEnd({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: itemsFormat,
      target: { url: urlOf(stack.single), table: name },
    });
    const loaded = await withSession(stack.single, (session) =>
      session.query<{ id: string; qty: string }>(
        `SELECT CAST(id AS CHAR) AS id, CAST(qty AS CHAR) AS qty FROM ${quoteIdentifier(name)} AS t ORDER BY t.id`,
      ),
    );
    expect(loaded).toEqual([
      { id: '9007199254740993', qty: '0.500000000000' },
      { id: '18446744073709551615', qty: '123456789012345678.123456789012' },
    ]);
  });
});

describe('batch history', () => {
  it('keeps the last `batch.history` batches per partition, while the counts keep everything', async () => {
    const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL');
    const values = Array.from({ length: 20 }, (_, id) => JSON.stringify({ id, qty: id }));
    const topic = await topicWith([values]);
    await runToEnd({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: itemsFormat,
      target: { url: urlOf(stack.single), table: name },
      batch: { maxRows: 2, history: 3 },
    });
    const kept = await withSession(stack.single, (session) =>
      session.query<{ first_offset: string }>(
        'SELECT first_offset FROM sluice_batches WHERE pipeline = ? ORDER BY first_offset',
        [name],
      ),
    );
    expect(kept.map((row) => Number(row.first_offset))).toEqual([14, 16, 18]);
    const status = await pipelineStatus(stack.single, name);
    expect(status.partitions.map((p) => [p.offset, p.rowsLoaded])).toEqual([[20, 20]]);
  });
});

describe('write modes through a pipeline', () => {
  const versions = [
    '{"id":1,"qty":1,"name":"first"}',
    '{"id":2,"qty":2,"name":"first"}',
    '{"id":1,"qty":10,"name":"second"}',
    '{"id":1,"qty":100}',
  ];

  for (const [mode, expected, duplicates] of [
    [
      'ignore',
      [
        { id: 1, qty: 1, name: 'first' },
        { id: 2, qty: 2, name: 'first' },
      ],
      2,
    ],
    [
      'replace',
      [
        { id: 1, qty: 100, name: 'unnamed' },
        { id: 2, qty: 2, name: 'first' },
      ],
      0,
    ],
    // Only qty is updated on a duplicate; the name stays the first one.
    [
      'upsert',
      [
        { id: 1, qty: 100, name: 'first' },
        { id: 2, qty: 2, name: 'first' },
      ],
      0,
    ],
  ] as const) {
    it(`${mode}: a duplicate key is ${mode === 'ignore' ? 'skipped' : mode === 'replace' ? 'replaced' : 'updated'}`, async () => {
      const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL');
      const topic = await topicWith([versions]);
      await runToEnd({
        name,
        source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
        format: itemsFormat,
        target: {
          url: urlOf(stack.single),
          table: name,
          mode,
          ...(mode === 'upsert' ? { updateColumns: ['qty'] } : {}),
        },
        // One record per batch, so each version arrives after the one before it is committed.
        batch: { maxRows: 1 },
      });
      expect(await rows(name)).toEqual(expected);
      const status = await pipelineStatus(stack.single, name);
      expect(status.partitions[0]!.duplicates).toBe(duplicates);
      expect(await pipelineErrors(stack.single, name)).toEqual([]);
    });
  }
});

describe('creating a pipeline', () => {
  it('names a missing target table and a missing topic', async () => {
    const topic = await topicWith([['{}']]);
    const spec = {
      name: uniqueName('missing'),
      source: { brokers: stack.brokers, topics: [topic] },
      format: itemsFormat,
      target: { url: urlOf(stack.single), table: 'no_such_table' },
    };
    await expect(createPipeline(spec)).rejects.toThrow(
      /target table 'no_such_table' does not exist in sluice on/,
    );
    const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NOT NULL');
    await expect(
      createPipeline({
        ...spec,
        target: { url: urlOf(stack.single), table: name },
        source: { ...spec.source, topics: ['no-such-topic'] },
      }),
    ).rejects.toThrow(/topic\(s\) 'no-such-topic' do not exist on/);
  });
});

describe('SET expressions and a WHERE filter', () => {
  it('compute columns in the database, filter rows, and still keep each bad row with its offset', async () => {
    const name = await table(
      'id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(8) NOT NULL, total INT NULL',
    );
    const topic = await topicWith([
      [
        '{"id":1,"qty":5,"name":"ada"}',
        '{"id":2,"qty":0,"name":"filtered"}',
        '{"id":3,"qty":3,"name":"a name too long"}',
        '{"id":4,"qty":1,"name":"emmy"}',
      ],
    ]);
    await runToEnd({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      format: itemsFormat,
      target: {
        url: urlOf(stack.single),
        table: name,
        set: { name: 'UPPER(name)', total: 'qty * 2' },
        where: 'qty > 0',
      },
    });
    expect(await rows(name)).toEqual([
      { id: 1, qty: 5, name: 'ADA', total: 10 },
      { id: 4, qty: 1, name: 'EMMY', total: 2 },
    ]);
    const errors = await pipelineErrors(stack.single, name);
    expect(errors.map((error) => [error.offset, error.stage])).toEqual([[2, 'load']]);
    expect(errors[0]!.error).toMatch(/Data too long for column 'name'/);
    const status = await pipelineStatus(stack.single, name);
    expect(status.partitions[0]).toMatchObject({ offset: 4, rowsLoaded: 2, failed: 1, filtered: 1 });
  });
});

describe('transforms in a pipeline', () => {
  it('a JS module on worker threads: outputs, filtered and failed records all accounted for', async () => {
    const name = await table('id INT NOT NULL PRIMARY KEY, source VARCHAR(64) NULL');
    const topic = await topicWith([['{"id":1}', '{"skip":true}', '{"boom":true}', '{"items":[7,8]}']]);
    await runToEnd({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      transform: { kind: 'js', module: 'enrich.mjs' },
      format: {
        kind: 'json',
        columns: [
          { column: 'id', path: '$.id' },
          { column: 'source', path: '$.source' },
        ],
      },
      target: { url: urlOf(stack.single), table: name },
    });
    expect(await rows(name)).toEqual([
      { id: 1, source: `${topic}/0` },
      { id: 7, source: topic },
      { id: 8, source: topic },
    ]);
    const errors = await pipelineErrors(stack.single, name);
    expect(errors.map((error) => [error.offset, error.stage, error.error])).toEqual([
      [2, 'transform', 'boom at offset 2'],
    ]);
    const status = await pipelineStatus(stack.single, name);
    expect(status.partitions[0]).toMatchObject({ offset: 4, rowsLoaded: 3, failed: 1, filtered: 1 });
  });

  it('an external program fed SingleStore-framed records, its CSV lines loaded', async () => {
    const name = await table('id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL');
    const topic = await topicWith([
      ['{"id":1,"name":"ada"}', '{"id":2,"name":"grace"}'],
      ['{"id":3,"name":"emmy"}'],
    ]);
    await runToEnd({
      name,
      source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
      transform: { kind: 'program', command: './frames_to_csv.py' },
      format: { kind: 'csv', columns: ['id', 'name'] },
      target: { url: urlOf(stack.single), table: name },
    });
    expect(await rows(name)).toEqual([
      { id: 1, name: 'ADA' },
      { id: 2, name: 'GRACE' },
      { id: 3, name: 'EMMY' },
    ]);
  });
});

describe('the example transforms in examples/transforms/', () => {
  const examples = path.resolve(import.meta.dirname, '..', '..', 'examples', 'transforms');
  it.each([
    ['uppercase.py', ['ADA', 'EMMY']],
    ['passthrough.sh', ['ada', 'emmy']],
  ])('%s speaks the 8-byte framing in a pipeline and drops test events', async (program, names) => {
    const name = await table('id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NULL');
    const topic = await topicWith([
      ['{"id":1,"name":"ada"}', '{"id":2,"name":"grace","test":true}'],
      ['{"id":3,"name":"emmy"}'],
    ]);
    await createPipeline(
      {
        name,
        source: { brokers: stack.brokers, topics: [topic], sessionTimeoutMs: 2000 },
        transform: { kind: 'program', command: `./${program}` },
        format: {
          kind: 'json',
          columns: [
            { column: 'id', path: '$.id' },
            { column: 'name', path: '$.name' },
          ],
        },
        target: { url: urlOf(stack.single), table: name },
      },
      { baseDir: examples },
    );
    const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
    await runner.done;
    expect(await rows(name)).toEqual([
      { id: 1, name: names[0] },
      { id: 3, name: names[1] },
    ]);
  });
});

describe('the bulk writer on Arrow tables', () => {
  it('loads every mode, and all or nothing when a row is bad', async () => {
    const name = await table('id INT NOT NULL PRIMARY KEY, qty INT NOT NULL, name VARCHAR(20) NULL');
    const first = tableFromArrays({
      id: Int32Array.from([1, 2, 3]),
      qty: Int32Array.from([1, 2, 3]),
      name: ['a', null, 'c'],
    });
    expect(await load(stack.single, first, name)).toEqual({ written: 3, duplicates: 0, rejected: [] });

    const second = tableFromArrays({
      id: Int32Array.from([3, 4]),
      qty: Int32Array.from([30, 40]),
      name: ['C', 'd'],
    });
    await expect(load(stack.single, second, name)).rejects.toThrow(/Duplicate entry '3'/);
    expect(await rows(name)).toHaveLength(3);
    expect(await load(stack.single, second, name, { mode: 'ignore' })).toEqual({
      written: 1,
      duplicates: 1,
      rejected: [],
    });
    expect(await load(stack.single, second, name, { mode: 'replace' })).toMatchObject({ rejected: [] });
    expect(await load(stack.single, second, name, { mode: 'upsert', updateColumns: ['qty'] })).toMatchObject({
      rejected: [],
    });
    expect(await rows(name)).toEqual([
      { id: 1, qty: 1, name: 'a' },
      { id: 2, qty: 2, name: null },
      { id: 3, qty: 30, name: 'C' },
      { id: 4, qty: 40, name: 'd' },
    ]);

    const bad = tableFromArrays({
      id: Int32Array.from([5, 6]),
      qty: Int32Array.from([5, 6]),
      name: ['ok', 'x'.repeat(30)],
    });
    await expect(load(stack.single, bad, name)).rejects.toThrow(/row 1: Data too long/);
    const collected = await load(stack.single, bad, name, { badRows: 'collect' });
    expect(collected.written).toBe(1);
    expect(collected.rejected).toEqual([
      { index: 1, error: expect.stringMatching(/Data too long/), errno: 1406 },
    ]);
    expect((await rows(name)).map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
  });
});
