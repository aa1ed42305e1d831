/**
 * All 22 TPC-H queries as SQL text through `db.sql(text)` on a small generated database with all
 * eight tables (lineitem in 3 native partitions), each compared with MariaDB's own answer to the
 * same text: pushdown on (one statement), pushdown on with partitioned reads, and pushdown off
 * (every step after the table reads computed locally). With pushdown on, each query must be
 * planned (no SqlText fallback), pushed as one statement, with no local step.
 *
 * Rows are compared with compare.ts's rules, and then every value MariaDB returns as DECIMAL text
 * digit for digit (648 values over the three modes): sums, products, AVG and division included.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadTpch } from '../../bench/data/load.ts';
import { TPCH_QUERIES, type TpchSqlQuery } from '../../bench/data/tpch-queries.ts';
import { withSession } from '../../src/db/driver.ts';
import { connect, type Database, type LazyFrame } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { diffResults } from './differential/compare.ts';

const stack = inject('stack');
const DATABASE = 'sluice_tpch_sql';
/** Small enough for the pushdown-off runs to take seconds (Q19's OR join is a nested loop locally). */
const LINEITEM = 16_000;
const SEED = 11;
const PARTITIONS = 3;

let db: Database;
const answers = new Map<string, Promise<Record<string, unknown>[]>>();

/** MariaDB's answer to the query text, once per query. */
function expected(query: TpchSqlQuery): Promise<Record<string, unknown>[]> {
  let rows = answers.get(query.id);
  if (!rows) {
    rows = withSession({ ...stack.single, database: DATABASE }, (session) => session.query(query.sql));
    answers.set(query.id, rows);
  }
  return rows;
}

async function check(query: TpchSqlQuery, frame: LazyFrame): Promise<void> {
  const want = await expected(query);
  const got = await frame.collect();
  const diff = diffResults(
    { columns: frame.columns, rows: want },
    { columns: frame.columns, rows: got },
    { ordered: query.ordered },
  );
  if (diff !== undefined) expect.fail(`${query.id} differs from MariaDB\n${diff}\n\n${frame.explain()}`);
  const digits = decimalDigitsDiffer(want, got, frame.columns, query.ordered);
  if (digits !== undefined)
    expect.fail(`${query.id}: DECIMAL digits differ from MariaDB: ${digits}\n\n${frame.explain()}`);
}

const DECIMAL_TEXT = /^-?\d+\.\d+$/;

/**
 * DECIMAL values digit for digit: every value MariaDB returns as DECIMAL text must come back as
 * the same text. Rows are matched in order (ordered queries) or after sorting both sides by
 * their canonical form (which diffResults has already found equal).
 */
function decimalDigitsDiffer(
  want: readonly Record<string, unknown>[],
  got: readonly Record<string, unknown>[],
  columns: readonly string[],
  ordered: boolean,
): string | undefined {
  const key = (row: Record<string, unknown>) => JSON.stringify(columns.map((c) => String(row[c])));
  const order = (rows: readonly Record<string, unknown>[]) =>
    ordered ? rows : [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const w = order(want);
  const g = order(got);
  for (let i = 0; i < w.length; i++) {
    for (const column of columns) {
      const expectedValue = w[i]![column];
      if (typeof expectedValue !== 'string' || !DECIMAL_TEXT.test(expectedValue)) continue;
      const actual = g[i]?.[column];
      if (String(actual) !== expectedValue)
        return `row ${i} ${column}: expected ${expectedValue}, got ${String(actual)}`;
    }
  }
  return undefined;
}

beforeAll(async () => {
  await loadTpch(stack.single, {
    lineitem: LINEITEM,
    seed: SEED,
    database: DATABASE,
    partitions: PARTITIONS,
  });
  db = await connect({
    url: `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${DATABASE}`,
    dialect: 'mariadb',
  });
}, 120_000);

afterAll(async () => {
  await db?.close();
  await withSession(
    stack.single,
    (session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`),
    { withoutDatabase: true },
  );
});

describe('the 22 TPC-H queries as SQL text', () => {
  it('every query selects rows of the generated data', async () => {
    for (const query of TPCH_QUERIES) {
      const rows = await expected(query);
      expect(rows.length, `${query.id} rows`).toBeGreaterThan(0);
      expect(
        Object.values(rows[0]!).some((value) => value !== null),
        `${query.id} has a value`,
      ).toBe(true);
    }
  });

  for (const query of TPCH_QUERIES) {
    it(`${query.id} ${query.name}: planned, pushed as one statement, MariaDB's answer`, async () => {
      const frame = db.sql(query.sql, { partitioning: 'none' });
      const explain = frame.explain();
      expect(explain).not.toContain('SqlText');
      expect(explain).toContain('== Pushed SQL (1 statement) ==');
      expect(explain).toContain('== Local steps ==\nnone: the database computes the whole result');
      await check(query, frame);
    });

    it(`${query.id}: MariaDB's answer with partitioned reads`, async () => {
      const frame = db.sql(query.sql, { parallelism: PARTITIONS });
      await check(query, frame);
      // Single-table queries read lineitem's 3 partitions and merge the partials; joins read in one piece.
      if (query.id === 'Q1' || query.id === 'Q6') expect(frame.explain()).toContain('read in 3 partitions');
    });

    it(`${query.id}: MariaDB's answer with pushdown off`, async () => {
      const frame = db.sql(query.sql, { pushdown: false });
      expect(frame.explain()).not.toContain('SqlText');
      await check(query, frame);
    });
  }
});
