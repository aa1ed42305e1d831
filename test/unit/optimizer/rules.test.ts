import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/base/errors.ts';
import { col, fn, lit } from '../../../src/frame/column.ts';
import { sqlToPlan } from '../../../src/frame/sql-text/to-plan.ts';
import { optimize } from '../../../src/optimizer/optimize.ts';
import { foldConstants } from '../../../src/optimizer/rules/constant-folding.ts';
import { Exprs } from '../../../src/plan/expr.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { renderExpr, renderPlan } from '../../../src/plan/render.ts';
import { outputFields } from '../../../src/plan/schema.ts';
import { mysqlFamilyDialect } from '../../../src/sql/dialect.ts';
import { mariadb } from '../../../src/sql/dialects/index.ts';
import { fakeDatabase, localSteps, pushedSql } from '../frame/fake-source.ts';

const tables = { t: ['id', 'k', 'x', 'y', 's'], u: ['id', 'v'] };
const db = fakeDatabase(tables);
const optimizedText = (explain: string) => explain.split('== Optimized plan ==\n')[1]!.split('\n\n')[0];

describe('constant folding', () => {
  it('computes literal arithmetic and comparisons, and collapses AND/OR/NOT', () => {
    expect(renderExpr(foldConstants(lit(2).plus(3).times(4).node))).toBe('20');
    expect(renderExpr(foldConstants(col('x').gt(lit(1).plus(1)).and(lit(1).eq(1)).node))).toBe('(x > 2)');
    expect(renderExpr(foldConstants(col('x').gt(1).or(lit(2).gt(1)).node))).toBe('1');
    expect(renderExpr(foldConstants(col('x').gt(1).not().not().node))).toBe('(x > 1)');
    // Division keeps the database's rules (decimal results, NULL on zero): not folded.
    expect(renderExpr(foldConstants(lit(1).div(0).node))).toBe('(1 / 0)');
  });

  it('drops a filter that is always true', () => {
    const q = db.table('t').filter(lit(1).eq(1)).select('id');
    expect(pushedSql(q.explain())).toEqual(['SELECT `id` FROM `t`']);
  });
});

describe('predicate pushdown', () => {
  it('moves filters below projections (replacing aliases) and JS filters', () => {
    const q = db
      .table('t')
      .select('id', col('x').plus(1).as('x1'))
      .filter((row) => Number(row.id) > 0)
      .filter(col('x1').gt(5));
    expect(optimizedText(q.explain())).toBe(
      [
        'JsFilter js predicate',
        '  Project [id, (x + 1) AS x1]',
        '    Filter ((x + 1) > 5)',
        '      Project [id, x]',
        '        Scan t source=db1',
      ].join('\n'),
    );
    expect(pushedSql(q.explain())).toEqual(['SELECT `id`, (`x` + ?) AS `x1` FROM `t` WHERE ((`x` + ?) > ?)']);
    expect(localSteps(q.explain())).toBe('JsFilter js predicate\n  Query q1 [id, x1]');
  });

  it('keeps predicates on the null-extended side of an outer join above it', () => {
    const q = db
      .table('t')
      .join(db.table('u'), 'id', 'left')
      .filter(col('v').isNull().and(col('x').gt(0)));
    const text = optimizedText(q.explain())!;
    expect(text.split('\n')[0]).toBe('Filter v IS NULL');
    expect(text).toContain('Filter (x > 0)');
  });

  it('moves filters on group keys below the aggregate, and into both sides of a union', () => {
    const grouped = db
      .table('t')
      .groupBy('k')
      .agg(fn.count().as('n'))
      .filter(col('k').eq('a').and(col('n').gt(1)));
    expect(pushedSql(grouped.explain())).toEqual([
      'SELECT `k`, COUNT(*) AS `n` FROM `t` WHERE (`k` = ?) GROUP BY `k` HAVING (`n` > ?)',
    ]);
    const unioned = db
      .table('t')
      .select('id')
      .unionAll(db.table('u').select(col('id').as('other')))
      .filter(col('id').gt(3));
    expect(pushedSql(unioned.explain())).toEqual([
      'SELECT `id` FROM ((SELECT `id` FROM `t` WHERE (`id` > ?)) UNION ALL (SELECT `id` AS `other` FROM `u` WHERE (`id` > ?))) AS t0',
    ]);
  });

  it('splits conjuncts by verdict: exact pushed, inexact pushed weaker and kept, unsupported kept', () => {
    const noSqrt = mysqlFamilyDialect('mariadb', { unsupportedFunctions: new Set(['sqrt']) });
    const local = fakeDatabase(tables, { dialect: noSqrt });
    const q = local
      .table('t')
      .filter(
        col('x')
          .gt(1)
          .and(fn.sqrt('y').gt(2))
          .and(col('k').eq('a').and(fn.sqrt('x').lt(3)).or(col('k').eq('b'))),
      )
      .select('id');
    const explain = q.explain();
    expect(pushedSql(explain)).toEqual([
      'SELECT `id`, `k`, `x`, `y` FROM `t` WHERE (`x` > ?) AND ((`k` = ?) OR (`k` = ?))',
    ]);
    expect(localSteps(explain)).toBe(
      "Project [id]\n  Filter ((sqrt(y) > 2) AND (((k = 'a') AND (sqrt(x) < 3)) OR (k = 'b')))\n    Query q1 [id, k, x, y]",
    );
    expect(explain).toContain('filter: unsupported conjunct stays local');
    expect(explain).toContain('filter: inexact conjunct stays local');
  });
});

