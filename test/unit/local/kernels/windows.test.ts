/**
 * The window kernels give exactly the row path's answers: every window function over every kind
 * of frame is computed with and without kernels over partitions and order keys with NULLs and
 * ties, single-row partitions, frames wider than their partition, INT / DOUBLE / DECIMAL /
 * BIGINT arguments, and compared value for value (DOUBLEs bit for bit); input already in window
 * order (taken without sorting) gives the same answers as the same rows shuffled.
 */
import { Decimal, Float64, Int32, Int64, Table, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../../bench/data/random.ts';
import { type Column, col, fn } from '../../../../src/frame/column.ts';
import { batchFromArrow } from '../../../../src/local/arrow-in.ts';
import { batchToArrow } from '../../../../src/local/arrow-out.ts';
import type { Batch } from '../../../../src/local/batch.ts';
import { DEFAULT_COLLATION } from '../../../../src/local/collation.ts';
import { withoutKernels } from '../../../../src/local/kernels/vectors.ts';
import { windowRows } from '../../../../src/local/ops/window.ts';
import { exprName } from '../../../../src/plan/expr.ts';

const context = { collation: DEFAULT_COLLATION };

interface Rows {
  id: number[];
  p: (number | null)[];
  o: (number | null)[];
  x: (number | null)[];
  i: (number | null)[];
  big: (bigint | null)[];
  dec: (Uint32Array | null)[];
}

/** 300 rows: 12 partitions (one NULL, some of one row), order keys with ties and NULLs. */
function generate(seed: number): Rows {
  const random = new Random(seed);
  const rows: Rows = { id: [], p: [], o: [], x: [], i: [], big: [], dec: [] };
  for (let r = 0; r < 300; r++) {
    rows.id.push(r);
    const p = random.int(0, 11);
    rows.p.push(p === 11 ? null : p === 10 && r > 5 ? 9 : p);
    rows.o.push(random.next() < 0.1 ? null : random.int(0, 40));
    const special = [-0, 1e308, -1e308, 0.1, 1e-300];
    rows.x.push(
      random.next() < 0.15
        ? null
        : random.next() < 0.05
          ? special[random.int(0, 4)]!
          : random.next() * 200 - 100,
    );
    rows.i.push(random.next() < 0.15 ? null : random.int(-2147483648, 2147483647));
    rows.big.push(random.next() < 0.1 ? null : BigInt(random.int(-1000, 1000)) * 2n ** 50n);
    rows.dec.push(random.next() < 0.1 ? null : new Uint32Array([random.int(0, 99999), 0, 0, 0]));
  }
  return rows;
}

function tableOf(rows: Rows, order: readonly number[]): Table {
  const pick = <T>(values: T[]) => order.map((r) => values[r]!);
  return new Table({
    id: vectorFromArray(pick(rows.id), new Int32()),
    p: vectorFromArray(pick(rows.p), new Int32()),
    o: vectorFromArray(pick(rows.o), new Int32()),
    x: vectorFromArray(pick(rows.x), new Float64()),
    i: vectorFromArray(pick(rows.i), new Int32()),
    big: vectorFromArray(pick(rows.big), new Int64()),
    dec: vectorFromArray(pick(rows.dec), new Decimal(2, 10, 128)),
  });
}

const FRAMES: [string, [number | null, number | null] | undefined][] = [
  ['rows [-2, 0]', [-2, 0]],
  ['rows [-1, 1]', [-1, 1]],
  ['rows [1, unbounded]', [1, null]],
  ['rows [unbounded, -1]', [null, -1]],
  ['rows [-3, -2] (empty at the start)', [-3, -2]],
  ['rows [-500, 500] (wider than any partition)', [-500, 500]],
  ['rows unbounded', [null, null]],
  ['default frame (to the last peer)', undefined],
];

/** Every function over every frame; `unique` orders by (o, id), so no two rows tie. */
function windowColumns(unique = false): Column[] {
  const columns: Column[] = [];
  let n = 0;
  const add = (column: Column) => columns.push(column.as(`w${n++}`));
  const orderBy = unique ? ['o', 'id'] : 'o';
  for (const [, rows] of FRAMES) {
    const spec = { partitionBy: 'p', orderBy, ...(rows ? { rows } : {}) };
    add(fn.count().over(spec));
    for (const arg of ['x', 'i']) {
      for (const f of ['count', 'sum', 'avg', 'stddev', 'variance', 'min', 'max'] as const)
        add(fn[f](arg).over(spec));
    }
    add(fn.sum('big').over(spec));
    add(fn.avg('dec').over(spec));
    add(fn.max('dec').over(spec));
    add(fn.lag('x', 2).over(spec));
    add(fn.rank().over(spec));
  }
  if (unique) return columns;
  add(fn.avg(col('x').times(2)).over({ partitionBy: 'p' }));
  add(fn.sum('x').over({ orderBy: col('x').desc() }));
  for (const offset of [0, 1, 3]) {
    add(fn.lag('x', offset).over({ partitionBy: 'p', orderBy: 'o' }));
    add(fn.lead('i', offset).over({ partitionBy: 'p', orderBy: col('o').desc() }));
  }
  add(fn.lag('dec').over({ partitionBy: 'p', orderBy: 'o' }));
  add(fn.rowNumber().over({ partitionBy: 'p', orderBy: 'o' }));
  add(fn.rank().over({ partitionBy: 'p', orderBy: col('o').asc({ nulls: 'last' }) }));
  add(fn.denseRank().over({ orderBy: 'o' }));
  return columns;
}

/** Each output column's values by row id. */
function answers(batch: Batch, columns: readonly Column[]): Map<string, unknown[]> {
  const out = windowRows(
    batch,
    columns.map((c) => c.node),
    context,
  );
  const ids = out.columns.find((c) => c.name === 'id')!.values;
  const byName = new Map<string, unknown[]>();
  for (const column of out.columns) {
    const values: unknown[] = [];
    for (let row = 0; row < out.length; row++) values[Number(ids[row])] = column.values[row];
    byName.set(column.name, values);
  }
  return byName;
}

/** Equal value for value; doubles bit for bit (-0 is not 0). */
function expectSame(a: Map<string, unknown[]>, b: Map<string, unknown[]>, label: string) {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, values] of a) {
    const other = b.get(name)!;
    for (let r = 0; r < values.length; r++) {
      const x = values[r];
      const y = other[r];
      if (typeof x === 'number' && typeof y === 'number') {
        expect(
          Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)),
          `${label} ${name} row ${r}: ${x} vs ${y}`,
        ).toBe(true);
      } else expect(x, `${label} ${name} row ${r}`).toEqual(y);
    }
  }
}

