/**
 * Exact DECIMAL end to end, digit for digit against MariaDB's own answers (no tolerance):
 *
 * - TPC-H Q1 (SUM of l_extendedprice * (1 - l_discount) * (1 + l_tax), AVGs) and Q14
 *   (100.00 * SUM(...) / SUM(...), a literal whose scale decides the answer's), as DataFrame
 *   programs and as SQL text, with pushdown on, on with lineitem read in 3 key ranges, on over 8
 *   native partitions (partial aggregates merged), and off;
 * - DECIMAL(65,30), DECIMAL(38,10) and DECIMAL(15,2) arithmetic and aggregates with values near
 *   the limits, read in 1, 3 and 8 partitions and computed locally.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Random } from '../../bench/data/random.ts';
import { TPCH_QUERIES } from '../../bench/data/tpch-queries.ts';
import { withSession } from '../../src/db/driver.ts';
import { col, connect, type Database, fn, type LazyFrame, lit } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';
import { expectRows, pricingSummary, revenue, useTpchDatabase } from './tpch-fixture.ts';

const stack = inject('stack');
const TPCH = 'sluice_exact_tpch';
const DECIMALS = 'sluice_exact_decimals';
const tpchDatabase = useTpchDatabase({ name: TPCH, lineitem: 20_000, seed: 3 });

let tpch: Database;
let decimals: Database;

/** How a program's tables are read. */
const MODES = {
  'pushdown on': { pushdown: true, partitioning: 'none' },
  'pushdown on, 3 key ranges': { pushdown: true, partitioning: 3 },
  'pushdown on, 8 native partitions': { pushdown: true, partitioning: 'native' },
  'pushdown off': { pushdown: false, partitioning: 'none' },
} as const;
/** Partitioned reads with everything after them local: rows may arrive in another order than the server scans them. */
const LOCAL_PARTITIONED_MODES = {
  'pushdown off, 3 key ranges': { pushdown: false, partitioning: 3 },
  'pushdown off, 8 native partitions': { pushdown: false, partitioning: 'native' },
} as const;
type Mode = keyof typeof MODES | keyof typeof LOCAL_PARTITIONED_MODES;
const settingsOf = (mode: Mode) => ({ ...MODES, ...LOCAL_PARTITIONED_MODES })[mode];

/** The spec's text of one TPC-H query, as every TPC-H test and benchmark runs it. */
function tpchSql(id: string): string {
  const query = TPCH_QUERIES.find((candidate) => candidate.id === id);
  if (!query) throw new Error(`no TPC-H query ${id}`);
  return query.sql;
}

interface Program {
  readonly name: string;
  readonly sql: string;
  readonly frame: (table: (name: string) => LazyFrame) => LazyFrame;
  readonly ordered: boolean;
  /** The modes it runs in, when not all. */
  readonly modes?: readonly Mode[];
  /** What explain shows when the table is read in partitions. */
  readonly partitionedExplain?: RegExp;
}

const TPCH_PROGRAMS: readonly Program[] = [
  {
    name: 'Q1',
    frame: pricingSummary,
    sql: tpchSql('Q1'),
    ordered: true,
  },
  {
    name: 'Q14',
    frame: (t) =>
      t('lineitem')
        .filter(col('l_shipdate').ge('1995-09-01').and(col('l_shipdate').lt('1995-10-01')))
        .join(t('part'), col('l_partkey').eq(col('p_partkey')))
        .agg(
          lit
            .decimal('100.00')
            .times(fn.sum(fn.when(col('p_type').like('PROMO%'), revenue()).otherwise(0)))
            .div(fn.sum(revenue()))
            .as('promo_revenue'),
        ),
    sql: tpchSql('Q14'),
    ordered: true,
  },
];

