/**
 * DataFrame programs, each with the SQL a person would write for the same question. The suite
 * runs every program with pushdown on and off and compares both with the SQL run straight on
 * MariaDB. Names are unique and say what the program exercises, so a failure names its cause.
 *
 * Conventions: every computed column has an alias (the SQL uses the same one); `ordered` is set
 * only when the ORDER BY is total (ends in a unique key, or sorts by every output column), so an
 * ordered comparison never depends on how ties fall.
 */
import type { Table } from 'apache-arrow';
import { col, fn, type LazyFrame, lit } from '../../../src/index.ts';

export interface Frames {
  readonly facts: LazyFrame;
  readonly dims: LazyFrame;
  readonly events: LazyFrame;
  /** One column of each other MySQL type. */
  readonly types: LazyFrame;
  /** A frame over SQL text (`db.sql`), in the same pushdown mode. */
  readonly sql: (text: string) => LazyFrame;
  /** The same tables through a second connection: frames from two sources (federation). */
  readonly other: Omit<Frames, 'other' | 'sql'>;
}

export interface Program {
  readonly name: string;
  readonly frame: (t: Frames) => LazyFrame;
  /** The same question as SQL text, run on MariaDB as it is. */
  readonly sql: string;
  /** Compare in order: the program's ORDER BY is total. */
  readonly ordered?: boolean;
  /**
   * Why the database cannot compute the whole program (a JS function, FULL JOIN on MariaDB, two
   * connections): with pushdown on, explain() must then show local steps, else none.
   */
  readonly local?: string;
  /** Output columns when the frame cannot know them before running (after mapBatches). */
  readonly columns?: readonly string[];
  /** The answer is meant to have no rows (otherwise an empty answer means the data went wrong). */
  readonly empty?: boolean;
}

const program = (
  name: string,
  frame: Program['frame'],
  sql: string,
  options: Omit<Program, 'name' | 'frame' | 'sql'> = {},
): Program => ({ name, frame, sql, ...options });

const ordered = { ordered: true } as const;
const U63 = 9223372036854775807n;

// ---------------------------------------------------------------------------------------------
// Filters: every comparison operator, three-valued logic, NULL tests, IN, BETWEEN, LIKE.

const filters: Program[] = [
  program(
    'filter: = on a string',
    (t) => t.facts.filter(col('grp').eq('g1')).select('id', 'grp', 'i32'),
    `SELECT id, grp, i32 FROM facts WHERE grp = 'g1'`,
  ),
  program(
    'filter: != on a tiny int (NULL rows drop out)',
    (t) => t.facts.filter(col('small').ne(0)).select('id', 'small'),
    'SELECT id, small FROM facts WHERE small <> 0',
  ),
  program(
    'filter: < and <= on DECIMAL against numbers',
    (t) =>
      t.facts
        .where(
          col('d12')
            .lt(-5000.5)
            .or(col('d12').le(0.01).and(col('d12').ge(-0.01))),
        )
        .select('id', 'd12'),
    'SELECT id, d12 FROM facts WHERE d12 < -5000.5 OR (d12 <= 0.01 AND d12 >= -0.01)',
  ),
  program(
    'filter: > and >= on DATE against date text',
    (t) => t.facts.filter(col('dt').ge('2000-01-01').and(col('dt').lt('2000-03-01'))).select('id', 'dt'),
    `SELECT id, dt FROM facts WHERE dt >= '2000-01-01' AND dt < '2000-03-01'`,
  ),
  program(
    'filter: DATETIME range with seconds',
    (t) =>
      t.facts
        .filter(col('ts').gt('1999-12-31 23:59:58').and(col('ts').le('2000-03-01 00:00:00')))
        .select('id', 'ts'),
    `SELECT id, ts FROM facts WHERE ts > '1999-12-31 23:59:58' AND ts <= '2000-03-01 00:00:00'`,
  ),
  program(
    'filter: BIGINT UNSIGNED above 2^63 against a bigint literal',
    (t) => t.facts.filter(col('u64').gt(U63)).select('id', 'u64'),
    'SELECT id, u64 FROM facts WHERE u64 > 9223372036854775807',
  ),
  program(
    'filter: signed BIGINT below -2^62',
    (t) => t.facts.filter(col('i64').le(-4611686018427387904n)).select('id', 'i64'),
    'SELECT id, i64 FROM facts WHERE i64 <= -4611686018427387904',
  ),
  program(
    'filter: NOT (a OR b) with NULLs (unknown stays out)',
    (t) => t.facts.filter(col('grp').eq('g2').or(col('small').gt(3)).not()).select('id', 'grp', 'small'),
    `SELECT id, grp, small FROM facts WHERE NOT (grp = 'g2' OR small > 3)`,
  ),
  program(
    'filter: isNull and isNotNull',
    (t) => t.facts.filter(col('i32').isNull().and(col('d12').isNotNull())).select('id', 'i32', 'd12'),
    'SELECT id, i32, d12 FROM facts WHERE i32 IS NULL AND d12 IS NOT NULL',
  ),
  program(
    'filter: isIn on ints',
    (t) => t.facts.filter(col('k').isIn(1, 2, 3, 5, 8, 13)).select('id', 'k'),
    'SELECT id, k FROM facts WHERE k IN (1, 2, 3, 5, 8, 13)',
  ),
  program(
    'filter: notIn on strings (NULL rows drop out)',
    (t) => t.facts.filter(col('grp').notIn(['g0', 'g1'])).select('id', 'grp'),
    `SELECT id, grp FROM facts WHERE grp NOT IN ('g0', 'g1')`,
  ),
  program(
    'filter: isIn on BIGINT UNSIGNED edges',
    (t) =>
      t.facts.filter(col('u64').isIn(0n, 18446744073709551615n, 9223372036854775808n)).select('id', 'u64'),
    'SELECT id, u64 FROM facts WHERE u64 IN (0, 18446744073709551615, 9223372036854775808)',
  ),
  program(
    'filter: between ints and NOT between dates',
    (t) =>
      t.facts
        .filter(col('i32').between(-1000, 250_000).and(col('dt').between('1995-01-01', '2025-12-31').not()))
        .select('id', 'i32', 'dt'),
    `SELECT id, i32, dt FROM facts WHERE i32 BETWEEN -1000 AND 250000 AND NOT (dt BETWEEN '1995-01-01' AND '2025-12-31')`,
  ),
  program(
    'filter: like with % and _, and not like',
    (t) =>
      t.facts
        .filter(
          col('name').like('%ta-1%').or(col('name').like('_eta %')).and(col('name').like('zeta%').not()),
        )
        .select('id', 'name'),
    `SELECT id, name FROM facts WHERE (name LIKE '%ta-1%' OR name LIKE '_eta %') AND NOT (name LIKE 'zeta%')`,
  ),
  program(
    'filter: on a function of a column',
    (t) => t.facts.filter(fn.upper('name').like('BETA%').and(fn.length('name').gt(7))).select('id', 'name'),
    `SELECT id, name FROM facts WHERE UPPER(name) LIKE 'BETA%' AND CHAR_LENGTH(name) > 7`,
  ),
  program(
    'filter: folded constants beside a real condition',
    (t) => t.facts.filter(lit(1).plus(1).eq(2).and(col('grp').eq('g3'))).select('id', 'grp'),
    `SELECT id, grp FROM facts WHERE grp = 'g3'`,
  ),
  program(
    'filter: two filters in a row, on a renamed and a replaced column',
    (t) =>
      t.facts
        .select('id', 'grp', 'i32')
        .withColumnRenamed('i32', 'value')
        .filter(col('value').gt(0))
        .withColumn('value', col('value').times(2))
        .filter(col('value').lt(1_000_000))
        .drop('grp'),
    'SELECT id, i32 * 2 AS value FROM facts WHERE i32 > 0 AND i32 * 2 < 1000000',
  ),
  program(
    'filter: on a computed alias after select',
    (t) => t.facts.select('id', col('i32').plus(col('small')).as('total')).filter(col('total').gt(0)),
    'SELECT id, i32 + small AS total FROM facts WHERE i32 + small > 0',
  ),
];

// ---------------------------------------------------------------------------------------------
// Scalar expressions: arithmetic, cast, CASE, coalesce, math, string and date functions.

