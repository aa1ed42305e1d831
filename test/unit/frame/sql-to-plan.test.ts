/**
 * SQL text to plan: the rendered plan (as explain shows it) and the SQL it compiles to, for the
 * forms the planner translates; the opaque fallback with its reason for the forms it does not;
 * and the errors for names no database would accept either.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, PlanError } from '../../../src/base/errors.ts';
import { col, fn, lit } from '../../../src/frame/column.ts';
import { LazyFrame } from '../../../src/frame/lazy-frame.ts';
import { selectItemTexts } from '../../../src/frame/sql-text/select-text.ts';
import { unescapeString } from '../../../src/frame/sql-text/to-expr.ts';
import { sqlToPlan } from '../../../src/frame/sql-text/to-plan.ts';
import type { PlanNode } from '../../../src/plan/nodes.ts';
import { renderPlan } from '../../../src/plan/render.ts';
import { compilePlan } from '../../../src/sql/compile-plan.ts';
import { mariadb } from '../../../src/sql/dialects/index.ts';
import { fakeDatabase, localSteps, pushedSql } from './fake-source.ts';

const TABLES: Record<string, string[]> = { t: ['id', 'a', 'b', 's', 'd'], u: ['id', 'a', 'c'] };
const ctx = {
  source: 'db1',
  options: { pushdown: true },
  fieldsOf: (table: string) => TABLES[table]?.map((name) => ({ name })),
};
const plan = (sql: string): PlanNode => sqlToPlan(sql, ctx);
const compiled = (sql: string) => compilePlan(plan(sql), { dialect: mariadb });

/** [SQL text, rendered plan, compiled SQL, parameters] */
const GOLDEN: [string, string, string, unknown[]][] = [
  [
    "SELECT id, a + 1 AS a1, s FROM t WHERE b > 10 AND s LIKE 'x%' ORDER BY a1 DESC LIMIT 5",
    "Limit 5\n  Sort [a1 DESC NULLS LAST]\n    Project [id, (a + 1) AS a1, s]\n      Filter ((b > 10) AND s LIKE 'x%')\n        Scan t source=db1",
    'SELECT `id`, (`a` + ?) AS `a1`, `s` FROM `t` WHERE (`b` > ?) AND (`s` LIKE ?) ORDER BY `a1` DESC LIMIT ?',
    [1, 10, 'x%', 5],
  ],
  ['SELECT * FROM t', 'Scan t source=db1', 'SELECT `id`, `a`, `b`, `s`, `d` FROM `t`', []],
  [
    'SELECT t.*, c FROM t JOIN u USING (id)',
    'Project [id, a, b, s, d, c]\n  Join inner on=(id = u.id)\n    Scan t source=db1\n    Project [id AS u.id, a AS u.a, c]\n      Scan u source=db1',
    'SELECT `id`, `a`, `b`, `s`, `d`, `c` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`u.id`, t1.`u.a`, t1.`c` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 INNER JOIN (SELECT `id` AS `u.id`, `a` AS `u.a`, `c` FROM `u`) AS t1 ON (t0.`id` = t1.`u.id`)) AS t2',
    [],
  ],
  [
    'SELECT DISTINCT s FROM t',
    'Distinct\n  Project [s]\n    Scan t source=db1',
    'SELECT DISTINCT `s` FROM `t`',
    [],
  ],
  [
    'SELECT a, b FROM t WHERE a IN (1, 2, 3) AND b NOT BETWEEN 5 AND 9 AND s IS NOT NULL AND NOT (a = b OR a <> 2)',
    'Project [a, b]\n  Filter (((a IN (1, 2, 3) AND b NOT BETWEEN 5 AND 9) AND s IS NOT NULL) AND NOT ((a = b) OR (a != 2)))\n    Scan t source=db1',
    'SELECT `a`, `b` FROM `t` WHERE (`a` IN (?, ?, ?)) AND (`b` NOT BETWEEN ? AND ?) AND (`s` IS NOT NULL) AND (NOT ((`a` = `b`) OR (`a` <> ?)))',
    [1, 2, 3, 5, 9, 2],
  ],
  [
    'SELECT id, -a AS neg, a % 3 AS m, MOD(a, 4) AS m4, a / 2 AS half, b - a * 2 AS e FROM t',
    'Project [id, -a AS neg, (a % 3) AS m, (a % 4) AS m4, (a / 2) AS half, (b - (a * 2)) AS e]\n  Scan t source=db1',
    'SELECT `id`, (- `a`) AS `neg`, (`a` % ?) AS `m`, (`a` % ?) AS `m4`, (`a` / ?) AS `half`, (`b` - (`a` * ?)) AS `e` FROM `t`',
    [3, 4, 2, 2],
  ],
  [
    "SELECT id FROM t WHERE s = 'it''s' OR s = \"dq\" OR s = 'back\\\\slash' OR s = 'a\\'b'",
    "Project [id]\n  Filter ((((s = 'it''s') OR (s = 'dq')) OR (s = 'back\\slash')) OR (s = 'a''b'))\n    Scan t source=db1",
    'SELECT `id` FROM `t` WHERE ((((`s` = ?) OR (`s` = ?)) OR (`s` = ?)) OR (`s` = ?))',
    ["it's", 'dq', 'back\\slash', "a'b"],
  ],
  [
    'SELECT id, TRUE AS yes, FALSE AS no, NULL AS nothing, 1.5 AS half, 12345678901234567890 AS big FROM t',
    'Project [id, true AS yes, false AS no, NULL AS nothing, 1.5 AS half, 12345678901234567890 AS big]\n  Scan t source=db1',
    'SELECT `id`, ? AS `yes`, ? AS `no`, NULL AS `nothing`, CAST(? AS DECIMAL(2, 1)) AS `half`, ? AS `big` FROM `t`',
    [true, false, '1.5', 12345678901234567890n],
  ],
  [
    // A decimal literal keeps its scale: 100.00 is a DECIMAL(5,2), as TPC-H Q14 needs.
    'SELECT 100.00 * a AS pct, -0.050 AS neg FROM t',
    'Project [(100.00 * a) AS pct, -0.050 AS neg]\n  Scan t source=db1',
    'SELECT (CAST(? AS DECIMAL(5, 2)) * `a`) AS `pct`, CAST(? AS DECIMAL(3, 3)) AS `neg` FROM `t`',
    ['100.00', '-0.050'],
  ],
  [
    "SELECT id FROM t WHERE d >= DATE '1995-03-15' AND d < TIMESTAMP '1996-01-01 00:00:00'",
    "Project [id]\n  Filter ((d >= CAST('1995-03-15' AS date)) AND (d < CAST('1996-01-01 00:00:00' AS timestamp)))\n    Scan t source=db1",
    'SELECT `id` FROM `t` WHERE (`d` >= CAST(? AS DATE)) AND (`d` < CAST(? AS DATETIME(6)))',
    ['1995-03-15', '1996-01-01 00:00:00'],
  ],
  [
    "SELECT d + INTERVAL 3 DAY AS d3, d - INTERVAL '1' MONTH AS dm, DATE_ADD(d, INTERVAL 2 YEAR) AS dy, DATE_SUB(d, INTERVAL a WEEK) AS dw, ADDDATE(d, 5) AS d5 FROM t",
    "Project [dateAdd(d, 3, 'day') AS d3, dateAdd(d, -1, 'month') AS dm, dateAdd(d, 2, 'year') AS dy, dateAdd(d, -a, 'week') AS dw, dateAdd(d, 5, 'day') AS d5]\n  Scan t source=db1",
    'SELECT (`d` + INTERVAL ? DAY) AS `d3`, (`d` + INTERVAL ? MONTH) AS `dm`, (`d` + INTERVAL ? YEAR) AS `dy`, (`d` + INTERVAL (- `a`) WEEK) AS `dw`, (`d` + INTERVAL ? DAY) AS `d5` FROM `t`',
    [3, -1, 2, 5],
  ],
  [
    "SELECT CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' END AS size, CASE s WHEN 'x' THEN 1 ELSE 0 END AS isx, IF(b IS NULL, 0, b) AS b0, NULLIF(a, 0) AS nz FROM t",
    "Project [CASE WHEN (a > 1) THEN 'big' WHEN (a > 0) THEN 'small' END AS size, CASE WHEN (s = 'x') THEN 1 ELSE 0 END AS isx, CASE WHEN b IS NULL THEN 0 ELSE b END AS b0, CASE WHEN (a = 0) THEN NULL ELSE a END AS nz]\n  Scan t source=db1",
    'SELECT (CASE WHEN (`a` > ?) THEN ? WHEN (`a` > ?) THEN ? END) AS `size`, (CASE WHEN (`s` = ?) THEN ? ELSE ? END) AS `isx`, (CASE WHEN (`b` IS NULL) THEN ? ELSE `b` END) AS `b0`, (CASE WHEN (`a` = ?) THEN NULL ELSE `a` END) AS `nz` FROM `t`',
    [1, 'big', 0, 'small', 'x', 1, 0, 0, 0],
  ],
  [
    'SELECT CAST(a AS SIGNED) AS i, CAST(b AS CHAR) AS c, CAST(s AS DATE) AS dd, CAST(a AS DOUBLE) AS f, CAST(d AS DATETIME(6)) AS ts, CAST(b AS DECIMAL(38,10)) AS dec FROM t',
    'Project [CAST(a AS bigint) AS i, CAST(b AS string) AS c, CAST(s AS date) AS dd, CAST(a AS double) AS f, CAST(d AS timestamp) AS ts, CAST(b AS decimal(38,10)) AS dec]\n  Scan t source=db1',
    'SELECT CAST(`a` AS SIGNED) AS `i`, CAST(`b` AS CHAR) AS `c`, CAST(`s` AS DATE) AS `dd`, CAST(`a` AS DOUBLE) AS `f`, CAST(`d` AS DATETIME(6)) AS `ts`, CAST(`b` AS DECIMAL(38,10)) AS `dec` FROM `t`',
    [],
  ],
  [
    'SELECT CAST(b AS DECIMAL(10,2)) AS d2, CAST(b AS DECIMAL) AS d0 FROM t',
    'Project [CAST(b AS decimal(10,2)) AS d2, CAST(b AS decimal(10,0)) AS d0]\n  Scan t source=db1',
    'SELECT CAST(`b` AS DECIMAL(10,2)) AS `d2`, CAST(`b` AS DECIMAL(10,0)) AS `d0` FROM `t`',
    [],
  ],
  [
    'SELECT ABS(a), ROUND(b, 2), FLOOR(a), CEILING(b), SQRT(a), LN(a), LOG(2, a), EXP(a), POWER(a, 2), GREATEST(a, b), LEAST(a, b, 0) FROM t',
    'Project [abs(a) AS ABS(a), round(b, 2) AS ROUND(b, 2), floor(a) AS FLOOR(a), ceil(b) AS CEILING(b), sqrt(a) AS SQRT(a), ln(a) AS LN(a), log(2, a) AS LOG(2, a), exp(a) AS EXP(a), pow(a, 2) AS POWER(a, 2), greatest(a, b) AS GREATEST(a, b), least(a, b, 0) AS LEAST(a, b, 0)]\n  Scan t source=db1',
    'SELECT ABS(`a`) AS `ABS(a)`, ROUND(`b`, ?) AS `ROUND(b, 2)`, FLOOR(`a`) AS `FLOOR(a)`, CEIL(`b`) AS `CEILING(b)`, SQRT(`a`) AS `SQRT(a)`, LN(`a`) AS `LN(a)`, LOG(?, `a`) AS `LOG(2, a)`, EXP(`a`) AS `EXP(a)`, POW(`a`, ?) AS `POWER(a, 2)`, GREATEST(`a`, `b`) AS `GREATEST(a, b)`, LEAST(`a`, `b`, ?) AS `LEAST(a, b, 0)` FROM `t`',
    [2, 2, 2, 0],
  ],
  [
    "SELECT UCASE(s), LOWER(s), CHAR_LENGTH(s), SUBSTR(s, 2), SUBSTRING(s, 1, 3), CONCAT(s, '-', a), TRIM(s), REPLACE(s, 'a', 'b'), COALESCE(s, 'none'), IFNULL(a, 0) FROM t",
    "Project [upper(s) AS UCASE(s), lower(s) AS LOWER(s), length(s) AS CHAR_LENGTH(s), substr(s, 2) AS SUBSTR(s, 2), substr(s, 1, 3) AS SUBSTRING(s, 1, 3), concat(s, '-', a) AS CONCAT(s, '-', a), trim(s) AS TRIM(s), replace(s, 'a', 'b') AS REPLACE(s, 'a', 'b'), coalesce(s, 'none') AS COALESCE(s, 'none'), coalesce(a, 0) AS IFNULL(a, 0)]\n  Scan t source=db1",
    "SELECT UPPER(`s`) AS `UCASE(s)`, LOWER(`s`) AS `LOWER(s)`, CHAR_LENGTH(`s`) AS `CHAR_LENGTH(s)`, SUBSTRING(`s`, ?) AS `SUBSTR(s, 2)`, SUBSTRING(`s`, ?, ?) AS `SUBSTRING(s, 1, 3)`, CONCAT(`s`, ?, `a`) AS `CONCAT(s, '-', a)`, TRIM(`s`) AS `TRIM(s)`, REPLACE(`s`, ?, ?) AS `REPLACE(s, 'a', 'b')`, COALESCE(`s`, ?) AS `COALESCE(s, 'none')`, COALESCE(`a`, ?) AS `IFNULL(a, 0)` FROM `t`",
    [2, 1, 3, '-', 'a', 'b', 'none', 0],
  ],
  [
    "SELECT YEAR(d), MONTH(d), DAY(d), DAYOFMONTH(d), HOUR(d), DATEDIFF(d, '2020-01-01'), EXTRACT(MONTH FROM d) AS em FROM t",
    "Project [year(d) AS YEAR(d), month(d) AS MONTH(d), day(d) AS DAY(d), day(d) AS DAYOFMONTH(d), hour(d) AS HOUR(d), dateDiff(d, '2020-01-01') AS DATEDIFF(d, '2020-01-01'), month(d) AS em]\n  Scan t source=db1",
    "SELECT YEAR(`d`) AS `YEAR(d)`, MONTH(`d`) AS `MONTH(d)`, DAYOFMONTH(`d`) AS `DAY(d)`, DAYOFMONTH(`d`) AS `DAYOFMONTH(d)`, HOUR(`d`) AS `HOUR(d)`, DATEDIFF(`d`, ?) AS `DATEDIFF(d, '2020-01-01')`, MONTH(`d`) AS `em` FROM `t`",
    ['2020-01-01'],
  ],
  [
    'SELECT a, COUNT(*), SUM(b) AS total FROM t GROUP BY a HAVING total > 3 ORDER BY 2 DESC',
    'Sort [COUNT(*) DESC NULLS LAST]\n  Filter (total > 3)\n    Aggregate groupBy=[a] aggregates=[count(*) AS COUNT(*), sum(b) AS total]\n      Scan t source=db1',
    'SELECT `a`, COUNT(*) AS `COUNT(*)`, SUM(`b`) AS `total` FROM `t` GROUP BY `a` HAVING (`total` > ?) ORDER BY `COUNT(*)` DESC',
    [3],
  ],
  [
    'SELECT YEAR(d) AS y, MAX(b) FROM t GROUP BY 1',
    'Aggregate groupBy=[year(d) AS y] aggregates=[max(b) AS MAX(b)]\n  Scan t source=db1',
    'SELECT YEAR(`d`) AS `y`, MAX(`b`) AS `MAX(b)` FROM `t` GROUP BY YEAR(`d`)',
    [],
  ],
  [
    'SELECT a + b AS ab, COUNT(DISTINCT s) AS n, AVG(b) AS avg_b, MIN(d) AS first, STDDEV_SAMP(b) AS sd, VAR_SAMP(b) AS v FROM t GROUP BY a + b',
    'Aggregate groupBy=[(a + b) AS ab] aggregates=[countDistinct(s) AS n, avg(b) AS avg_b, min(d) AS first, stddev(b) AS sd, variance(b) AS v]\n  Scan t source=db1',
    'SELECT (`a` + `b`) AS `ab`, COUNT(DISTINCT `s`) AS `n`, AVG(`b`) AS `avg_b`, MIN(`d`) AS `first`, STDDEV_SAMP(`b`) AS `sd`, VAR_SAMP(`b`) AS `v` FROM `t` GROUP BY (`a` + `b`)',
    [],
  ],
  [
    'SELECT s, SUM(b) / COUNT(*) AS mean, SUM(CASE WHEN a > 0 THEN b ELSE 0 END) AS pos FROM t GROUP BY s HAVING COUNT(*) > 1 AND MAX(b) < 100',
    'Project [s, (__agg_1 / __agg_2) AS mean, pos]\n  Filter ((__agg_2 > 1) AND (__agg_4 < 100))\n    Aggregate groupBy=[s] aggregates=[sum(b) AS __agg_1, count(*) AS __agg_2, sum(CASE WHEN (a > 0) THEN b ELSE 0 END) AS pos, max(b) AS __agg_4]\n      Scan t source=db1',
    'SELECT `s`, (`__agg_1` / `__agg_2`) AS `mean`, `pos` FROM (SELECT `s`, SUM(`b`) AS `__agg_1`, COUNT(*) AS `__agg_2`, SUM((CASE WHEN (`a` > ?) THEN `b` ELSE ? END)) AS `pos`, MAX(`b`) AS `__agg_4` FROM `t` GROUP BY `s` HAVING (`__agg_2` > ?) AND (`__agg_4` < ?)) AS t0',
    [0, 0, 1, 100],
  ],
  [
    'SELECT COUNT(*) AS n, SUM(b) AS total FROM t WHERE a > 0',
    'Aggregate groupBy=[] aggregates=[count(*) AS n, sum(b) AS total]\n  Filter (a > 0)\n    Scan t source=db1',
    'SELECT COUNT(*) AS `n`, SUM(`b`) AS `total` FROM `t` WHERE (`a` > ?)',
    [0],
  ],
  [
    'SELECT a, SUM(b) AS s FROM t GROUP BY a ORDER BY COUNT(*) DESC',
    'Project [a, s]\n  Sort [__agg_2 DESC NULLS LAST]\n    Aggregate groupBy=[a] aggregates=[sum(b) AS s, count(*) AS __agg_2]\n      Scan t source=db1',
    'SELECT `a`, `s` FROM (SELECT `a`, SUM(`b`) AS `s`, COUNT(*) AS `__agg_2` FROM `t` GROUP BY `a` ORDER BY `__agg_2` DESC) AS t0 ORDER BY t0.`__agg_2` DESC',
    [],
  ],
  [
    'SELECT a FROM t ORDER BY b DESC, 1 LIMIT 3 OFFSET 2',
    'Limit 3 offset=2\n  Project [a]\n    Sort [b DESC NULLS LAST, a ASC NULLS FIRST]\n      Scan t source=db1',
    'SELECT `a` FROM `t` ORDER BY `b` DESC, `a` ASC LIMIT ? OFFSET ?',
    [3, 2],
  ],
  [
    'SELECT a, b FROM t ORDER BY a + b LIMIT 10, 5',
    'Limit 5 offset=10\n  Project [a, b]\n    Sort [(a + b) ASC NULLS FIRST]\n      Scan t source=db1',
    'SELECT `a`, `b` FROM `t` ORDER BY (`a` + `b`) ASC LIMIT ? OFFSET ?',
    [5, 10],
  ],
  [
    'SELECT id, ROW_NUMBER() OVER (PARTITION BY a ORDER BY d DESC) AS rn, SUM(b) OVER (ORDER BY d ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS moving FROM t',
    'Project [id, rn, moving]\n  Window [rowNumber() OVER (partitionBy=[a] orderBy=[d DESC NULLS LAST]) AS rn, sum(b) OVER (orderBy=[d ASC NULLS FIRST] rows=[-6, 0]) AS moving]\n    Scan t source=db1',
    'SELECT `id`, `rn`, `moving` FROM (SELECT `id`, `a`, `b`, `s`, `d`, ROW_NUMBER() OVER (PARTITION BY `a` ORDER BY `d` DESC) AS `rn`, SUM(`b`) OVER (ORDER BY `d` ASC ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS `moving` FROM `t`) AS t0',
    [],
  ],
  [
    'SELECT id, b - LAG(b, 2) OVER (ORDER BY d) AS delta, LEAD(b) OVER (ORDER BY d) AS nxt, FIRST_VALUE(s) OVER (PARTITION BY a ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS first_s FROM t',
    'Project [id, (b - __window_1) AS delta, nxt, first_s]\n  Window [lag(b, 2) OVER (orderBy=[d ASC NULLS FIRST]) AS __window_1, lead(b, 1) OVER (orderBy=[d ASC NULLS FIRST]) AS nxt, firstValue(s) OVER (partitionBy=[a] orderBy=[d ASC NULLS FIRST] rows=[unbounded, 1]) AS first_s]\n    Scan t source=db1',
    'SELECT `id`, (`b` - `__window_1`) AS `delta`, `nxt`, `first_s` FROM (SELECT `id`, `a`, `b`, `s`, `d`, LAG(`b`, 2) OVER (ORDER BY `d` ASC) AS `__window_1`, LEAD(`b`, 1) OVER (ORDER BY `d` ASC) AS `nxt`, FIRST_VALUE(`s`) OVER (PARTITION BY `a` ORDER BY `d` ASC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS `first_s` FROM `t`) AS t0',
    [],
  ],
  [
    'SELECT a, SUM(b) AS total, RANK() OVER (ORDER BY SUM(b) DESC) AS r, COUNT(*) OVER () AS groups FROM t GROUP BY a',
    'Window [rank() OVER (orderBy=[total DESC NULLS LAST]) AS r, count() OVER () AS groups]\n  Aggregate groupBy=[a] aggregates=[sum(b) AS total]\n    Scan t source=db1',
    'SELECT `a`, `total`, RANK() OVER (ORDER BY `total` DESC) AS `r`, COUNT(*) OVER () AS `groups` FROM (SELECT `a`, SUM(`b`) AS `total` FROM `t` GROUP BY `a`) AS t0',
    [],
  ],
  [
    'SELECT id, RANK() OVER (ORDER BY b) AS r FROM t ORDER BY d',
    'Project [id, r]\n  Sort [__order_1 ASC NULLS FIRST]\n    Project [id, r, d AS __order_1]\n      Window [rank() OVER (orderBy=[b ASC NULLS FIRST]) AS r]\n        Scan t source=db1',
    'SELECT `id`, `r` FROM (SELECT `id`, `r`, `d` AS `__order_1` FROM (SELECT `id`, `a`, `b`, `s`, `d`, RANK() OVER (ORDER BY `b` ASC) AS `r` FROM `t`) AS t0 ORDER BY `__order_1` ASC) AS t1 ORDER BY t1.`__order_1` ASC',
    [],
  ],
  [
    'SELECT t.id, u.c FROM t JOIN u ON t.id = u.id WHERE u.c > 5',
    'Project [id, c]\n  Filter (c > 5)\n    Join inner on=(id = u.id)\n      Scan t source=db1\n      Project [id AS u.id, a AS u.a, c]\n        Scan u source=db1',
    'SELECT `id`, `c` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`u.id`, t1.`u.a`, t1.`c` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 INNER JOIN (SELECT `id` AS `u.id`, `a` AS `u.a`, `c` FROM `u`) AS t1 ON (t0.`id` = t1.`u.id`)) AS t2 WHERE (`c` > ?)',
    [5],
  ],
  [
    'SELECT t.a, u.a FROM t LEFT JOIN u ON t.id = u.id AND u.c IS NOT NULL',
    'Project [a AS t.a, u.a]\n  Join left on=((id = u.id) AND c IS NOT NULL)\n    Scan t source=db1\n    Project [id AS u.id, a AS u.a, c]\n      Scan u source=db1',
    'SELECT `a` AS `t.a`, `u.a` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`u.id`, t1.`u.a`, t1.`c` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 LEFT JOIN (SELECT `id` AS `u.id`, `a` AS `u.a`, `c` FROM `u`) AS t1 ON ((t0.`id` = t1.`u.id`) AND (t1.`c` IS NOT NULL))) AS t2',
    [],
  ],
  [
    'SELECT * FROM t RIGHT JOIN u USING (id)',
    'Project [u.id AS id, u.a, c, a AS t.a, b, s, d]\n  Join right on=(id = u.id)\n    Scan t source=db1\n    Project [id AS u.id, a AS u.a, c]\n      Scan u source=db1',
    'SELECT `u.id` AS `id`, `u.a`, `c`, `a` AS `t.a`, `b`, `s`, `d` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`u.id`, t1.`u.a`, t1.`c` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 RIGHT JOIN (SELECT `id` AS `u.id`, `a` AS `u.a`, `c` FROM `u`) AS t1 ON (t0.`id` = t1.`u.id`)) AS t2',
    [],
  ],
  [
    'SELECT t.s, u.c FROM t, u WHERE t.id = u.id AND t.b > 1',
    'Project [s, c]\n  Filter (b > 1)\n    Join inner on=(id = u.id)\n      Scan t source=db1\n      Project [id AS u.id, a AS u.a, c]\n        Scan u source=db1',
    'SELECT `s`, `c` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`u.id`, t1.`u.a`, t1.`c` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 INNER JOIN (SELECT `id` AS `u.id`, `a` AS `u.a`, `c` FROM `u`) AS t1 ON (t0.`id` = t1.`u.id`)) AS t2 WHERE (`b` > ?)',
    [1],
  ],
  [
    'SELECT x.a FROM t AS x CROSS JOIN u AS y',
    'Project [a]\n  Join cross\n    Scan t source=db1\n    Project [id AS y.id, a AS y.a, c]\n      Scan u source=db1',
    'SELECT `a` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`y.id`, t1.`y.a`, t1.`c` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 CROSS JOIN (SELECT `id` AS `y.id`, `a` AS `y.a`, `c` FROM `u`) AS t1) AS t2',
    [],
  ],
  [
    'SELECT l.a AS la, r.a AS ra FROM t l JOIN t r ON l.id = r.b',
    'Project [a AS la, r.a AS ra]\n  Join inner on=(id = r.b)\n    Scan t source=db1\n    Project [id AS r.id, a AS r.a, b AS r.b, s AS r.s, d AS r.d]\n      Scan t source=db1',
    'SELECT `a` AS `la`, `r.a` AS `ra` FROM (SELECT t0.`id`, t0.`a`, t0.`b`, t0.`s`, t0.`d`, t1.`r.id`, t1.`r.a`, t1.`r.b`, t1.`r.s`, t1.`r.d` FROM (SELECT `id`, `a`, `b`, `s`, `d` FROM `t`) AS t0 INNER JOIN (SELECT `id` AS `r.id`, `a` AS `r.a`, `b` AS `r.b`, `s` AS `r.s`, `d` AS `r.d` FROM `t`) AS t1 ON (t0.`id` = t1.`r.b`)) AS t2',
    [],
  ],
  [
    'SELECT q.n, q.total FROM (SELECT a AS n, SUM(b) AS total FROM t GROUP BY a) AS q WHERE q.total > 10 ORDER BY q.n',
    'Sort [n ASC NULLS FIRST]\n  Filter (total > 10)\n    Project [a AS n, total]\n      Aggregate groupBy=[a] aggregates=[sum(b) AS total]\n        Scan t source=db1',
    'SELECT `a` AS `n`, `total` FROM (SELECT `a`, SUM(`b`) AS `total` FROM `t` GROUP BY `a`) AS t0 WHERE (`total` > ?) ORDER BY `n` ASC',
    [10],
  ],
  [
    'SELECT a FROM t UNION SELECT a FROM u',
    'Union\n  Project [a]\n    Scan t source=db1\n  Project [a]\n    Scan u source=db1',
    'SELECT `a` FROM ((SELECT `a` FROM `t`) UNION (SELECT `a` FROM `u`)) AS t0',
    [],
  ],
  [
    'SELECT a, b FROM t WHERE b > 0 UNION ALL SELECT a, c FROM u ORDER BY 2 DESC, a LIMIT 3',
    'Limit 3\n  Sort [b DESC NULLS LAST, a ASC NULLS FIRST]\n    UnionAll\n      Project [a, b]\n        Filter (b > 0)\n          Scan t source=db1\n      Project [a, c]\n        Scan u source=db1',
    'SELECT `a`, `b` FROM ((SELECT `a`, `b` FROM `t` WHERE (`b` > ?)) UNION ALL (SELECT `a`, `c` FROM `u`)) AS t0 ORDER BY `b` DESC, `a` ASC LIMIT ?',
    [0, 3],
  ],
  [
    '(SELECT a FROM t ORDER BY a LIMIT 2) UNION ALL (SELECT c FROM u) ORDER BY a',
    'Sort [a ASC NULLS FIRST]\n  UnionAll\n    Limit 2\n      Sort [a ASC NULLS FIRST]\n        Project [a]\n          Scan t source=db1\n    Project [c]\n      Scan u source=db1',
    'SELECT `a` FROM ((SELECT `a` FROM `t` ORDER BY `a` ASC LIMIT ?) UNION ALL (SELECT `c` FROM `u`)) AS t0 ORDER BY `a` ASC',
    [2],
  ],
  [
    "SELECT a  +  1, COUNT(*), 'lit', upper(s) FROM t GROUP BY a + 1, upper(s)",
    "Project [a  +  1, COUNT(*), 'lit' AS lit, upper(s)]\n  Aggregate groupBy=[(a + 1) AS a  +  1, upper(s) AS upper(s)] aggregates=[count(*) AS COUNT(*)]\n    Scan t source=db1",
    'SELECT `a  +  1`, `COUNT(*)`, ? AS `lit`, `upper(s)` FROM (SELECT (`a` + ?) AS `a  +  1`, UPPER(`s`) AS `upper(s)`, COUNT(*) AS `COUNT(*)` FROM `t` GROUP BY (`a` + ?), UPPER(`s`)) AS t0',
    ['lit', 1, 1],
  ],
];