const DECIMAL_PROGRAMS: readonly Program[] = [
  {
    name: 'DECIMAL(65,30) aggregates near the limits, per group',
    frame: (t) =>
      t('nums')
        .groupBy('g')
        .agg(
          fn.sum('a').as('sum_a'),
          fn.avg('a').as('avg_a'),
          fn.min('a').as('min_a'),
          fn.max('a').as('max_a'),
          fn.sum(col('a').minus(col('c'))).as('sum_a_c'),
          fn.count('a').as('n'),
        )
        .orderBy('g'),
    sql: `SELECT g, SUM(a) AS sum_a, AVG(a) AS avg_a, MIN(a) AS min_a, MAX(a) AS max_a, SUM(a - c) AS sum_a_c,
            COUNT(a) AS n
          FROM nums GROUP BY g ORDER BY g`,
    ordered: true,
  },
  {
    name: 'products, quotients and their sums',
    frame: (t) =>
      t('nums')
        .groupBy('g')
        .agg(
          fn.sum(col('b').times(col('c'))).as('sum_bc'),
          fn.sum(col('c').div(7)).as('sum_c7'),
          fn.avg(col('b').times(lit(1).minus(col('d')))).as('avg_bd'),
          fn.sum(col('b').times(col('d')).times(col('d'))).as('sum_bdd'),
          fn.sum('c').div(fn.sum('b')).as('ratio'),
        )
        .orderBy('g'),
    sql: `SELECT g, SUM(b * c) AS sum_bc, SUM(c / 7) AS sum_c7, AVG(b * (1 - d)) AS avg_bd,
            SUM(b * d * d) AS sum_bdd, SUM(c) / SUM(b) AS ratio
          FROM nums GROUP BY g ORDER BY g`,
    ordered: true,
  },
  {
    // Without GROUP BY the server sums a quotient's 18 internal digits (36 for a / 3); per group
    // (through a temporary table) it rounds the running sum to the scale at every row. Partials
    // leave as ROUND(sum, 0) and the exact rest, so 3 and 8 partitions give the same digits.
    name: 'a global SUM and AVG of quotients keep every internal digit',
    frame: (t) =>
      t('nums').agg(
        fn.sum(col('c').div(7)).as('s'),
        fn.avg(col('c').div(7)).as('a'),
        fn.sum(col('b').div(3)).as('sb'),
        fn.sum(col('a').div(3)).as('sa'),
        fn.avg(col('d').div(col('b'))).as('ad'),
        fn.sum(col('d')).as('sd'),
      ),
    sql: 'SELECT SUM(c / 7) AS s, AVG(c / 7) AS a, SUM(b / 3) AS sb, SUM(a / 3) AS sa, AVG(d / b) AS ad, SUM(d) AS sd FROM nums',
    ordered: true,
    partitionedExplain:
      /read in [38] partitions[\s\S]*CAST\(\(SUM\(\(`a` \/ \?\)\) - ROUND\(SUM\(\(`a` \/ \?\)\), \?\)\) AS DECIMAL\(38,36\)\)/,
  },
  {
    // 45 internal digits (beyond a CAST's 38), and a quotient's sum inside an expression: the
    // split refuses both, and the single read is exact.
    name: 'quotient sums the partitions cannot carry are read in one piece',
    frame: (t) =>
      t('nums').agg(fn.sum(col('a').div(col('b'))).as('sab'), fn.sum(col('c').div(7)).times(2).as('twice')),
    sql: 'SELECT SUM(a / b) AS sab, SUM(c / 7) * 2 AS twice FROM nums',
    ordered: true,
    partitionedExplain: /a partial SUM of a quotient with 45 inside digits cannot leave exactly/,
  },
  {
    name: 'row-wise arithmetic',
    frame: (t) =>
      t('nums')
        .select(
          'id',
          col('a').plus(col('b')).as('ab'),
          col('c').times(col('d')).as('cd'),
          col('c').div(col('b')).as('c_b'),
          col('b').mod(lit.decimal('0.7')).as('b_mod'),
          col('a').negate().as('neg_a'),
        )
        .orderBy('id'),
    sql: `SELECT id, a + b AS ab, c * d AS cd, c / b AS c_b, b % 0.7 AS b_mod, -a AS neg_a FROM nums ORDER BY id`,
    ordered: true,
  },
];

/** Near-limit DECIMAL values: a DECIMAL(65,30), b DECIMAL(15,2), c DECIMAL(38,10), d DECIMAL(4,3). */
function decimalRows(count: number): string[][] {
  const random = new Random(11);
  const digits = (n: number) => Array.from({ length: n }, () => String(random.int(0, 9))).join('');
  const sign = () => (random.next() < 0.4 ? '-' : '');
  const rows: string[][] = [];
  for (let id = 1; id <= count; id++) {
    // At most 33 integer digits, so a sum of a group cannot leave DECIMAL(65,30).
    const a =
      id % 17 === 0
        ? `${sign()}0.${'0'.repeat(29)}1`
        : `${sign()}${random.int(1, 4)}${digits(random.int(0, 32))}.${digits(30)}`;
    const b = `${sign()}${random.int(1, 9)}${digits(random.int(0, 11))}.${digits(2)}`;
    const c = `${sign()}${random.int(1, 9)}${digits(random.int(0, 19))}.${digits(10)}`;
    const d = `0.${digits(3)}`;
    rows.push([String(id), String(id % 8), a, b, c, d]);
  }
  // The extremes of each type.
  rows.push([
    String(count + 1),
    '0',
    `${'9'.repeat(33)}.${'9'.repeat(30)}`,
    `${'9'.repeat(13)}.99`,
    `${'9'.repeat(28)}.${'9'.repeat(10)}`,
    '0.999',
  ]);
  rows.push([
    String(count + 2),
    '1',
    `-${'9'.repeat(33)}.${'9'.repeat(30)}`,
    `-${'9'.repeat(13)}.99`,
    `-${'9'.repeat(28)}.${'9'.repeat(10)}`,
    '0.001',
  ]);
  return rows;
}