const expressions: Program[] = [
  program(
    'arithmetic: + - * / % and negation on ints (division by zero is NULL)',
    (t) =>
      t.facts.select(
        'id',
        col('i32').plus(col('small')).as('add'),
        col('i32').times(2).minus(col('small')).as('mix'),
        col('i32').div(col('small')).as('quot'),
        col('i32').mod(7).as('rem'),
        col('i32').negate().as('neg'),
      ),
    'SELECT id, i32 + small AS `add`, i32 * 2 - small AS mix, i32 / small AS quot, i32 % 7 AS rem, -i32 AS neg FROM facts',
  ),
  program(
    'arithmetic: DECIMAL with DECIMAL and with DOUBLE',
    (t) =>
      t.facts.select(
        'id',
        col('d12').plus(col('d20')).as('exact_sum'),
        col('d12').times(3).as('tripled'),
        col('d12').times(col('d12')).as('squared'),
        col('f64').times(col('d12')).as('mixed'),
      ),
    'SELECT id, d12 + d20 AS exact_sum, d12 * 3 AS tripled, d12 * d12 AS squared, f64 * d12 AS mixed FROM facts',
  ),
  program(
    'arithmetic: BIGINT UNSIGNED divided and compared',
    (t) =>
      t.facts
        .filter(col('u64').ge(U63))
        .select('id', col('u64').div(2).as('half'), col('u64').gt(col('u32')).as('bigger')),
    'SELECT id, u64 / 2 AS half, u64 > u32 AS bigger FROM facts WHERE u64 >= 9223372036854775807',
  ),
  program(
    'cast: to int, bigint, double, string, date, timestamp, decimal, boolean',
    (t) =>
      t.facts.select(
        'id',
        col('d12').cast('int').as('d12_int'),
        col('f32').cast('bigint').as('f32_bigint'),
        col('i32').cast('double').as('i32_double'),
        col('i32').cast('string').as('i32_text'),
        col('ts').cast('date').as('ts_date'),
        col('dt').cast('timestamp').as('dt_ts'),
        col('d20').cast('decimal').as('d20_dec'),
        col('small').cast('boolean').as('small_bool'),
      ),
    `SELECT id, CAST(d12 AS SIGNED) AS d12_int, CAST(f32 AS SIGNED) AS f32_bigint, CAST(i32 AS DOUBLE) AS i32_double,
       CAST(i32 AS CHAR) AS i32_text, CAST(ts AS DATE) AS ts_date, CAST(dt AS DATETIME(6)) AS dt_ts,
       CAST(d20 AS DECIMAL(38,10)) AS d20_dec, CAST(small AS SIGNED) <> 0 AS small_bool FROM facts`,
  ),
  program(
    'cast: date text to DATE, compared',
    (t) => t.facts.filter(col('dt').eq(lit('2000-02-29').cast('date'))).select('id', 'dt'),
    `SELECT id, dt FROM facts WHERE dt = CAST('2000-02-29' AS DATE)`,
  ),
  program(
    'when/otherwise: chained branches, NULL falls through to otherwise',
    (t) =>
      t.facts.select(
        'id',
        fn.when(col('i32').lt(0), 'neg').when(col('i32').eq(0), 'zero').otherwise('pos').as('sign'),
        fn.when(col('flag').eq(1), col('d12')).as('flagged'),
      ),
    `SELECT id, CASE WHEN i32 < 0 THEN 'neg' WHEN i32 = 0 THEN 'zero' ELSE 'pos' END AS sign,
       CASE WHEN flag = 1 THEN d12 END AS flagged FROM facts`,
  ),
  program(
    'coalesce: ints, strings and dates',
    (t) =>
      t.facts.select(
        'id',
        fn.coalesce('i32', 'small', lit(-1)).as('first_int'),
        fn.coalesce('name', 'grp', lit('none')).as('first_text'),
        fn.coalesce('dt', lit('1900-01-01')).as('some_day'),
      ),
    `SELECT id, COALESCE(i32, small, -1) AS first_int, COALESCE(name, grp, 'none') AS first_text,
       COALESCE(dt, '1900-01-01') AS some_day FROM facts`,
  ),
  program(
    'math: abs, floor, ceil, round, sqrt (NULL below 0), pow',
    (t) =>
      t.facts.select(
        'id',
        fn.abs('i32').as('abs_i32'),
        fn.floor('f64').as('floor_f64'),
        fn.ceil('d12').as('ceil_d12'),
        fn.round('d20', 2).as('round_d20'),
        fn.round('d12').as('round_d12'),
        fn.sqrt('f64').as('sqrt_f64'),
        fn.pow('small', 3).as('cube'),
      ),
    `SELECT id, ABS(i32) AS abs_i32, FLOOR(f64) AS floor_f64, CEIL(d12) AS ceil_d12, ROUND(d20, 2) AS round_d20,
       ROUND(d12) AS round_d12, SQRT(f64) AS sqrt_f64, POW(small, 3) AS cube FROM facts`,
  ),
  program(
    'math: ln, log, exp, greatest, least (NULL in, NULL out)',
    (t) =>
      t.facts.select(
        'id',
        fn.ln('u32').as('ln_u32'),
        fn.log(lit(2), col('u32')).as('log2_u32'),
        fn.exp('small').as('exp_small'),
        fn.greatest('i32', 'small').as('hi'),
        fn.least('d12', 'd20').as('lo'),
      ),
    `SELECT id, LN(u32) AS ln_u32, LOG(2, u32) AS log2_u32, EXP(small) AS exp_small, GREATEST(i32, small) AS hi,
       LEAST(d12, d20) AS lo FROM facts`,
  ),
  program(
    'string: lower, upper, length, substr, trim, replace',
    (t) =>
      t.facts.select(
        'id',
        fn.upper('name').as('up'),
        fn.lower(fn.upper('grp')).as('down'),
        fn.length('padded').as('len'),
        fn.substr('name', 2, 3).as('mid'),
        fn.substr('name', 4).as('tail'),
        fn.trim('padded').as('trimmed'),
        fn.replace('name', 'a', 'o').as('replaced'),
      ),
    `SELECT id, UPPER(name) AS up, LOWER(UPPER(grp)) AS down, CHAR_LENGTH(padded) AS len, SUBSTRING(name, 2, 3) AS mid,
       SUBSTRING(name, 4) AS tail, TRIM(padded) AS trimmed, REPLACE(name, 'a', 'o') AS replaced FROM facts`,
  ),
  program(
    'string: concat with NULLs and a cast number',
    (t) =>
      t.facts.select(
        'id',
        fn.concat('name', lit('/'), col('grp')).as('joined'),
        fn.concat(col('cat'), lit('#'), col('id').cast('string')).as('code'),
      ),
    `SELECT id, CONCAT(name, '/', grp) AS joined, CONCAT(cat, '#', CAST(id AS CHAR)) AS code FROM facts`,
  ),
  program(
    'date: year, month, day, hour, dateDiff',
    (t) =>
      t.facts.select(
        'id',
        fn.year('dt').as('y'),
        fn.month('dt').as('m'),
        fn.day('dt').as('d'),
        fn.hour('ts').as('h'),
        fn.dateDiff('dt', lit('2000-01-01')).as('since_2000'),
        fn.dateDiff('ts', 'dt').as('ts_minus_dt'),
      ),
    `SELECT id, YEAR(dt) AS y, MONTH(dt) AS m, DAYOFMONTH(dt) AS d, HOUR(ts) AS h, DATEDIFF(dt, '2000-01-01') AS since_2000,
       DATEDIFF(ts, dt) AS ts_minus_dt FROM facts`,
  ),
  program(
    'date: dateTrunc to year, quarter, month, week and day',
    (t) =>
      t.facts.select(
        'id',
        fn.dateTrunc('year', 'dt').as('y'),
        fn.dateTrunc('quarter', 'dt').as('q'),
        fn.dateTrunc('month', 'dt').as('m'),
        fn.dateTrunc('week', 'dt').as('w'),
        fn.dateTrunc('day', 'ts').as('d'),
        fn.dateTrunc('hour', 'ts').as('h'),
      ),
    `SELECT id, MAKEDATE(YEAR(dt), 1) AS y, MAKEDATE(YEAR(dt), 1) + INTERVAL (QUARTER(dt) - 1) QUARTER AS q,
       CAST(DATE_FORMAT(dt, '%Y-%m-01') AS DATE) AS m, DATE(dt) - INTERVAL WEEKDAY(dt) DAY AS w,
       DATE(ts) AS d, CAST(DATE_FORMAT(ts, '%Y-%m-%d %H:00:00') AS DATETIME) AS h FROM facts`,
  ),
  program(
    'date: dateAdd days, months (end of month), years (leap day), minutes',
    (t) =>
      t.facts.select(
        'id',
        fn.dateAdd('dt', 10, 'day').as('plus_10d'),
        fn.dateAdd('dt', 1, 'month').as('plus_1m'),
        fn.dateAdd('dt', -1, 'year').as('minus_1y'),
        fn.dateAdd('ts', -90, 'minute').as('minus_90min'),
      ),
    `SELECT id, dt + INTERVAL 10 DAY AS plus_10d, dt + INTERVAL 1 MONTH AS plus_1m, dt - INTERVAL 1 YEAR AS minus_1y,
       ts - INTERVAL 90 MINUTE AS minus_90min FROM facts`,
  ),
  program(
    'boolean columns: comparisons and LIKE as values (1/0/NULL)',
    (t) =>
      t.facts.select(
        'id',
        col('i32').gt(0).as('pos'),
        col('name').like('a%').as('starts_a'),
        col('grp').isNull().as('no_grp'),
        col('k').isIn(1, 2, 3).as('low_k'),
      ),
    `SELECT id, i32 > 0 AS pos, name LIKE 'a%' AS starts_a, grp IS NULL AS no_grp, k IN (1, 2, 3) AS low_k FROM facts`,
  ),
];

// ---------------------------------------------------------------------------------------------
// Aggregates: global and grouped, on expressions, conditional, over empty input, then filtered.