describe('SQL text becomes plan nodes', () => {
  it.each(GOLDEN)('%s', (text, rendered, sql, params) => {
    expect(renderPlan(plan(text))).toBe(rendered);
    const query = compiled(text);
    expect(query.sql).toBe(sql);
    expect(query.params).toEqual(params);
  });

  it('every value in the text is a parameter, never SQL text', () => {
    const hostile = ["'; DROP TABLE t; --", 'back\\slash', '🦀 ünï', '" OR 1=1 #'];
    // In MariaDB's string syntax a backslash is written twice and a quote doubled.
    const quoted = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
    const text = `SELECT id FROM t WHERE ${hostile.map((v, i) => `s = ${quoted(v)} OR a = ${i + 40}`).join(' OR ')}`;
    const query = compiled(text);
    for (const value of hostile) expect(query.sql).not.toContain(value);
    expect(query.sql).not.toMatch(/4[0-3]/);
    expect(query.params).toEqual([
      "'; DROP TABLE t; --",
      40,
      'back\\slash',
      41,
      '🦀 ünï',
      42,
      '" OR 1=1 #',
      43,
    ]);
  });

  it('a trailing semicolon and surrounding space are ignored', () => {
    expect(renderPlan(plan('  SELECT a FROM t ;  '))).toBe('Project [a]\n  Scan t source=db1');
  });

  it('names are matched without regard to case, and output names keep the spelling of the text', () => {
    expect(renderPlan(plan('SELECT A, t.B FROM t WHERE S IS NULL'))).toBe(
      'Project [a AS A, b AS B]\n  Filter s IS NULL\n    Scan t source=db1',
    );
  });

  it('a WHERE conjunct over two comma-joined tables becomes the join condition', () => {
    expect(renderPlan(plan('SELECT t.s FROM t, u WHERE u.c = 1 AND t.a = u.a AND t.b > u.c'))).toBe(
      [
        'Project [s]',
        '  Filter (c = 1)',
        '    Join inner on=((a = u.a) AND (b > c))',
        '      Scan t source=db1',
        '      Project [id AS u.id, a AS u.a, c]',
        '        Scan u source=db1',
      ].join('\n'),
    );
  });
});

