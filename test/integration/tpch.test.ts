/**
 * TPC-H Q1, Q3, Q5, Q6, Q10 and Q12 written with the DataFrame API over the seeded TPC-H-shaped
 * data (bench/data): each must give the answer of its SQL text run on MariaDB, and each must be
 * pushed down whole — one SQL statement, no local step.
 *
 * The SQL follows the spec's text with its substitution parameters chosen so every query selects
 * rows of this generator. Where the spec's ORDER BY can tie (revenue), a key is appended on both
 * sides so the comparison can be in order.
 */
import { describe, expect, it } from 'vitest';
import { TPCH_QUERIES } from '../../bench/data/tpch-queries.ts';
import { col, fn, type LazyFrame, lit } from '../../src/index.ts';
import { expectRows, pricingSummary, revenue, useTpchDatabase } from './tpch-fixture.ts';

const tpch = useTpchDatabase({ name: 'sluice_tpch_queries', lineitem: 40_000, seed: 5 });

interface TpchQuery {
  readonly name: string;
  readonly frame: (table: (name: string) => LazyFrame) => LazyFrame;
  readonly sql: string;
  readonly ordered: boolean;
}

/** The spec's SQL text of a query (the same text the 22-query suite runs). */
const sqlOf = (id: string): string => TPCH_QUERIES.find((query) => query.id === id)!.sql;

const QUERIES: readonly TpchQuery[] = [
  {
    name: 'Q1 pricing summary report',
    frame: pricingSummary,
    sql: sqlOf('Q1'),
    ordered: true,
  },
  {
    name: 'Q3 shipping priority',
    frame: (t) =>
      t('customer')
        .filter(col('c_mktsegment').eq('BUILDING'))
        .join(t('orders').filter(col('o_orderdate').lt('1995-03-15')), col('c_custkey').eq(col('o_custkey')))
        .join(
          t('lineitem').filter(col('l_shipdate').gt('1995-03-15')),
          col('l_orderkey').eq(col('o_orderkey')),
        )
        .groupBy('l_orderkey', 'o_orderdate', 'o_shippriority')
        .agg(fn.sum(revenue()).as('revenue'))
        .orderBy(col('revenue').desc(), 'o_orderdate', 'l_orderkey')
        .limit(10)
        .select('l_orderkey', 'revenue', 'o_orderdate', 'o_shippriority'),
    sql: sqlOf('Q3'),
    ordered: true,
  },
  {
    name: 'Q5 local supplier volume',
    frame: (t) =>
      t('customer')
        .join(t('orders'), col('c_custkey').eq(col('o_custkey')))
        .join(t('lineitem'), col('l_orderkey').eq(col('o_orderkey')))
        .join(
          t('supplier'),
          col('l_suppkey')
            .eq(col('s_suppkey'))
            .and(col('c_nationkey').eq(col('s_nationkey'))),
        )
        .join(t('nation'), col('s_nationkey').eq(col('n_nationkey')))
        .join(t('region'), col('n_regionkey').eq(col('r_regionkey')))
        .filter(
          col('r_name')
            .eq('ASIA')
            .and(col('o_orderdate').ge('1994-01-01'))
            .and(col('o_orderdate').lt(fn.dateAdd(lit('1994-01-01'), 1, 'year'))),
        )
        .groupBy('n_name')
        .agg(fn.sum(revenue()).as('revenue'))
        .orderBy(col('revenue').desc(), 'n_name'),
    sql: sqlOf('Q5'),
    ordered: true,
  },
  {
    name: 'Q6 forecasting revenue change',
    frame: (t) =>
      t('lineitem')
        .filter(
          col('l_shipdate')
            .ge('1994-01-01')
            .and(col('l_shipdate').lt(fn.dateAdd(lit('1994-01-01'), 1, 'year')))
            .and(col('l_discount').between(0.05, 0.07))
            .and(col('l_quantity').lt(24)),
        )
        .agg(fn.sum(col('l_extendedprice').times(col('l_discount'))).as('revenue')),
    sql: sqlOf('Q6'),
    ordered: true,
  },
  {
    name: 'Q10 returned item reporting',
    frame: (t) =>
      t('customer')
        .join(
          t('orders').filter(
            col('o_orderdate')
              .ge('1993-10-01')
              .and(col('o_orderdate').lt(fn.dateAdd(lit('1993-10-01'), 3, 'month'))),
          ),
          col('c_custkey').eq(col('o_custkey')),
        )
        .join(t('lineitem').filter(col('l_returnflag').eq('R')), col('l_orderkey').eq(col('o_orderkey')))
        .join(t('nation'), col('c_nationkey').eq(col('n_nationkey')))
        .groupBy('c_custkey', 'c_name', 'c_acctbal', 'c_phone', 'n_name', 'c_address', 'c_comment')
        .agg(fn.sum(revenue()).as('revenue'))
        .orderBy(col('revenue').desc(), 'c_custkey')
        .limit(20)
        .select('c_custkey', 'c_name', 'revenue', 'c_acctbal', 'n_name', 'c_address', 'c_phone', 'c_comment'),
    sql: sqlOf('Q10'),
    ordered: true,
  },
  {
    name: 'Q12 shipping modes and order priority',
    frame: (t) => {
      const urgent = col('o_orderpriority').eq('1-URGENT').or(col('o_orderpriority').eq('2-HIGH'));
      return t('orders')
        .join(
          t('lineitem').filter(
            col('l_shipmode')
              .isIn('MAIL', 'SHIP')
              .and(col('l_commitdate').lt(col('l_receiptdate')))
              .and(col('l_shipdate').lt(col('l_commitdate')))
              .and(col('l_receiptdate').ge('1994-01-01'))
              .and(col('l_receiptdate').lt(fn.dateAdd(lit('1994-01-01'), 1, 'year'))),
          ),
          col('o_orderkey').eq(col('l_orderkey')),
        )
        .groupBy('l_shipmode')
        .agg(
          fn.sum(fn.when(urgent, 1).otherwise(0)).as('high_line_count'),
          fn
            .sum(
              fn
                .when(col('o_orderpriority').ne('1-URGENT').and(col('o_orderpriority').ne('2-HIGH')), 1)
                .otherwise(0),
            )
            .as('low_line_count'),
        )
        .orderBy('l_shipmode');
    },
    sql: sqlOf('Q12'),
    ordered: true,
  },
];

async function check(query: TpchQuery, frame: LazyFrame): Promise<void> {
  const want = await tpch.answer(query.sql);
  expect(want.length, 'the parameters select rows of the generated data').toBeGreaterThan(0);
  expect(Object.values(want[0]!).some((value) => value !== null)).toBe(true);
  await expectRows(`${query.name} differs from its SQL`, want, frame, query.ordered);
}

describe('TPC-H queries with the DataFrame API', () => {
  for (const query of QUERIES) {
    it(`${query.name}: same answer as its SQL, pushed down whole`, async () => {
      const frame = query.frame((name) => tpch.db().table(name));
      const explain = frame.explain();
      expect(explain).toContain('== Pushed SQL (1 statement) ==');
      expect(explain).toContain('== Local steps ==\nnone: the database computes the whole result');

      await check(query, frame);
    });

    it(`${query.name}: same answer with pushdown off`, async () => {
      await check(
        query,
        query.frame((name) => tpch.db().table(name, { pushdown: false })),
      );
    });
  }
});
