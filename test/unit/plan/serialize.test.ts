import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Exprs } from '../../../src/plan/expr.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { planFromJson, planToJson } from '../../../src/plan/serialize.ts';

const scan = (table: string) => Plans.scan('db', table, [], { pushdown: true });

describe('plans as JSON', () => {
  it('carry correlated and uncorrelated subqueries through the wire unchanged', () => {
    const inner = Plans.filter(
      scan('lineitem'),
      Exprs.binary('=', Exprs.column('l_orderkey'), Exprs.outer('o_orderkey')),
    );
    const plan = Plans.filter(
      scan('orders'),
      Exprs.binary(
        'and',
        Exprs.subquery('exists', inner, ['o_orderkey']),
        Exprs.subquery(
          'in',
          Plans.project(scan('customer'), [Exprs.column('c_custkey')]),
          [],
          Exprs.column('o_custkey'),
          true,
        ),
      ),
    );
    const wire = JSON.parse(JSON.stringify(planToJson(plan)));
    const back = planFromJson(wire, { source: 'db' });
    expect(isDeepStrictEqual(back, plan)).toBe(true);
  });

  it('names the path of a subquery with an unknown mode', () => {
    const plan = Plans.filter(scan('orders'), Exprs.subquery('exists', scan('lineitem'), []));
    const wire = JSON.parse(JSON.stringify(planToJson(plan)));
    wire.plan.predicate.mode = 'some';
    expect(() => planFromJson(wire, { source: 'db' })).toThrow(
      /\$\.plan\.predicate\.mode.*exists, in, scalar/,
    );
  });

  it("carry a scan's pushdown setting, 'always' included, and name a wrong one", () => {
    for (const pushdown of [true, false, 'always'] as const) {
      const plan = Plans.scan('db', 't', [], { pushdown });
      const back = planFromJson(JSON.parse(JSON.stringify(planToJson(plan))), { source: 'db' });
      expect(back).toEqual(plan);
    }
    const wire = JSON.parse(JSON.stringify(planToJson(scan('t'))));
    wire.plan.options.pushdown = 'sometimes';
    expect(() => planFromJson(wire, { source: 'db' })).toThrow(/pushdown: expected true, false or 'always'/);
  });
});