describe('SQL text composes with DataFrame verbs', () => {
  const runtime = fakeDatabase(TABLES).table('t').runtime;
  const frame = (sql: string) => new LazyFrame(plan(sql), runtime);

  it('filter, groupBy and agg over SQL text optimize and push as one statement', () => {
    const q = frame('SELECT t.a AS k, u.c AS v FROM t JOIN u ON t.id = u.id WHERE t.b > 0')
      .filter(col('v').lt(lit(100)))
      .groupBy('k')
      .agg(fn.sum('v').as('total'), fn.count().as('n'))
      .orderBy(col('total').desc());
    const explain = q.explain();
    expect(pushedSql(explain)).toEqual([
      'SELECT `k`, SUM(`v`) AS `total`, COUNT(*) AS `n` FROM (SELECT `a` AS `k`, `c` AS `v` FROM (SELECT t0.`id`, t0.`a`, t1.`u.id`, t1.`c` FROM (SELECT `id`, `a` FROM `t` WHERE (`b` > ?)) AS t0 INNER JOIN (SELECT `id` AS `u.id`, `c` FROM `u` WHERE (`c` < ?)) AS t1 ON (t0.`id` = t1.`u.id`)) AS t2) AS t3 GROUP BY `k` ORDER BY `total` DESC',
    ]);
    expect(explain).toContain('params: [0,100]');
    expect(localSteps(explain)).toBe('none: the database computes the whole result');
  });

  it('a fallback composes too: the text is a derived table under the verbs', () => {
    const text = 'SELECT a, b FROM t WHERE b > (SELECT c FROM u WHERE u.a = t.a LIMIT 1)';
    const q = frame(text).filter(col('a').eq(lit(1)));
    const explain = q.explain();
    expect(explain).toContain(
      `SqlText source=db1 (not planned: subquery not planned: an outer column under limit): ${text}`,
    );
    expect(pushedSql(explain)).toEqual([`SELECT * FROM (${text}) AS t0 WHERE (\`a\` = ?)`]);
  });

  it('SQL text alone is pushed exactly as written (its ORDER BY stays meaningful)', () => {
    const text = 'SELECT a FROM t WHERE b > (SELECT 1) ORDER BY a';
    expect(pushedSql(frame(text).explain())).toEqual([text]);
  });
});

