/**
 * Exactly once under failure: the pipeline process killed with SIGKILL at random moments, the
 * Kafka broker restarted mid-load, database connections killed in the middle of batches. After
 * each, the table must hold every produced event once: same count, same checksum.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createTopic,
  EVENT_COLUMNS,
  eventsChecksum,
  eventsTableSql,
  kafkaFor,
  produceEvents,
  range,
} from '../../bench/data/events.ts';
import { Random } from '../../bench/data/random.ts';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import { createPipeline, startPipeline } from '../../src/loader/pipeline.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { stopProcess } from '../../src/stack/processes.ts';
import { readState } from '../../src/stack/state.ts';
import { eventSpec, restartStack, tableChecksum, uniqueName, urlOf, waitUntil } from './loader-support.ts';

const stack = inject('stack');
const EVENTS = 200_000;
const PARTITIONS = 8;
const SEED = 9;
const root = path.resolve(import.meta.dirname, '..', '..');
const kafka = kafkaFor(stack.brokers);
const expected = eventsChecksum(SEED, range(1, EVENTS));
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

async function topicWithEvents(produce: boolean): Promise<string> {
  const topic = uniqueName('crash');
  await createTopic(kafka, topic, PARTITIONS);
  cleanup.push(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  if (produce)
    await produceEvents(kafka, { topic, partitions: PARTITIONS, seed: SEED, ids: range(1, EVENTS) });
  return topic;
}

function dropLater(endpoints: readonly DbEndpoint[], table: string): void {
  cleanup.push(async () => {
    for (const endpoint of endpoints) {
      await withSession(endpoint, (session) =>
        session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`),
      );
    }
  });
}

/** What the servers are doing, for a failure message. */
async function activity(servers: readonly DbEndpoint[]): Promise<string> {
  const lines: string[] = [];
  for (const server of servers) {
    const rows = await withSession(server, (session) =>
      session.query<{ ID: string; COMMAND: string; TIME: string; STATE: string; INFO: string | null }>(
        "SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 80) AS INFO FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' AND ID <> CONNECTION_ID()",
      ),
    ).catch((error: unknown) => [{ ID: '-', COMMAND: String(error), TIME: '', STATE: '', INFO: null }]);
    lines.push(
      `${server.port}: ${rows.map((row) => `${row.ID} ${row.COMMAND} ${row.TIME}s ${row.STATE} ${row.INFO ?? ''}`).join(' | ')}`,
    );
  }
  return lines.join('\n');
}

function startChild(
  name: string,
  state: DbEndpoint,
  untilCaughtUp = false,
): { child: ChildProcess; stderr: () => string } {
  const args = ['bin/sluice.mjs', 'pipeline', 'start', name, '--db', urlOf(state)];
  if (untilCaughtUp) args.push('--until-caught-up');
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stderr!.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { child, stderr: () => Buffer.concat(chunks).toString('utf8') };
}