describe('limit pushdown and top-N', () => {
  it('caps each side of a UNION ALL and keeps the limit on top', () => {
    const q = db.table('t').select('id').unionAll(db.table('u').select('id')).limit(10).offset(0);
    expect(pushedSql(q.explain())).toEqual([
      'SELECT `id` FROM ((SELECT `id` FROM `t` LIMIT ?) UNION ALL (SELECT `id` FROM `u` LIMIT ?)) AS t0 LIMIT ?',
    ]);
  });

  it('a local step above stops nothing below it from being pushed', () => {
    const q = db
      .table('t')
      .filter(col('x').gt(0))
      .orderBy(col('x').desc())
      .limit(100)
      .mapBatches((batch) => batch, 'score');
    expect(pushedSql(q.explain())).toEqual([
      'SELECT `id`, `k`, `x`, `y`, `s` FROM `t` WHERE (`x` > ?) ORDER BY `x` DESC LIMIT ?',
    ]);
    expect(localSteps(q.explain())).toBe('MapBatches score\n  Query q1 [id, k, x, y, s]');
  });
});

describe('the optimizer checks itself and the program', () => {
  it('names a missing column with the available ones, at explain()', () => {
    const q = db.table('t').filter(col('nope').gt(1));
    expect(() => q.explain()).toThrow(PlanError);
    expect(() => q.explain()).toThrow("filter: no column 'nope'; available columns: id, k, x, y, s");
  });

  it('names a missing table with the known ones', () => {
    expect(() => db.table('missing').explain()).toThrow("no table 'missing' in fake://db1; tables: t, u");
  });

  it('rejects ambiguous join columns', () => {
    expect(() =>
      db
        .table('t')
        .join(db.table('u'), col('x').eq(col('v')))
        .explain(),
    ).toThrow("both sides of the join have column(s) 'id'");
  });

  it('the optimized plan keeps the output columns; each rule is traced', () => {
    const plan = Plans.filter(
      Plans.project(Plans.scan('db1', 't', [{ name: 'x' }, { name: 'y' }], { pushdown: true }), [
        Exprs.column('x'),
      ]),
      Exprs.binary('>', Exprs.column('x'), Exprs.literal(1)),
    );
    const result = optimize(plan, { dialectOf: () => mariadb });
    expect(result.trace.map((step) => step.rule)).toContain('predicate pushdown');
    expect(renderPlan(result.optimized)).toBe(
      'Project [x]\n  Filter (x > 1)\n    Project [x]\n      Scan t source=db1',
    );
  });
});

describe('projection pruning', () => {
  const scan = Plans.scan(
    'db1',
    't',
    ['id', 'k', 'x', 'y', 's'].map((name) => ({ name })),
    { pushdown: true },
  );
  const pruned = (plan: Parameters<typeof optimize>[0]) =>
    renderPlan(optimize(plan, { dialectOf: () => mariadb }).optimized);

  it('drops the outputs of a projection no later step reads, and the columns only they read', () => {
    const inner = Plans.project(scan, [
      Exprs.column('x'),
      Exprs.column('y'),
      Exprs.alias(Exprs.binary('+', Exprs.column('k'), Exprs.literal(1)), 'k1'),
    ]);
    expect(pruned(Plans.project(inner, [Exprs.column('x')]))).toBe(
      'Project [x]\n  Project [x]\n    Scan t source=db1',
    );
    expect(pruned(Plans.project(inner, [Exprs.column('k1')]))).toBe(
      'Project [k1]\n  Project [(k + 1) AS k1]\n    Project [k]\n      Scan t source=db1',
    );
  });

  it('keeps one output of a projection nothing reads, so COUNT(*) still counts its rows', () => {
    const inner = Plans.project(scan, [Exprs.column('x'), Exprs.column('y')]);
    const count = Plans.aggregate(inner, [], [Exprs.alias(Exprs.aggregate('count', undefined), 'n')]);
    expect(pruned(count)).toBe(
      'Aggregate groupBy=[] aggregates=[count(*) AS n]\n  Project [x]\n    Scan t source=db1',
    );
  });

  it("a decorrelated subquery's tables are read for the columns the query uses, not every column", () => {
    const ctx = {
      source: 'db1',
      options: { pushdown: false },
      fieldsOf: (table: string) => tables[table as keyof typeof tables]?.map((name) => ({ name })),
    };
    const plan = sqlToPlan(
      'SELECT SUM(x) AS total FROM t WHERE y < (SELECT AVG(y) FROM t AS t2 WHERE t2.k = t.k)',
      ctx,
    );
    const { split } = optimize(plan, { dialectOf: () => mariadb });
    const reads = split.queries.map((query) => outputFields(query.subtree).map((field) => field.name));
    expect(reads).toEqual([
      ['k', 'x', 'y'],
      ['k', 'y'],
    ]);
  });
});