describe('window kernels', () => {
  const rows = generate(7);
  const sorted = [...rows.id].sort(
    (a, b) => (rows.p[a] ?? -1) - (rows.p[b] ?? -1) || (rows.o[a] ?? -1) - (rows.o[b] ?? -1) || a - b,
  );
  const shuffled = [...rows.id].sort((a, b) => ((a * 7919) % 300) - ((b * 7919) % 300));
  const columns = windowColumns();

  it('give the row path answers on every function, frame and argument type', () => {
    const batch = batchFromArrow(tableOf(rows, shuffled));
    const fast = answers(batch, columns);
    const slow = withoutKernels(() => answers(batchFromArrow(tableOf(rows, shuffled)), columns));
    expectSame(fast, slow, 'kernels vs row path');
  });

  it('take rows already in window order as they are, with the same answers', () => {
    const unique = windowColumns(true);
    const fromSorted = answers(batchFromArrow(tableOf(rows, sorted)), unique);
    const fromShuffled = answers(batchFromArrow(tableOf(rows, shuffled)), unique);
    expectSame(fromSorted, fromShuffled, 'sorted vs shuffled');
    const slowSorted = withoutKernels(() => answers(batchFromArrow(tableOf(rows, sorted)), unique));
    expectSame(fromSorted, slowSorted, 'sorted, kernels vs row path');
  });

  it('read nullable numbers without building their values, and write them back to Arrow', () => {
    const batch = batchFromArrow(tableOf(rows, sorted));
    const x = batch.columns.find((c) => c.name === 'x')!;
    expect(x.source?.numbers()?.valid).toBeDefined();
    const out = windowRows(
      batch,
      [
        fn
          .avg('x')
          .over({ partitionBy: 'p', orderBy: 'o', rows: [-2, 0] })
          .as('m').node,
      ],
      context,
    );
    const m = out.columns.find((c) => c.name === 'm')!;
    expect(m.source?.numbers()?.valid).toBeDefined();
    const table = batchToArrow(out);
    const slow = withoutKernels(() =>
      batchToArrow(
        windowRows(
          batchFromArrow(tableOf(rows, sorted)),
          [
            fn
              .avg('x')
              .over({ partitionBy: 'p', orderBy: 'o', rows: [-2, 0] })
              .as('m').node,
          ],
          context,
        ),
      ),
    );
    expect(table.getChild('m')!.nullCount).toBeGreaterThan(0);
    expect(table.getChild('m')!.toArray()).toEqual(slow.getChild('m')!.toArray());
    expect([...table.getChild('x')!]).toEqual([...slow.getChild('x')!]);
  });

  it('sum INT exactly beyond 2^53 on the row path', () => {
    const n = 40;
    const table = new Table({
      id: vectorFromArray(
        Array.from({ length: n }, (_, r) => r),
        new Int32(),
      ),
      v: vectorFromArray(
        Array.from({ length: n }, () => 2147483647),
        new Int32(),
      ),
      w: vectorFromArray(
        Array.from({ length: n }, (_, r) => (r % 2 ? 2n ** 62n : -(2n ** 62n) + 1n)),
        new Int64(),
      ),
    });
    const columns = [
      fn.sum('v').over({ orderBy: 'id' }).as('s'),
      fn
        .sum('w')
        .over({ orderBy: 'id', rows: [-3, 0] })
        .as('t'),
    ];
    const fast = answers(batchFromArrow(table), columns);
    expectSame(
      fast,
      withoutKernels(() => answers(batchFromArrow(table), columns)),
      'wide sums',
    );
    expect(fast.get('s')![n - 1]).toBe(2147483647 * n);
    expect(fast.get('t')![3]).toBe(2);
  });

  it('compute the aggregates of one argument and frame in one loop, each the same bits as alone', () => {
    const batch = () => batchFromArrow(tableOf(rows, shuffled));
    for (const [, frame] of FRAMES) {
      const spec = { partitionBy: 'p', orderBy: 'o', ...(frame ? { rows: frame } : {}) };
      for (const arg of ['x', 'i']) {
        const together = ['count', 'sum', 'avg', 'stddev', 'variance', 'min', 'max'].map((f) =>
          fn[f as 'sum'](arg).over(spec).as(f),
        );
        const all = answers(batch(), [...together, fn.count().over(spec).as('rows')]);
        for (const column of together) {
          const alone = answers(batch(), [column]);
          const name = exprName(column.node)!;
          expectSame(
            new Map([[name, all.get(name)!]]),
            new Map([[name, alone.get(name)!]]),
            `${arg} ${name}`,
          );
        }
      }
    }
  });

  it('give the row path answers over integer partition keys without NULL, interleaved or in runs', () => {
    // Partition keys of plain integers are grouped through a table (relational.ts denseIntegerGroups).
    const keyed: Rows = { ...rows, p: rows.id.map((r) => (r * 7) % 9) };
    const byKey = [...rows.id].sort((a, b) => keyed.p[a]! - keyed.p[b]! || a - b);
    const rolling = { partitionBy: 'p', orderBy: 'id', rows: [-4, 0] as [number, number] };
    const features = [
      fn.lag('x', 1).over({ partitionBy: 'p', orderBy: 'id' }).as('lag'),
      fn.avg('x').over(rolling).as('mean'),
      fn.stddev('x').over(rolling).as('sd'),
      fn.sum('i').over(rolling).as('total'),
      fn.stddev('i').over(rolling).as('isd'),
      fn.max('x').over(rolling).as('top'),
    ];
    const interleaved = answers(batchFromArrow(tableOf(keyed, rows.id)), features);
    const runs = answers(batchFromArrow(tableOf(keyed, byKey)), features);
    const slow = withoutKernels(() => answers(batchFromArrow(tableOf(keyed, shuffled)), features));
    expectSame(interleaved, slow, 'interleaved vs row path');
    expectSame(runs, slow, 'runs vs row path');
  });

  it('handle an empty input', () => {
    const out = windowRows(
      batchFromArrow(tableOf(rows, [])),
      columns.map((c) => c.node),
      context,
    );
    expect(out.length).toBe(0);
  });
});