const aggregates: Program[] = [
  program(
    'agg: global count, countDistinct, sum, avg, min, max',
    (t) =>
      t.facts.agg(
        fn.count().as('n'),
        fn.count('i32').as('n_i32'),
        fn.countDistinct('grp').as('groups'),
        fn.sum('i32').as('sum_i32'),
        fn.avg('i32').as('avg_i32'),
        fn.min('d12').as('min_d12'),
        fn.max('d12').as('max_d12'),
        fn.sum('d12').as('sum_d12'),
        fn.avg('d12').as('avg_d12'),
        fn.min('dt').as('first_day'),
        fn.max('name').as('last_name'),
      ),
    `SELECT COUNT(*) AS n, COUNT(i32) AS n_i32, COUNT(DISTINCT grp) AS \`groups\`, SUM(i32) AS sum_i32, AVG(i32) AS avg_i32,
       MIN(d12) AS min_d12, MAX(d12) AS max_d12, SUM(d12) AS sum_d12, AVG(d12) AS avg_d12, MIN(dt) AS first_day,
       MAX(name) AS last_name FROM facts`,
  ),
  program(
    'agg: global stddev and variance (sample) on DOUBLE, INT and DECIMAL',
    (t) =>
      t.facts.agg(
        fn.stddev('f64').as('sd_f64'),
        fn.variance('f64').as('var_f64'),
        fn.stddev('i32').as('sd_i32'),
        fn.variance('d12').as('var_d12'),
      ),
    'SELECT STDDEV_SAMP(f64) AS sd_f64, VAR_SAMP(f64) AS var_f64, STDDEV_SAMP(i32) AS sd_i32, VAR_SAMP(d12) AS var_d12 FROM facts',
  ),
  program(
    'agg: BIGINT UNSIGNED and BIGINT sums beyond 64 bits, exact',
    (t) =>
      t.facts.agg(
        fn.sum('u64').as('sum_u64'),
        fn.min('u64').as('min_u64'),
        fn.max('u64').as('max_u64'),
        fn.sum('i64').as('sum_i64'),
        fn.min('i64').as('min_i64'),
        fn.max('i64').as('max_i64'),
        fn.sum('u32').as('sum_u32'),
        fn.sum('d20').as('sum_d20'),
      ),
    `SELECT SUM(u64) AS sum_u64, MIN(u64) AS min_u64, MAX(u64) AS max_u64, SUM(i64) AS sum_i64, MIN(i64) AS min_i64,
       MAX(i64) AS max_i64, SUM(u32) AS sum_u32, SUM(d20) AS sum_d20 FROM facts`,
  ),
  program(
    'agg: avg of BIGINT UNSIGNED and DECIMAL(20,6)',
    (t) => t.facts.agg(fn.avg('u64').as('avg_u64'), fn.avg('d20').as('avg_d20'), fn.avg('f32').as('avg_f32')),
    'SELECT AVG(u64) AS avg_u64, AVG(d20) AS avg_d20, AVG(f32) AS avg_f32 FROM facts',
  ),
  program(
    'groupBy: one key with NULL group, many aggregates',
    (t) =>
      t.facts
        .groupBy('grp')
        .agg(
          fn.count().as('n'),
          fn.sum('i32').as('s'),
          fn.avg('f64').as('mean'),
          fn.min('dt').as('first_day'),
          fn.max('ts').as('last_ts'),
          fn.countDistinct('k').as('keys'),
        ),
    `SELECT grp, COUNT(*) AS n, SUM(i32) AS s, AVG(f64) AS mean, MIN(dt) AS first_day, MAX(ts) AS last_ts,
       COUNT(DISTINCT k) AS \`keys\` FROM facts GROUP BY grp`,
  ),
  program(
    'groupBy: two keys',
    (t) =>
      t.facts
        .groupBy('grp', 'cat')
        .agg(fn.count().as('n'), fn.sum('d12').as('total'), fn.max('u64').as('top')),
    'SELECT grp, cat, COUNT(*) AS n, SUM(d12) AS total, MAX(u64) AS top FROM facts GROUP BY grp, cat',
  ),
  program(
    'groupBy: on an expression (year of a date)',
    (t) => t.facts.groupBy(fn.year('dt').as('yr')).agg(fn.count().as('n'), fn.sum('d12').as('total')),
    'SELECT YEAR(dt) AS yr, COUNT(*) AS n, SUM(d12) AS total FROM facts GROUP BY YEAR(dt)',
  ),
  program(
    'groupBy: on a CASE expression and a string function',
    (t) =>
      t.facts
        .groupBy(
          fn.when(col('i32').lt(0), 'neg').otherwise('nonneg').as('sign'),
          fn.substr('name', 1, 3).as('prefix'),
        )
        .agg(fn.count().as('n'), fn.avg('small').as('avg_small')),
    `SELECT CASE WHEN i32 < 0 THEN 'neg' ELSE 'nonneg' END AS sign, SUBSTRING(name, 1, 3) AS prefix, COUNT(*) AS n,
       AVG(small) AS avg_small FROM facts GROUP BY 1, 2`,
  ),
  program(
    'groupBy: on a boolean of BIGINT UNSIGNED',
    (t) => t.facts.groupBy(col('u64').gt(U63).as('high')).agg(fn.count().as('n'), fn.min('u64').as('lowest')),
    'SELECT u64 > 9223372036854775807 AS high, COUNT(*) AS n, MIN(u64) AS lowest FROM facts GROUP BY 1',
  ),
  program(
    'agg: conditional sums, counts and averages',
    (t) =>
      t.facts
        .groupBy('cat')
        .agg(
          fn.sum(fn.when(col('flag').eq(1), col('d12')).otherwise(0)).as('flagged_total'),
          fn.count(fn.when(col('small').gt(0), 1)).as('positives'),
          fn.avg(fn.when(col('grp').eq('g1'), col('f64'))).as('g1_mean'),
          fn.sum(col('i32').times(col('small'))).as('weighted'),
        ),
    `SELECT cat, SUM(CASE WHEN flag = 1 THEN d12 ELSE 0 END) AS flagged_total, COUNT(CASE WHEN small > 0 THEN 1 END) AS positives,
       AVG(CASE WHEN grp = 'g1' THEN f64 END) AS g1_mean, SUM(i32 * small) AS weighted FROM facts GROUP BY cat`,
  ),
  program(
    'agg: having-style filter on aggregates',
    (t) => t.facts.groupBy('k').agg(fn.count().as('n'), fn.sum('i32').as('s')).filter(col('n').gt(33)),
    'SELECT k, COUNT(*) AS n, SUM(i32) AS s FROM facts GROUP BY k HAVING COUNT(*) > 33',
  ),
  program(
    'agg: filter on an aggregate and a group key together',
    (t) =>
      t.facts
        .groupBy('grp', 'cat')
        .agg(fn.sum('i32').as('s'), fn.count().as('n'))
        .filter(col('s').gt(0).and(col('grp').ne('g3'))),
    `SELECT grp, cat, SUM(i32) AS s, COUNT(*) AS n FROM facts WHERE grp <> 'g3' GROUP BY grp, cat HAVING SUM(i32) > 0`,
  ),
  program(
    'agg: global aggregate over no rows is one row of 0 and NULLs',
    (t) =>
      t.facts
        .filter(col('id').gt(100_000))
        .agg(
          fn.count().as('n'),
          fn.sum('i32').as('s'),
          fn.avg('d12').as('a'),
          fn.min('dt').as('lo'),
          fn.stddev('f64').as('sd'),
        ),
    'SELECT COUNT(*) AS n, SUM(i32) AS s, AVG(d12) AS a, MIN(dt) AS lo, STDDEV_SAMP(f64) AS sd FROM facts WHERE id > 100000',
  ),
  program(
    'groupBy: over no rows is no rows',
    (t) => t.facts.filter(col('id').gt(100_000)).groupBy('grp').agg(fn.count().as('n')),
    'SELECT grp, COUNT(*) AS n FROM facts WHERE id > 100000 GROUP BY grp',
    { empty: true },
  ),
  program(
    'groupBy: per-group stddev and variance (NULL for one-row groups)',
    (t) =>
      t.facts
        .filter(col('id').le(300))
        .groupBy('k')
        .agg(fn.stddev('f64').as('sd'), fn.variance('d12').as('var'), fn.count('f64').as('n')),
    'SELECT k, STDDEV_SAMP(f64) AS sd, VAR_SAMP(d12) AS `var`, COUNT(f64) AS n FROM facts WHERE id <= 300 GROUP BY k',
  ),
  program(
    'groupBy: count() shorthand',
    (t) => t.facts.groupBy('small').count(),
    'SELECT small, COUNT(*) AS `count` FROM facts GROUP BY small',
  ),
  program(
    'agg then withColumn: a ratio of two aggregates',
    (t) =>
      t.facts
        .groupBy('grp')
        .agg(fn.sum('i32').as('s'), fn.count().as('n'))
        .withColumn('mean', col('s').div(col('n'))),
    'SELECT grp, SUM(i32) AS s, COUNT(*) AS n, SUM(i32) / COUNT(*) AS mean FROM facts GROUP BY grp',
  ),
  program(
    'agg then top-N: orderBy an aggregate desc, limit',
    (t) =>
      t.facts.groupBy('k').agg(fn.sum('d12').as('total')).orderBy(col('total').desc(), col('k')).limit(5),
    'SELECT k, SUM(d12) AS total FROM facts GROUP BY k ORDER BY total DESC, k LIMIT 5',
    ordered,
  ),
  program(
    'select of only aggregates is a global agg',
    (t) => t.events.select(fn.sum('e_qty').as('qty'), fn.max('e_day').as('last_day')),
    'SELECT SUM(e_qty) AS qty, MAX(e_day) AS last_day FROM events',
  ),
];

