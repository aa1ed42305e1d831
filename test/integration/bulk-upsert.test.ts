/**
 * The bulk upsert's paths (LOAD DATA … REPLACE, a staging table, the direct multi-row INSERT)
 * against the real server: each table shape takes the path it should, and leaves exactly the
 * rows the direct `INSERT … VALUES … ON DUPLICATE KEY UPDATE` leaves in a twin table (DECIMAL
 * digit for digit, DOUBLE bit for bit, NULLs, a key written twice, triggers, cascades, a second
 * unique key). The statements the server ran (its Com_* counters) show no silent fallback.
 */
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type DbSession, withSession } from '../../src/db/driver.ts';
import { createShardedTable } from '../../src/db/sharding.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { arrowRows } from '../../src/writer/arrow-rows.ts';
import { upsertPath } from '../../src/writer/bulk-upsert.ts';
import { insertSql, load } from '../../src/writer/bulk-writer.ts';
import { uniqueName } from './loader-support.ts';

const stack = inject('stack');
const made: string[] = [];

afterAll(async () => {
  await withSession(stack.single, async (session) => {
    // Children first: a parent referenced by a foreign key cannot be dropped before them.
    for (const name of made.reverse()) await session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`);
  });
});

const BODY =
  'id INT NOT NULL PRIMARY KEY, amount DECIMAL(30,10) NOT NULL, ratio DOUBLE NULL, note VARCHAR(40) NULL';
const amount = (i: number, salt: number) =>
  `${i % 2 === 0 ? '-' : ''}${i * salt}.${String((i * 7919 + salt) % 10_000_000_000).padStart(10, '0')}`;
const note = (i: number, salt: number) => (i % 5 === 0 ? null : `n${salt}\t${i}\\x\n`);

/** Rows `from`..`to` (exclusive) and then `again` once more with other values (the last must win). */
function batch(from: number, to: number, salt: number, again?: number): Table {
  const ids: number[] = [];
  for (let i = from; i < to; i++) ids.push(i);
  if (again !== undefined) ids.push(again);
  const last = (position: number) => (again !== undefined && position === ids.length - 1 ? salt + 1 : salt);
  return new Table({
    id: vectorFromArray(Int32Array.from(ids)),
    amount: vectorFromArray(
      ids.map((i, p) => amount(i, last(p))),
      new Utf8(),
    ),
    ratio: vectorFromArray(
      ids.map((i, p) => (i % 7 === 0 ? null : (i * last(p)) / 3)),
      new Float64(),
    ),
    note: vectorFromArray(
      ids.map((i, p) => note(i, last(p))),
      new Utf8(),
    ),
  });
}

async function twins(session: DbSession, body: string, extra: (name: string) => string[] = () => []) {
  const names = [uniqueName('ups'), uniqueName('ups_twin')];
  for (const name of names) {
    made.push(name);
    await session.query(`CREATE TABLE ${quoteIdentifier(name)} (${body}) ENGINE=InnoDB`);
    for (const statement of extra(name)) await session.query(statement);
  }
  return names as [string, string];
}

/** The direct path on the twin: multi-row INSERT … ON DUPLICATE KEY UPDATE, 500 rows a statement. */
async function upsertDirect(session: DbSession, name: string, data: Table, updateColumns?: string[]) {
  const columns = data.schema.fields.map((field) => field.name);
  const sql = insertSql(name, columns, 'upsert', updateColumns ?? columns);
  const rows = arrowRows(data);
  await session.transaction(async () => {
    for (let i = 0; i < rows.length; i += 500) await session.query(sql, [rows.slice(i, i + 500)]);
  });
}

const contents = (session: DbSession, name: string) =>
  session.query(`SELECT * FROM ${quoteIdentifier(name)} ORDER BY id`);

async function statements(session: DbSession): Promise<Record<string, number>> {
  const rows = await session.query<{ Variable_name: string; Value: string }>(
    "SHOW SESSION STATUS WHERE Variable_name IN ('Com_insert', 'Com_insert_select', 'Com_load', 'Com_replace')",
  );
  return Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
}

/** Upserts `data` into both twins (the bulk path and the direct one) and checks they agree. */
async function upsertBoth(
  session: DbSession,
  [bulk, direct]: [string, string],
  data: Table,
  updateColumns?: string[],
): Promise<Record<string, number>> {
  const before = await statements(session);
  const result = await load(session, data, bulk, { mode: 'upsert', updateColumns });
  const after = await statements(session);
  expect(result).toEqual({ written: data.numRows, duplicates: 0, rejected: [] });
  await upsertDirect(session, direct, data, updateColumns);
  expect(await contents(session, bulk)).toEqual(await contents(session, direct));
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key]!]));
}

describe('bulk upsert', () => {
  it('writes with LOAD DATA … REPLACE when that is the upsert: updates, inserts, the last of a repeated key, exact values', async () => {
    await withSession(stack.single, async (session) => {
      const names = await twins(session, BODY);
      expect(
        await upsertPath(
          session,
          names[0],
          ['id', 'amount', 'ratio', 'note'],
          ['id', 'amount', 'ratio', 'note'],
          2000,
        ),
      ).toBe('replace');
      // Into an empty table, then over it: 1,500 existing keys updated, 1,000 new, key 1500 twice.
      expect(await upsertBoth(session, names, batch(0, 2000, 3))).toMatchObject({
        Com_load: 1,
        Com_insert: 0,
      });
      const ran = await upsertBoth(session, names, batch(500, 3000, 11, 1500));
      expect(ran).toMatchObject({ Com_load: 1, Com_insert: 0, Com_insert_select: 0 });
      const rows = await contents(session, names[0]);
      expect(rows).toHaveLength(3000);
      expect(rows[1500]).toEqual({ id: 1500, amount: amount(1500, 12), ratio: 1500 * 4, note: null });
      expect(rows[499]).toEqual({
        id: 499,
        amount: amount(499, 3),
        ratio: (499 * 3) / 3,
        note: note(499, 3),
      });
      expect(rows[2001]).toEqual({
        id: 2001,
        amount: amount(2001, 11),
        ratio: (2001 * 11) / 3,
        note: note(2001, 11),
      });
    });
  });

  it('stages the rows where REPLACE would differ: columns not updated, a trigger, a referencing foreign key, a second unique key', async () => {
    await withSession(stack.single, async (session) => {
      const columns = ['id', 'amount', 'ratio', 'note'];
      // Only amount and ratio are updated: note keeps its first value.
      const subset = await twins(session, BODY);
      expect(await upsertPath(session, subset[0], columns, ['amount', 'ratio'], 2000)).toBe('MEMORY');
      await upsertBoth(session, subset, batch(0, 1500, 3), ['amount', 'ratio']);
      const staged = await upsertBoth(session, subset, batch(500, 2500, 7, 600), ['amount', 'ratio']);
      expect(staged).toMatchObject({ Com_load: 1, Com_insert_select: 1, Com_insert: 0 });
      expect((await contents(session, subset[0]))[600]).toMatchObject({
        amount: amount(600, 8),
        note: note(600, 3),
      });

      const triggered = await twins(session, BODY, (name) => [
        `CREATE TRIGGER ${quoteIdentifier(`${name}_t`)} BEFORE INSERT ON ${quoteIdentifier(name)} ` +
          "FOR EACH ROW SET NEW.note = CONCAT('t:', COALESCE(NEW.note, '-'))",
      ]);
      expect(await upsertPath(session, triggered[0], columns, columns, 2000)).toBe('MEMORY');
      await upsertBoth(session, triggered, batch(0, 1500, 3));
      expect(await upsertBoth(session, triggered, batch(500, 2500, 7, 900))).toMatchObject({
        Com_insert_select: 1,
      });

      // A REPLACE of a referenced row deletes it first: the children would go with it.
      const parents = await twins(session, BODY);
      const children: string[] = [];
      for (const parent of parents) {
        const child = uniqueName('ups_child');
        made.push(child);
        children.push(child);
        await session.query(
          `CREATE TABLE ${quoteIdentifier(child)} (id INT NOT NULL PRIMARY KEY, parent INT NOT NULL, ` +
            `FOREIGN KEY (parent) REFERENCES ${quoteIdentifier(parent)} (id) ON DELETE CASCADE) ENGINE=InnoDB`,
        );
      }
      expect(await upsertPath(session, parents[0], columns, columns, 2000)).toBe('MEMORY');
      await upsertBoth(session, parents, batch(0, 1500, 3));
      for (const child of children)
        await session.query(
          `INSERT INTO ${quoteIdentifier(child)} SELECT id, id FROM ${quoteIdentifier(parents[children.indexOf(child)]!)}`,
        );
      await upsertBoth(session, parents, batch(0, 2500, 5));
      for (const child of children) {
        const [count] = await session.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${quoteIdentifier(child)}`,
        );
        expect(Number(count!.n)).toBe(1500);
      }

      // A new row colliding with two rows (one per unique key): the upsert updates one, REPLACE would delete both.
      const twoKeys = await twins(session, `${BODY}, code INT NOT NULL, UNIQUE KEY (code)`);
      const coded = (data: Table, shift: number) =>
        new Table({
          ...Object.fromEntries(data.schema.fields.map((field) => [field.name, data.getChild(field.name)!])),
          code: vectorFromArray(
            Int32Array.from(data.getChild('id')!.toArray() as Int32Array, (id) => (id + shift) % 3000),
          ),
        });
      expect(await upsertPath(session, twoKeys[0], [...columns, 'code'], [...columns, 'code'], 2000)).toBe(
        'MEMORY',
      );
      await upsertBoth(session, twoKeys, coded(batch(0, 1500, 3), 0));
      await upsertBoth(session, twoKeys, coded(batch(0, 2000, 9), 700), ['amount']);
    });
  });

  it('stages TEXT columns in Aria; writes a few rows, and BIT columns, directly', async () => {
    await withSession(stack.single, async (session) => {
      const names = await twins(
        session,
        'id INT NOT NULL PRIMARY KEY, amount DECIMAL(30,10) NOT NULL, ratio DOUBLE, note TEXT',
      );
      expect(
        await upsertPath(session, names[0], ['id', 'amount', 'ratio', 'note'], ['amount', 'note'], 2000),
      ).toBe('Aria');
      await upsertBoth(session, names, batch(0, 1500, 3), ['amount', 'note']);
      expect(await upsertBoth(session, names, batch(1000, 2600, 4, 1200), ['amount', 'note'])).toMatchObject({
        Com_insert_select: 1,
        Com_insert: 0,
      });
      expect(await upsertBoth(session, names, batch(10, 20, 5), ['amount', 'note'])).toMatchObject({
        Com_load: 0,
        Com_insert: 1,
      });
      // LOAD DATA would read the text '1' of a BIT(8) as the byte 0x31.
      const bits = await twins(session, 'id INT NOT NULL PRIMARY KEY, flags BIT(8) NOT NULL');
      const flags = new Table({
        id: vectorFromArray(Int32Array.from({ length: 1500 }, (_, i) => i)),
        flags: vectorFromArray(Int32Array.from({ length: 1500 }, (_, i) => i % 200)),
      });
      expect(await upsertBoth(session, bits, flags)).toMatchObject({ Com_load: 0, Com_insert: 2 });
      // Appended too: every write mode takes the INSERTs for BIT columns.
      const [appended] = await twins(session, 'id INT NOT NULL PRIMARY KEY, flags BIT(8) NOT NULL');
      await load(session, flags, appended);
      for (const name of [bits[0], appended]) {
        const stored = await session.query<{ f: number }>(
          `SELECT flags + 0 AS f FROM ${quoteIdentifier(name)} WHERE id IN (1, 199) ORDER BY id`,
        );
        expect(stored.map((row) => Number(row.f))).toEqual([1, 199]);
      }
    });
  });

  it('leaves a Spider table to the direct path, and upserts through it', async () => {
    const name = uniqueName('ups_spider');
    await createShardedTable(
      stack.cluster,
      name,
      [
        { name: 'id', type: 'INT NOT NULL' },
        { name: 'amount', type: 'DECIMAL(30,10) NOT NULL' },
        { name: 'ratio', type: 'DOUBLE NULL' },
        { name: 'note', type: 'VARCHAR(40) NULL' },
      ],
      'id',
      { primaryKey: ['id'], ifExists: 'replace' },
    );
    try {
      await withSession(stack.cluster.head, async (session) => {
        const columns = ['id', 'amount', 'ratio', 'note'];
        expect(await upsertPath(session, name, columns, columns, 2000)).toBe('direct');
        await load(session, batch(0, 1200, 3), name, { mode: 'upsert' });
        await load(session, batch(600, 1800, 5, 700), name, { mode: 'upsert' });
        const rows = await contents(session, name);
        expect(rows).toHaveLength(1800);
        expect(rows[700]).toEqual({ id: 700, amount: amount(700, 6), ratio: null, note: null });
        expect(rows[599]).toMatchObject({ amount: amount(599, 3) });
      });
    } finally {
      await withSession(stack.cluster.head, (session) =>
        session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`),
      );
      for (const leaf of stack.cluster.leaves)
        await withSession(leaf, (session) => session.query(`DROP TABLE IF EXISTS ${quoteIdentifier(name)}`));
    }
  });

  it('gives a bad row to the direct path, which names it; all or nothing, or the good rows with badRows collect', async () => {
    await withSession(stack.single, async (session) => {
      for (const updateColumns of [undefined, ['amount']]) {
        const [name] = await twins(session, BODY);
        await load(session, batch(0, 1500, 3), name, { mode: 'upsert', updateColumns });
        const good = batch(1000, 3000, 5);
        const bad = new Table({
          id: good.getChild('id')!,
          amount: vectorFromArray(
            (good.getChild('amount')!.toArray() as string[]).map((value, i) => (i === 1234 ? null : value)),
            new Utf8(),
          ),
          ratio: good.getChild('ratio')!,
          note: good.getChild('note')!,
        });
        const before = await contents(session, name);
        await expect(load(session, bad, name, { mode: 'upsert', updateColumns })).rejects.toThrow(
          /row 1234: Column 'amount' cannot be null/,
        );
        expect(await contents(session, name)).toEqual(before);
        const collected = await load(session, bad, name, {
          mode: 'upsert',
          updateColumns,
          badRows: 'collect',
        });
        expect(collected.written).toBe(1999);
        expect(collected.rejected).toEqual([
          { index: 1234, error: expect.stringMatching(/cannot be null/), errno: 1048 },
        ]);
        const rows = await contents(session, name);
        expect(rows).toHaveLength(2999);
        expect(rows.find((row) => row.id === 2234)).toBeUndefined();
        expect(rows.find((row) => row.id === 1100)).toMatchObject({ amount: amount(1100, 5) });
      }
      // LOAD DATA stops on a NULL for a NOT NULL column (an error, not a warning) in the other modes too.
      const [appended] = await twins(session, BODY);
      await expect(load(session, batch(0, 3, 1).slice(0, 3), appended)).resolves.toMatchObject({
        written: 3,
      });
      const nulls = new Table({
        id: vectorFromArray(Int32Array.from([10, 11, 12])),
        amount: vectorFromArray(['1.5', null, '2.5'], new Utf8()),
      });
      await expect(load(session, nulls, appended)).rejects.toThrow(/row 1: Column 'amount' cannot be null/);
      expect(await load(session, nulls, appended, { badRows: 'collect' })).toMatchObject({ written: 2 });
    });
  });
});
