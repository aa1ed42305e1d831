/**
 * Cross join reorder: `(part CROSS JOIN supplier) JOIN partsupp ON p_partkey = ps_partkey AND
 * s_suppkey = ps_suppkey` (TPC-H Q2's FROM list) joins through partsupp first when it runs
 * locally, and is left as written when it is pushed down whole.
 */
import { describe, expect, it } from 'vitest';
import { col } from '../../../src/frame/column.ts';
import { fakeDatabase, pushedSql } from '../frame/fake-source.ts';

const db = fakeDatabase({
  part: ['p_partkey', 'p_size'],
  supplier: ['s_suppkey', 's_name'],
  partsupp: ['ps_partkey', 'ps_suppkey', 'ps_supplycost'],
});
const optimizedText = (explain: string) => explain.split('== Optimized plan ==\n')[1]!.split('\n\n')[0]!;

function q2(pushdown: boolean) {
  return db
    .table('part', { pushdown })
    .filter(col('p_size').eq(15))
    .crossJoin(db.table('supplier', { pushdown }))
    .join(
      db.table('partsupp', { pushdown }),
      col('p_partkey')
        .eq(col('ps_partkey'))
        .and(col('s_suppkey').eq(col('ps_suppkey'))),
    )
    .select('s_name', 'p_partkey', 'ps_supplycost');
}

describe('cross join reorder', () => {
  it('joins through the linking table first when the join runs locally', () => {
    const text = optimizedText(q2(false).explain());
    expect(text).not.toContain('Join cross');
    const inner = text.indexOf('Join inner on=(p_partkey = ps_partkey)');
    const outer = text.indexOf('Join inner on=(s_suppkey = ps_suppkey)');
    expect(inner).toBeGreaterThan(outer);
    expect(outer).toBeGreaterThan(-1);
  });

  it('leaves a join pushed down whole as written (the database orders its own joins)', () => {
    const explain = q2(true).explain();
    expect(optimizedText(explain)).toContain('Join cross');
    expect(pushedSql(explain)).toHaveLength(1);
  });

  it('keeps a cross join nothing links', () => {
    const q = db
      .table('part', { pushdown: false })
      .crossJoin(db.table('supplier', { pushdown: false }))
      .join(db.table('partsupp', { pushdown: false }), col('p_partkey').eq(col('ps_partkey')))
      .select('s_name');
    expect(optimizedText(q.explain())).toContain('Join cross');
  });
});