// ---------------------------------------------------------------------------------------------
// Sorting, limits, distinct.

const ordering: Program[] = [
  program(
    'orderBy: asc, NULLs first by default',
    (t) => t.facts.select('id', 'i32').orderBy(col('i32'), col('id')),
    'SELECT id, i32 FROM facts ORDER BY i32, id',
    ordered,
  ),
  program(
    'orderBy: desc, NULLs last by default',
    (t) => t.facts.select('id', 'd12').orderBy(col('d12').desc(), 'id'),
    'SELECT id, d12 FROM facts ORDER BY d12 DESC, id',
    ordered,
  ),
  program(
    'orderBy: asc NULLs last',
    (t) => t.facts.select('id', 'dt').orderBy(col('dt').asc({ nulls: 'last' }), 'id'),
    'SELECT id, dt FROM facts ORDER BY dt IS NULL, dt, id',
    ordered,
  ),
  program(
    'orderBy: desc NULLs first, then id desc',
    (t) => t.facts.select('id', 'name').orderBy(col('name').desc({ nulls: 'first' }), col('id').desc()),
    'SELECT id, name FROM facts ORDER BY name IS NULL DESC, name DESC, id DESC',
    ordered,
  ),
  program(
    'orderBy: an expression, BIGINT UNSIGNED desc',
    (t) =>
      t.facts.select('id', 'i32', 'u64').orderBy(fn.abs('i32').desc(), col('u64').desc(), 'id').limit(40),
    'SELECT id, i32, u64 FROM facts ORDER BY ABS(i32) DESC, u64 DESC, id LIMIT 40',
    ordered,
  ),
  program(
    'orderBy: on a computed column',
    (t) =>
      t.facts
        .select('id', col('d12').plus(col('small')).as('score'))
        .orderBy(col('score').desc({ nulls: 'last' }), 'id'),
    'SELECT id, d12 + small AS score FROM facts ORDER BY score IS NULL, score DESC, id',
    ordered,
  ),
  program(
    'limit: first rows by id',
    (t) => t.facts.orderBy('id').limit(10).select('id', 'grp'),
    'SELECT id, grp FROM facts ORDER BY id LIMIT 10',
    ordered,
  ),
  program(
    'offset then limit',
    (t) => t.facts.select('id', 'f64').orderBy(col('f64').desc(), 'id').offset(3).limit(7),
    'SELECT id, f64 FROM facts ORDER BY f64 DESC, id LIMIT 7 OFFSET 3',
    ordered,
  ),
  program(
    'limit then offset (skips within the limited rows)',
    (t) => t.facts.select('id', 'f64').orderBy(col('f64').desc(), 'id').limit(7).offset(3),
    'SELECT id, f64 FROM facts ORDER BY f64 DESC, id LIMIT 4 OFFSET 3',
    ordered,
  ),
  program(
    'offset alone: the last rows',
    (t) => t.facts.select('id').orderBy('id').offset(1990),
    'SELECT id FROM facts ORDER BY id LIMIT 18446744073709551615 OFFSET 1990',
    ordered,
  ),
  program(
    'filter after limit applies to the limited rows, in order',
    (t) => t.facts.orderBy('id').limit(100).filter(col('grp').eq('g1')).select('id', 'grp'),
    `SELECT id, grp FROM (SELECT * FROM facts ORDER BY id LIMIT 100) AS t WHERE grp = 'g1' ORDER BY id`,
    ordered,
  ),
  program(
    'filter after orderBy keeps the order',
    (t) => t.facts.select('id', 'k').orderBy(col('k').desc(), 'id').filter(col('k').lt(5)),
    'SELECT id, k FROM facts WHERE k < 5 ORDER BY k DESC, id',
    ordered,
  ),
  program(
    'distinct: two columns with NULLs',
    (t) => t.facts.select('grp', 'cat').distinct(),
    'SELECT DISTINCT grp, cat FROM facts',
  ),
  program(
    'distinct: then orderBy and limit',
    (t) => t.facts.select('k').distinct().orderBy(col('k').desc()).limit(5),
    'SELECT DISTINCT k FROM facts ORDER BY k DESC LIMIT 5',
    ordered,
  ),
  program(
    'distinct: over an expression, then filtered',
    (t) => t.facts.select(fn.year('dt').as('yr')).distinct().filter(col('yr').ge(2020)),
    'SELECT DISTINCT YEAR(dt) AS yr FROM facts WHERE YEAR(dt) >= 2020',
  ),
];

// ---------------------------------------------------------------------------------------------
// Joins: every type, on names and on expressions, with repeated and NULL keys.

const DIM_COLUMNS = 'd.dim_id, d.d_label, d.d_weight, d.d_region';

const joins: Program[] = [
  program(
    'join inner on a name (repeated keys multiply, NULL keys never match)',
    (t) => t.facts.select('id', 'k', 'i32').join(t.dims, 'k'),
    `SELECT f.id, f.k, f.i32, ${DIM_COLUMNS} FROM facts f JOIN dims d ON f.k = d.k`,
  ),
  program(
    'join left on a name',
    (t) => t.facts.select('id', 'k').join(t.dims.select('k', 'd_label'), 'k', 'left'),
    'SELECT f.id, f.k, d.d_label FROM facts f LEFT JOIN dims d ON f.k = d.k',
  ),
  program(
    'join right on a name (the key comes from the right)',
    (t) => t.facts.select('id', 'k').join(t.dims.select('k', 'd_label'), 'k', 'right'),
    'SELECT f.id, d.k, d.d_label FROM facts f RIGHT JOIN dims d ON f.k = d.k',
  ),
  program(
    'join full on a name',
    (t) => t.events.select('e_id', 'k').join(t.dims.select('k', 'dim_id'), 'k', 'full'),
    `SELECT e.e_id, COALESCE(e.k, d.k) AS k, d.dim_id FROM events e LEFT JOIN dims d ON e.k = d.k
     UNION ALL
     SELECT NULL, d.k, d.dim_id FROM dims d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.k = d.k)`,
    { local: 'MariaDB has no FULL OUTER JOIN' },
  ),
  program(
    'join full on an expression, then filtered on the joined key',
    (t) =>
      t.events
        .select('e_id', col('k').as('ek'))
        .join(t.dims.select('dim_id', col('k').as('dk')), col('ek').eq(col('dk')), 'full')
        .filter(col('ek').isNull().or(col('dk').isNull())),
    `SELECT e.e_id, e.k AS ek, NULL AS dim_id, NULL AS dk FROM events e WHERE NOT EXISTS (SELECT 1 FROM dims d WHERE e.k = d.k)
     UNION ALL
     SELECT NULL, NULL, d.dim_id, d.k FROM dims d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.k = d.k)`,
    { local: 'MariaDB has no FULL OUTER JOIN' },
  ),
  program(
    'join semi on a name',
    (t) => t.facts.select('id', 'k').join(t.dims, 'k', 'semi'),
    'SELECT f.id, f.k FROM facts f WHERE EXISTS (SELECT 1 FROM dims d WHERE d.k = f.k)',
  ),
  program(
    'join anti on a name (NULL keys stay)',
    (t) => t.facts.select('id', 'k', 'grp').join(t.dims, 'k', 'anti'),
    'SELECT f.id, f.k, f.grp FROM facts f WHERE NOT EXISTS (SELECT 1 FROM dims d WHERE d.k = f.k)',
  ),
  program(
    'join cross',
    (t) =>
      t.dims
        .filter(col('dim_id').le(5))
        .select('dim_id', 'd_label')
        .crossJoin(t.events.filter(col('e_id').le(4)).select('e_id', 'e_qty')),
    'SELECT d.dim_id, d.d_label, e.e_id, e.e_qty FROM dims d CROSS JOIN events e WHERE d.dim_id <= 5 AND e.e_id <= 4',
  ),
  program(
    'join inner on two names',
    (t) =>
      t.facts
        .select('id', 'k', 'grp', 'i32')
        .join(t.events.select('k', 'grp', 'e_id', 'e_amount'), ['k', 'grp']),
    'SELECT f.id, f.k, f.grp, f.i32, e.e_id, e.e_amount FROM facts f JOIN events e ON f.k = e.k AND f.grp = e.grp',
  ),
  program(
    'join inner on an expression with an equality and a comparison',
    (t) =>
      t.facts.select('id', 'k', 'i32').join(
        t.dims.select(col('k').as('dk'), 'd_weight', 'dim_id'),
        col('k')
          .eq(col('dk'))
          .and(col('i32').gt(col('d_weight').times(1000))),
      ),
    `SELECT f.id, f.k, f.i32, d.k AS dk, d.d_weight, d.dim_id FROM facts f JOIN dims d ON f.k = d.k AND f.i32 > d.d_weight * 1000`,
  ),
  program(
    'join left on an expression that filters the right side',
    (t) =>
      t.facts
        .select('id', 'k')
        .join(
          t.dims.select(col('k').as('dk'), 'd_region'),
          col('k').eq(col('dk')).and(col('d_region').eq('north')),
          'left',
        ),
    `SELECT f.id, f.k, d.k AS dk, d.d_region FROM facts f LEFT JOIN dims d ON f.k = d.k AND d.d_region = 'north'`,
  ),
  program(
    'join right on an expression',
    (t) =>
      t.events
        .select('e_id', col('k').as('ek'), 'e_qty')
        .join(t.dims.select('dim_id', 'k'), col('ek').eq(col('k')).and(col('e_qty').gt(10)), 'right'),
    'SELECT e.e_id, e.k AS ek, e.e_qty, d.dim_id, d.k FROM events e RIGHT JOIN dims d ON e.k = d.k AND e.e_qty > 10',
  ),
  program(
    'join inner on an inequality only',
    (t) =>
      t.events
        .filter(col('e_id').le(30))
        .select('e_id', 'e_qty')
        .join(
          t.dims.filter(col('dim_id').le(10)).select('dim_id', col('k').as('dk')),
          col('e_qty').gt(col('dk')),
        ),
    'SELECT e.e_id, e.e_qty, d.dim_id, d.k AS dk FROM events e JOIN dims d ON e.e_qty > d.k WHERE e.e_id <= 30 AND d.dim_id <= 10',
  ),
  program(
    'join semi and anti on an expression',
    (t) =>
      t.facts
        .select('id', 'k')
        .join(
          t.dims.select(col('k').as('dk'), 'd_region'),
          col('k').eq(col('dk')).and(col('d_region').eq('east')),
          'semi',
        )
        .join(
          t.events.select(col('k').as('ek'), 'e_qty'),
          col('k').eq(col('ek')).and(col('e_qty').ge(18)),
          'anti',
        ),
    `SELECT f.id, f.k FROM facts f
     WHERE EXISTS (SELECT 1 FROM dims d WHERE f.k = d.k AND d.d_region = 'east')
       AND NOT EXISTS (SELECT 1 FROM events e WHERE f.k = e.k AND e.e_qty >= 18)`,
  ),
  program(
    'join then aggregate per right-side column',
    (t) =>
      t.facts
        .join(t.dims, 'k')
        .groupBy('d_region')
        .agg(fn.count().as('n'), fn.sum('i32').as('s'), fn.avg('d_weight').as('w')),
    'SELECT d.d_region, COUNT(*) AS n, SUM(f.i32) AS s, AVG(d.d_weight) AS w FROM facts f JOIN dims d ON f.k = d.k GROUP BY d.d_region',
  ),
  program(
    'join then filter over both sides, orderBy, limit',
    (t) =>
      t.facts
        .select('id', 'k', 'i32')
        .join(t.dims.select('k', 'd_label', 'dim_id'), 'k')
        .filter(col('d_label').eq('l3').or(col('i32').lt(-900_000)))
        .orderBy('id', 'dim_id')
        .limit(25),
    `SELECT f.id, f.k, f.i32, d.d_label, d.dim_id FROM facts f JOIN dims d ON f.k = d.k
     WHERE d.d_label = 'l3' OR f.i32 < -900000 ORDER BY f.id, d.dim_id LIMIT 25`,
    ordered,
  ),
  program(
    'join left then filter the right side IS NULL (an anti join by hand)',
    (t) =>
      t.facts
        .select('id', 'k')
        .join(t.dims.select('k', 'dim_id'), 'k', 'left')
        .filter(col('dim_id').isNull()),
    'SELECT f.id, f.k, d.dim_id FROM facts f LEFT JOIN dims d ON f.k = d.k WHERE d.dim_id IS NULL',
  ),
  program(
    'join right then filter a left-side column',
    (t) =>
      t.facts
        .select('id', 'k', 'small')
        .join(t.dims.select('k', 'dim_id'), 'k', 'right')
        .filter(col('small').gt(2).or(col('small').isNull())),
    'SELECT f.id, d.k, f.small, d.dim_id FROM facts f RIGHT JOIN dims d ON f.k = d.k WHERE f.small > 2 OR f.small IS NULL',
  ),
  program(
    'join three tables on the same name',
    (t) =>
      t.facts
        .filter(col('id').le(400))
        .select('id', 'k')
        .join(t.dims.select('k', 'dim_id'), 'k')
        .join(t.events.select('k', 'e_id'), 'k'),
    `SELECT f.id, f.k, d.dim_id, e.e_id FROM facts f JOIN dims d ON f.k = d.k JOIN events e ON f.k = e.k WHERE f.id <= 400`,
  ),
  program(
    'join with computed keys on both sides',
    (t) =>
      t.facts.select('id', col('k').plus(1).as('k1')).join(t.dims.select(col('k').as('k1'), 'dim_id'), 'k1'),
    'SELECT f.id, f.k + 1 AS k1, d.dim_id FROM facts f JOIN dims d ON f.k + 1 = d.k',
  ),
];

