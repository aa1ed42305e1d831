/**
 * Runtime key filters: a join's right side read keeping only rows whose key the left side has,
 * as deep as the key column comes through unchanged. Each plan's answer with the filters equals
 * its answer without them (NULL keys, outer joins, renames, aggregates, limits), and the filter
 * is checked to have cut the rows where it may and to stay away where it may not.
 */
import { Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, fn } from '../../../src/frame/column.ts';
import { keyFilterStats, withoutKeyFilters } from '../../../src/local/ops/key-filter.ts';
import { type JoinType, type PlanNode, Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, run } from './helpers.ts';

const outer = arrowTable({
  p: [new Int32(), [3, 7, null, 7, 40]],
  name: [new Utf8(), ['c', 'g', 'n', 'g2', 'x']],
});
/** 2000 rows over keys 0-999 (NULL every 97th), and a cost per row. */
const detail = arrowTable({
  dp: [new Int32(), Array.from({ length: 2000 }, (_, i) => (i % 97 === 0 ? null : i % 1000))],
  ds: [new Int32(), Array.from({ length: 2000 }, (_, i) => i % 10)],
  cost: [new Int32(), Array.from({ length: 2000 }, (_, i) => (i * 7919) % 1000)],
});
const supplier = arrowTable({
  s: [new Int32(), Array.from({ length: 10 }, (_, i) => i)],
  region: [new Utf8(), Array.from({ length: 10 }, (_, i) => (i < 8 ? 'EUROPE' : 'ASIA'))],
});
const textKeys = arrowTable({ tk: [new Utf8(), ['3', '7', '8']] });
const inputs = new Map([
  ['outer', outer],
  ['detail', detail],
  ['supplier', supplier],
  ['text', textKeys],
]);
const o = Plans.values('outer', [{ name: 'p' }, { name: 'name' }]);
const d = Plans.values('detail', [{ name: 'dp' }, { name: 'ds' }, { name: 'cost' }]);
const s = Plans.values('supplier', [{ name: 's' }, { name: 'region' }]);

/** The per-key minimum cost over European suppliers, keys renamed (TPC-H Q2's subquery). */
const minCost = Plans.project(
  Plans.aggregate(
    Plans.join(
      Plans.project(d, [col('dp').as('k').node, col('ds').node, col('cost').node]),
      Plans.filter(s, col('region').eq('EUROPE').node),
      'inner',
      [],
      col('ds').eq(col('s')).node,
    ),
    [col('k').node],
    [fn.min('cost').as('least').node],
  ),
  [col('k').as('key').node, col('least').node],
);

async function both(plan: PlanNode) {
  const before = { ...keyFilterStats };
  const filtered = await run(plan, inputs);
  const stats = {
    applied: keyFilterStats.applied - before.applied,
    cut: keyFilterStats.rowsIn - before.rowsIn - (keyFilterStats.rowsOut - before.rowsOut),
  };
  const plain = await withoutKeyFilters(() => run(plan, inputs));
  return { filtered, plain, stats };
}

describe('runtime key filters', () => {
  for (const type of ['left', 'inner', 'semi', 'anti'] as JoinType[]) {
    it(`${type} join with a grouped side: the per-key answer, the detail rows cut at the input`, async () => {
      const { filtered, plain, stats } = await both(
        Plans.join(o, minCost, type, [], col('p').eq(col('key')).node),
      );
      expect(filtered).toEqual(plain);
      expect(stats.applied).toBeGreaterThan(0);
      // Of 2000 detail rows only keys 3, 7 and 40 survive (two rows each).
      expect(stats.cut).toBeGreaterThanOrEqual(2000 - 6);
    });
  }

  it('the left join keeps outer rows without a match and with a NULL key', async () => {
    const { filtered } = await both(Plans.join(o, minCost, 'left', [], col('p').eq(col('key')).node));
    expect(filtered.map((row) => [row.p, row.key === null])).toEqual([
      [3, false],
      [7, false],
      [null, true],
      [7, false],
      [40, false],
    ]);
  });

  for (const type of ['right', 'full'] as JoinType[]) {
    it(`${type} join: the right side is not cut (its unmatched rows are output)`, async () => {
      const { filtered, plain, stats } = await both(
        Plans.join(o, minCost, type, [], col('p').eq(col('key')).node),
      );
      expect(filtered).toEqual(plain);
      expect(stats.cut).toBe(0);
      expect(filtered.length).toBeGreaterThan(700);
    });
  }

  it('a LIMIT on the right side stops the filter above it', async () => {
    const limited = Plans.limit(Plans.project(d, [col('dp').node, col('cost').node]), 500);
    const { filtered, plain } = await both(Plans.join(o, limited, 'inner', [], col('p').eq(col('dp')).node));
    expect(filtered).toEqual(plain);
    expect(filtered.map((row) => row.p)).toEqual([3, 7, 7, 40]);
  });

  it('an empty left side cuts every right row; a text key on the right is not filtered', async () => {
    const none = Plans.filter(o, col('p').gt(1000).node);
    const empty = await both(Plans.join(none, minCost, 'inner', [], col('p').eq(col('key')).node));
    expect(empty.filtered).toEqual([]);
    expect(empty.stats.cut).toBeGreaterThan(0);
    const t = Plans.values('text', [{ name: 'tk' }]);
    const text = await both(Plans.join(o, t, 'inner', [], col('p').eq(col('tk')).node));
    expect(text.filtered).toEqual(text.plain);
    expect(text.filtered.map((row) => row.tk)).toEqual(['3', '7', '7']);
    expect(text.stats.cut).toBe(0);
  });

  it('a right side of far fewer rows than the left (a lookup) gets no filter, same answer', async () => {
    const lookup = await both(Plans.join(d, s, 'left', [], col('ds').eq(col('s')).node));
    expect(lookup.filtered).toEqual(lookup.plain);
    expect(lookup.filtered).toHaveLength(2000);
    expect(lookup.stats.applied).toBe(0);
    const wide = await both(Plans.join(s, d, 'inner', [], col('s').eq(col('ds')).node));
    expect(wide.filtered).toEqual(wide.plain);
    expect(wide.stats.applied).toBeGreaterThan(0);
  });
});
