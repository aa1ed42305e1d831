import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadTpch } from '../../bench/data/load.ts';
import { TPCH_TABLES, tpchRows, tpchScale } from '../../bench/data/tpch.ts';
import { withSession } from '../../src/db/driver.ts';
import type { DbEndpoint } from '../../src/db/endpoint.ts';
import { tsvLine } from '../../src/db/tsv.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';

const stack = inject('stack');
const LINEITEM = 20_000;
const SEED = 11;
const databases = ['tpch_it', 'tpch_it_parts', 'tpch_it_edge'];

function at(database: string): DbEndpoint {
  return { ...stack.single, database };
}

/** Scaled integers: DECIMAL(15,2) text compared without floating point. */
function cents(text: unknown): bigint {
  const [whole, fraction = ''] = String(text).split('.');
  const sign = whole!.startsWith('-') ? -1n : 1n;
  return sign * (BigInt(whole!.replace('-', '')) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2)));
}

afterAll(async () => {
  await withSession(
    stack.single,
    async (session) => {
      for (const database of databases)
        await session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
    },
    { withoutDatabase: true },
  );
});

describe('TPC-H-shaped data loaded with LOAD DATA LOCAL INFILE', () => {
  it('loads every table with the generated row counts and the same values', async () => {
    const loads = await loadTpch(stack.single, { lineitem: LINEITEM, seed: SEED, database: 'tpch_it' });
    const scale = tpchScale(LINEITEM);
    await withSession(at('tpch_it'), async (session) => {
      for (const table of TPCH_TABLES) {
        const [row] = await session.query<{ n: string }>(
          `SELECT COUNT(*) AS n FROM ${quoteIdentifier(table)}`,
        );
        expect(Number(row!.n), table).toBe(scale[table]);
        expect(loads[table].rows, table).toBe(scale[table]);
      }

      // The same aggregate computed in JS over a second generation of the same seed.
      const expected = new Map<string, { quantity: bigint; price: bigint; lines: number }>();
      for (const line of tpchRows('lineitem', { lineitem: LINEITEM, seed: SEED })) {
        const key = `${line[8]}|${line[9]}`;
        const group = expected.get(key) ?? { quantity: 0n, price: 0n, lines: 0 };
        group.quantity += cents(line[4]);
        group.price += cents(line[5]);
        group.lines++;
        expected.set(key, group);
      }
      const actual = await session.query<{ flag: string; status: string; q: string; p: string; n: string }>(
        'SELECT l_returnflag AS flag, l_linestatus AS status, SUM(l_quantity) AS q, SUM(l_extendedprice) AS p, ' +
          'COUNT(*) AS n FROM lineitem GROUP BY l_returnflag, l_linestatus ORDER BY 1, 2',
      );
      expect(actual.length).toBeGreaterThanOrEqual(3);
      expect(
        Object.fromEntries(
          actual.map((row) => [
            `${row.flag}|${row.status}`,
            { quantity: cents(row.q), price: cents(row.p), lines: Number(row.n) },
          ]),
        ),
      ).toEqual(Object.fromEntries(expected));

      // Text and dates come back exactly as generated, and keys join across tables.
      const [firstOrder] = tpchRows('orders', { lineitem: LINEITEM, seed: SEED });
      const [stored] = await session.query<Record<string, unknown>>(
        'SELECT o_orderkey, o_custkey, o_orderstatus, o_totalprice, o_orderdate, o_orderpriority, o_clerk, ' +
          'o_shippriority, o_comment FROM orders WHERE o_orderkey = ?',
        [firstOrder![0]],
      );
      expect(Object.values(stored!).map(String)).toEqual(firstOrder!.map(String));
      const [orphans] = await session.query<{ n: string }>(
        'SELECT COUNT(*) AS n FROM lineitem l LEFT JOIN orders o ON o.o_orderkey = l.l_orderkey ' +
          'LEFT JOIN customer c ON c.c_custkey = o.o_custkey LEFT JOIN nation n ON n.n_nationkey = c.c_nationkey ' +
          'LEFT JOIN region r ON r.r_regionkey = n.n_regionkey WHERE r.r_regionkey IS NULL',
      );
      expect(Number(orphans!.n)).toBe(0);
    });
  });

  it('spreads a natively partitioned lineitem over its partitions', async () => {
    await loadTpch(stack.single, {
      lineitem: LINEITEM,
      seed: SEED,
      database: 'tpch_it_parts',
      partitions: 4,
    });
    await withSession(at('tpch_it_parts'), async (session) => {
      const counts: number[] = [];
      for (const partition of ['p0', 'p1', 'p2', 'p3']) {
        const [row] = await session.query<{ n: string }>(
          `SELECT COUNT(*) AS n FROM lineitem PARTITION (${partition})`,
        );
        counts.push(Number(row!.n));
      }
      expect(counts.reduce((a, b) => a + b, 0)).toBe(LINEITEM);
      // HASH(l_orderkey) over the spec's sparse keys: each partition holds about a quarter.
      for (const count of counts) expect(count).toBeGreaterThan(LINEITEM / 8);
      const partitions = await session.query<{ name: string }>(
        'SELECT PARTITION_NAME AS name FROM information_schema.PARTITIONS ' +
          "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'lineitem' ORDER BY PARTITION_ORDINAL_POSITION",
        ['tpch_it_parts'],
      );
      expect(partitions.map((row) => row.name)).toEqual(['p0', 'p1', 'p2', 'p3']);
    });
  });

  it('loadInfile round-trips escaped text and NULLs, streams a large source, and reports failures', async () => {
    const endpoint = at('tpch_it_edge');
    await withSession(
      stack.single,
      (session) => session.query('CREATE DATABASE IF NOT EXISTS tpch_it_edge CHARACTER SET utf8mb4'),
      { withoutDatabase: true },
    );
    await withSession(endpoint, async (session) => {
      await session.query('CREATE TABLE edge (id INT PRIMARY KEY, label VARCHAR(64) NULL)');
      const values = ['tab\there', 'new\nline', 'back\\slash', '\\N', '🦀 crab', '', null];
      const loaded = await session.loadInfile(
        'edge',
        ['id', 'label'],
        (async function* () {
          for (const [index, value] of values.entries()) yield tsvLine([index, value]);
        })(),
      );
      expect(loaded).toBe(values.length);
      const read = await session.query<{ label: string | null }>('SELECT label FROM edge ORDER BY id');
      expect(read.map((row) => row.label)).toEqual(values);

      // 200k rows in small chunks: the load finishes and every row arrives.
      await session.query('CREATE TABLE many (id INT PRIMARY KEY, label VARCHAR(64) NOT NULL)');
      const many = await session.loadInfile(
        'many',
        ['id', 'label'],
        (function* () {
          for (let id = 0; id < 200_000; id += 1000) {
            let chunk = '';
            for (let i = id; i < id + 1000; i++) chunk += `${i}\trow ${i}\n`;
            yield chunk;
          }
        })(),
      );
      expect(many).toBe(200_000);

      // A source that fails is an error, not a silent partial success.
      await session.query('CREATE TABLE failing (id INT PRIMARY KEY)');
      const failing = session.loadInfile(
        'failing',
        ['id'],
        (async function* () {
          yield '1\n';
          throw new Error('source broke');
        })(),
      );
      await expect(failing).rejects.toMatchObject({
        code: 'DB_ERROR',
        message: expect.stringMatching(/source broke/),
      });
      // The session is still usable afterwards.
      const [row] = await session.query<{ one: number }>('SELECT 1 AS one');
      expect(Number(row!.one)).toBe(1);

      // A table that does not exist is a database error naming it.
      await expect(session.loadInfile('no_such_table', ['id'], ['1\n'])).rejects.toMatchObject({
        code: 'DB_ERROR',
        message: expect.stringMatching(/no_such_table/),
      });
    });
  });
});