describe('exactly once under failure', () => {
  it('holds when the pipeline process is killed with SIGKILL at random moments, 12 times, on a Spider cluster', async () => {
    const name = uniqueName('kill9');
    const topic = await topicWithEvents(false);
    const columns = EVENT_COLUMNS.map((column) => ({ name: column.name, type: column.type }));
    await createShardedTable(stack.cluster, name, columns, 'id', { primaryKey: ['id'] });
    dropLater([stack.cluster.head, ...stack.cluster.leaves], name);
    const cluster = { head: urlOf(stack.cluster.head), leaves: stack.cluster.leaves.map(urlOf) };
    // Small batches: many commits per second, so a kill lands between, inside and around them.
    await createPipeline(eventSpec(name, stack.brokers, topic, { cluster }, { batch: { maxRows: 1500 } }));

    // The events arrive in 13 slices, one while each of the 12 processes runs and the last after
    // the kills, so every kill lands while the 200,000-event load is under way, never after it.
    const KILLS = 12;
    const ids = range(1, EVENTS);
    const sliceSize = Math.ceil(EVENTS / (KILLS + 1));
    const random = new Random(42);
    const loadedAtKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const before = (await tableChecksum(stack.cluster.head, name)).count;
      const slice = ids.slice(kill * sliceSize, (kill + 1) * sliceSize);
      const producing = produceEvents(kafka, {
        topic,
        partitions: PARTITIONS,
        seed: SEED,
        ids: slice,
        batchSize: 2000,
        pauseMs: 100,
      });
      const { child, stderr } = startChild(name, stack.cluster.head);
      const exited = once(child, 'close');
      // Kill at a random moment once this process is loading (it has committed a batch).
      await waitUntil(
        'a restarted process loading',
        async () => (await tableChecksum(stack.cluster.head, name)).count > before,
        60_000,
        async () =>
          `its output: ${stderr()}\nservers: ${await activity([stack.cluster.head, ...stack.cluster.leaves])}`,
      );
      await sleep(random.int(0, 1000));
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      expect(signal, `the pipeline process ended by itself (code ${code}): ${stderr()}`).toBe('SIGKILL');
      loadedAtKill.push((await tableChecksum(stack.cluster.head, name)).count);
      await producing;
    }
    await produceEvents(kafka, {
      topic,
      partitions: PARTITIONS,
      seed: SEED,
      ids: ids.slice(KILLS * sliceSize),
    });
    const last = startChild(name, stack.cluster.head, true);
    const [code] = await once(last.child, 'close');
    expect(code, last.stderr()).toBe(0);

    expect(await tableChecksum(stack.cluster.head, name)).toEqual(expected);
    // The kills happened during the load, each after the restarted process had made progress.
    const midLoad = loadedAtKill.filter((count) => count > 0 && count < EVENTS);
    expect(midLoad.length, `rows at each kill: ${loadedAtKill.join(', ')}`).toBe(KILLS);
  });

  it('holds when the Kafka broker restarts mid-load', async (context) => {
    if (!stack.home || process.env.SLUICE_KAFKA_BROKERS) context.skip();
    const name = uniqueName('broker');
    const topic = await topicWithEvents(true);
    await withSession(stack.single, (session) => session.query(eventsTableSql(name)));
    dropLater([stack.single], name);
    await createPipeline(
      eventSpec(
        name,
        stack.brokers,
        topic,
        { url: urlOf(stack.single) },
        { batch: { maxRows: 500, maxBytes: 64 * 1024 } },
      ),
    );
    const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
    await waitUntil(
      'a quarter of the events',
      async () => (await tableChecksum(stack.single, name)).count >= EVENTS / 4,
    );

    const state = await readState(stack.home);
    const broker = state.components.kafka!;
    await stopProcess(broker.pid!, broker.marker!);
    const loadedWhileDown = (await tableChecksum(stack.single, name)).count;
    await sleep(1000);
    await restartStack(stack.home, stack.cluster.leaves.length);
    await runner.done;

    expect(loadedWhileDown).toBeLessThan(EVENTS);
    expect(await tableChecksum(stack.single, name)).toEqual(expected);
  });

  it('holds when database connections are killed in the middle of batches', async () => {
    const name = uniqueName('dbkill');
    const topic = await topicWithEvents(true);
    await withSession(stack.single, (session) => session.query(eventsTableSql(name)));
    dropLater([stack.single], name);
    await createPipeline(
      eventSpec(
        name,
        stack.brokers,
        topic,
        { url: urlOf(stack.single) },
        { batch: { maxRows: 1000, maxBytes: 128 * 1024 } },
      ),
    );
    const runner = await startPipeline(stack.single, name, { untilCaughtUp: true });
    let killed = 0;
    await withSession(stack.single, async (killer) => {
      const deadline = Date.now() + 60_000;
      while (killed < 10 && Date.now() < deadline) {
        // Only connections inside a batch: running the LOAD DATA of a transaction that also
        // moves an offset, or holding such a transaction open with rows written and not yet
        // committed (a LOAD DATA of 1,000 rows takes a few ms; its transaction lasts longer).
        const busy = await killer.query<{ ID: string }>(
          `SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'LOAD DATA%' AND ID <> CONNECTION_ID()
           UNION SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX
           WHERE trx_rows_modified > 0 AND trx_mysql_thread_id <> CONNECTION_ID()`,
        );
        for (const { ID } of busy.slice(0, 1)) {
          await killer.query(`KILL CONNECTION ${Number(ID)}`).catch(() => undefined);
          killed++;
        }
        // The 200,000 events load in about 2 s: kills come every few tens of ms to make 10.
        await sleep(busy.length > 0 ? 40 : 5);
      }
    });
    await runner.done;

    expect(killed).toBeGreaterThanOrEqual(10);
    expect(await tableChecksum(stack.single, name)).toEqual(expected);
  });
});
