import { RecordBatch, Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabaseError, PlanError } from '../../src/base/errors.ts';
import { withSession } from '../../src/db/driver.ts';
import type { Database } from '../../src/frame/database.ts';
import { col, connect, fn, lit } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';

const stack = inject('stack');
const DATABASE = 'sluice_frame_it';
const url = `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${DATABASE}`;
let db: Database;

beforeAll(async () => {
  await withSession(
    stack.single,
    async (session) => {
      await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`);
      await session.query(`CREATE DATABASE ${quoteIdentifier(DATABASE)}`);
    },
    { withoutDatabase: true },
  );
  await withSession({ ...stack.single, database: DATABASE }, async (session) => {
    await session.query(
      'CREATE TABLE sales (id INT PRIMARY KEY, region VARCHAR(10), amount DECIMAL(10,2), sold DATE)',
    );
    const rows: unknown[] = [];
    for (let id = 1; id <= 1000; id++)
      rows.push([id, ['north', 'south', 'east'][id % 3], (id % 97) + 0.25, `2024-0${(id % 9) + 1}-15`]);
    await session.query('INSERT INTO sales VALUES ?', [rows]);
  });
  db = await connect({ url, dialect: 'mariadb' });
});

afterAll(async () => {
  await db?.close();
  await withSession(stack.single, (s) => s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`), {
    withoutDatabase: true,
  });
});

describe('frames on a real MariaDB', () => {
  it('pushes a grouped aggregate and returns an Arrow table, rows, a stream and a count', async () => {
    const q = db
      .table('sales')
      .filter(col('sold').ge(lit('2024-03-01')))
      .groupBy('region')
      .agg(fn.count().as('n'), fn.sum('amount').as('total'))
      .orderBy('region');
    expect(q.explain()).toContain('none: the database computes the whole result');
    const table = await q.toArrow();
    expect(table).toBeInstanceOf(Table);
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['region', 'n', 'total']);

    const rows = await q.collect();
    const direct = await withSession({ ...stack.single, database: DATABASE }, (s) =>
      s.query<{ region: string; n: string; total: string }>(
        "SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM sales WHERE sold >= '2024-03-01' GROUP BY region ORDER BY region",
      ),
    );
    expect(rows.map((r) => [r.region, Number(r.n), Number(r.total)])).toEqual(
      direct.map((r) => [r.region, Number(r.n), Number(r.total)]),
    );

    let streamed = 0;
    for await (const batch of q.stream()) {
      expect(batch).toBeInstanceOf(RecordBatch);
      streamed += batch.numRows;
    }
    expect(streamed).toBe(3);
    expect(await db.table('sales').filter(col('region').eq('east')).count()).toBe(
      Number(direct.find((r) => r.region === 'east')!.n),
    );
  });

  it('finds a table created after connect at the first action', async () => {
    await withSession({ ...stack.single, database: DATABASE }, async (session) => {
      await session.query('CREATE TABLE late (x INT)');
      await session.query('INSERT INTO late VALUES (1), (2), (3)');
    });
    expect(await db.table('late').agg(fn.sum('x').as('s')).collect()).toEqual([{ s: expect.anything() }]);
    expect(Number((await db.table('late').agg(fn.sum('x').as('s')).collect())[0]!.s)).toBe(6);
  });

  it('a missing table or column fails with a PlanError naming the available ones', async () => {
    await expect(db.table('nope').collect()).rejects.toThrow(PlanError);
    await expect(db.table('nope').collect()).rejects.toThrow(/no table 'nope' in .*; tables: .*sales/);
    expect(() => db.table('sales').select('id', 'nope').explain()).toThrow(
      "select: no column 'nope'; available columns: id, region, amount, sold",
    );
  });

  it('a database error keeps its code and message as the cause', async () => {
    const error = await db
      .sql('SELECT no_such_function(1) AS x')
      .collect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).errno).toBe(1305);
    expect(String((error as Error & { cause: Error }).cause.message)).toMatch(/no_such_function/);
  });

  it('SQL text composes with further verbs', async () => {
    const q = db
      .sql('SELECT region, amount FROM sales WHERE id <= 300')
      .groupBy('region')
      .agg(fn.count().as('n'))
      .orderBy('region');
    const rows = await q.collect();
    expect(rows.map((r) => Number(r.n)).reduce((a, b) => a + b, 0)).toBe(300);
  });
});

describe('writing frames and Arrow tables with the bulk writer', () => {
  it('db.load and df.writeTo write rows in one transaction, with modes', async () => {
    await withSession({ ...stack.single, database: DATABASE }, (s) =>
      s.query('CREATE TABLE totals (region VARCHAR(10) PRIMARY KEY, n BIGINT, total DECIMAL(12,2))'),
    );
    await db.refresh();
    const totals = db.table('sales').groupBy('region').agg(fn.count().as('n'), fn.sum('amount').as('total'));
    await totals.writeTo('totals');
    const written = await db.table('totals').orderBy('region').collect();
    const expected = await totals.orderBy('region').collect();
    expect(written).toEqual(expected);

    // replace mode overwrites rows by key; append of the same keys would be rejected.
    const doubled = totals.select('region', col('n').times(2).as('n'), 'total');
    await doubled.writeTo('totals', { mode: 'replace' });
    const after = await db.table('totals').orderBy('region').collect();
    expect(after.map((r) => Number(r.n))).toEqual(expected.map((r) => Number(r.n) * 2));

    const arrow = await db.table('sales').filter(col('id').le(3)).select('region', 'id', 'amount').toArrow();
    await withSession({ ...stack.single, database: DATABASE }, (s) =>
      s.query('CREATE TABLE copy3 (region VARCHAR(10), id INT, amount DECIMAL(10,2))'),
    );
    await db.load(arrow, 'copy3');
    expect(await db.table('copy3').count()).toBe(3);
  });
});
