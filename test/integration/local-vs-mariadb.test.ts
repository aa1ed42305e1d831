/**
 * Local execution against MariaDB's own answers: the same expressions, aggregates, windows and
 * joins are computed by the server (as the SQL sluice renders for them) and locally over the same
 * rows, and the results must agree value for value (numbers within 1e-9 relative).
 */
import {
  type DataType,
  DateDay,
  Decimal,
  Float64,
  Int32,
  type Table,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DbSession, openSession } from '../../src/db/driver.ts';
import { type Column, col, fn, lit } from '../../src/frame/column.ts';
import { batchToArrow } from '../../src/local/arrow-out.ts';
import { collationKey } from '../../src/local/collation.ts';
import { executeLocal } from '../../src/local/execute.ts';
import { batchFromArrow } from '../../src/local/index.ts';
import { canonicalDateTime } from '../../src/local/temporal.ts';
import { typeFromSqlName, type Value } from '../../src/local/types.ts';
import { Exprs } from '../../src/plan/expr.ts';
import { type PlanNode, Plans } from '../../src/plan/nodes.ts';
import { compileStandalone } from '../../src/sql/compile-expr.ts';
import { mariadb } from '../../src/sql/dialects/index.ts';

const { single } = inject('stack');

const COLUMNS: readonly [string, string, DataType][] = [
  ['id', 'int', new Int32()],
  ['i', 'int', new Int32()],
  ['d', 'decimal(10,2)', new Decimal(2, 10, 128)],
  ['f', 'double', new Float64()],
  ['s', 'varchar(20)', new Utf8()],
  ['dt', 'date', new DateDay()],
  ['ts', 'datetime(6)', new TimestampMicrosecond()],
];

const ROWS: readonly (readonly Value[])[] = [
  [1, 7, 1.1, 1.5, 'Brass Widget', '1995-03-15', '1995-03-15 10:11:12.500000'],
  [2, 0, 2.25, -2.5, 'brass widget', '2020-02-29', '2020-02-29 23:59:59'],
  [3, null, null, null, null, null, null],
  [4, -3, 3.33, 0.1, 'A', '2020-01-31', '2020-01-31 00:00:00'],
  [5, 2, -0.5, 2.345, 'a ', '1999-12-31', '1999-12-31 12:00:00.000001'],
  [6, 2, 5, 1e15, 'Ünïcödé', '2000-01-01', null],
  [7, 10, 0.05, 0.125, '%_\\', '1970-01-01', '1970-01-01 00:00:00'],
  [8, 100, 99999999.99, 3.5, '10', '2024-12-30', '2024-12-30 06:30:00'],
  [9, 5, 0.01, 2.5, '🦀 crab', '1995-03-15', '1995-03-15 00:00:00'],
  [10, -7, -1.05, -3.5, 'Zed', null, '2021-06-15 18:45:30.250000'],
];

const OTHER_ROWS: readonly (readonly Value[])[] = [
  [1, 'a', 'first'],
  [2, 'A', 'second'],
  [2, 'zed ', 'third'],
  [null, 'brass WIDGET', 'fourth'],
  [42, null, 'fifth'],
];

/** The rows as the Arrow table a pushed-down read would give. */
function inputTable(
  columns: readonly [string, string, DataType][],
  rows: readonly (readonly Value[])[],
): Table {
  return batchToArrow({
    length: rows.length,
    columns: columns.map(([name, sqlType, arrow], index) => ({
      name,
      type: { ...typeFromSqlName(sqlType)!, arrow },
      values: rows.map((row) => row[index]!),
    })),
  });
}

const OTHER_COLUMNS: readonly [string, string, DataType][] = [
  ['k', 'int', new Int32()],
  ['name', 'varchar(20)', new Utf8()],
  ['label', 'varchar(20)', new Utf8()],
];

const inputs = new Map([
  ['t', inputTable(COLUMNS, ROWS)],
  ['o', inputTable(OTHER_COLUMNS, OTHER_ROWS)],
]);
const t = Plans.values(
  't',
  COLUMNS.map(([name, sqlType]) => ({ name, sqlType })),
);
const o = Plans.values(
  'o',
  OTHER_COLUMNS.map(([name, sqlType]) => ({ name, sqlType })),
);

let session: DbSession;

