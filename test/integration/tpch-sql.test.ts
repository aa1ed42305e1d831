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
import { describe, expect, it } from 'vitest';
import { TPCH_QUERIES, type TpchSqlQuery } from '../../bench/data/tpch-queries.ts';
import type { LazyFrame } from '../../src/index.ts';
import { expectRows, useTpchDatabase } from './tpch-fixture.ts';

const PARTITIONS = 3;
/** lineitem small enough for the pushdown-off runs to take seconds (Q19's OR join is a nested loop locally). */
const tpch = useTpchDatabase({ name: 'sluice_tpch_sql', lineitem: 16_000, seed: 11, partitions: PARTITIONS });

async function check(query: TpchSqlQuery, frame: LazyFrame): Promise<void> {
  const want = await tpch.answer(query.sql);
  const got = await expectRows(`${query.id} differs from MariaDB`, want, frame, query.ordered);
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

describe('the 22 TPC-H queries as SQL text', () => {
  it('every query selects rows of the generated data', async () => {
    for (const query of TPCH_QUERIES) {
      const rows = await tpch.answer(query.sql);
      expect(rows.length, `${query.id} rows`).toBeGreaterThan(0);
      expect(
        Object.values(rows[0]!).some((value) => value !== null),
        `${query.id} has a value`,
      ).toBe(true);
    }
  });

  for (const query of TPCH_QUERIES) {
    it(`${query.id} ${query.name}: planned, pushed as one statement, MariaDB's answer`, async () => {
      const frame = tpch.db().sql(query.sql, { partitioning: 'none' });
      const explain = frame.explain();
      expect(explain).not.toContain('SqlText');
      expect(explain).toContain('== Pushed SQL (1 statement) ==');
      expect(explain).toContain('== Local steps ==\nnone: the database computes the whole result');
      await check(query, frame);
    });

    it(`${query.id}: MariaDB's answer with partitioned reads`, async () => {
      const frame = tpch.db().sql(query.sql, { parallelism: PARTITIONS });
      await check(query, frame);
      // Single-table queries read lineitem's 3 partitions and merge the partials; joins read in one piece.
      if (query.id === 'Q1' || query.id === 'Q6') expect(frame.explain()).toContain('read in 3 partitions');
    });

    it(`${query.id}: MariaDB's answer with pushdown off`, async () => {
      const frame = tpch.db().sql(query.sql, { pushdown: false });
      expect(frame.explain()).not.toContain('SqlText');
      await check(query, frame);
    });
  }
});
