/**
 * db.sql(text) on a real MariaDB: the planned frame gives the rows the text gives when MariaDB
 * runs it directly, pushes as one statement, composes with further verbs, and falls back to the
 * text as written where the planner does not translate it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadTpch } from '../../bench/data/load.ts';
import { PlanError } from '../../src/base/errors.ts';
import { withSession } from '../../src/db/driver.ts';
import type { Database, SqlOptions } from '../../src/frame/database.ts';
import { col, connect, fn, lit } from '../../src/index.ts';
import { quoteIdentifier } from '../../src/sql/identifiers.ts';

const stack = inject('stack');
const DATABASE = 'sluice_sql_text_it';
const endpoint = { ...stack.single, database: DATABASE };
let db: Database;

beforeAll(async () => {
  await loadTpch(stack.single, { database: DATABASE, lineitem: 3000, seed: 7 });
  await withSession(endpoint, async (session) => {
    // A small table with NULLs, negative numbers and text that needs escaping.
    await session.query(
      'CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(30), city VARCHAR(20), age INT, score DOUBLE, joined DATE)',
    );
    await session.query('INSERT INTO people VALUES ?', [
      [
        [1, 'Ann', 'Oslo', 34, 7.5, '2020-01-15'],
        [2, "O'Brien", 'Oslo', null, -2.25, '2021-06-01'],
        [3, 'Zoë', 'Bergen', 51, null, '2019-11-30'],
        [4, 'back\\slash', null, 28, 3, null],
        [5, 'Bo', 'Bergen', 28, 9.75, '2022-02-28'],
        [6, 'Cy', 'Tromsø', 45, 0, '2020-07-04'],
      ],
    ]);
  });
  db = await connect({ url: `mysql://${endpoint.user}@${endpoint.host}:${endpoint.port}/${DATABASE}` });
}, 300_000);

afterAll(async () => {
  await db?.close();
  await withSession(stack.single, (s) => s.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(DATABASE)}`), {
    withoutDatabase: true,
  });
});

/** Values as text the two roads agree on: numbers to 9 significant digits, dates as ISO days. */
function normalise(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'bigint') return value.toString();
  const text = String(value);
  if (typeof value === 'number' || /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text)) {
    return String(Number(Number(text).toPrecision(9)));
  }
  return text;
}

const rowsAsText = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, normalise(v)])));

async function direct(sql: string): Promise<Record<string, unknown>[]> {
  return withSession(endpoint, (session) => session.query(sql));
}

/**
 * The frame's rows equal MariaDB's answer to the same text (in order when the text orders), and
 * its columns are MariaDB's, in order. Values are compared by column name, a column missing from
 * a row object counting as NULL (the interim rows path drops columns that are NULL throughout).
 */
async function expectSameAsDirect(sql: string, options: SqlOptions = {}): Promise<void> {
  const frame = db.sql(sql, options);
  const [mine, theirs] = await Promise.all([frame.collect(), direct(sql)]);
  const columns = Object.keys(theirs[0] ?? {});
  if (theirs.length > 0 && frame.columns.length > 0) expect(frame.columns, sql).toEqual(columns);
  const byColumn = (rows: readonly Record<string, unknown>[]) =>
    rowsAsText(rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))));
  const ordered = /ORDER BY/i.test(sql);
  const a = byColumn(mine);
  const b = byColumn(theirs);
  expect(ordered ? a : a.sort(), sql).toEqual(ordered ? b : b.sort());
  expect(mine.length).toBe(theirs.length);
}

