/**
 * TPC-H Q1, Q3, Q5, Q6, Q10 and Q12 written with the DataFrame API over the seeded TPC-H-shaped
 * data (bench/data): each must give the answer of its SQL text run on MariaDB, and each must be
 * pushed down whole — one SQL statement, no local step.
 *
 * The SQL follows the spec's text with its substitution parameters chosen so every query selects
 * rows of this generator. Where the spec's ORDER BY can tie (revenue), a key is appended on both
 * sides so the comparison can be in order.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadTpch } from '../../bench/data/load.ts';
import { withSession } from '../../src/db/driver.ts';
import { col, connect, type Database, fn, type LazyFrame, lit } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { diffResults } from './differential/compare.ts';
import { localExecutionAvailable } from './differential/local-probe.ts';

const stack = inject('stack');
const DATABASE = 'sluice_tpch_queries';
const LINEITEM = 40_000;
const SEED = 5;

interface TpchQuery {
  readonly name: string;
  readonly frame: (table: (name: string) => LazyFrame) => LazyFrame;
  readonly sql: string;
  readonly ordered: boolean;
}

/** extendedprice * (1 - discount): the revenue of a line. */
const revenue = () => col('l_extendedprice').times(lit(1).minus(col('l_discount')));

const QUERIES: readonly TpchQuery[] = [
  {
    name: 'Q1 pricing summary report',
    frame: (t) =>
      t('lineitem')
        .filter(col('l_shipdate').le(fn.dateAdd(lit('1998-12-01'), -90, 'day')))
        .groupBy('l_returnflag', 'l_linestatus')
        .agg(
          fn.sum('l_quantity').as('sum_qty'),
          fn.sum('l_extendedprice').as('sum_base_price'),
          fn.sum(revenue()).as('sum_disc_price'),
          fn.sum(revenue().times(lit(1).plus(col('l_tax')))).as('sum_charge'),
          fn.avg('l_quantity').as('avg_qty'),
          fn.avg('l_extendedprice').as('avg_price'),
          fn.avg('l_discount').as('avg_disc'),
          fn.count().as('count_order'),
        )
        .orderBy('l_returnflag', 'l_linestatus'),
    sql: `SELECT l_returnflag, l_linestatus, SUM(l_quantity) AS sum_qty, SUM(l_extendedprice) AS sum_base_price,
            SUM(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
            SUM(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
            AVG(l_quantity) AS avg_qty, AVG(l_extendedprice) AS avg_price, AVG(l_discount) AS avg_disc,
            COUNT(*) AS count_order
          FROM lineitem
          WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY
          GROUP BY l_returnflag, l_linestatus
          ORDER BY l_returnflag, l_linestatus`,
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
    sql: `SELECT l_orderkey, SUM(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
          FROM customer, orders, lineitem
          WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
            AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
          GROUP BY l_orderkey, o_orderdate, o_shippriority
          ORDER BY revenue DESC, o_orderdate, l_orderkey
          LIMIT 10`,
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
    sql: `SELECT n_name, SUM(l_extendedprice * (1 - l_discount)) AS revenue
          FROM customer, orders, lineitem, supplier, nation, region
          WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
            AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
            AND r_name = 'ASIA' AND o_orderdate >= DATE '1994-01-01'
            AND o_orderdate < DATE '1994-01-01' + INTERVAL 1 YEAR
          GROUP BY n_name
          ORDER BY revenue DESC, n_name`,
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
    sql: `SELECT SUM(l_extendedprice * l_discount) AS revenue
          FROM lineitem
          WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL 1 YEAR
            AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24`,
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
    sql: `SELECT c_custkey, c_name, SUM(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name,
            c_address, c_phone, c_comment
          FROM customer, orders, lineitem, nation
          WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= DATE '1993-10-01'
            AND o_orderdate < DATE '1993-10-01' + INTERVAL 3 MONTH AND l_returnflag = 'R'
            AND c_nationkey = n_nationkey
          GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
          ORDER BY revenue DESC, c_custkey
          LIMIT 20`,
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
    sql: `SELECT l_shipmode,
            SUM(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
            SUM(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
          FROM orders, lineitem
          WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate
            AND l_shipdate < l_commitdate AND l_receiptdate >= DATE '1994-01-01'
            AND l_receiptdate < DATE '1994-01-01' + INTERVAL 1 YEAR
          GROUP BY l_shipmode
          ORDER BY l_shipmode`,
    ordered: true,
  },
];

let db: Database;
let localAvailable = false;
const answers = new Map<string, Promise<Record<string, unknown>[]>>();

/** The SQL text's answer, once per query. */
function expected(query: TpchQuery): Promise<Record<string, unknown>[]> {
  let rows = answers.get(query.name);
  if (!rows) {
    rows = withSession({ ...stack.single, database: DATABASE }, (session) => session.query(query.sql));
    answers.set(query.name, rows);
  }
  return rows;
}

async function check(query: TpchQuery, frame: LazyFrame): Promise<void> {
  const want = await expected(query);
  expect(want.length, 'the parameters select rows of the generated data').toBeGreaterThan(0);
  expect(Object.values(want[0]!).some((value) => value !== null)).toBe(true);
  const got = await frame.collect();
  const diff = diffResults(
    { columns: frame.columns, rows: want },
    { columns: frame.columns, rows: got },
    { ordered: query.ordered },
  );
  if (diff !== undefined) expect.fail(`${query.name} differs from its SQL\n${diff}\n\n${frame.explain()}`);
}

beforeAll(async () => {
  await loadTpch(stack.single, { lineitem: LINEITEM, seed: SEED, database: DATABASE });
  db = await connect({
    url: `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${DATABASE}`,
    dialect: 'mariadb',
  });
  localAvailable = await localExecutionAvailable(db, 'region', 'r_regionkey');
});

afterAll(async () => {
  await db?.close();
  await withSession(
    stack.single,
    (session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`),
    { withoutDatabase: true },
  );
});

describe('TPC-H queries with the DataFrame API', () => {
  for (const query of QUERIES) {
    it(`${query.name}: same answer as its SQL, pushed down whole`, async () => {
      const frame = query.frame((name) => db.table(name));
      const explain = frame.explain();
      expect(explain).toContain('== Pushed SQL (1 statement) ==');
      expect(explain).toContain('== Local steps ==\nnone: the database computes the whole result');

      await check(query, frame);
    });

    it(`${query.name}: same answer with pushdown off`, async (ctx) => {
      if (!localAvailable) ctx.skip();
      await check(
        query,
        query.frame((name) => db.table(name, { pushdown: false })),
      );
    });
  }
});
