import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/base/errors.ts';
import { type Column, col, fn, lit } from '../../../src/frame/column.ts';
import { compileStandalone, NotPushable } from '../../../src/sql/compile-expr.ts';
import { mysqlFamilyDialect } from '../../../src/sql/dialect.ts';
import { dialectNamed, mariadb } from '../../../src/sql/dialects/index.ts';

const sql = (column: Column) => compileStandalone(column.node, mariadb);

describe('expressions compile to SQL with every value as a parameter', () => {
  it.each<[string, Column, string, unknown[]]>([
    ['comparison', col('l_shipdate').le('1998-09-02'), '(`l_shipdate` <= ?)', ['1998-09-02']],
    ['not equal', col('a').ne(1), '(`a` <> ?)', [1]],
    [
      'logic',
      col('a')
        .gt(1)
        .and(col('b').isNull().or(col('c').isNotNull())),
      '((`a` > ?) AND ((`b` IS NULL) OR (`c` IS NOT NULL)))',
      [1],
    ],
    ['arithmetic', col('p').times(lit(1).minus(col('d'))), '(`p` * (? - `d`))', [1]],
    ['in', col('m').isIn('MAIL', 'SHIP'), '(`m` IN (?, ?))', ['MAIL', 'SHIP']],
    ['in with an array', col('m').notIn(['A']), '(`m` NOT IN (?))', ['A']],
    ['empty in', col('m').isIn([]), '(1 = 0)', []],
    ['between', col('d').between(0.05, 0.07), '(`d` BETWEEN ? AND ?)', [0.05, 0.07]],
    ['like', col('s').like('%BRASS'), '(`s` LIKE ?)', ['%BRASS']],
    ['null literal', col('x').eq(null), '(`x` = NULL)', []],
    ['cast', col('x').cast('decimal'), 'CAST(`x` AS DECIMAL(38,10))', []],
    ['cast to boolean', col('x').cast('boolean'), '(CAST(`x` AS SIGNED) <> 0)', []],
    [
      'case',
      fn.when(col('p').like('PROMO%'), col('v')).otherwise(0),
      '(CASE WHEN (`p` LIKE ?) THEN `v` ELSE ? END)',
      ['PROMO%', 0],
    ],
    [
      'case without otherwise',
      fn.when(col('a').gt(0), 'pos'),
      '(CASE WHEN (`a` > ?) THEN ? END)',
      [0, 'pos'],
    ],
    [
      'conditional aggregate',
      fn.sum(fn.when(col('f').eq('R'), 1).otherwise(0)),
      'SUM((CASE WHEN (`f` = ?) THEN ? ELSE ? END))',
      ['R', 1, 0],
    ],
    ['count star', fn.count(), 'COUNT(*)', []],
    ['count distinct', fn.countDistinct('c'), 'COUNT(DISTINCT `c`)', []],
    ['stddev is the sample one', fn.stddev('q'), 'STDDEV_SAMP(`q`)', []],
    ['alias', fn.avg('l_discount').as('avg_disc'), 'AVG(`l_discount`) AS `avg_disc`', []],
    ['re-alias replaces', col('a').as('x').as('y'), '`a` AS `y`', []],
    ['functions', fn.round(fn.abs('x'), 2), 'ROUND(ABS(`x`), ?)', [2]],
    ['string functions', fn.substr('name', 1, 3), 'SUBSTRING(`name`, ?, ?)', [1, 3]],
    ['length counts characters', fn.length('name'), 'CHAR_LENGTH(`name`)', []],
    ['date parts', fn.year('d').eq(1995), '(YEAR(`d`) = ?)', [1995]],
    ['coalesce', fn.coalesce('a', lit(0)), 'COALESCE(`a`, ?)', [0]],
    ['identifier with a backtick', col('we`ird'), '`we``ird`', []],
  ])('%s', (_name, column, expectedSql, expectedParams) => {
    expect(sql(column)).toEqual({ sql: expectedSql, params: expectedParams });
  });
});

describe('no user value ever appears inside the SQL text', () => {
  const hostile = ["'", '\\', "'; DROP TABLE lineitem; --", '🦀 ünïcödé', 'a\0b', '" OR 1=1 #', '`x`'];
  const positions: [string, (v: string) => Column][] = [
    ['comparison', (v) => col('a').eq(v)],
    ['in list', (v) => col('a').isIn(v, v)],
    ['between bounds', (v) => col('a').between(v, v)],
    ['like pattern', (v) => col('a').like(v)],
    ['case result', (v) => fn.when(col('a').eq(v), v).otherwise(v)],
    ['function argument', (v) => fn.replace('a', v, v)],
    ['concat', (v) => fn.concat('a', lit(v))],
    ['arithmetic operand', (v) => col('a').plus(v)],
    ['coalesce', (v) => fn.coalesce('a', lit(v))],
  ];
  it.each(positions)('%s', (_position, build) => {
    for (const value of hostile) {
      const compiled = sql(build(value));
      expect(compiled.sql).not.toContain(value);
      expect(compiled.params.length).toBeGreaterThan(0);
      expect(compiled.params.every((param) => param === value)).toBe(true);
    }
  });
});

describe('expression nodes are immutable data', () => {
  it('every builder call returns a new column over frozen nodes', () => {
    const a = col('a');
    const b = a.gt(1);
    expect(b).not.toBe(a);
    expect(a.node).toEqual({ kind: 'column', name: 'a' });
    expect(Object.isFrozen(b.node)).toBe(true);
    expect(() => {
      (b.node as { op: string }).op = '<';
    }).toThrow(TypeError);
  });
});

describe('bad expressions are clear errors', () => {
  it('names a wrong argument count, an unknown cast type, a non-value argument and an unknown dialect', () => {
    expect(() => fn.round('a', 1, 2)).toThrow("function 'round' takes 1 to 2 argument(s), got 3");
    expect(() => col('a').cast('money' as 'int')).toThrow(ConfigError);
    expect(() => col('a').eq({} as unknown as string)).toThrow(/expected a column or a literal value/);
    expect(() => dialectNamed('oracle')).toThrow(
      "unknown dialect 'oracle'; valid dialects: mariadb, mysql, singlestore",
    );
  });

  it('a function the database lacks is not pushable, rather than wrong SQL', () => {
    const limited = mysqlFamilyDialect('singlestore', { unsupportedFunctions: new Set(['ln']) });
    expect(() => compileStandalone(fn.ln('x').node, limited)).toThrow(NotPushable);
  });
});