// ---------------------------------------------------------------------------------------------
// Unions.

const unions: Program[] = [
  program(
    'unionAll keeps duplicates',
    (t) => t.facts.select('grp', 'k').unionAll(t.events.select('grp', 'k')),
    'SELECT grp, k FROM facts UNION ALL SELECT grp, k FROM events',
  ),
  program(
    'union removes duplicates (NULLs are equal)',
    (t) => t.facts.select('grp', 'k').union(t.events.select('grp', 'k')),
    'SELECT grp, k FROM facts UNION SELECT grp, k FROM events',
  ),
  program(
    'unionAll of differently named columns, then filter and orderBy',
    (t) =>
      t.facts
        .select(col('id').as('x'), 'grp')
        .unionAll(t.events.select('e_id', 'grp'))
        .filter(col('x').lt(50).and(col('grp').isNotNull()))
        .orderBy('x', 'grp'),
    `SELECT x, grp FROM (SELECT id AS x, grp FROM facts UNION ALL SELECT e_id, grp FROM events) AS u
     WHERE x < 50 AND grp IS NOT NULL ORDER BY x, grp`,
    ordered,
  ),
  program(
    'unionAll then groupBy',
    (t) =>
      t.facts
        .select('grp', 'k')
        .unionAll(t.events.select('grp', 'k'))
        .groupBy('grp')
        .agg(fn.count().as('n'), fn.sum('k').as('sum_k')),
    `SELECT grp, COUNT(*) AS n, SUM(k) AS sum_k FROM (SELECT grp, k FROM facts UNION ALL SELECT grp, k FROM events) AS u
     GROUP BY grp`,
  ),
  program(
    'unionAll under a limit larger than both sides',
    (t) =>
      t.facts
        .filter(col('id').le(3))
        .select('id')
        .unionAll(t.dims.filter(col('dim_id').le(2)).select('dim_id'))
        .limit(10),
    'SELECT id FROM facts WHERE id <= 3 UNION ALL SELECT dim_id FROM dims WHERE dim_id <= 2',
  ),
  program(
    'union of three, distinct dates',
    (t) =>
      t.facts
        .select(col('dt').as('day'))
        .filter(col('day').lt('1991-01-01'))
        .union(t.events.select(col('e_day').as('day')).filter(col('day').lt('1995-02-01')))
        .union(t.facts.select(col('dt').as('day')).filter(col('day').isNull())),
    `SELECT dt AS day FROM facts WHERE dt < '1991-01-01' UNION SELECT e_day FROM events WHERE e_day < '1995-02-01'
     UNION SELECT dt FROM facts WHERE dt IS NULL`,
  ),
];

// ---------------------------------------------------------------------------------------------
// Window functions.

