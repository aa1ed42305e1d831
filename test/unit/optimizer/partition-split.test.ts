import { describe, expect, it } from 'vitest';
import { col, fn } from '../../../src/frame/column.ts';
import { type PartitionSplit, splitForPartitions } from '../../../src/optimizer/partition-split.ts';
import type { Expr } from '../../../src/plan/expr.ts';
import { renderPlan } from '../../../src/plan/render.ts';
import { compilePlan } from '../../../src/sql/compile-plan.ts';
import { mariadb } from '../../../src/sql/dialects/index.ts';
import { fakeDatabase } from '../frame/fake-source.ts';

const db = fakeDatabase({ t: ['id', 'k', 'x', 'y'], u: ['id'] });
const split = (frame: { plan: Parameters<typeof splitForPartitions>[0] }) => splitForPartitions(frame.plan);
const ok = (result: ReturnType<typeof splitForPartitions>): PartitionSplit => {
  if ('reason' in result) throw new Error(result.reason);
  return result;
};

describe('splitting a pushed query per partition', () => {
  it('aggregates become partials per partition and a final aggregate', () => {
    const result = ok(
      split(
        db
          .table('t')
          .filter(col('x').gt(0))
          .groupBy('k')
          .agg(fn.avg('x').as('a'), fn.count().as('n'), fn.stddev('y').as('sd'), fn.max('y').as('top'))
          .orderBy('k'),
      ),
    );
    expect(compilePlan(result.perPartition, { dialect: mariadb }).sql).toBe(
      'SELECT `k`, SUM(`x`) AS `__p0_sum`, COUNT(`x`) AS `__p0_count`, COUNT(*) AS `__p1_count`, COUNT(`y`) AS `__p2_count`, ' +
        'SUM(CAST(`y` AS DOUBLE)) AS `__p2_sum`, SUM((CAST(`y` AS DOUBLE) * CAST(`y` AS DOUBLE))) AS `__p2_sumsq`, MAX(`y`) AS `__p3_max` ' +
        'FROM `t` WHERE (`x` > ?) GROUP BY `k`',
    );
    const merge = renderPlan(result.merge);
    expect(merge.split('\n')[0]).toBe('Sort [k ASC NULLS FIRST]');
    expect(merge).toContain('(__p0_sum / __p0_count) AS a');
    expect(merge).toContain('coalesce(__p1_count, 0) AS n');
    expect(merge).toContain('sum(__p0_sum) AS __p0_sum');
    expect(merge).toContain('max(__p3_max) AS __p3_max');
    expect(merge).toContain('Query partitions');
    expect(result.description).toBe(
      'partial aggregates per partition, final aggregate (avg, count, stddev, max)',
    );
  });

  it('ORDER BY + LIMIT is a top-N per partition, merged and cut again', () => {
    const result = ok(split(db.table('t').select('id', 'x').orderBy(col('x').desc()).offset(2).limit(5)));
    expect(compilePlan(result.perPartition, { dialect: mariadb }).sql).toBe(
      'SELECT `id`, `x` FROM `t` ORDER BY `x` DESC LIMIT ?',
    );
    expect(compilePlan(result.perPartition, { dialect: mariadb }).params).toEqual([7]);
    expect(result.description).toBe('k-way merge of sorted partitions, top 5');
  });

  it('COUNT(DISTINCT), joins and windows are read in one piece', () => {
    expect(split(db.table('t').agg(fn.countDistinct('k').as('n')))).toEqual({
      reason: 'COUNT(DISTINCT) cannot be merged from partitions',
    });
    expect(split(db.table('t').join(db.table('u'), 'id'))).toEqual({
      reason: 'the query reads more than one table',
    });
    expect(split(db.table('t').distinct())).toEqual({
      reason: 'a distinct over the table needs all rows in one place',
    });
  });
});

describe('exact partials of SUM and AVG of a DECIMAL quotient', () => {
  // x / 7 over a DECIMAL(38,10) x: shown with 14 digits, 18 inside the server.
  const decimalOf = (digits: { scale: number; frac: number }) => (expr: Expr) =>
    expr.kind === 'binary' && expr.op === '/' ? digits : undefined;
  const quotients = db.table('t').agg(fn.sum(col('x').div(7)).as('s'), fn.avg(col('x').div(7)).as('a'));

  it('a partial leaves as ROUND(sum, 0) and the exact rest; the merge adds both and rounds once', () => {
    const result = ok(splitForPartitions(quotients.plan, { decimalOf: decimalOf({ scale: 14, frac: 18 }) }));
    expect(compilePlan(result.perPartition, { dialect: mariadb }).sql).toBe(
      'SELECT ROUND(SUM((`x` / ?)), ?) AS `__p0_whole`, CAST((SUM((`x` / ?)) - ROUND(SUM((`x` / ?)), ?)) AS DECIMAL(38,18)) AS `__p0_rest`, ' +
        'ROUND(SUM((`x` / ?)), ?) AS `__p1_whole`, CAST((SUM((`x` / ?)) - ROUND(SUM((`x` / ?)), ?)) AS DECIMAL(38,18)) AS `__p1_rest`, ' +
        'COUNT((`x` / ?)) AS `__p1_count` FROM `t`',
    );
    expect(renderPlan(result.merge)).toBe(
      'Project [round((__p0_whole + __p0_rest), 14) AS s, round(((__p1_whole + __p1_rest) / __p1_count), 18) AS a]\n' +
        '  Aggregate groupBy=[] aggregates=[sum(__p0_whole) AS __p0_whole, sum(__p0_rest) AS __p0_rest, sum(__p1_whole) AS __p1_whole, sum(__p1_rest) AS __p1_rest, sum(__p1_count) AS __p1_count]\n' +
        '    Query partitions [__p0_whole, __p0_rest, __p1_whole, __p1_rest, __p1_count]',
    );
  });

  it('more inside digits than a CAST keeps, or a quotient sum inside an expression: one piece', () => {
    const wide = splitForPartitions(quotients.plan, { decimalOf: decimalOf({ scale: 34, frac: 45 }) });
    expect(wide).toEqual({
      reason: 'a partial SUM of a quotient with 45 inside digits cannot leave exactly',
    });
    const nested = splitForPartitions(db.table('t').agg(fn.sum(col('x').div(7)).times(2).as('twice')).plan, {
      decimalOf: decimalOf({ scale: 14, frac: 18 }),
    });
    expect(nested).toEqual({
      reason: 'a SUM or AVG of a quotient inside an expression is merged exactly only by the database',
    });
  });

  it('a grouped SUM of a quotient (rounded after every row by the server) is read in one piece', () => {
    const grouped = db
      .table('t')
      .groupBy('k')
      .agg(fn.sum(col('x').div(7)).as('s'));
    expect(splitForPartitions(grouped.plan, { decimalOf: decimalOf({ scale: 14, frac: 18 }) })).toEqual({
      reason: 'a grouped SUM or AVG of a quotient is rounded after every row by the database',
    });
    // Without inside digits a grouped SUM still splits.
    expect(
      splitForPartitions(grouped.plan, { decimalOf: decimalOf({ scale: 14, frac: 14 }) }),
    ).toHaveProperty('perPartition');
  });
});
