/**
 * What the TPC-H test files share: a generated TPC-H database of their own on the stack's single
 * server (loaded before the file's tests, dropped after them), a Database connected to it,
 * MariaDB's own answer to a query text (computed once per text), the comparison of a frame's rows
 * with that answer, and the TPC-H programs more than one file writes with the DataFrame API.
 * Each file names its own database, size and seed, so files never see each other's tables.
 */
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { loadTpch } from '../../bench/data/load.ts';
import { withSession } from '../../src/db/driver.ts';
import { col, connect, type Database, fn, type LazyFrame, lit } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { diffResults } from './differential/compare.ts';

type Rows = Record<string, unknown>[];

export interface TpchDatabase {
  /** Its name on the single server. */
  readonly name: string;
  /** The connected Database (from the file's first test on). */
  readonly db: () => Database;
  /** MariaDB's answer to `sql` on this database, once per text. */
  readonly answer: (sql: string) => Promise<Rows>;
}

/** Registers the file's beforeAll (load, connect) and afterAll (close, drop) for its database. */
export function useTpchDatabase(options: {
  readonly name: string;
  readonly lineitem: number;
  readonly seed: number;
  /** Native partitions of lineitem, when it should have any. */
  readonly partitions?: number;
}): TpchDatabase {
  const stack = inject('stack');
  const answers = new Map<string, Promise<Rows>>();
  let db: Database | undefined;
  beforeAll(async () => {
    await loadTpch(stack.single, {
      lineitem: options.lineitem,
      seed: options.seed,
      database: options.name,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
    });
    db = await connect({
      url: `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${options.name}`,
      dialect: 'mariadb',
    });
  });
  afterAll(async () => {
    await db?.close();
    await withSession(
      stack.single,
      (session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(options.name)}`),
      { withoutDatabase: true },
    );
  });
  return {
    name: options.name,
    db: () => db!,
    answer: (sql) => {
      let rows = answers.get(sql);
      if (!rows) {
        rows = withSession({ ...stack.single, database: options.name }, (session) =>
          session.query<Rows[number]>(sql),
        );
        answers.set(sql, rows);
      }
      return rows;
    },
  };
}

/** Fails with both sides' difference and the plan unless the frame's rows equal `want`; returns its rows. */
export async function expectRows(
  label: string,
  want: Rows,
  frame: LazyFrame,
  ordered: boolean,
): Promise<Rows> {
  const got = await frame.collect();
  const columns = frame.columns;
  const diff = diffResults({ columns, rows: want }, { columns, rows: got }, { ordered });
  if (diff !== undefined) expect.fail(`${label}\n${diff}\n\n${frame.explain()}`);
  return got;
}

/** extendedprice * (1 - discount): the revenue of a line. */
export const revenue = () => col('l_extendedprice').times(lit(1).minus(col('l_discount')));

/** TPC-H Q1, the pricing summary report, over the table reader `t`. */
export const pricingSummary = (t: (name: string) => LazyFrame): LazyFrame =>
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
    .orderBy('l_returnflag', 'l_linestatus');