const pushedStatements = (explain: string) => Number(/== Pushed SQL \((\d+) statement/.exec(explain)?.[1]);

/** Statements the planner translates into plan nodes: checked against MariaDB running the text. */
const TRANSLATED = [
  "SELECT l_returnflag, l_linestatus, SUM(l_quantity) AS sum_qty, SUM(l_extendedprice * (1 - l_discount)) AS sum_disc_price, AVG(l_discount) AS avg_disc, COUNT(*) AS count_order FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus",
  "SELECT SUM(l_extendedprice * l_discount) AS revenue FROM lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL 1 YEAR AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24",
  "SELECT l_orderkey, SUM(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority FROM customer, orders, lineitem WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15' GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate, l_orderkey LIMIT 10",
  "SELECT n_name, SUM(l_extendedprice * (1 - l_discount)) AS revenue FROM customer c JOIN orders o ON c.c_custkey = o.o_custkey JOIN lineitem l ON l.l_orderkey = o.o_orderkey JOIN supplier s ON l.l_suppkey = s.s_suppkey AND c.c_nationkey = s.s_nationkey JOIN nation n ON s.s_nationkey = n.n_nationkey JOIN region r ON n.n_regionkey = r.r_regionkey WHERE r.r_name = 'ASIA' AND o.o_orderdate >= DATE '1994-01-01' AND o.o_orderdate < DATE '1995-01-01' GROUP BY n_name ORDER BY revenue DESC, n_name",
  "SELECT l_shipmode, SUM(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count, SUM(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count FROM orders JOIN lineitem ON o_orderkey = l_orderkey WHERE l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate AND l_receiptdate >= DATE '1994-01-01' AND l_receiptdate < DATE '1995-01-01' GROUP BY l_shipmode ORDER BY l_shipmode",
  'SELECT * FROM people',
  'SELECT p.* FROM people AS p WHERE p.age IS NOT NULL ORDER BY p.id',
  'SELECT id, name, age + 1 AS next_age, score * 2, -score AS neg FROM people WHERE age > 30 OR age IS NULL ORDER BY id',
  "SELECT name, city FROM people WHERE name LIKE '%o%' AND city NOT IN ('Bergen') ORDER BY name",
  "SELECT id FROM people WHERE name = 'O''Brien' OR name = 'back\\\\slash' OR name = \"Zoë\" ORDER BY id",
  'SELECT id, age NOT BETWEEN 30 AND 50 AS outside, NOT (age > 40) AS young FROM people ORDER BY id',
  "SELECT id, CASE city WHEN 'Oslo' THEN 'capital' WHEN 'Bergen' THEN 'west' ELSE 'other' END AS region, IF(age >= 30, 'older', 'younger') AS band, IFNULL(score, 0) AS s0, COALESCE(city, name) AS place, NULLIF(age, 28) AS not28 FROM people ORDER BY 1",
  "SELECT id, UPPER(name) AS u, LOWER(name) AS l, CHAR_LENGTH(name) AS n, SUBSTRING(name, 2, 2) AS mid, CONCAT(name, '@', city) AS email, TRIM(CONCAT(' ', name)) AS t, REPLACE(name, 'o', '0') AS r FROM people ORDER BY id",
  'SELECT id, ABS(score), ROUND(score, 1) AS r1, FLOOR(score) AS f, CEIL(score) AS c, GREATEST(age, 30) AS g, LEAST(age, 30) AS le, MOD(age, 7) AS m, age % 5 AS m5, POW(2, 3) AS p FROM people WHERE score IS NOT NULL ORDER BY id',
  "SELECT id, YEAR(joined) AS y, MONTH(joined) AS m, DAY(joined) AS d, DATEDIFF(joined, DATE '2020-01-01') AS days, joined + INTERVAL 1 MONTH AS next_month, DATE_SUB(joined, INTERVAL 2 DAY) AS before2, EXTRACT(YEAR FROM joined) AS ey FROM people ORDER BY id",
  "SELECT id, CAST(score AS SIGNED) AS si, CAST(age AS CHAR) AS txt, CAST('2020-02-03' AS DATE) AS dt FROM people ORDER BY id",
  'SELECT city, COUNT(*) AS n, COUNT(age) AS with_age, COUNT(DISTINCT age) AS ages, MIN(age) AS youngest, MAX(name) AS last_name, AVG(score) AS avg_score, STDDEV_SAMP(age) AS sd, VAR_SAMP(age) AS var FROM people GROUP BY city ORDER BY city',
  'SELECT YEAR(joined) AS y, COUNT(*) AS n FROM people WHERE joined IS NOT NULL GROUP BY y HAVING n >= 1 ORDER BY y DESC',
  'SELECT city, SUM(score) AS total FROM people GROUP BY 1 HAVING COUNT(*) > 1 AND SUM(score) > 0 ORDER BY 2 DESC',
  'SELECT city, COUNT(*) FROM people GROUP BY city ORDER BY COUNT(*) DESC, city',
  'SELECT DISTINCT city FROM people ORDER BY city',
  'SELECT DISTINCT age FROM people WHERE age IS NOT NULL ORDER BY age DESC LIMIT 2',
  'SELECT id, name FROM people ORDER BY age DESC, id LIMIT 2 OFFSET 1',
  'SELECT id FROM people ORDER BY score LIMIT 1, 3',
  'SELECT id, name, ROW_NUMBER() OVER (PARTITION BY city ORDER BY id) AS rn, RANK() OVER (ORDER BY age DESC) AS rk, DENSE_RANK() OVER (ORDER BY age) AS drk FROM people ORDER BY id',
  'SELECT id, SUM(score) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS moving, AVG(age) OVER (PARTITION BY city) AS city_avg, LAG(name) OVER (ORDER BY id) AS prev, LEAD(age, 2) OVER (ORDER BY id) AS next2, COUNT(*) OVER () AS total, FIRST_VALUE(name) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_name FROM people ORDER BY id',
  'SELECT id, score - LAG(score) OVER (ORDER BY id) AS delta FROM people ORDER BY id',
  'SELECT city, SUM(age) AS s, RANK() OVER (ORDER BY SUM(age) DESC) AS r FROM people GROUP BY city ORDER BY r, city',
  'SELECT a.id, b.id AS other FROM people a JOIN people b ON a.age = b.age AND a.id < b.id ORDER BY a.id',
  'SELECT p.name, q.name AS same_city FROM people p LEFT JOIN people q ON p.city = q.city AND p.id <> q.id ORDER BY p.id, q.id',
  'SELECT p.name, q.name AS other FROM people p RIGHT JOIN people q ON p.id = q.id + 1 ORDER BY q.id',
  'SELECT * FROM people JOIN (SELECT id, age * 2 AS twice FROM people) AS o USING (id) WHERE people.age > 30 ORDER BY id',
  'SELECT * FROM (SELECT id, age * 2 AS twice FROM people) AS o RIGHT JOIN people USING (id) ORDER BY id',
  'SELECT city, name FROM people LEFT JOIN (SELECT city AS c2, COUNT(*) AS n FROM people GROUP BY city) AS counts ON people.city = counts.c2 WHERE n > 1 ORDER BY name',
  'SELECT COUNT(*) AS pairs FROM people CROSS JOIN nation',
  "SELECT n_name, r_name FROM nation, region WHERE n_regionkey = r_regionkey AND r_name <> 'EUROPE' ORDER BY n_name",
  'SELECT s.big, s.city FROM (SELECT city, MAX(age) AS big FROM people GROUP BY city) AS s WHERE s.big > 30 ORDER BY s.city',
  "SELECT name FROM people WHERE city = 'Oslo' UNION SELECT name FROM people WHERE age < 30 ORDER BY name",
  'SELECT city FROM people UNION ALL SELECT city FROM people WHERE id < 3 ORDER BY 1 LIMIT 4',
  '(SELECT id FROM people ORDER BY id LIMIT 2) UNION ALL (SELECT id FROM people ORDER BY id DESC LIMIT 2)',
  'SELECT COUNT(*), SUM(age), MAX(joined) FROM people',
  "SELECT id, TRUE AS yes, FALSE AS no, NULL AS nothing, 1.5 AS half, 'text' AS word FROM people WHERE id = 1",
  // Subqueries and WITH are planned (decorrelated into joins) and still push as one statement.
  'SELECT name FROM people WHERE age > (SELECT AVG(age) FROM people) ORDER BY name',
  'SELECT name FROM people WHERE id IN (SELECT id FROM people WHERE age > 30) ORDER BY name',
  'WITH old AS (SELECT * FROM people WHERE age > 40) SELECT name FROM old ORDER BY name',
  'SELECT name FROM people WHERE age > (SELECT COUNT(*) FROM people p2 WHERE p2.city = people.city) ORDER BY name',
  'SELECT name FROM people WHERE age = 28 OR id IN (SELECT id FROM people WHERE age > 30) ORDER BY name',
  'SELECT id, CAST(score AS DECIMAL(10,1)) AS d FROM people ORDER BY id',
];

/** Statements that run as written (a sqlText node), with the reason explain shows. */
const FALLBACKS: [string, RegExp][] = [
  [
    'SELECT name FROM people WHERE age > (SELECT COUNT(*) + 1 FROM people p2 WHERE p2.city = people.city) ORDER BY name',
    /a correlated COUNT inside an expression/,
  ],
  [
    'SELECT name FROM people WHERE age = 28 OR EXISTS (SELECT 1 FROM people p2 WHERE p2.age > people.age) ORDER BY name',
    /other than an equality under an aggregate/,
  ],
  [
    'WITH old (n) AS (SELECT name FROM people WHERE age > 40) SELECT n FROM old ORDER BY n',
    /WITH column list|cannot read/,
  ],
  ['SELECT STDDEV(age) AS sd, VARIANCE(age) AS v FROM people', /STDDEV|cannot read/],
  ['SELECT id, LENGTH(name) AS bytes FROM people ORDER BY id', /LENGTH/],
  ['SELECT id, name FROM people GROUP BY id ORDER BY id', /neither grouped nor aggregated/],
  ['SELECT id, RANK() OVER w AS r FROM people WINDOW w AS (ORDER BY age) ORDER BY id', /cannot read|WINDOW/],
  ['SELECT id, CAST(score AS UNSIGNED) AS d FROM people ORDER BY id', /CAST/],
  ['SELECT GROUP_CONCAT(name ORDER BY name) AS names FROM people', /GROUP_CONCAT/],
  ["SELECT id FROM people WHERE name REGEXP '^[A-C]' ORDER BY id", /REGEXP/],
];

describe('db.sql(text) is planned, pushed and answers like MariaDB', () => {
  it.each(TRANSLATED)('%s', async (sql) => {
    // Every step pushed ('always': by default MariaDB's slow window functions run here).
    const explain = db.sql(sql, { pushdown: 'always' }).explain();
    expect(explain).not.toContain('SqlText');
    expect(pushedStatements(explain)).toBe(1);
    expect(explain).toContain('none: the database computes the whole result');
    await expectSameAsDirect(sql, { pushdown: 'always' });
    if (/ OVER \(/.test(sql) && !sql.includes('COUNT(*) OVER ()')) await expectSameAsDirect(sql);
  });

  it('windows computed here give each partition its average where MariaDB 10.11 mixes frames', async () => {
    // MariaDB 10.11.19 answers AVG(age) OVER (PARTITION BY city) row by row (51 and 28 for the
    // two Bergen rows) when the same SELECT has windows ordered by id with ROWS frames; alone,
    // it gives the partition's average, as the local window does in the full statement.
    const sql = TRANSLATED.find((text) => text.includes('COUNT(*) OVER ()'))!;
    const alone = await direct(
      'SELECT id, AVG(age) OVER (PARTITION BY city) AS city_avg FROM people ORDER BY id',
    );
    const mine = await db.sql(sql).collect();
    expect(mine.map((row) => String(row.city_avg))).toEqual(alone.map((row) => String(row.city_avg)));
    expect(mine.map((row) => Number(row.city_avg))).toEqual([34, 34, 39.5, 28, 39.5, 45]);
  });

  it.each(FALLBACKS)('falls back to the text as written: %s', async (sql, reason) => {
    const explain = db.sql(sql).explain();
    expect(explain).toMatch(/SqlText source=db\d+ \(not planned: /);
    expect(explain).toMatch(reason);
    await expectSameAsDirect(sql);
  });
});

describe('db.sql(text) composes with further verbs', () => {
  it('filter, groupBy and agg over planned SQL push as one statement', async () => {
    const q = db
      .sql(
        "SELECT o.o_orderpriority AS priority, l.l_quantity AS qty, l.l_shipmode AS mode FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey WHERE o.o_orderdate >= DATE '1994-01-01'",
      )
      .filter(col('mode').isIn('MAIL', 'SHIP', 'AIR'))
      .groupBy('priority')
      .agg(fn.count().as('n'), fn.sum('qty').as('total'))
      .orderBy('priority');
    const explain = q.explain();
    expect(explain).not.toContain('SqlText');
    expect(pushedStatements(explain)).toBe(1);
    expect(explain).toContain('none: the database computes the whole result');
    // The filter on the SQL's output moved below the projection, into the join's WHERE.
    expect(explain).toMatch(/WHERE .*`l_shipmode` IN \(\?, \?, \?\)/);
    const rows = await q.collect();
    const expected = await direct(
      "SELECT o.o_orderpriority AS priority, COUNT(*) AS n, SUM(l.l_quantity) AS total FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey WHERE o.o_orderdate >= DATE '1994-01-01' AND l.l_shipmode IN ('MAIL', 'SHIP', 'AIR') GROUP BY o.o_orderpriority ORDER BY priority",
    );
    expect(rowsAsText(rows)).toEqual(rowsAsText(expected));
  });

  it('values in the text travel as parameters, never inside the pushed SQL', () => {
    const explain = db
      .sql("SELECT name FROM people WHERE name = 'O''Brien; DROP TABLE people' AND age > 41")
      .explain();
    const sql = explain.split('\n').find((line) => line.startsWith('  SELECT'))!;
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('41');
    expect(explain).toContain('"O\'Brien; DROP TABLE people",41');
  });

  it('a fallback frame still composes: the text is a derived table under the verbs', async () => {
    const q = db
      .sql("SELECT city, age FROM people WHERE name REGEXP '^[A-M]'")
      .filter(col('age').lt(lit(50)))
      .groupBy('city')
      .agg(fn.count().as('n'))
      .orderBy('city');
    const explain = q.explain();
    expect(explain).toMatch(/not planned: .*REGEXP/);
    expect(pushedStatements(explain)).toBe(1);
    const rows = await q.collect();
    const expected = await direct(
      "SELECT city, COUNT(*) AS n FROM people WHERE name REGEXP '^[A-M]' AND age < 50 GROUP BY city ORDER BY city",
    );
    expect(rowsAsText(rows)).toEqual(rowsAsText(expected));
  });

  it('unknown and ambiguous names fail before anything runs', () => {
    expect(() => db.sql('SELECT nope FROM people')).toThrow(PlanError);
    expect(() => db.sql('SELECT nope FROM people')).toThrow(/no column 'nope'; available columns: people.id/);
    expect(() => db.sql('SELECT id FROM people a JOIN people b ON a.id = b.id')).toThrow(
      "column 'id' is ambiguous: a.id, b.id; qualify it with the table",
    );
  });
});