describe('what is not translated runs as written', () => {
  const FALLBACKS: [string, string][] = [
    [
      'SELECT a FROM t WHERE a = 1 OR EXISTS (SELECT 1 FROM u WHERE u.c > t.b)',
      'subquery not planned: a correlated predicate other than an equality under an aggregate',
    ],
    [
      'SELECT a FROM t WHERE b > (SELECT COUNT(*) + 1 FROM u WHERE u.a = t.a)',
      'subquery not planned: a correlated COUNT inside an expression',
    ],
    [
      'SELECT a FROM t WHERE id IN (SELECT id FROM u WHERE u.c = t.b LIMIT 2)',
      'subquery not planned: an outer column under limit',
    ],
    ['SELECT a FROM t JOIN u ON t.id = u.id AND EXISTS (SELECT 1 FROM u)', 'a subquery in this position'],
    ['WITH x (y) AS (SELECT a FROM t) SELECT y FROM x', 'a WITH column list'],
    ['SELECT 1 + 1', 'a SELECT without FROM'],
    ['SELECT a FROM other_db.t', 'a table of another database (other_db.t)'],
    ['SELECT a FROM missing', "table 'missing' is not in the catalog"],
    ['SELECT LENGTH(s) FROM t', 'the function LENGTH'],
    ['SELECT STDDEV(b) FROM t', 'the function STDDEV'],
    ['SELECT NOW() FROM t', 'the function NOW'],
    ['SELECT CAST(b AS DECIMAL(70,2)) FROM t', 'CAST … AS DECIMAL(…)'],
    ['SELECT CAST(d AS DATETIME) FROM t', 'CAST … AS DATETIME'],
    ["SELECT a FROM t WHERE s REGEXP '^x'", 'the operator REGEXP'],
    ['SELECT a FROM t WHERE a DIV 2 = 1', 'the operator DIV'],
    ["SELECT a FROM t WHERE s LIKE 'x!%' ESCAPE '!'", 'LIKE … ESCAPE'],
    ['SELECT a FROM t WHERE (a, b) IN ((1, 2))', 'a row IN list'],
    ['SELECT a, b FROM t GROUP BY a', "'b' is neither grouped nor aggregated"],
    ['SELECT a FROM t GROUP BY a WITH ROLLUP', 'GROUP BY … WITH ROLLUP'],
    [
      'SELECT a, SUM(b) OVER (ORDER BY d RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t',
      'node-sql-parser cannot read it',
    ],
    ['SELECT LAG(a, 1, 0) OVER (ORDER BY d) FROM t', 'LAG with a default value'],
    ['SELECT NTILE(4) OVER (ORDER BY d) FROM t', 'the window function NTILE'],
    ['SELECT a FROM t FOR UPDATE', 'FOR UPDATE'],
    ['SELECT a FROM t INTERSECT SELECT a FROM u', 'INTERSECT'],
    ['SELECT a FROM t, u RIGHT JOIN u AS v ON u.id = v.id', 'a RIGHT JOIN after a comma join'],
    ["SELECT a FROM t WHERE s = 'x\\u0041'", 'a backslash escape that MariaDB reads its own way'],
    ['SELECT DISTINCTROW a FROM t', 'SELECT DISTINCTROW'],
    ["SELECT a FROM t WHERE s = _utf8mb4'x'", 'node-sql-parser cannot read it'],
    ['SELECT VARIANCE(b) FROM t', 'node-sql-parser cannot read it'],
    ['SELECT RANK() OVER w FROM t WINDOW w AS (ORDER BY a)', 'node-sql-parser cannot read it'],
    ['SELECT a FROM t WHERE a = ?', 'expression type'],
  ];

  it.each(FALLBACKS)('%s', (text, reason) => {
    const node = plan(text);
    expect(node.kind).toBe('sqlText');
    expect(renderPlan(node)).toContain(`SqlText source=db1 (not planned: ${reason}`);
    expect(renderPlan(node)).toContain(`): ${text}`);
    expect(compiled(text)).toEqual({ sql: text, params: [], fields: [] });
  });
});