beforeAll(async () => {
  session = await openSession(single);
  for (const [table, columns, rows] of [
    ['local_vs_db', COLUMNS, ROWS],
    ['local_vs_db_other', OTHER_COLUMNS, OTHER_ROWS],
  ] as const) {
    await session.query(`DROP TABLE IF EXISTS ${table}`);
    await session.query(
      `CREATE TABLE ${table} (${columns.map(([name, sqlType]) => `${name} ${sqlType} NULL`).join(', ')})`,
    );
    for (const row of rows) {
      await session.query(`INSERT INTO ${table} VALUES (${row.map(() => '?').join(', ')})`, [...row]);
    }
  }
});

afterAll(async () => {
  await session?.close();
});

const collated = collationKey('utf8mb4_general_ci');

/**
 * A database value and a local one are the same answer (numbers within 1e-9 relative). With
 * `anyOfEquals`, strings equal under the collation are too: MIN('A', 'a ') may be either.
 */
function same(db: unknown, local: Value, anyOfEquals = false): boolean {
  if (db === null || local === null) return db === local;
  if (
    anyOfEquals &&
    typeof db === 'string' &&
    typeof local === 'string' &&
    collated(db) === collated(local)
  ) {
    return true;
  }
  if (typeof local === 'number' || typeof local === 'bigint') {
    const a = Number(db);
    const b = Number(local);
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (local instanceof Uint8Array) return Buffer.from(local).equals(Buffer.from(db as Uint8Array));
  const text = String(db);
  if (text === local) return true;
  const [x, y] = [canonicalDateTime(text), canonicalDateTime(local)];
  return x !== null && x === y && /^\d{4}-/.test(text);
}

function localRows(table: Table): Record<string, Value>[] {
  const batch = batchFromArrow(table);
  return Array.from({ length: batch.length }, (_, row) =>
    Object.fromEntries(batch.columns.map((column) => [column.name, column.values[row]!])),
  );
}

/** Mismatches between server rows and local rows, compared column by column in order. */
function differences(
  dbRows: Record<string, unknown>[],
  local: Record<string, Value>[],
  label: (i: number) => string,
  anyOfEquals = false,
) {
  const problems: string[] = [];
  if (dbRows.length !== local.length)
    problems.push(`row count: database ${dbRows.length}, local ${local.length}`);
  dbRows.forEach((dbRow, index) => {
    for (const [name, value] of Object.entries(dbRow)) {
      const mine = local[index]?.[name] ?? null;
      if (!same(value, mine, anyOfEquals)) {
        problems.push(
          `${label(index)} ${name}: database ${JSON.stringify(value)}, local ${JSON.stringify(typeof mine === 'bigint' ? String(mine) : mine)}`,
        );
      }
    }
  });
  return problems;
}

function compileList(columns: readonly Column[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts = columns.map((column, index) => {
    const compiled = compileStandalone(column.as(`e${index}`).node, mariadb);
    params.push(...compiled.params);
    return compiled.sql;
  });
  return { sql: parts.join(', '), params };
}

const EXPRESSIONS: readonly Column[] = [
  // arithmetic and its types
  col('i').plus(1),
  col('i').times(col('d')),
  col('d').plus(col('f')),
  col('i').div(3),
  col('d').div(col('i')),
  col('i').mod(3),
  col('d').mod(col('i')),
  col('f').times(2),
  col('d').negate(),
  col('i').minus(col('d')),
  col('d').times(col('d')),
  col('i').div(0),
  col('d').plus(0.1),
  col('s').plus(1),
  // comparisons
  col('s').eq('a'),
  col('s').lt('b'),
  col('s').gt('B'),
  col('s').eq(10),
  col('dt').eq('1995-03-15'),
  col('dt').lt('2000-01-01'),
  col('ts').gt('2020-01-01'),
  col('ts').eq(col('dt')),
  col('i').gt('5'),
  col('d').ge(2.25),
  col('d').eq(col('f')),
  // logic and NULL tests
  col('i').gt(0).and(col('d').gt(1)),
  col('i').gt(0).or(col('d').isNull()),
  col('i').gt(0).not(),
  col('s').isNull(),
  col('ts').isNotNull(),
  col('i').isIn(2, 7, null),
  col('s').isIn('a', 'brass widget'),
  col('dt').isIn('1995-03-15', '2000-01-01'),
  col('i').notIn(1, 2),
  col('i').between(0, 7),
  col('d').between(-1, 2.5),
  col('dt').between('1995-01-01', '2000-12-31'),
  col('s').between('a', 'c'),
  col('s').like('%widget'),
  col('s').like('a%'),
  col('s').like('\\%\\_%'),
  col('s').like('_'),
  col('s').like('%Ü%'),
  // CASE and COALESCE
  fn.when(col('i').gt(5), 'big').when(col('i').gt(0), 'small').otherwise('other'),
  fn.when(col('d').gt(1), col('d')).otherwise(col('i')),
  fn.coalesce('i', col('d'), lit(0)),
  fn.coalesce('s', lit('none')),
  // CAST
  col('i').cast('string'),
  col('d').cast('int'),
  col('f').cast('int'),
  col('s').cast('int'),
  col('s').cast('double'),
  col('d').cast('decimal'),
  col('f').cast('decimal'),
  col('dt').cast('timestamp'),
  col('ts').cast('date'),
  col('s').cast('date'),
  col('i').cast('boolean'),
  col('f').cast('boolean'),
  col('d').cast('string'),
  col('f').cast('string'),
  // math
  fn.abs('d'),
  fn.round('d'),
  fn.round('d', 1),
  fn.round('f'),
  fn.round('f', 2),
  fn.round('i', -1),
  fn.floor('f'),
  fn.ceil('d'),
  fn.sqrt('i'),
  fn.ln('d'),
  fn.log(lit(2), col('i')),
  fn.exp('i'),
  fn.pow('i', 2),
  fn.greatest('i', 'd'),
  fn.least('i', 'd', 'f'),
  fn.greatest('s', lit('b')),
  // strings
  fn.lower('s'),
  fn.upper('s'),
  fn.length('s'),
  fn.substr('s', 2, 3),
  fn.substr('s', -3),
  fn.concat('s', lit('-'), col('i')),
  fn.concat('d', col('f')),
  fn.trim(fn.concat(lit('  '), col('s'), lit(' '))),
  fn.replace('s', lit('a'), lit('X')),
  // dates
  fn.year('dt'),
  fn.month('ts'),
  fn.day('dt'),
  fn.hour('ts'),
  fn.dateDiff('ts', 'dt'),
  fn.dateDiff(lit('2000-01-01'), col('dt')),
  fn.dateTrunc('year', 'ts'),
  fn.dateTrunc('quarter', 'dt'),
  fn.dateTrunc('month', 'ts'),
  fn.dateTrunc('week', 'dt'),
  fn.dateTrunc('day', 'ts'),
  fn.dateTrunc('hour', 'ts'),
  fn.dateTrunc('minute', 'ts'),
  fn.dateTrunc('second', 'ts'),
  fn.dateAdd('dt', 1, 'month'),
  fn.dateAdd('ts', -90, 'minute'),
  fn.dateAdd('dt', col('i'), 'day'),
  fn.dateAdd('ts', 1, 'year'),
  fn.dateAdd('dt', 2, 'hour'),
];

describe('local evaluation agrees with MariaDB', () => {
  it(`evaluates ${EXPRESSIONS.length} expressions over rows with NULLs, case variants, unicode and dates`, async () => {
    const { sql, params } = compileList(EXPRESSIONS);
    const dbRows = await session.query(`SELECT ${sql} FROM local_vs_db ORDER BY id`, params);
    const plan = Plans.project(
      t,
      EXPRESSIONS.map((column, index) => column.as(`e${index}`).node),
    );
    const local = localRows(await executeLocal(plan, inputs));
    const problems = differences(dbRows, local, (index) => `row id=${index + 1}`).map((problem) => {
      const expr = Number(/ e(\d+):/.exec(problem)?.[1]);
      return `${problem}  [${compileStandalone(EXPRESSIONS[expr]!.node, mariadb).sql}]`;
    });
    expect(problems).toEqual([]);
  });

  it('filters like the WHERE clause', async () => {
    const conditions = [
      col('s').like('%a%'),
      col('d').gt(1).or(col('i').lt(0)),
      col('dt').ge('2000-01-01'),
      col('s').eq('A'),
      col('i'),
      col('s'),
    ];
    for (const condition of conditions) {
      const compiled = compileStandalone(condition.node, mariadb);
      const dbRows = await session.query(`SELECT id FROM local_vs_db WHERE ${compiled.sql} ORDER BY id`, [
        ...compiled.params,
      ]);
      const local = localRows(
        await executeLocal(Plans.project(Plans.filter(t, condition.node), [col('id').node]), inputs),
      );
      expect(
        local.map((row) => row.id),
        compiled.sql,
      ).toEqual(dbRows.map((row) => Number(row.id)));
    }
  });

  it('aggregates per group, with expressions over aggregates', async () => {
    const aggregates = [
      fn.count(),
      fn.count('i'),
      fn.sum('i'),
      fn.avg('i'),
      fn.sum('d'),
      fn.avg('d'),
      fn.sum('f'),
      fn.avg('f'),
      fn.stddev('i'),
      fn.variance('d'),
      fn.stddev('f'),
      fn.min('s'),
      fn.max('s'),
      fn.min('dt'),
      fn.max('ts'),
      fn.countDistinct('s'),
      fn.sum('i').div(fn.sum('d')),
      fn.sum(fn.when(col('d').gt(1), 1).otherwise(0)),
      fn.max('f').minus(fn.min('f')),
    ];
    for (const key of [fn.year('dt'), col('i').mod(2), col('s').like('%a%'), undefined]) {
      const { sql, params } = compileList(aggregates);
      const keySql = key ? compileStandalone(key.as('g').node, mariadb) : undefined;
      const groupSql = key ? compileStandalone(key.node, mariadb) : undefined;
      const query = keySql
        ? `SELECT ${keySql.sql}, ${sql} FROM local_vs_db GROUP BY ${groupSql!.sql} ORDER BY 1`
        : `SELECT ${sql} FROM local_vs_db`;
      const dbRows = await session.query(
        query,
        keySql ? [...keySql.params, ...params, ...groupSql!.params] : params,
      );
      let plan: PlanNode = Plans.aggregate(
        t,
        key ? [key.as('g').node] : [],
        aggregates.map((column, index) => column.as(`e${index}`).node),
      );
      if (key) plan = Plans.sort(plan, [Exprs.sortKey(Exprs.column('g'))]);
      const local = localRows(await executeLocal(plan, inputs));
      expect(
        differences(dbRows, local, (index) => `group ${index}`, true),
        query,
      ).toEqual([]);
    }
  });

  it('computes window functions', async () => {
    const windows = [
      fn.rowNumber().over({ orderBy: 'id' }),
      fn.rank().over({ orderBy: 'dt' }),
      fn.denseRank().over({ orderBy: col('dt').desc() }),
      fn.rank().over({ partitionBy: fn.year('dt'), orderBy: col('i').desc({ nulls: 'first' }) }),
      fn.sum('i').over({ orderBy: 'dt' }),
      fn.sum('d').over({ partitionBy: col('i').mod(2), orderBy: 'id' }),
      fn.avg('i').over({ orderBy: 'id', rows: [-2, 0] }),
      fn.avg('f').over({ orderBy: 'id', rows: [-1, 1] }),
      fn.count('s').over({ orderBy: 'id', rows: [-3, -1] }),
      fn.min('s').over({ orderBy: 'id', rows: [-1, 2] }),
      fn.max('d').over({ orderBy: 'id', rows: [null, 0] }),
      fn.stddev('i').over({ orderBy: 'id', rows: [0, null] }),
      fn.lag('s', 2).over({ orderBy: 'id' }),
      fn.lead('d').over({ partitionBy: col('i').gt(2), orderBy: 'id' }),
      fn.firstValue('ts').over({ orderBy: col('id').desc() }),
      fn.lastValue('i').over({ orderBy: 'id', rows: [0, 2] }),
      fn.count().over({}),
      fn.sum('i').over({ partitionBy: 's' }),
    ];
    // One window per statement: MariaDB 10.11.19 gets RANK() OVER (ORDER BY dt) wrong when the
    // same SELECT also has RANK() OVER (PARTITION BY YEAR(dt) ORDER BY i DESC) and COUNT(*) OVER ().
    const plan = Plans.sort(
      Plans.window(
        t,
        windows.map((column, index) => column.as(`e${index}`).node),
      ),
      [Exprs.sortKey(Exprs.column('id'))],
    );
    const local = localRows(await executeLocal(plan, inputs));
    for (const [index, window] of windows.entries()) {
      const compiled = compileStandalone(window.as(`e${index}`).node, mariadb);
      const dbRows = await session.query(`SELECT ${compiled.sql} FROM local_vs_db ORDER BY id`, [
        ...compiled.params,
      ]);
      expect(
        differences(dbRows, local, (row) => `row id=${row + 1}`),
        compiled.sql,
      ).toEqual([]);
    }
  });

  it('joins: inner, left, right, semi and anti, with NULL and duplicate keys and case variants', async () => {
    const renamed = Plans.project(
      o,
      [col('k'), col('name'), col('label')].map((c) => c.node),
    );
    const cases: [string, PlanNode][] = [
      [
        'SELECT t.id, o.label FROM local_vs_db t JOIN local_vs_db_other o ON t.i = o.k ORDER BY t.id, o.label',
        Plans.join(t, renamed, 'inner', [], col('i').eq(col('k')).node),
      ],
      [
        'SELECT t.id, o.label FROM local_vs_db t LEFT JOIN local_vs_db_other o ON t.s = o.name ORDER BY t.id, o.label',
        Plans.join(t, renamed, 'left', [], col('s').eq(col('name')).node),
      ],
      [
        'SELECT t.id, o.label FROM local_vs_db t RIGHT JOIN local_vs_db_other o ON t.i = o.k AND t.d > 1 ORDER BY o.label, t.id',
        Plans.join(t, renamed, 'right', [], col('i').eq(col('k')).and(col('d').gt(1)).node),
      ],
      [
        'SELECT t.id, NULL AS label FROM local_vs_db t WHERE EXISTS (SELECT 1 FROM local_vs_db_other o WHERE o.k = t.i) ORDER BY t.id',
        Plans.join(t, renamed, 'semi', [], col('i').eq(col('k')).node),
      ],
      [
        'SELECT t.id, NULL AS label FROM local_vs_db t WHERE NOT EXISTS (SELECT 1 FROM local_vs_db_other o WHERE o.name = t.s) ORDER BY t.id',
        Plans.join(t, renamed, 'anti', [], col('s').eq(col('name')).node),
      ],
      [
        'SELECT t.id, o.label FROM local_vs_db t JOIN local_vs_db_other o ON t.i < o.k AND o.k < 3 ORDER BY t.id, o.label',
        Plans.join(t, renamed, 'inner', [], col('i').lt(col('k')).and(col('k').lt(3)).node),
      ],
    ];
    for (const [sql, join] of cases) {
      const dbRows = await session.query(sql);
      const withLabel =
        join.kind === 'join' && (join.type === 'semi' || join.type === 'anti')
          ? Plans.project(
              join,
              [col('id'), lit(null).as('label')].map((c) => c.node),
            )
          : Plans.project(
              join,
              [col('id'), col('label')].map((c) => c.node),
            );
      const sorted = sql.includes('ORDER BY o.label')
        ? Plans.sort(withLabel, [Exprs.sortKey(Exprs.column('label')), Exprs.sortKey(Exprs.column('id'))])
        : Plans.sort(withLabel, [Exprs.sortKey(Exprs.column('id')), Exprs.sortKey(Exprs.column('label'))]);
      const local = localRows(await executeLocal(sorted, inputs));
      expect(
        differences(dbRows, local, (index) => `row ${index}`),
        sql,
      ).toEqual([]);
    }
  });

  it('distinct and union dedupe as the server does', async () => {
    const distinct = await session.query(
      'SELECT COUNT(*) AS n FROM (SELECT DISTINCT s FROM local_vs_db) AS x',
    );
    const local = await executeLocal(Plans.distinct(Plans.project(t, [col('s').node])), inputs);
    expect(local.numRows).toBe(Number(distinct[0]!.n));
    const union = await session.query(
      'SELECT COUNT(*) AS n FROM (SELECT s FROM local_vs_db UNION SELECT name FROM local_vs_db_other) AS x',
    );
    const localUnion = await executeLocal(
      Plans.union(Plans.project(t, [col('s').node]), Plans.project(o, [col('name').node]), false),
      inputs,
    );
    expect(localUnion.numRows).toBe(Number(union[0]!.n));
  });
});