/**
 * Rows whose x / 20000 is exactly half of the quotient's last shown digit (0.00005 at scale 4),
 * with opposite signs: group 0 has six +1 then six -1, group 1 six -1 then six +1, group 2
 * alternates. Grouping through a temporary table, the server rounds its running sum to 4
 * digits after every row (half away from zero), so the answer depends on where the signs meet.
 */
function halfRows(): number[][] {
  const rows: number[][] = [];
  const signs = [
    [1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1],
    [-1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1],
    [1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1],
  ];
  signs.forEach((group, g) => {
    for (const sign of group) rows.push([rows.length + 1, g, sign]);
  });
  return rows;
}

const HALVES_PROGRAM: Program = {
  name: 'a grouped SUM and AVG of quotients on exact halves with opposite signs',
  frame: (t) =>
    t('halves')
      .groupBy('g')
      .agg(fn.sum(col('x').div(20000)).as('s'), fn.avg(col('x').div(20000)).as('a'), fn.count('x').as('n'))
      .orderBy('g'),
  sql: 'SELECT g, SUM(x / 20000) AS s, AVG(x / 20000) AS a, COUNT(x) AS n FROM halves GROUP BY g ORDER BY g',
  ordered: true,
};

/**
 * One group whose first row is +1 and the other eleven -1: MariaDB's running sum of x / 20000
 * rounds to 0.0001 at the first row and stays there, while the same rows starting from any later
 * one go negative and stay so (-0.0011). A read in key ranges must hand the rows over in key
 * order, as one scan does, however the ranges finish.
 */
const FLIP_ROWS = Array.from({ length: 12 }, (_, i) => [i + 1, 0, i === 0 ? 1 : -1]);

const FLIPS_PROGRAM: Program = {
  name: 'a grouped SUM and AVG of quotients whose running sum would change sign',
  frame: (t) =>
    t('flips')
      .groupBy('g')
      .agg(fn.sum(col('x').div(20000)).as('s'), fn.avg(col('x').div(20000)).as('a'))
      .orderBy('g'),
  sql: 'SELECT g, SUM(x / 20000) AS s, AVG(x / 20000) AS a FROM flips GROUP BY g ORDER BY g',
  ordered: true,
};

