import { describe, expect, it } from 'vitest';
import { col, lit } from '../../../src/frame/column.ts';
import { factorOrs } from '../../../src/optimizer/rules/or-factoring.ts';
import { renderExpr } from '../../../src/plan/render.ts';
import { fakeDatabase, pushedSql } from '../frame/fake-source.ts';

const db = fakeDatabase({ part: ['p_partkey', 'p_brand', 'p_size'], lineitem: ['l_partkey', 'l_quantity'] });
const optimizedText = (explain: string) => explain.split('== Optimized plan ==\n')[1]!.split('\n\n')[0];

describe('OR factoring', () => {
  it('takes the conjuncts every branch shares out of the OR', () => {
    const key = col('p_partkey').eq(col('l_partkey'));
    const expr = key
      .and(col('p_brand').eq('Brand#12'))
      .and(col('l_quantity').le(11))
      .or(col('l_partkey').eq(col('p_partkey')).and(col('p_brand').eq('Brand#23')))
      .or(key.and(col('p_size').between(1, 15)));
    expect(renderExpr(factorOrs(expr.node))).toBe(
      "((p_partkey = l_partkey) AND ((((p_brand = 'Brand#12') AND (l_quantity <= 11)) OR (p_brand = 'Brand#23')) OR p_size BETWEEN 1 AND 15))",
    );
  });

  it('drops the OR when a branch is nothing but shared conjuncts, and leaves unshared ORs alone', () => {
    const a = col('p_size').gt(1);
    expect(renderExpr(factorOrs(a.or(a.and(col('p_brand').eq('x'))).node))).toBe('(p_size > 1)');
    const plain = col('p_size').gt(1).or(col('p_brand').eq('x')).node;
    expect(factorOrs(plain)).toBe(plain);
    // Nested: the inner OR is factored first.
    const inner = a.and(col('p_brand').eq('x')).or(a.and(col('p_brand').eq('y')));
    expect(renderExpr(factorOrs(col('l_quantity').gt(lit(0)).and(inner).node))).toBe(
      "((l_quantity > 0) AND ((p_size > 1) AND ((p_brand = 'x') OR (p_brand = 'y'))))",
    );
  });

  it('takes the shared equality of a Q19-style join condition out, where a hash join finds it', () => {
    const key = col('p_partkey').eq(col('l_partkey'));
    const q = db
      .table('lineitem')
      .join(
        db.table('part'),
        key
          .and(col('p_brand').eq('Brand#12'))
          .and(col('l_quantity').le(11))
          .or(key.and(col('p_brand').eq('Brand#23')).and(col('l_quantity').ge(10))),
      )
      .select('l_quantity');
    expect(optimizedText(q.explain())).toContain(
      "Join inner on=((p_partkey = l_partkey) AND (((p_brand = 'Brand#12') AND (l_quantity <= 11)) OR ((p_brand = 'Brand#23') AND (l_quantity >= 10))))",
    );
    expect(pushedSql(q.explain())[0]).toContain('ON ((t1.`p_partkey` = t0.`l_partkey`) AND ((');
  });

  it('an OR in an inner join condition filters each side by what every branch says about it', () => {
    const key = col('p_partkey').eq(col('l_partkey'));
    const q = db
      .table('lineitem', { pushdown: false })
      .join(
        db.table('part', { pushdown: false }),
        key
          .and(col('p_brand').eq('Brand#12'))
          .and(col('l_quantity').le(11))
          .or(key.and(col('p_brand').eq('Brand#23')).and(col('p_size').gt(3))),
      )
      .select('l_quantity');
    const text = optimizedText(q.explain())!;
    // The part side: both branches name it. The lineitem side: the second branch does not.
    expect(text).toContain("Filter ((p_brand = 'Brand#12') OR ((p_brand = 'Brand#23') AND (p_size > 3)))");
    expect(text).not.toContain('Filter (l_quantity');
    // The OR stays the join condition (the part filter alone would keep Brand#12 with l_quantity 20).
    expect(text).toContain(
      "Join inner on=((p_partkey = l_partkey) AND (((p_brand = 'Brand#12') AND (l_quantity <= 11)) OR ((p_brand = 'Brand#23') AND (p_size > 3))))",
    );
  });

  it("an inner join's one-side conjuncts filter that side; a left join keeps its condition whole", () => {
    const on = col('p_partkey').eq(col('l_partkey')).and(col('p_size').gt(3)).and(col('l_quantity').lt(5));
    const inner = optimizedText(
      db
        .table('lineitem', { pushdown: false })
        .join(db.table('part', { pushdown: false }), on)
        .explain(),
    )!;
    expect(inner).toContain('Join inner on=(p_partkey = l_partkey)');
    expect(inner).toContain('Filter (l_quantity < 5)');
    expect(inner).toContain('Filter (p_size > 3)');
    const left = optimizedText(
      db
        .table('lineitem', { pushdown: false })
        .join(db.table('part', { pushdown: false }), on, 'left')
        .explain(),
    )!;
    // A lineitem row with l_quantity >= 5 is still in a left join's result, with NULL parts.
    expect(left).toContain('Join left on=(((p_partkey = l_partkey) AND (p_size > 3)) AND (l_quantity < 5))');
    expect(left).not.toContain('Filter (l_quantity < 5)');
  });
});