const windows: Program[] = [
  program(
    'window: rowNumber per partition',
    (t) => t.facts.select('id', 'grp', fn.rowNumber().over({ partitionBy: 'grp', orderBy: 'id' }).as('rn')),
    'SELECT id, grp, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY id) AS rn FROM facts',
  ),
  program(
    'window: rank and denseRank with ties',
    (t) =>
      t.facts.select(
        'id',
        'cat',
        'small',
        fn.rank().over({ partitionBy: 'cat', orderBy: 'small' }).as('r'),
        fn
          .denseRank()
          .over({ partitionBy: 'cat', orderBy: col('small').desc() })
          .as('dr'),
      ),
    `SELECT id, cat, small, RANK() OVER (PARTITION BY cat ORDER BY small) AS r,
       DENSE_RANK() OVER (PARTITION BY cat ORDER BY small DESC) AS dr FROM facts`,
  ),
  program(
    'window: lag and lead',
    (t) =>
      t.facts.select(
        'id',
        'grp',
        fn.lag('i32', 1).over({ partitionBy: 'grp', orderBy: 'id' }).as('prev_i32'),
        fn.lead('d12', 2).over({ partitionBy: 'grp', orderBy: 'id' }).as('next2_d12'),
        fn
          .lag('dt')
          .over({ orderBy: col('id').desc() })
          .as('prev_dt'),
      ),
    `SELECT id, grp, LAG(i32, 1) OVER (PARTITION BY grp ORDER BY id) AS prev_i32,
       LEAD(d12, 2) OVER (PARTITION BY grp ORDER BY id) AS next2_d12, LAG(dt, 1) OVER (ORDER BY id DESC) AS prev_dt FROM facts`,
  ),
  program(
    'window: firstValue and lastValue (default frame and whole partition)',
    (t) =>
      t.facts.select(
        'id',
        fn.firstValue('name').over({ partitionBy: 'grp', orderBy: 'id' }).as('first_name'),
        fn.lastValue('name').over({ partitionBy: 'grp', orderBy: 'id' }).as('last_so_far'),
        fn
          .lastValue('name')
          .over({ partitionBy: 'grp', orderBy: 'id', rows: [null, null] })
          .as('last_name'),
      ),
    `SELECT id, FIRST_VALUE(name) OVER (PARTITION BY grp ORDER BY id) AS first_name,
       LAST_VALUE(name) OVER (PARTITION BY grp ORDER BY id) AS last_so_far,
       LAST_VALUE(name) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_name
     FROM facts`,
  ),
  program(
    'window: running sum over a unique order',
    (t) =>
      t.facts.select('id', 'grp', fn.sum('i32').over({ partitionBy: 'grp', orderBy: 'id' }).as('running')),
    'SELECT id, grp, SUM(i32) OVER (PARTITION BY grp ORDER BY id) AS running FROM facts',
  ),
  program(
    'window: running sum over ties (RANGE frame takes the peers)',
    (t) =>
      t.facts.select(
        'id',
        'cat',
        'small',
        fn.sum('i32').over({ partitionBy: 'cat', orderBy: 'small' }).as('running'),
      ),
    'SELECT id, cat, small, SUM(i32) OVER (PARTITION BY cat ORDER BY small) AS running FROM facts',
  ),
  program(
    'window: moving average over rows [-6, 0] and a centred sum',
    (t) =>
      t.facts.select(
        'id',
        fn
          .avg('f64')
          .over({ partitionBy: 'grp', orderBy: 'id', rows: [-6, 0] })
          .as('ma7'),
        fn
          .sum('d12')
          .over({ orderBy: 'id', rows: [-2, 2] })
          .as('centred'),
      ),
    `SELECT id, AVG(f64) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS ma7,
       SUM(d12) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS centred FROM facts`,
  ),
  program(
    'window: aggregates over a whole partition (no order)',
    (t) =>
      t.facts.select(
        'id',
        fn.count().over({ partitionBy: 'grp' }).as('n'),
        fn.max('i32').over({ partitionBy: 'cat' }).as('top'),
        fn.min('u64').over({ partitionBy: 'cat' }).as('low_u64'),
      ),
    `SELECT id, COUNT(*) OVER (PARTITION BY grp) AS n, MAX(i32) OVER (PARTITION BY cat) AS top,
       MIN(u64) OVER (PARTITION BY cat) AS low_u64 FROM facts`,
  ),
  program(
    'window: top 3 per group (filter on rowNumber)',
    (t) =>
      t.facts
        .withColumn('rn', fn.rowNumber().over({ partitionBy: 'grp', orderBy: [col('d12').desc(), 'id'] }))
        .filter(col('rn').le(3))
        .select('grp', 'rn', 'id', 'd12'),
    `SELECT grp, rn, id, d12 FROM (SELECT facts.*, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY d12 DESC, id) AS rn FROM facts) AS t
     WHERE rn <= 3`,
  ),
  program(
    'window: over an aggregate result',
    (t) =>
      t.facts
        .groupBy('grp')
        .agg(fn.sum('i32').as('s'))
        .withColumn('r', fn.rank().over({ orderBy: col('s').desc() })),
    'SELECT grp, SUM(i32) AS s, RANK() OVER (ORDER BY SUM(i32) DESC) AS r FROM facts GROUP BY grp',
  ),
  program(
    'window: partition and order by expressions',
    (t) =>
      t.facts.select(
        'id',
        fn
          .rowNumber()
          .over({ partitionBy: fn.year('dt'), orderBy: [fn.abs('d12').desc(), 'id'] })
          .as('rn'),
      ),
    'SELECT id, ROW_NUMBER() OVER (PARTITION BY YEAR(dt) ORDER BY ABS(d12) DESC, id) AS rn FROM facts',
  ),
  program(
    'window: inside arithmetic (difference from the previous row)',
    (t) =>
      t.facts.select(
        'id',
        col('i32')
          .minus(fn.lag('i32', 1).over({ partitionBy: 'grp', orderBy: 'id' }))
          .as('delta'),
        fn.dateDiff(col('dt'), fn.lag('dt', 1).over({ orderBy: 'id' })).as('days_since_prev'),
      ),
    `SELECT id, i32 - LAG(i32, 1) OVER (PARTITION BY grp ORDER BY id) AS delta,
       DATEDIFF(dt, LAG(dt, 1) OVER (ORDER BY id)) AS days_since_prev FROM facts`,
  ),
  program(
    'window: filter on a partition key above the window, and a filter below it',
    (t) =>
      t.facts
        .filter(col('small').ge(0))
        .withColumn('n', fn.count().over({ partitionBy: 'grp' }))
        .filter(col('grp').eq('g4'))
        .select('id', 'grp', 'n'),
    `SELECT id, grp, n FROM (SELECT id, grp, COUNT(*) OVER (PARTITION BY grp) AS n FROM facts WHERE small >= 0) AS t
     WHERE grp = 'g4'`,
  ),
  program(
    'window: filter on a non-partition column above the window stays above',
    (t) =>
      t.facts
        .withColumn('rn', fn.rowNumber().over({ partitionBy: 'cat', orderBy: 'id' }))
        .filter(col('small').eq(1))
        .select('id', 'cat', 'rn'),
    `SELECT id, cat, rn FROM (SELECT id, cat, small, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY id) AS rn FROM facts) AS t
     WHERE small = 1`,
  ),
];

// ---------------------------------------------------------------------------------------------
// Plan shapes: verbs stacked in orders that force derived tables, clause merges and rewrites.

