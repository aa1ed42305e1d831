/**
 * Fetches that wait for a busy partition writer go into one transaction together. Exactly once
 * and order must hold for such a transaction as for one fetch's: its rows and its offset move
 * commit together or not at all, also when its connection dies in the middle, and the rows go in
 * in offset order, each once.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EVENT_COLUMNS, eventAt, eventJson, eventsChecksum, range } from '../../bench/data/events.ts';
import { withSession } from '../../src/db/driver.ts';
import { prepareTables, targetEndpoints, writerContext } from '../../src/loader/context.ts';
import { PartitionWriter, type WriteOutcome } from '../../src/loader/partition-writer.ts';
import type { SourceRecord } from '../../src/loader/record.ts';
import { parsePipelineSpec } from '../../src/loader/spec.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { eventSpec, tableChecksum, uniqueName, urlOf, waitUntil } from './loader-support.ts';

const stack = inject('stack');
const SEED = 21;
const TOPIC = 'merged-fetches';
const FETCHES = 7;
const PER_FETCH = 2_000;
const MAX_ROWS = 10_000;
const tables: string[] = [];

afterAll(async () => {
  await withSession(stack.single, async (session) => {
    for (const table of tables) await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
  });
});

/** The records of fetch `index` (offsets from index × PER_FETCH), each an event with id offset + 1. */
function fetched(index: number): SourceRecord[] {
  return range(index * PER_FETCH, PER_FETCH).map((offset) => ({
    offset,
    key: null,
    value: Buffer.from(eventJson(eventAt(SEED, offset + 1))),
    timestamp: '0',
  }));
}

describe('fetches written together', () => {
  it('commits the waiting fetches of a partition in one transaction, in order and once, when its connection is killed mid-transaction', async () => {
    const name = uniqueName('merged');
    tables.push(name);
    const columns = EVENT_COLUMNS.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(
      ', ',
    );
    // No key on the event columns: a record written twice would be two rows. `seq` keeps the
    // order the rows went in.
    await withSession(stack.single, (session) =>
      session.query(
        `CREATE TABLE ${quoteIdentifier(name)} (seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ${columns}) ENGINE=InnoDB`,
      ),
    );
    const spec = parsePipelineSpec(
      eventSpec(name, stack.brokers, TOPIC, { url: urlOf(stack.single) }, { batch: { maxRows: MAX_ROWS } }),
    );
    await prepareTables(targetEndpoints(spec));
    const context = await writerContext(spec, async () => 0);
    const writer = new PartitionWriter(context, TOPIC, 0);
    try {
      expect(await writer.storedOffset()).toBe(0);
      // Another session holds the partition's offset row: the first transaction loads its rows
      // and then waits at the offset move, before COMMIT.
      await withSession(stack.single, async (locker) => {
        await locker.query('START TRANSACTION');
        await locker.query(
          'SELECT next_offset FROM sluice_offsets WHERE pipeline = ? AND topic = ? AND kpartition = 0 FOR UPDATE',
          [name, TOPIC],
        );
        // Handed over at once, as a consumer that fetches faster than the writer writes does:
        // the first turn takes the fetches waiting behind it up to maxRows (5), the next the rest (2).
        const outcomes = range(0, FETCHES).map((index) =>
          writer.write(fetched(index), async () => undefined),
        );
        let waiting: { ID: string }[] = [];
        await waitUntil('the merged transaction waiting at its offset move', async () => {
          waiting = await locker.query<{ ID: string }>(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE sluice_offsets%' AND ID <> CONNECTION_ID()",
          );
          return waiting.length === 1;
        });
        // Loaded but not committed: nothing is visible.
        expect((await tableChecksum(stack.single, name)).count).toBe(0);
        await locker.query(`KILL CONNECTION ${Number(waiting[0]!.ID)}`);
        // The writer retries on a new connection, which waits at the same row again.
        await waitUntil('the retried transaction waiting at its offset move', async () => {
          const again = await locker.query<{ ID: string }>(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE sluice_offsets%' AND ID <> CONNECTION_ID()",
          );
          return again.length === 1 && again[0]!.ID !== waiting[0]!.ID;
        });
        expect((await tableChecksum(stack.single, name)).count).toBe(0);
        await locker.query('ROLLBACK');
        const results: WriteOutcome[] = await Promise.all(outcomes);

        // Two transactions: fetches 1-5 and 6-7; the fetches written with an earlier one report no batch of their own.
        const reported = results.map((outcome) =>
          outcome.kind === 'written'
            ? { next: outcome.nextOffset, records: outcome.batches.map((batch) => batch.records) }
            : outcome.kind,
        );
        expect(reported).toEqual([
          { next: 10_000, records: [10_000] },
          { next: 10_000, records: [] },
          { next: 10_000, records: [] },
          { next: 10_000, records: [] },
          { next: 10_000, records: [] },
          { next: 14_000, records: [14_000 - 10_000] },
          { next: 14_000, records: [] },
        ]);
      });
      const total = FETCHES * PER_FETCH;
      expect(await tableChecksum(stack.single, name)).toEqual(eventsChecksum(SEED, range(1, total)));
      const order = await withSession(stack.single, (session) =>
        session.query<{ id: string }>(`SELECT id FROM ${quoteIdentifier(name)} ORDER BY seq`),
      );
      expect(order.map((row) => Number(row.id))).toEqual(range(1, total));
      const stored = await withSession(stack.single, (session) =>
        session.query<{ next_offset: string; rows_loaded: string }>(
          'SELECT next_offset, rows_loaded FROM sluice_offsets WHERE pipeline = ? AND topic = ? AND kpartition = 0',
          [name, TOPIC],
        ),
      );
      expect(stored.map((row) => [Number(row.next_offset), Number(row.rows_loaded)])).toEqual([
        [total, total],
      ]);
      const errors = await withSession(stack.single, (session) =>
        session.query('SELECT 1 FROM sluice_errors WHERE pipeline = ?', [name]),
      );
      expect(errors).toHaveLength(0);
      // A batch handed over after the others were written is written alone, from where they stopped.
      const later = await writer.write(fetched(FETCHES), async () => undefined);
      expect(later).toMatchObject({ kind: 'written', nextOffset: total + PER_FETCH });
      expect((await tableChecksum(stack.single, name)).count).toBe(total + PER_FETCH);
    } finally {
      await writer.close();
      await context.batches.close();
    }
  });
});
