/**
 * Subqueries in the plan: SQL text with EXISTS, IN, NOT IN, scalar subqueries and WITH becomes
 * subquery expressions (the logical plan), and the subqueryRewrite rule turns each into joins
 * (the rewritten plan), compared as text. Then the rewritten plans run locally over rows with
 * NULLs in the IN lists and the keys, against the answers SQL defines, and the DataFrame API
 * builds the same nodes.
 */
import { Float64, Int32 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/base/errors.ts';
import { col, fn } from '../../../src/frame/column.ts';
import { sqlToPlan } from '../../../src/frame/sql-text/to-plan.ts';
import { rewriteSubqueries } from '../../../src/optimizer/rules/subqueries.ts';
import { Exprs } from '../../../src/plan/expr.ts';
import { type PlanNode, Plans } from '../../../src/plan/nodes.ts';
import { renderPlan } from '../../../src/plan/render.ts';
import { subqueryOf } from '../../../src/plan/subquery.ts';
import { fakeDatabase, localSteps, pushedSql } from '../frame/fake-source.ts';
import { arrowTable, run } from '../local/helpers.ts';

const TABLES: Record<string, string[]> = { t: ['id', 'a', 'b'], u: ['uid', 'ua', 'c'] };
const ctx = {
  source: 'db1',
  options: { pushdown: true },
  fieldsOf: (table: string) => TABLES[table]?.map((name) => ({ name })),
};

/** [what, SQL text, logical plan, plan after subqueryRewrite] */
const REWRITES: [string, string, string, string][] = [
  [
    'correlated EXISTS: a semi join on the pulled-up equality; the local conjunct stays inside',
    'SELECT a FROM t WHERE EXISTS (SELECT * FROM u WHERE uid = id AND c > 1)',
    'Project [a]\n  Filter EXISTS(Filter ((uid = outer(id)) AND (c > 1)) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join semi on=(uid = id)\n    Scan t source=db1\n    Project [uid]\n      Filter (c > 1)\n        Scan u source=db1',
  ],
  [
    'correlated NOT EXISTS with a non-equality: an anti join on both predicates',
    'SELECT a FROM t WHERE NOT EXISTS (SELECT * FROM u WHERE uid = id AND ua <> a)',
    'Project [a]\n  Filter NOT EXISTS(Filter ((uid = outer(id)) AND (ua != outer(a))) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join anti on=((uid = id) AND (ua != a))\n    Scan t source=db1\n    Project [uid, ua]\n      Scan u source=db1',
  ],
  [
    'uncorrelated EXISTS: a semi join without a condition reads one row',
    'SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE c > 1)',
    'Project [a]\n  Filter EXISTS(Project [1 AS 1] <- Filter (c > 1) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join semi\n    Scan t source=db1\n    Limit 1\n      Project [1 AS 1]\n        Filter (c > 1)\n          Scan u source=db1',
  ],
  [
    'IN: a semi join on operand = value',
    'SELECT a FROM t WHERE a IN (SELECT ua FROM u WHERE c > 1)',
    'Project [a]\n  Filter a IN(Project [ua] <- Filter (c > 1) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join semi on=(a = ua)\n    Scan t source=db1\n    Project [ua]\n      Filter (c > 1)\n        Scan u source=db1',
  ],
  [
    'NOT IN: a null-aware anti join (a NULL on either side removes the row)',
    'SELECT a FROM t WHERE a NOT IN (SELECT ua FROM u)',
    'Project [a]\n  Filter a NOT IN(Project [ua] <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join anti on=(((a = ua) OR a IS NULL) OR ua IS NULL)\n    Scan t source=db1\n    Project [ua]\n      Scan u source=db1',
  ],
  [
    'correlated IN: the value and the correlation both join',
    'SELECT a FROM t WHERE a IN (SELECT ua FROM u WHERE uid = id)',
    'Project [a]\n  Filter a IN(Project [ua] <- Filter (uid = outer(id)) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join semi on=((a = ua) AND (uid = id))\n    Scan t source=db1\n    Project [ua, uid]\n      Scan u source=db1',
  ],
  [
    'correlated scalar aggregate: grouped by the inner key, left joined',
    'SELECT a FROM t WHERE b > (SELECT AVG(c) FROM u WHERE ua = a)',
    'Project [a]\n  Filter (b > SCALAR(Aggregate groupBy=[] aggregates=[avg(c) AS avg(c)] <- Filter (ua = outer(a)) <- Scan u source=db1))\n    Scan t source=db1',
    'Project [a]\n  Project [id, a, b]\n    Filter (b > __scalar_1)\n      Join left on=(a = ua)\n        Scan t source=db1\n        Project [ua, avg(c) AS __scalar_1]\n          Aggregate groupBy=[ua] aggregates=[avg(c) AS avg(c)]\n            Scan u source=db1',
  ],
  [
    'uncorrelated scalar aggregate in SELECT: one row, a cross join',
    'SELECT a, (SELECT MAX(c) FROM u) AS m FROM t',
    'Project [a, SCALAR(Aggregate groupBy=[] aggregates=[max(c) AS max(c)] <- Scan u source=db1) AS m]\n  Scan t source=db1',
    'Project [a, __scalar_1 AS m]\n  Join cross\n    Scan t source=db1\n    Project [max(c) AS __scalar_1]\n      Aggregate groupBy=[] aggregates=[max(c) AS max(c)]\n        Scan u source=db1',
  ],
  [
    'EXISTS under OR: a COUNT grouped by the correlation, left joined, read as COALESCE(n, 0) > 0',
    'SELECT a FROM t WHERE b = 1 OR EXISTS (SELECT * FROM u WHERE ua = a)',
    'Project [a]\n  Filter ((b = 1) OR EXISTS(Filter (ua = outer(a)) <- Scan u source=db1))\n    Scan t source=db1',
    'Project [a]\n  Project [id, a, b]\n    Filter ((b = 1) OR (coalesce(__scalar_1, 0) > 0))\n      Join left on=(a = ua)\n        Scan t source=db1\n        Project [ua, __count AS __scalar_1]\n          Aggregate groupBy=[ua] aggregates=[count(*) AS __count]\n            Scan u source=db1',
  ],
  [
    'IN as a value: matches, rows and non-NULL values counted; NULL when no match but a NULL is in play',
    'SELECT a, a IN (SELECT ua FROM u) AS x FROM t',
    'Project [a, a IN(Project [ua] <- Scan u source=db1) AS x]\n  Scan t source=db1',
    'Project [a, CASE WHEN (coalesce(__scalar_1, 0) > 0) THEN 1 WHEN (__scalar_2 = 0) THEN 0 WHEN (a IS NULL OR (__scalar_3 < __scalar_2)) THEN NULL ELSE 0 END AS x]\n  Join cross\n    Join cross\n      Join left on=(a = ua)\n        Scan t source=db1\n        Project [ua, __count AS __scalar_1]\n          Aggregate groupBy=[ua] aggregates=[count(*) AS __count]\n            Project [ua]\n              Scan u source=db1\n      Project [__count AS __scalar_2]\n        Aggregate groupBy=[] aggregates=[count(*) AS __count]\n          Project [ua]\n            Scan u source=db1\n    Project [__count AS __scalar_3]\n      Aggregate groupBy=[] aggregates=[count(ua) AS __count]\n        Project [ua]\n          Scan u source=db1',
  ],
  [
    'uncorrelated scalar without an aggregate: a left join (NULL when it has no row)',
    'SELECT a FROM t WHERE b = (SELECT c FROM u WHERE ua = 7)',
    'Project [a]\n  Filter (b = SCALAR(Project [c] <- Filter (ua = 7) <- Scan u source=db1))\n    Scan t source=db1',
    'Project [a]\n  Project [id, a, b]\n    Filter (b = __scalar_1)\n      Join left\n        Scan t source=db1\n        Project [c AS __scalar_1]\n          Project [c]\n            Filter (ua = 7)\n              Scan u source=db1',
  ],
  [
    'a subquery inside a subquery: the inner one is rewritten first',
    'SELECT a FROM t WHERE a IN (SELECT ua FROM u WHERE c > (SELECT MIN(b) FROM t AS t2 WHERE t2.id = u.uid))',
    'Project [a]\n  Filter a IN(Project [ua] <- Filter (c > SCALAR(Aggregate groupBy=[] aggregates=[min(t2.b) AS min(t2.b)] <- Filter (t2.id = outer(uid)) <- Project [id AS t2.id, a AS t2.a, b AS t2.b] <- Scan t source=db1)) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join semi on=(a = ua)\n    Scan t source=db1\n    Project [ua]\n      Project [uid, ua, c]\n        Filter (c > __scalar_1)\n          Join left on=(uid = t2.id)\n            Scan u source=db1\n            Project [t2.id, min(t2.b) AS __scalar_1]\n              Aggregate groupBy=[t2.id] aggregates=[min(t2.b) AS min(t2.b)]\n                Project [id AS t2.id, a AS t2.a, b AS t2.b]\n                  Scan t source=db1',
  ],
  [
    'WITH: each use plans the query again',
    'WITH x AS (SELECT a, SUM(b) AS s FROM t GROUP BY a) SELECT a FROM x WHERE s = (SELECT MAX(s) FROM x)',
    'Project [a]\n  Filter (s = SCALAR(Aggregate groupBy=[] aggregates=[max(x.s) AS max(x.s)] <- Project [a AS x.a, s AS x.s] <- Aggregate groupBy=[a] aggregates=[sum(b) AS s] <- Scan t source=db1))\n    Aggregate groupBy=[a] aggregates=[sum(b) AS s]\n      Scan t source=db1',
    'Project [a]\n  Project [a, s]\n    Filter (s = __scalar_1)\n      Join cross\n        Aggregate groupBy=[a] aggregates=[sum(b) AS s]\n          Scan t source=db1\n        Project [max(x.s) AS __scalar_1]\n          Aggregate groupBy=[] aggregates=[max(x.s) AS max(x.s)]\n            Project [a AS x.a, s AS x.s]\n              Aggregate groupBy=[a] aggregates=[sum(b) AS s]\n                Scan t source=db1',
  ],
  [
    'a scalar subquery in HAVING',
    'SELECT a, SUM(b) AS s FROM t GROUP BY a HAVING SUM(b) > (SELECT SUM(c) * 0.5 FROM u)',
    'Filter (s > SCALAR(Project [(__agg_1 * 0.5) AS (sum(c) * 0.5)] <- Aggregate groupBy=[] aggregates=[sum(c) AS __agg_1] <- Scan u source=db1))\n  Aggregate groupBy=[a] aggregates=[sum(b) AS s]\n    Scan t source=db1',
    'Project [a, s]\n  Filter (s > __scalar_1)\n    Join cross\n      Aggregate groupBy=[a] aggregates=[sum(b) AS s]\n        Scan t source=db1\n      Project [(sum(c) * 0.5) AS __scalar_1]\n        Project [(__agg_1 * 0.5) AS (sum(c) * 0.5)]\n          Aggregate groupBy=[] aggregates=[sum(c) AS __agg_1]\n            Scan u source=db1',
  ],
  [
    'NOT (EXISTS …) is NOT EXISTS',
    'SELECT a FROM t WHERE NOT (EXISTS (SELECT 1 FROM u WHERE uid = id))',
    'Project [a]\n  Filter NOT EXISTS(Project [1 AS 1] <- Filter (uid = outer(id)) <- Scan u source=db1)\n    Scan t source=db1',
    'Project [a]\n  Join anti on=(uid = id)\n    Scan t source=db1\n    Project [uid]\n      Project [1 AS 1, uid]\n        Scan u source=db1',
  ],
];

describe('subqueryRewrite on plan text', () => {
  it.each(REWRITES)('%s', (_what, sql, logical, rewritten) => {
    const plan = sqlToPlan(sql, ctx);
    expect(renderPlan(plan)).toBe(logical);
    expect(renderPlan(rewriteSubqueries(plan))).toBe(rewritten);
  });

  it('explain shows the subquery in the logical plan and one pushed statement', () => {
    const db = fakeDatabase(TABLES);
    const frame = db
      .table('t')
      .filter(
        fn
          .exists(db.table('u').filter(col('uid').eq(fn.outer('id'))))
          .and(col('a').notIn(db.table('u').select('ua'))),
      );
    const explain = frame.explain();
    expect(explain).toContain('Filter (EXISTS(Filter (uid = outer(id)) <- Scan u source=db1) AND a NOT IN(');
    expect(explain).toContain('Join semi on=(uid = id)');
    expect(explain).toContain('Join anti on=(((a = ua) OR a IS NULL) OR ua IS NULL)');
    expect(pushedSql(explain)).toHaveLength(1);
    expect(pushedSql(explain)[0]).toMatch(
      /WHERE EXISTS \(SELECT 1 FROM .* WHERE NOT EXISTS \(SELECT 1 FROM /,
    );
    expect(localSteps(explain)).toBe('none: the database computes the whole result');
  });

  it('a scalar subquery column from the DataFrame API', () => {
    const db = fakeDatabase(TABLES);
    const frame = db
      .table('t')
      .withColumn('top', fn.scalar(db.table('u').agg(fn.max('c').as('m'))))
      .filter(
        col('b').gt(
          fn.scalar(
            db
              .table('u')
              .filter(col('ua').eq(fn.outer('a')))
              .agg(fn.avg('c').as('avg_c')),
          ),
        ),
      );
    const rewritten = renderPlan(rewriteSubqueries(frame.plan));
    expect(rewritten).toContain('Join cross');
    expect(rewritten).toContain('Join left on=(a = ua)');
    expect(rewritten).toContain('Aggregate groupBy=[ua] aggregates=[avg(c) AS avg_c]');
    expect(frame.columns).toEqual(['id', 'a', 'b', 'top']);
  });

  it('a subquery over a frame of another connection runs as a local join', () => {
    const one = fakeDatabase(TABLES, { id: 'db1' });
    const two = fakeDatabase(TABLES, { id: 'db2' });
    const explain = one
      .table('t')
      .filter(col('a').isIn(two.table('u').select('ua')))
      .explain();
    expect(pushedSql(explain)).toHaveLength(2);
    expect(localSteps(explain)).toContain('Join semi on=(a = ua)');
  });

  it('a subquery that is not one column, used as a value, is an error', () => {
    const db = fakeDatabase(TABLES);
    const frame = db.table('t').filter(col('a').isIn(db.table('u')));
    expect(() => rewriteSubqueries(frame.plan)).toThrow(PlanError);
    expect(() => rewriteSubqueries(frame.plan)).toThrow(/one column; this one returns 3/);
  });
});

describe('the COUNT bug', () => {
  it('a correlated COUNT reads COALESCE(count, 0): an outer row without inner rows counts 0', () => {
    const plan = sqlToPlan('SELECT a, (SELECT COUNT(*) FROM u WHERE ua = a) AS n FROM t', ctx);
    expect(renderPlan(rewriteSubqueries(plan))).toBe(
      'Project [a, coalesce(__scalar_1, 0) AS n]\n  Join left on=(a = ua)\n    Scan t source=db1\n    Project [ua, count(*) AS __scalar_1]\n      Aggregate groupBy=[ua] aggregates=[count(*) AS count(*)]\n        Scan u source=db1',
    );
  });
});

describe('rewritten subqueries run locally with SQL NULL semantics', () => {
  const t = arrowTable({
    id: [new Int32(), [1, 2, 3, 4, null]],
    a: [new Int32(), [10, 20, null, 40, 50]],
    b: [new Float64(), [1.5, 2.5, 3.5, 4.5, 5.5]],
  });
  const uWith = (ua: (number | null)[], uid: (number | null)[]) =>
    arrowTable({
      uid: [new Int32(), uid],
      ua: [new Int32(), ua],
      c: [new Float64(), ua.map((_, i) => i + 1)],
    });
  const T = Plans.values('t', [{ name: 'id' }, { name: 'a' }, { name: 'b' }]);
  const U = Plans.values('u', [{ name: 'uid' }, { name: 'ua' }, { name: 'c' }]);
  const runWith = (plan: PlanNode, u: ReturnType<typeof uWith>) =>
    run(
      rewriteSubqueries(plan),
      new Map([
        ['t', t],
        ['u', u],
      ]),
    );
  const ids = (rows: Record<string, unknown>[]) => rows.map((row) => row.id);
  const ua = () => Plans.project(U, [col('ua').node]);

  it('IN: a NULL operand or a NULL in the list never matches', async () => {
    const plan = Plans.filter(T, subqueryOf('in', ua(), col('a').node));
    expect(ids(await runWith(plan, uWith([10, null, 40], [1, 2, 3])))).toEqual([1, 4]);
  });

  it('NOT IN: without NULLs, the rows whose value is not listed (a NULL operand never qualifies)', async () => {
    const plan = Plans.filter(T, subqueryOf('in', ua(), col('a').node, true));
    expect(ids(await runWith(plan, uWith([10, 40], [1, 2])))).toEqual([2, null]);
  });

  it('NOT IN: a NULL in the subquery makes it never true', async () => {
    const plan = Plans.filter(T, subqueryOf('in', ua(), col('a').node, true));
    expect(ids(await runWith(plan, uWith([10, null], [1, 2])))).toEqual([]);
  });

  it('NOT IN an empty subquery is true for every row, NULL operand included', async () => {
    const plan = Plans.filter(T, subqueryOf('in', ua(), col('a').node, true));
    expect(ids(await runWith(plan, uWith([], [])))).toEqual([1, 2, 3, 4, null]);
  });

  it('correlated EXISTS / NOT EXISTS: NULL keys never match', async () => {
    const sub = Plans.filter(U, col('uid').eq(fn.outer('id')).node);
    const u = uWith([1, 2, 3], [1, null, 4]);
    expect(ids(await runWith(Plans.filter(T, subqueryOf('exists', sub)), u))).toEqual([1, 4]);
    expect(ids(await runWith(Plans.filter(T, subqueryOf('exists', sub, undefined, true)), u))).toEqual([
      2,
      3,
      null,
    ]);
  });

  it('correlated scalar aggregate: NULL for a row without matches, so the comparison drops it', async () => {
    const sub = subqueryOf(
      'scalar',
      Plans.aggregate(Plans.filter(U, col('ua').eq(fn.outer('a')).node), [], [fn.sum('c').as('s').node]),
    );
    // sum(c) per ua: 10 -> 1 + 2 = 3, 40 -> 3; b > s keeps id 4 (4.5 > 3) and drops id 1 (1.5 < 3).
    const plan = Plans.project(Plans.filter(T, Exprs.binary('>', col('b').node, sub)), [col('id').node]);
    expect(ids(await runWith(plan, uWith([10, 10, 40], [0, 0, 0])))).toEqual([4]);
    const withValue = Plans.project(T, [col('id').node, Exprs.alias(sub, 's')]);
    expect(await runWith(withValue, uWith([10, 10, 40], [0, 0, 0]))).toEqual([
      { id: 1, s: 3 },
      { id: 2, s: null },
      { id: 3, s: null },
      { id: 4, s: 3 },
      { id: null, s: null },
    ]);
  });
});