beforeAll(async () => {
  tpch = tpchDatabase.db();
  await withSession(
    stack.single,
    async (session) => {
      const db = quoteIdentifier(TPCH);
      await session.query(`CREATE TABLE ${db}.lineitem_native LIKE ${db}.lineitem`);
      await session.query(`ALTER TABLE ${db}.lineitem_native PARTITION BY HASH(l_orderkey) PARTITIONS 8`);
      await session.query(`INSERT INTO ${db}.lineitem_native SELECT * FROM ${db}.lineitem`);

      const dec = quoteIdentifier(DECIMALS);
      await session.query(`DROP DATABASE IF EXISTS ${dec}`);
      await session.query(`CREATE DATABASE ${dec}`);
      const columns =
        'id INT PRIMARY KEY, g INT, a DECIMAL(65,30), b DECIMAL(15,2), c DECIMAL(38,10), d DECIMAL(4,3)';
      await session.query(`CREATE TABLE ${dec}.nums (${columns})`);
      await session.query(`CREATE TABLE ${dec}.nums_native (${columns}) PARTITION BY KEY (id) PARTITIONS 8`);
      const halfColumns = 'id INT PRIMARY KEY, g INT, x DECIMAL(10,0)';
      await session.query(`CREATE TABLE ${dec}.halves (${halfColumns})`);
      await session.query(
        `CREATE TABLE ${dec}.halves_native (${halfColumns}) PARTITION BY KEY (id) PARTITIONS 8`,
      );
      await session.query(`CREATE TABLE ${dec}.flips (${halfColumns})`);
      await session.query(
        `CREATE TABLE ${dec}.flips_native (${halfColumns}) PARTITION BY KEY (id) PARTITIONS 8`,
      );
      const halves = halfRows();
      for (const [table, rows] of [
        ['halves', halves],
        ['halves_native', halves],
        ['flips', FLIP_ROWS],
        ['flips_native', FLIP_ROWS],
      ] as const) {
        await session.query(
          `INSERT INTO ${dec}.${table} VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`,
          rows.flat(),
        );
      }
      const rows = decimalRows(400);
      for (const table of ['nums', 'nums_native']) {
        await session.query(
          `INSERT INTO ${dec}.${table} VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
          rows.flat(),
        );
      }
    },
    { withoutDatabase: true },
  );
  const url = (database: string) =>
    `mysql://${stack.single.user}@${stack.single.host}:${stack.single.port}/${database}`;
  decimals = await connect({ url: url(DECIMALS), dialect: 'mariadb' });
});

afterAll(async () => {
  await decimals?.close();
  await withSession(
    stack.single,
    (session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DECIMALS)}`),
    { withoutDatabase: true },
  );
});

/** The table as the mode reads it; `partitioned` is the table read in parallel. */
function reader(db: Database, mode: Mode, partitioned: string, keys: Record<string, string>) {
  const { pushdown, partitioning } = settingsOf(mode);
  return (name: string): LazyFrame => {
    if (name !== partitioned || partitioning === 'none') return db.table(name, { pushdown });
    if (partitioning === 'native') {
      return db.table(`${name}_native`, { pushdown, partitioning: 'auto' });
    }
    return db.table(name, { pushdown, partitioning: { column: keys[name]!, count: partitioning } });
  };
}

async function expectSame(db: Database, program: Program, frame: LazyFrame, label: string) {
  const want = await withSession({ ...stack.single, database: db === tpch ? TPCH : DECIMALS }, (session) =>
    session.query(program.sql),
  );
  expect(want.length).toBeGreaterThan(0);
  return expectRows(`${program.name} (${label}) differs from MariaDB`, want, frame, program.ordered);
}

describe('TPC-H Q1 and Q14 digit for digit', () => {
  for (const program of TPCH_PROGRAMS) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      it(`${program.name}, ${mode}`, async () => {
        const frame = program.frame(reader(tpch, mode, 'lineitem', { lineitem: 'l_orderkey' }));
        await expectSame(tpch, program, frame, mode);
        if (program.name === 'Q1' && mode.includes('partitions')) {
          expect(frame.explain()).toMatch(/read in 8 partitions \(native/);
        }
      });
    }
    it(`${program.name} as SQL text, pushdown on and off`, async () => {
      for (const pushdown of [true, false]) {
        const rows = await expectSame(
          tpch,
          program,
          tpch.sql(program.sql, { pushdown }),
          `SQL text, pushdown ${pushdown}`,
        );
        if (program.name === 'Q14') {
          // 100.00 * DECIMAL(.,4) / DECIMAL(.,4): a DECIMAL with 10 digits after the point.
          expect(String(rows[0]!.promo_revenue)).toMatch(/^\d+\.\d{10}$/);
        }
      }
    });
  }
});

describe('DECIMAL near its limits, digit for digit', () => {
  for (const program of DECIMAL_PROGRAMS) {
    for (const mode of program.modes ?? (Object.keys(MODES) as Mode[])) {
      it(`${program.name}, ${mode}`, async () => {
        const frame = program.frame(reader(decimals, mode, 'nums', { nums: 'id' }));
        await expectSame(decimals, program, frame, mode);
        if (program.partitionedExplain && settingsOf(mode).partitioning !== 'none') {
          expect(frame.explain()).toMatch(program.partitionedExplain);
        }
      });
    }
  }
});

describe('grouped quotient sums that round at every row, digit for digit', () => {
  for (const mode of [...Object.keys(MODES), ...Object.keys(LOCAL_PARTITIONED_MODES)] as Mode[]) {
    it(`${HALVES_PROGRAM.name}, ${mode}`, async () => {
      const frame = HALVES_PROGRAM.frame(reader(decimals, mode, 'halves', { halves: 'id' }));
      await expectSame(decimals, HALVES_PROGRAM, frame, mode);
    });
  }
  for (const mode of [...Object.keys(MODES), ...Object.keys(LOCAL_PARTITIONED_MODES)] as Mode[]) {
    it(`${FLIPS_PROGRAM.name}, ${mode}`, async () => {
      // Read in native partitions, the rows come partition by partition, from sluice as from
      // MariaDB over the partitioned table: that table's answer is the one to match.
      const native = settingsOf(mode).partitioning === 'native';
      const program = native
        ? { ...FLIPS_PROGRAM, sql: FLIPS_PROGRAM.sql.replace('flips', 'flips_native') }
        : FLIPS_PROGRAM;
      const frame = program.frame(reader(decimals, mode, 'flips', { flips: 'id' }));
      const rows = await expectSame(decimals, program, frame, mode);
      if (!native) expect(String(rows[0]!.s)).toBe('0.0001');
      if (mode === 'pushdown off, 3 key ranges') expect(frame.explain()).toMatch(/in partition order/);
    });
  }
});