const shapes: Program[] = [
  program(
    'shape: select after orderBy keeps the order',
    (t) => t.facts.orderBy(col('i32').desc(), 'id').select('id', col('i32').times(2).as('twice')),
    'SELECT id, i32 * 2 AS twice FROM facts ORDER BY i32 DESC, id',
    ordered,
  ),
  program(
    'shape: withColumn after orderBy and limit keeps the order',
    (t) =>
      t.facts
        .select('id', 'd12')
        .orderBy(col('d12').desc(), 'id')
        .limit(30)
        .withColumn('cents', col('d12').times(100)),
    'SELECT id, d12, d12 * 100 AS cents FROM facts ORDER BY d12 DESC, id LIMIT 30',
    ordered,
  ),
  program(
    'shape: aggregate of an aggregate',
    (t) =>
      t.facts
        .groupBy('grp', 'cat')
        .agg(fn.count().as('n'))
        .groupBy('grp')
        .agg(fn.max('n').as('biggest'), fn.sum('n').as('total')),
    'SELECT grp, MAX(n) AS biggest, SUM(n) AS total FROM (SELECT grp, cat, COUNT(*) AS n FROM facts GROUP BY grp, cat) AS t GROUP BY grp',
  ),
  program(
    'shape: aggregate, having, orderBy, limit, then rename',
    (t) =>
      t.facts
        .groupBy('k')
        .agg(fn.avg('f64').as('mean'), fn.count().as('n'))
        .filter(col('n').ge(20))
        .orderBy(col('mean').desc(), 'k')
        .limit(8)
        .withColumnRenamed('mean', 'avg_f64'),
    'SELECT k, AVG(f64) AS avg_f64, COUNT(*) AS n FROM facts GROUP BY k HAVING COUNT(*) >= 20 ORDER BY AVG(f64) DESC, k LIMIT 8',
    ordered,
  ),
  program(
    'shape: filter on a grouped expression alias goes to WHERE',
    (t) =>
      t.facts.groupBy(fn.year('dt').as('yr')).agg(fn.count().as('n')).filter(col('yr').between(2000, 2004)),
    'SELECT YEAR(dt) AS yr, COUNT(*) AS n FROM facts WHERE YEAR(dt) BETWEEN 2000 AND 2004 GROUP BY YEAR(dt)',
  ),
  program(
    'shape: aggregate after distinct',
    (t) => t.facts.select('grp', 'cat').distinct().groupBy('grp').agg(fn.count().as('cats')),
    'SELECT grp, COUNT(*) AS cats FROM (SELECT DISTINCT grp, cat FROM facts) AS t GROUP BY grp',
  ),
  program(
    'shape: aggregate over a window column',
    (t) =>
      t.facts
        .withColumn('rn', fn.rowNumber().over({ partitionBy: 'grp', orderBy: 'id' }))
        .groupBy('grp')
        .agg(fn.max('rn').as('rows'), fn.sum(fn.when(col('rn').le(10), col('i32'))).as('first10')),
    `SELECT grp, MAX(rn) AS \`rows\`, SUM(CASE WHEN rn <= 10 THEN i32 END) AS first10
     FROM (SELECT grp, i32, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY id) AS rn FROM facts) AS t GROUP BY grp`,
  ),
  program(
    'shape: a window over a window column',
    (t) =>
      t.facts
        .filter(col('id').le(200))
        .withColumn('running', fn.sum('small').over({ orderBy: 'id' }))
        .withColumn('prev_running', fn.lag('running', 1).over({ orderBy: 'id' }))
        .select('id', 'running', 'prev_running'),
    `SELECT id, running, LAG(running, 1) OVER (ORDER BY id) AS prev_running
     FROM (SELECT id, SUM(small) OVER (ORDER BY id) AS running FROM facts WHERE id <= 200) AS t`,
  ),
  program(
    'shape: a window over a join',
    (t) =>
      t.facts
        .select('id', 'k', 'i32')
        .join(t.dims.select('k', 'dim_id', 'd_region'), 'k')
        .withColumn('rk', fn.rank().over({ partitionBy: 'd_region', orderBy: col('i32').desc() })),
    `SELECT f.id, f.k, f.i32, d.dim_id, d.d_region, RANK() OVER (PARTITION BY d.d_region ORDER BY f.i32 DESC) AS rk
     FROM facts f JOIN dims d ON f.k = d.k`,
  ),
  program(
    'shape: join an aggregate with a table',
    (t) => t.facts.groupBy('k').agg(fn.sum('i32').as('s')).join(t.dims.select('k', 'd_label'), 'k', 'left'),
    'SELECT a.k, a.s, d.d_label FROM (SELECT k, SUM(i32) AS s FROM facts GROUP BY k) AS a LEFT JOIN dims d ON a.k = d.k',
  ),
  program(
    'shape: join a top-N subquery',
    (t) =>
      t.dims
        .select('k', 'dim_id')
        .orderBy(col('dim_id').desc())
        .limit(10)
        .join(t.events.select('k', 'e_id'), 'k'),
    'SELECT d.k, d.dim_id, e.e_id FROM (SELECT k, dim_id FROM dims ORDER BY dim_id DESC LIMIT 10) AS d JOIN events e ON d.k = e.k',
  ),
  program(
    'shape: join a union',
    (t) =>
      t.dims
        .filter(col('dim_id').le(10))
        .select('k')
        .unionAll(t.events.filter(col('e_id').le(10)).select('k'))
        .join(t.facts.select('k', 'id'), 'k', 'semi'),
    `SELECT u.k FROM (SELECT k FROM dims WHERE dim_id <= 10 UNION ALL SELECT k FROM events WHERE e_id <= 10) AS u
     WHERE EXISTS (SELECT 1 FROM facts f WHERE f.k = u.k)`,
  ),
  program(
    'shape: semi and anti join against a side with a same-named column',
    (t) => t.facts.select('id', 'k', 'grp').join(t.events, 'k', 'semi').join(t.events, ['k', 'grp'], 'anti'),
    `SELECT f.id, f.k, f.grp FROM facts f WHERE EXISTS (SELECT 1 FROM events e WHERE e.k = f.k)
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.k = f.k AND e.grp = f.grp)`,
  ),
  program(
    'shape: filters on the join key above left, right and inner joins',
    (t) =>
      t.facts
        .select('id', 'k')
        .join(t.dims.select('k', 'dim_id'), 'k', 'left')
        .filter(col('k').lt(10))
        .join(t.events.select('k', 'e_id'), 'k', 'right')
        .filter(col('k').gt(3)),
    `SELECT l.id, e.k, l.dim_id, e.e_id FROM
       (SELECT f.id, f.k, d.dim_id FROM facts f LEFT JOIN dims d ON f.k = d.k WHERE f.k < 10) AS l
       RIGHT JOIN events e ON l.k = e.k WHERE e.k > 3`,
  ),
  program(
    'shape: an OR across both join sides stays above the join',
    (t) =>
      t.facts
        .select('id', 'k', 'small')
        .join(t.dims.select('k', 'd_region'), 'k', 'left')
        .filter(col('small').eq(5).or(col('d_region').eq('west'))),
    `SELECT f.id, f.k, f.small, d.d_region FROM facts f LEFT JOIN dims d ON f.k = d.k WHERE f.small = 5 OR d.d_region = 'west'`,
  ),
  program(
    'shape: empty isIn matches nothing, empty notIn everything',
    (t) =>
      t.facts
        .select('id', col('k').isIn([]).as('in_none'), col('k').notIn([]).as('not_in_none'))
        .filter(col('id').le(5)),
    'SELECT id, 0 AS in_none, 1 AS not_in_none FROM facts WHERE id <= 5',
  ),
  program(
    'shape: a filter that folds to false',
    (t) => t.facts.filter(col('grp').eq('g1').and(lit(1).eq(0))).select('id'),
    'SELECT id FROM facts WHERE 1 = 0',
    { empty: true },
  ),
  program(
    'shape: literals in select, NULL included',
    (t) =>
      t.facts
        .filter(col('id').le(3))
        .select('id', lit(7).as('seven'), lit('x').as('text'), lit(null).as('nothing'), lit(2.5).as('half')),
    `SELECT id, 7 AS seven, 'x' AS \`text\`, NULL AS nothing, 2.5 AS half FROM facts WHERE id <= 3`,
  ),
  program(
    'shape: decimal literals added then compared (folding must not use floats)',
    (t) => t.facts.filter(lit(0.1).plus(lit(0.2)).eq(0.3).and(col('id').le(4))).select('id'),
    'SELECT id FROM facts WHERE 0.1 + 0.2 = 0.3 AND id <= 4',
  ),
  program(
    'shape: like and between with column operands',
    (t) =>
      t.facts
        .filter(
          col('name')
            .like(fn.concat(col('cat'), lit('%')))
            .or(col('small').between(col('k'), col('k').plus(2))),
        )
        .select('id', 'name', 'small', 'k'),
    `SELECT id, name, small, k FROM facts WHERE name LIKE CONCAT(cat, '%') OR small BETWEEN k AND k + 2`,
  ),
  program(
    'shape: parameters in both join sides, the ON clause, above the join, the sort and the limit',
    (t) =>
      t.facts
        .filter(col('small').ne(-1))
        .select('id', 'k', 'i32')
        .join(
          t.dims.filter(col('d_region').ne('south')).select(col('k').as('dk'), 'd_weight'),
          col('k').eq(col('dk')).and(col('d_weight').gt(-50.5)),
        )
        .filter(col('i32').gt(col('d_weight').times(-7)).or(col('i32').isNull()))
        .orderBy(fn.abs(col('i32').minus(1234)), 'id', 'd_weight')
        .limit(33),
    `SELECT f.id, f.k, f.i32, d.k AS dk, d.d_weight FROM facts f JOIN dims d ON f.k = d.k AND d.d_weight > -50.5
     WHERE f.small <> -1 AND d.d_region <> 'south' AND (f.i32 > d.d_weight * -7 OR f.i32 IS NULL)
     ORDER BY ABS(f.i32 - 1234), f.id, d.d_weight LIMIT 33`,
    ordered,
  ),
  program(
    'shape: swapped column names, filtered and sorted on both sides of the swap',
    (t) =>
      t.facts
        .orderBy(col('small').desc(), 'id')
        .select('id', col('i32').as('small'), col('small').as('i32'))
        .filter(col('i32').ge(0))
        .limit(50),
    'SELECT id, i32 AS small, small AS i32 FROM facts WHERE small >= 0 ORDER BY facts.small DESC, id LIMIT 50',
    ordered,
  ),
  program(
    'shape: a window replacing the column it reads',
    (t) =>
      t.facts
        .select('id', 'grp', 'i32')
        .withColumn('i32', fn.lag('i32', 1).over({ partitionBy: 'grp', orderBy: 'id' })),
    'SELECT id, grp, LAG(i32, 1) OVER (PARTITION BY grp ORDER BY id) AS i32 FROM facts',
  ),
  program(
    'shape: groupBy key aliased over its own column, filtered by the alias',
    (t) =>
      t.facts
        .groupBy(fn.upper('grp').as('grp'))
        .agg(fn.count().as('n'), fn.sum('i32').div(fn.count()).as('mean'))
        .filter(col('grp').ne('G2').and(col('n').div(2).gt(10))),
    `SELECT UPPER(grp) AS grp, COUNT(*) AS n, SUM(i32) / COUNT(*) AS mean FROM facts WHERE UPPER(grp) <> 'G2'
     GROUP BY UPPER(grp) HAVING COUNT(*) / 2 > 10`,
  ),
  program(
    'shape: window result sorted and limited',
    (t) =>
      t.facts
        .withColumn('rn', fn.rowNumber().over({ partitionBy: 'cat', orderBy: col('u64').desc() }))
        .orderBy('rn', 'cat')
        .limit(12)
        .select('cat', 'rn', 'id', 'u64'),
    `SELECT cat, rn, id, u64 FROM (SELECT cat, id, u64, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY u64 DESC) AS rn FROM facts) AS t
     ORDER BY rn, cat LIMIT 12`,
    ordered,
  ),
  program(
    'shape: distinct, orderBy, offset and limit',
    (t) => t.facts.select('grp', 'cat').distinct().orderBy('grp', 'cat').offset(2).limit(5),
    'SELECT DISTINCT grp, cat FROM facts ORDER BY grp, cat LIMIT 5 OFFSET 2',
    ordered,
  ),
  program('shape: limit 0', (t) => t.facts.select('id').limit(0), 'SELECT id FROM facts LIMIT 0', {
    empty: true,
  }),
  program(
    'shape: aggregate over a right join grouped by the join key',
    (t) =>
      t.facts
        .select('id', 'k')
        .join(t.dims.select('k', 'dim_id'), 'k', 'right')
        .groupBy('k')
        .agg(fn.count('id').as('facts_n'), fn.countDistinct('dim_id').as('dims_n')),
    'SELECT d.k, COUNT(f.id) AS facts_n, COUNT(DISTINCT d.dim_id) AS dims_n FROM facts f RIGHT JOIN dims d ON f.k = d.k GROUP BY d.k',
  ),
  program(
    'shape: cross join filtered across both sides',
    (t) =>
      t.dims
        .select('dim_id', col('k').as('dk'))
        .crossJoin(t.events.filter(col('e_id').le(50)).select('e_id', 'e_qty'))
        .filter(
          col('dk')
            .eq(col('e_qty'))
            .or(col('dim_id').eq(col('e_id'))),
        ),
    'SELECT d.dim_id, d.k AS dk, e.e_id, e.e_qty FROM dims d CROSS JOIN events e WHERE e.e_id <= 50 AND (d.k = e.e_qty OR d.dim_id = e.e_id)',
  ),
  program(
    'shape: db.sql text composed with verbs',
    (t) =>
      t
        .sql('SELECT grp, i32, d12 FROM facts WHERE small > 0')
        .filter(col('i32').gt(0))
        .groupBy('grp')
        .agg(fn.count().as('n'), fn.sum('d12').as('total')),
    'SELECT grp, COUNT(*) AS n, SUM(d12) AS total FROM facts WHERE small > 0 AND i32 > 0 GROUP BY grp',
  ),
  program(
    'shape: db.sql text joined with a table',
    (t) =>
      t
        .sql('SELECT k, COUNT(*) AS dims_per_key FROM dims GROUP BY k')
        .join(t.events.select('k', 'e_id'), 'k'),
    'SELECT d.k, d.dims_per_key, e.e_id FROM (SELECT k, COUNT(*) AS dims_per_key FROM dims GROUP BY k) d JOIN events e ON d.k = e.k',
  ),
  program(
    'shape: db.sql text with an IN subquery (decorrelated into a semi join), joined on a name',
    (t) =>
      t
        .sql('SELECT k, COUNT(*) AS dims_per_key FROM dims WHERE k IN (SELECT k FROM events) GROUP BY k')
        .join(t.events.select('k', 'e_id'), 'k'),
    `SELECT d.k, d.dims_per_key, e.e_id
     FROM (SELECT k, COUNT(*) AS dims_per_key FROM dims WHERE k IN (SELECT k FROM events) GROUP BY k) d
     JOIN events e ON d.k = e.k`,
    { columns: ['k', 'dims_per_key', 'e_id'] },
  ),
  program(
    'shape: db.sql text the planner keeps as written, joined on a name',
    (t) =>
      t
        .sql(
          'SELECT k, COUNT(*) AS dims_per_key FROM dims WHERE (SELECT COUNT(*) + 0 FROM events WHERE events.k = dims.k) > 0 GROUP BY k',
        )
        .join(t.events.select('k', 'e_id'), 'k'),
    `SELECT d.k, d.dims_per_key, e.e_id
     FROM (SELECT k, COUNT(*) AS dims_per_key FROM dims WHERE (SELECT COUNT(*) + 0 FROM events WHERE events.k = dims.k) > 0 GROUP BY k) d
     JOIN events e ON d.k = e.k`,
    { columns: ['k', 'dims_per_key', 'e_id'] },
  ),
];

