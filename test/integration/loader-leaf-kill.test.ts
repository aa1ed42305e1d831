/**
 * A Spider leaf killed with SIGKILL mid-load and started again: the pipeline, left running,
 * resumes by itself once the leaf is back, and the table holds every event once. Each leaf keeps
 * its own offset watermark in the same transaction as its rows (partition-writer.ts), so the
 * batches the dead leaf lost are replayed to it alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createTopic,
  EVENT_COLUMNS,
  eventsChecksum,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import { createPipeline, pipelineStatus, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { readState } from '../../src/stack/state.ts';
import { eventSpec, restartStack, tableChecksum, uniqueName, urlOf, waitUntil } from './loader-support.ts';

const stack = inject('stack');
const EVENTS = 100_000;
const PARTITIONS = 4;
const SEED = 21;
const kafka = kafkaFor(stack.brokers);
const name = uniqueName('leafkill');
const topic = uniqueName('leafkill');

afterAll(async () => {
  for (const server of [stack.cluster.head, ...stack.cluster.leaves]) {
    await withSession(server, (session) =>
      session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`),
    ).catch(() => undefined);
  }
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('a Spider leaf killed mid-load', () => {
  it('costs no event and no duplicate, and the running pipeline resumes by itself', async (context) => {
    if (!stack.home) context.skip(); // servers this run did not start cannot be killed and restarted
    await createTopic(kafka, topic, PARTITIONS);
    await produceEvents(kafka, { topic, partitions: PARTITIONS, seed: SEED, ids: range(1, EVENTS) });
    const columns = EVENT_COLUMNS.map((column) => ({ name: column.name, type: column.type }));
    await createShardedTable(stack.cluster, name, columns, 'id', { primaryKey: ['id'] });
    const cluster = { head: urlOf(stack.cluster.head), leaves: stack.cluster.leaves.map(urlOf) };
    await createPipeline(
      eventSpec(name, stack.brokers, topic, { cluster }, { batch: { maxRows: 1000, maxBytes: 128 * 1024 } }),
    );
    const runner = await startPipeline(stack.cluster.head, name, { untilCaughtUp: true });
    let failed: unknown;
    runner.done.catch((error: unknown) => {
      failed = error;
    });
    const leafRows = async () => (await tableChecksum(stack.cluster.leaves[0]!, name)).count;
    await waitUntil('a fifth of the events on the first leaf', async () => (await leafRows()) >= EVENTS / 10);

    const leaf = (await readState(stack.home)).components.leaf1!;
    process.kill(leaf.pid!, 'SIGKILL');
    const atKill = await tableChecksum(stack.cluster.leaves[1]!, name);
    await sleep(1500);
    expect(failed, 'the pipeline gave up while the leaf was down').toBeUndefined();
    await restartStack(stack.home, stack.cluster.leaves.length);
    await runner.done;

    expect(atKill.count).toBeLessThan(EVENTS / 2);
    expect(await tableChecksum(stack.cluster.head, name)).toEqual(eventsChecksum(SEED, range(1, EVENTS)));
    const status = await pipelineStatus(stack.cluster.head, name);
    expect(status.partitions.map((partition) => partition.lag)).toEqual(Array(PARTITIONS).fill(0));
  });
});
