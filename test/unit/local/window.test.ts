import { Float64, Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../src/frame/column.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, run, source } from './helpers.ts';

const table = arrowTable({
  id: [new Int32(), [1, 2, 3, 4, 5, 6, 7]],
  p: [new Utf8(), ['x', 'x', 'x', 'x', 'y', 'y', 'y']],
  o: [new Int32(), [1, 2, 2, 3, 1, null, 2]],
  v: [new Int32(), [10, 20, null, 40, 5, 6, 7]],
  f: [new Float64(), [1.5, 2.5, 3.5, null, 0.5, 1, 2]],
});
const { node, inputs } = source('t', table);

/** One window column's values in id order. */
async function windowValues(column: Column): Promise<unknown[]> {
  const plan = Plans.sort(Plans.window(node, [column.as('w').node]), [col('id').asc().key]);
  return (await run(plan, inputs)).map((row) => row.w);
}

describe('window functions', () => {
  it.each<[string, Column, unknown[]]>([
    ['row number', fn.rowNumber().over({ orderBy: 'id' }), [1, 2, 3, 4, 5, 6, 7]],
    [
      'row number per partition (case-insensitive keys)',
      fn.rowNumber().over({ partitionBy: 'p', orderBy: 'id' }),
      [1, 2, 3, 4, 1, 2, 3],
    ],
    [
      'rank with ties and NULLs first',
      fn.rank().over({ partitionBy: 'p', orderBy: 'o' }),
      [1, 2, 2, 4, 2, 1, 3],
    ],
    ['dense rank', fn.denseRank().over({ partitionBy: 'p', orderBy: 'o' }), [1, 2, 2, 3, 2, 1, 3]],
    [
      'rank descending, NULLs last',
      fn.rank().over({ partitionBy: 'p', orderBy: col('o').desc() }),
      [4, 2, 2, 1, 2, 3, 1],
    ],
    [
      'rank with NULLs last ascending',
      fn.rank().over({ partitionBy: 'p', orderBy: col('o').asc({ nulls: 'last' }) }),
      [1, 2, 2, 4, 1, 3, 2],
    ],
    [
      'running sum includes peers',
      fn.sum('v').over({ partitionBy: 'p', orderBy: 'o' }),
      [10, 30, 30, 70, 11, 6, 18],
    ],
    [
      'sum over the whole partition without order',
      fn.sum('v').over({ partitionBy: 'p' }),
      [70, 70, 70, 70, 18, 18, 18],
    ],
    [
      'avg of integers has 4 decimals',
      fn.avg('v').over({ partitionBy: 'p' }),
      [23.3333, 23.3333, 23.3333, 23.3333, 6, 6, 6],
    ],
    ['count(*) per partition', fn.count().over({ partitionBy: 'p' }), [4, 4, 4, 4, 3, 3, 3]],
    ['count of values per partition', fn.count('v').over({ partitionBy: 'p' }), [3, 3, 3, 3, 3, 3, 3]],
    [
      'rows frame around the row',
      fn.sum('v').over({ orderBy: 'id', rows: [-1, 1] }),
      [30, 30, 60, 45, 51, 18, 13],
    ],
    [
      'rows frame before the row',
      fn.sum('v').over({ orderBy: 'id', rows: [-2, -1] }),
      [null, 10, 30, 20, 40, 45, 11],
    ],
    [
      'rows frame after the row to the end',
      fn.sum('v').over({ orderBy: 'id', rows: [1, null] }),
      [78, 58, 58, 18, 13, 7, null],
    ],
    [
      'moving average of doubles',
      fn.avg('f').over({ orderBy: 'id', rows: [-1, 0] }),
      [1.5, 2, 3, 3.5, 0.5, 0.75, 1.5],
    ],
    ['moving min', fn.min('v').over({ orderBy: 'id', rows: [-1, 1] }), [10, 10, 20, 5, 5, 5, 6]],
    ['moving max', fn.max('v').over({ orderBy: 'id', rows: [-2, 0] }), [10, 20, 20, 40, 40, 40, 7]],
    [
      'running min of strings by collation',
      fn.min('p').over({ orderBy: col('id').desc() }),
      ['x', 'x', 'x', 'x', 'y', 'y', 'y'],
    ],
    ['lag', fn.lag('v').over({ partitionBy: 'p', orderBy: 'id' }), [null, 10, 20, null, null, 5, 6]],
    ['lag by 2', fn.lag('v', 2).over({ orderBy: 'id' }), [null, null, 10, 20, null, 40, 5]],
    ['lead by 2', fn.lead('v', 2).over({ orderBy: 'id' }), [null, 40, 5, 6, 7, null, null]],
    ['lead by 0 is the row', fn.lead('v', 0).over({ orderBy: 'id' }), [10, 20, null, 40, 5, 6, 7]],
    [
      'first value',
      fn.firstValue('v').over({ partitionBy: 'p', orderBy: col('o').desc() }),
      [40, 40, 40, 40, 7, 7, 7],
    ],
    [
      'last value in the default frame is the row',
      fn.lastValue('v').over({ partitionBy: 'p', orderBy: 'id' }),
      [10, 20, null, 40, 5, 6, 7],
    ],
    [
      'last value to the partition end',
      fn.lastValue('v').over({ partitionBy: 'p', orderBy: 'id', rows: [0, null] }),
      [40, 40, 40, 40, 7, 7, 7],
    ],
    [
      'first value of an empty frame',
      fn.firstValue('v').over({ orderBy: 'id', rows: [-3, -2] }),
      [null, null, 10, 10, 20, null, 40],
    ],
    [
      'stddev over a frame',
      fn.stddev('v').over({ orderBy: 'id', rows: [-1, 0] }),
      [null, 7.0711, null, null, 24.7487, 0.7071, 0.7071],
    ],
  ])('%s', async (_name, column, expected) => {
    expect(await windowValues(column)).toEqual(expected);
  });

  it('computes expressions around window calls, and keeps the input columns', async () => {
    const plan = Plans.window(
      node,
      [
        fn.sum('v').over({ orderBy: 'id' }).div(2).as('half'),
        col('v')
          .minus(fn.lag('v').over({ orderBy: 'id' }))
          .as('delta'),
      ].map((c) => c.node),
    );
    const rows = await run(Plans.sort(plan, [col('id').asc().key]), inputs);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'p', 'o', 'v', 'f', 'half', 'delta']);
    expect(rows.map((row) => row.half)).toEqual([5, 15, 15, 35, 37.5, 40.5, 44]);
    expect(rows.map((row) => row.delta)).toEqual([null, 10, null, null, -35, 1, 1]);
  });

  it('replaces an input column of the same name', async () => {
    const plan = Plans.window(node, [
      fn
        .rowNumber()
        .over({ orderBy: col('id').desc() })
        .as('v').node,
    ]);
    const rows = await run(Plans.sort(plan, [col('id').asc().key]), inputs);
    expect(rows.map((row) => row.v)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'p', 'o', 'f', 'v']);
  });

  it('gives no rows over no rows', async () => {
    const plan = Plans.window(Plans.filter(node, lit(0).node), [
      fn.rank().over({ orderBy: 'id' }).as('r').node,
    ]);
    expect(await run(plan, inputs)).toEqual([]);
  });
});
