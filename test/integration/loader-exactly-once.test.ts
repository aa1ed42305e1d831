import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopic,
  EVENT_COLUMNS,
  eventsChecksum,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import { createPipeline, pipelineStatus, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { eventSpec, tableChecksum, uniqueName, urlOf } from './loader-support.ts';

const stack = inject('stack');
const EVENTS = 200_000;
const PARTITIONS = 8;
const SEED = 5;
const kafka = kafkaFor(stack.brokers);
const topic = uniqueName('events');
const expected = eventsChecksum(SEED, range(1, EVENTS));
const tables: { endpoint: typeof stack.single; name: string }[] = [];

beforeAll(async () => {
  await createTopic(kafka, topic, PARTITIONS);
  await produceEvents(kafka, { topic, partitions: PARTITIONS, seed: SEED, ids: range(1, EVENTS) });
});

afterAll(async () => {
  for (const { endpoint, name } of tables) {
    await withSession(endpoint, (session) => session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`));
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe(`${EVENTS} JSON events over ${PARTITIONS} partitions`, () => {
  it('land in a single-server table exactly once', async () => {
    const name = uniqueName('eo_single');
    tables.push({ endpoint: stack.single, name });
    await withSession(stack.single, (session) => session.query(eventsTableSql(name)));
    await createPipeline(eventSpec(name, stack.brokers, topic, { url: urlOf(stack.single) }));
    const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
    await runner.done;

    expect(await tableChecksum(stack.single, name)).toEqual(expected);
    const status = await pipelineStatus(stack.single, name);
    expect(status.partitions).toHaveLength(PARTITIONS);
    for (const partition of status.partitions) {
      expect(partition.lag).toBe(0);
      expect(partition.offset).toBe(EVENTS / PARTITIONS);
      expect(partition.rowsLoaded).toBe(EVENTS / PARTITIONS);
      expect(partition.failed + partition.duplicates + partition.filtered).toBe(0);
    }
  });

  it('land in a Spider table exactly once, each row on the leaf that owns its key', async () => {
    const name = uniqueName('eo_spider');
    tables.push(
      { endpoint: stack.cluster.head, name },
      ...stack.cluster.leaves.map((endpoint) => ({ endpoint, name })),
    );
    const columns = EVENT_COLUMNS.map((column) => ({ name: column.name, type: column.type }));
    await createShardedTable(stack.cluster, name, columns, 'id', { primaryKey: ['id'] });
    await createPipeline(
      eventSpec(name, stack.brokers, topic, {
        cluster: { head: urlOf(stack.cluster.head), leaves: stack.cluster.leaves.map(urlOf) },
      }),
    );
    const runner = await startPipeline(stack.cluster.head, name, { untilCaughtUp: true });
    await runner.done;

    expect(await tableChecksum(stack.cluster.head, name)).toEqual(expected);
    // HASH(id) over two leaves: even ids on the first, odd on the second, each exactly once.
    const [first, second] = await Promise.all(stack.cluster.leaves.map((leaf) => tableChecksum(leaf, name)));
    expect(first).toEqual(
      eventsChecksum(
        SEED,
        range(1, EVENTS).filter((id) => id % 2 === 0),
      ),
    );
    expect(second).toEqual(
      eventsChecksum(
        SEED,
        range(1, EVENTS).filter((id) => id % 2 === 1),
      ),
    );
    const status = await pipelineStatus(stack.cluster.head, name);
    expect(status.partitions.map((partition) => partition.offset)).toEqual(
      Array(PARTITIONS).fill(EVENTS / PARTITIONS),
    );
    expect(status.partitions.reduce((sum, partition) => sum + partition.rowsLoaded, 0)).toBe(EVENTS);
  });
});