describe('text that no database would run fails with a clear error', () => {
  const ERRORS: [string, RegExp | string, typeof PlanError | typeof ConfigError][] = [
    ['SELECT nope FROM t', "no column 'nope'; available columns: t.id, t.a, t.b, t.s, t.d", PlanError],
    ['SELECT x.a FROM t', "no table or alias 'x' in FROM; tables: t", PlanError],
    ['SELECT t.c FROM t', "no column 'c' in t; available columns: id, a, b, s, d", PlanError],
    [
      'SELECT id FROM t JOIN u ON t.id = u.id',
      "column 'id' is ambiguous: t.id, u.id; qualify it with the table",
      PlanError,
    ],
    ['SELECT a FROM t JOIN t ON t.id = t.id', "table alias 't' is used twice in FROM", PlanError],
    [
      'SELECT a, a FROM t',
      "the select list names column 'a' 2 times; give all but one an alias (AS)",
      PlanError,
    ],
    ['SELECT a + 1 AS x, b AS x FROM t', "the select list names column 'x' 2 times", PlanError],
    ['SELECT a FROM t ORDER BY 2', 'position 2 is not in the select list (1 to 1)', PlanError],
    ['SELECT a FROM (SELECT a FROM t)', 'every derived table needs an alias', PlanError],
    ['SELECT a FROM t JOIN u USING (c)', "column 'c'", PlanError],
    ['SELECT a FROM t; SELECT b FROM t', 'sql() takes one statement; this text has 2', ConfigError],
    ['DELETE FROM t WHERE a = 1', 'sql() takes a SELECT statement; this one is DELETE', ConfigError],
  ];

  it.each(ERRORS)('%s', (text, message, type) => {
    expect(() => plan(text)).toThrow(type);
    expect(() => plan(text)).toThrow(message);
  });
});

describe('helpers', () => {
  it('finds the select list as written, past strings, quoted names, comments and parentheses', () => {
    expect(selectItemTexts("SELECT DISTINCT a  +  1, 'x,y', `q,`.b, f(1, 2) /* , */ FROM t")).toEqual([
      'a  +  1',
      "'x,y'",
      '`q,`.b',
      'f(1, 2) /* , */',
    ]);
    expect(selectItemTexts('(SELECT COUNT(*), -- a, b\n x FROM t) UNION (SELECT 1, 2 FROM u)')).toEqual([
      'COUNT(*)',
      'x',
    ]);
    expect(selectItemTexts('VALUES (1)')).toBeUndefined();
  });

  it('reads string escapes as MariaDB does', () => {
    expect(unescapeString("it''s", "'")).toBe("it's");
    expect(unescapeString('say ""hi""', '"')).toBe('say "hi"');
    expect(unescapeString("a\\'b \\\\ \\% \\_ \\z \\0", "'")).toBe("a'b \\ \\% \\_ z \0");
  });
});