// ---------------------------------------------------------------------------------------------
// Column types: every MySQL type read, compared, grouped and sorted.

// BIT reads as an unsigned integer (Arrow UInt64); mysql2 gives the raw bytes, so the SQL casts.
const TYPE_COLUMNS =
  't_id, tu, si, su, mi, mu, d38, d5, yr, tm, tm6, dt6, tstamp, ch, tx, en, st, CAST(bt AS UNSIGNED) AS bt, vb, bl';

const columnTypes: Program[] = [
  program(
    'types: every column read as it is',
    (t) => t.types.drop('zd'),
    `SELECT ${TYPE_COLUMNS} FROM types`,
  ),
  program(
    'types: zero dates read as NULL',
    (t) => t.types.select('t_id', 'zd'),
    `SELECT t_id, CASE WHEN zd = '0000-00-00' THEN NULL ELSE zd END AS zd FROM types`,
  ),
  program(
    'types: ENUM sorts by its list order',
    (t) => t.types.select('t_id', 'en').orderBy('en', 't_id'),
    'SELECT t_id, en FROM types ORDER BY en, t_id',
    ordered,
  ),
  program(
    'types: groupBy ENUM with SET, YEAR and TIME aggregates',
    (t) =>
      t.types
        .groupBy('en')
        .agg(
          fn.count().as('n'),
          fn.countDistinct('st').as('sets'),
          fn.min('yr').as('first_year'),
          fn.max('tm').as('longest'),
          fn.min('tm6').as('earliest'),
        ),
    `SELECT en, COUNT(*) AS n, COUNT(DISTINCT st) AS sets, MIN(yr) AS first_year, MAX(tm) AS longest,
       MIN(tm6) AS earliest FROM types GROUP BY en`,
  ),
  program(
    'types: filters on unsigned small ints, TIME, DATETIME(6) and TIMESTAMP',
    (t) =>
      t.types
        .filter(
          col('tu')
            .gt(200)
            .or(col('tm').lt('00:00:00'))
            .or(col('dt6').ge('2030-01-01 00:00:00.5'))
            .or(col('tstamp').lt('1991-01-01 00:00:00')),
        )
        .select('t_id', 'tu', 'tm', 'dt6', 'tstamp'),
    `SELECT t_id, tu, tm, dt6, tstamp FROM types
     WHERE tu > 200 OR tm < '00:00:00' OR dt6 >= '2030-01-01 00:00:00.5' OR tstamp < '1991-01-01 00:00:00'`,
  ),
  program(
    'types: DECIMAL(38,10) and small-int aggregates',
    (t) =>
      t.types.agg(
        fn.sum('d38').as('sum_d38'),
        fn.min('d38').as('min_d38'),
        fn.max('d38').as('max_d38'),
        fn.avg('d5').as('avg_d5'),
        fn.sum('mu').as('sum_mu'),
        fn.sum(col('si').times(col('mi'))).as('products'),
      ),
    `SELECT SUM(d38) AS sum_d38, MIN(d38) AS min_d38, MAX(d38) AS max_d38, AVG(d5) AS avg_d5, SUM(mu) AS sum_mu,
       SUM(si * mi) AS products FROM types`,
  ),
  program(
    'types: CHAR, TEXT and binary through string functions',
    (t) =>
      t.types.select(
        't_id',
        fn.length('ch').as('ch_len'),
        fn.concat('ch', lit('|')).as('ch_bar'),
        fn.upper('tx').as('tx_up'),
        fn.length('vb').as('vb_len'),
        fn.year('dt6').as('dt6_year'),
        fn.dateTrunc('second', 'dt6').as('dt6_second'),
      ),
    `SELECT t_id, CHAR_LENGTH(ch) AS ch_len, CONCAT(ch, '|') AS ch_bar, UPPER(tx) AS tx_up, CHAR_LENGTH(vb) AS vb_len,
       YEAR(dt6) AS dt6_year, CAST(DATE_FORMAT(dt6, '%Y-%m-%d %H:%i:%s') AS DATETIME) AS dt6_second FROM types`,
  ),
];

// ---------------------------------------------------------------------------------------------
// Programs with JavaScript functions or two connections: they always have a local part.

const withLocalParts: Program[] = [
  program(
    'JS filter above pushed steps',
    (t) =>
      t.facts
        .filter(col('id').le(1000))
        .select('id', 'grp', 'i32')
        .filter((row) => row.grp === 'g1' && row.i32 !== null && Number(row.i32) > 0),
    `SELECT id, grp, i32 FROM facts WHERE id <= 1000 AND grp = 'g1' AND i32 > 0`,
    { local: 'a JavaScript predicate' },
  ),
  program(
    'JS filter then groupBy',
    (t) =>
      t.facts
        .select('grp', 'small', 'd12')
        .filter((row) => row.small !== null && Number(row.small) % 2 === 0)
        .groupBy('grp')
        .agg(fn.count().as('n'), fn.sum('d12').as('total')),
    'SELECT grp, COUNT(*) AS n, SUM(d12) AS total FROM facts WHERE small % 2 = 0 GROUP BY grp',
    { local: 'a JavaScript predicate' },
  ),
  program(
    'mapBatches: a JS function over the pushed rows',
    (t) =>
      t.facts
        .filter(col('id').le(50))
        .select('id', 'i32')
        .mapBatches((table: Table) =>
          table.toArray().map((row) => {
            const value = row.i32 as unknown;
            return { id: Number(row.id), twice: value === null ? null : Number(value) * 2 };
          }),
        ),
    'SELECT id, i32 * 2 AS twice FROM facts WHERE id <= 50',
    { local: 'a JavaScript function', columns: ['id', 'twice'] },
  ),
  program(
    'federation: join frames of two connections',
    (t) => t.facts.select('id', 'k').join(t.other.dims.select('k', 'd_label'), 'k'),
    'SELECT f.id, f.k, d.d_label FROM facts f JOIN dims d ON f.k = d.k',
    { local: 'two connections' },
  ),
  program(
    'federation: union of two connections, then aggregated',
    (t) =>
      t.facts
        .select('grp')
        .union(t.other.events.select('grp'))
        .agg(fn.count().as('n'), fn.countDistinct('grp').as('distinct_grp')),
    'SELECT COUNT(*) AS n, COUNT(DISTINCT grp) AS distinct_grp FROM (SELECT grp FROM facts UNION SELECT grp FROM events) AS u',
    { local: 'two connections' },
  ),
];

export const PROGRAMS: readonly Program[] = [
  ...filters,
  ...expressions,
  ...aggregates,
  ...ordering,
  ...joins,
  ...unions,
  ...windows,
  ...shapes,
  ...columnTypes,
  ...withLocalParts,
];
