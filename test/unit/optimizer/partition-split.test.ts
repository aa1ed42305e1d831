import { describe, expect, it } from 'vitest';
import { col, fn } from '../../../src/frame/column.ts';
import { type PartitionSplit, splitForPartitions } from '../../../src/optimizer/partition-split.ts';
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
