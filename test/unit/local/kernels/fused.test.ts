/**
 * Fused projections (one generated loop for every numeric output of a SELECT) give exactly the
 * row path's values, NULLs, zeros, overflow and division by zero included; the tests check the
 * fused loop actually ran (fusionStats), that a new literal reuses the compiled loop, and that
 * what the loop cannot compute falls back to the unfused path with the same answer.
 */
import { Decimal, Float64, Int32 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../../src/frame/column.ts';
import { batchFromArrow } from '../../../../src/local/arrow-in.ts';
import type { Batch } from '../../../../src/local/batch.ts';
import { DEFAULT_COLLATION } from '../../../../src/local/collation.ts';
import { fusionStats } from '../../../../src/local/kernels/fused.ts';
import { withMorselsFrom } from '../../../../src/local/kernels/morsels.ts';
import { withoutKernels } from '../../../../src/local/kernels/vectors.ts';
import { aggregateProjected, aggregateRows } from '../../../../src/local/ops/aggregate.ts';
import { project, projectChain } from '../../../../src/local/ops/project.ts';
import { squaredDistance } from '../../../../src/ml/kmeans.ts';
import type { Expr } from '../../../../src/plan/expr.ts';
import { arrowTable } from '../helpers.ts';

function batch(): Batch {
  const table = arrowTable({
    i: [new Int32(), [1, -2, null, 0, 7, 2147483647, -2147483648, 3, null, 5]],
    j: [new Int32(), [2, 0, 4, null, -7, 2147483647, 2, 0, 1, 5]],
    x: [new Float64(), [0.5, -0, null, 1e308, -1e308, 2.25, 3.5, null, 0, 0.1]],
    y: [new Float64(), [2, 0, 1, 1e308, 10, -0.5, 0, 4, null, 0.2]],
    z: [new Float64(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  });
  return batchFromArrow(table);
}

const context = { collation: DEFAULT_COLLATION };

/** Values of every output column, fused and on the row path. */
function both(b: Batch, columns: Column[]) {
  const exprs = columns.map((column, k) => column.as(`o${k}`).node);
  const before = fusionStats.runs;
  const fused = project(b, exprs, context);
  const ran = fusionStats.runs - before;
  const slow = withoutKernels(() => project(b, exprs, context));
  return { fused, slow, ran };
}

function expectSame(fused: Batch, slow: Batch) {
  expect(fused.length).toBe(slow.length);
  fused.columns.forEach((column, k) => {
    const other = slow.columns[k]!;
    expect(column.name).toBe(other.name);
    expect(column.type.kind).toBe(other.type.kind);
    for (let row = 0; row < fused.length; row++) {
      const [a, b] = [column.values[row], other.values[row]];
      expect(Object.is(a, b), `${column.name} row ${row}: ${String(a)} vs ${String(b)}`).toBe(true);
    }
  });
}

const PROJECTIONS: Record<string, Column[]> = {
  'arithmetic over INT and DOUBLE, NULLs and overflow to NULL': [
    col('i').plus(col('j')),
    col('x').times(col('y')),
    col('x').div(col('y')),
    col('i').div(col('y')),
    col('x').minus(lit(3)),
    lit(1).div(col('x')),
    col('x').times(lit(2.5)),
  ],
  'comparisons and three-valued AND / OR / NOT': [
    col('x').gt(lit(0.3)),
    col('i').eq(col('j')),
    col('i').ne(col('j')),
    col('i')
      .le(lit(3))
      .and(col('x').ge(lit(0))),
    col('i')
      .lt(lit(0))
      .or(col('y').gt(lit(1))),
    col('x').lt(col('y')).not(),
  ],
  'IS NULL, negation (no -0), SQRT of negatives': [
    col('x').isNull(),
    col('y').isNotNull(),
    col('i').negate(),
    col('x').negate(),
    fn.sqrt(col('x')),
  ],
  'LEAST / GREATEST and CASE': [
    fn.least(col('x'), col('y'), col('x').times(lit(2))),
    fn.greatest('i', 'j'),
    fn.least('i', 'x'),
    fn.when(col('x').lt(col('y')), 1).when(col('y').isNull(), 2),
    fn.when(col('i').gt(lit(2)), col('j')).otherwise(col('i')),
    fn.when(col('x').ge(lit(1)), col('y')).otherwise(lit(0.5).times(col('x'))),
  ],
  'an overflow inside a chain of + - * is NULL wherever the chain is read': [
    col('x')
      .times(col('y'))
      .minus(col('x').times(col('y'))),
    lit(1).div(col('x').times(col('y'))),
    fn.least(col('x').times(col('y')).times(lit(0)), lit(1)),
    col('x').times(col('y')).gt(lit(0)),
    col('x').times(col('y')).isNull(),
  ],
  'k-means distances with shared subexpressions': [
    squaredDistance(['x', 'z'], [0.25, 3]),
    squaredDistance(['x', 'z'], [-1, 8]),
    fn.least(squaredDistance(['x', 'z'], [0.25, 3]), squaredDistance(['x', 'z'], [-1, 8])),
  ],
};

describe('fused projections', () => {
  for (const [name, columns] of Object.entries(PROJECTIONS)) {
    it(`${name}: one loop, the row path's values`, () => {
      const { fused, slow, ran } = both(batch(), columns);
      expect(ran, 'the fused loop ran').toBe(1);
      expectSame(fused, slow);
    });
  }

  it('a new literal reuses the compiled loop (k-means: new centroids each iteration)', () => {
    const b = batch();
    both(b, [squaredDistance(['x', 'z'], [0.5, 1])]);
    const compiled = fusionStats.compiled;
    const { fused, slow, ran } = both(b, [squaredDistance(['x', 'z'], [-3.25, 7])]);
    expect(ran).toBe(1);
    expect(fusionStats.compiled).toBe(compiled);
    expectSame(fused, slow);
  });

  it('an INT result beyond 2^53 falls back to the unfused path, with the same answer', () => {
    const { fused, slow, ran } = both(batch(), [col('i').times(col('j')).times(col('j'))]);
    expect(ran).toBe(0);
    expectSame(fused, slow);
  });

  it('DECIMAL arithmetic and strings are not fused; the other outputs still are', () => {
    const { fused, slow, ran } = both(batch(), [
      col('i').div(col('j')),
      col('i').plus(lit(0.5)),
      fn.concat(col('i'), lit('x')),
      col('x').plus(col('y')),
    ]);
    expect(ran).toBe(1);
    expectSame(fused, slow);
  });

  it('an empty batch gives empty columns', () => {
    const b = batch();
    const empty: Batch = {
      length: 0,
      columns: b.columns.map((c) => ({ name: c.name, type: c.type, values: new Float64Array(0) })),
    };
    const { fused, slow, ran } = both(empty, PROJECTIONS['LEAST / GREATEST and CASE']!);
    expect(ran).toBe(1);
    expect(fused.length).toBe(0);
    expectSame(fused, slow);
  });
});

describe('stacked projections (one SELECT per withColumn) in one fused pass', () => {
  const named = (column: Column, name: string) => column.as(name).node;
  const keep = (...names: string[]) => names.map((name) => col(name).node);
  /** Level by level, each level its own project() call: what the chain must equal. */
  const stepwise = (b: Batch, levels: Expr[][]) =>
    levels.reduce((current, exprs) => project(current, exprs, context), b);

  it('a k-means assignment (distances, LEAST, CASE) runs as one loop with the level-by-level answer', () => {
    const centroids = [
      [0.5, 1],
      [1e10 + 0.25, -2],
      [3, 3],
    ];
    const levels: Expr[][] = [];
    let names = ['x', 'y', 'z'];
    centroids.forEach((c, k) => {
      levels.push([...keep(...names), named(squaredDistance(['x', 'y'], c), `d${k}`)]);
      names = [...names, `d${k}`];
    });
    levels.push([...keep(...names), named(fn.least('d0', 'd1', 'd2'), 'best')]);
    let cluster = fn.when(col('d0').eq(col('best')), 0);
    for (let k = 1; k < 3; k++) cluster = cluster.when(col(`d${k}`).eq(col('best')), k);
    levels.push([...keep('z', 'best'), named(cluster, 'cluster'), named(col('x'), 'renamed')]);
    const before = fusionStats.runs;
    const chained = projectChain(batch(), levels, context);
    expect(fusionStats.runs - before).toBe(1);
    expectSame(chained, stepwise(batch(), levels));
    expectSame(
      chained,
      withoutKernels(() => stepwise(batch(), levels)),
    );
    expect(chained.columns.map((c) => c.name)).toEqual(['z', 'best', 'cluster', 'renamed']);
  });

  it('a level the loop cannot compute (DECIMAL, strings) runs the chain level by level', () => {
    const levels: Expr[][] = [
      [...keep('i', 'x'), named(col('i').div(col('j')), 'q')],
      [...keep('q'), named(col('x').times(lit(2)), 'x2'), named(fn.concat(col('i'), lit('a')), 's')],
    ];
    expectSame(projectChain(batch(), levels, context), stepwise(batch(), levels));
  });

  it('a column a level does not output is the same error as level by level', () => {
    const levels: Expr[][] = [keep('x'), [named(col('y').plus(lit(1)), 'y1')]];
    expect(() => projectChain(batch(), levels, context)).toThrow(/y/);
  });
});

describe('GROUP BY over stacked projections in one fused loop', () => {
  const named = (column: Column, name: string) => column.as(name).node;
  const keep = (...names: string[]) => names.map((name) => col(name).node);
  const rowsOf = (out: Batch) =>
    Array.from({ length: out.length }, (_, r) => out.columns.map((c) => c.values[r]));
  /** Projected level by level, then grouped: what the fused loop must equal, bit for bit. */
  async function expectGroupedSame(
    b: Batch,
    levels: Expr[][],
    groupBy: Expr[],
    aggregates: Expr[],
    fuses: boolean,
  ) {
    const before = fusionStats.runs;
    const fused = await aggregateProjected(b, levels, groupBy, aggregates, context);
    // One run for the grouped loop; a fallback runs the projection's fused loop (or none) instead.
    const ran = fusionStats.runs - before;
    const stepwise = levels.reduce((current, exprs) => project(current, exprs, context), b);
    const slow = aggregateRows(stepwise, groupBy, aggregates, context);
    const rowPath = withoutKernels(() => aggregateRows(stepwise, groupBy, aggregates, context));
    for (const other of [slow, rowPath]) {
      expect(fused.columns.map((c) => [c.name, c.type.kind])).toEqual(
        other.columns.map((c) => [c.name, c.type.kind]),
      );
      const [a, z] = [rowsOf(fused), rowsOf(other)];
      expect(a.length).toBe(z.length);
      for (let r = 0; r < a.length; r++) {
        for (let c = 0; c < a[r]!.length; c++) {
          const [x, y] = [a[r]![c], z[r]![c]];
          expect(Object.is(x, y), `row ${r} col ${c}: ${String(x)} vs ${String(y)}`).toBe(true);
        }
      }
    }
    if (fuses) expect(ran).toBe(1);
    return fused;
  }

  /** A k-means step's levels over features `features`: distances, LEAST, CASE, columns kept. */
  function kmeansLevels(features: string[], centroids: number[][]): Expr[][] {
    const levels: Expr[][] = [];
    let names = [...features];
    centroids.forEach((c, k) => {
      levels.push([...keep(...names), named(squaredDistance(features, c), `d${k}`)]);
      names = [...names, `d${k}`];
    });
    levels.push([...keep(...names), named(fn.least(...centroids.map((_, k) => `d${k}`)), 'best')]);
    let cluster = fn.when(col('d0').eq(col('best')), 0);
    for (let k = 1; k < centroids.length; k++) cluster = cluster.when(col(`d${k}`).eq(col('best')), k);
    levels.push([...keep(...features, 'best'), named(cluster, 'cluster')]);
    return levels;
  }
  const step = (features: string[]) => [
    fn.count().as('n').node,
    ...features.map((f) => fn.sum(f).as(`s_${f}`).node),
  ];

  it('a k-means step (distances, nearest centroid, per-cluster count and sums) equals project-then-group', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rows = 5000;
    const table = arrowTable({
      a: [new Float64(), Array.from({ length: rows }, () => random() * 10 - 5)],
      b: [new Float64(), Array.from({ length: rows }, () => (random() - 0.5) * 1e6)],
      c: [new Float64(), Array.from({ length: rows }, (_, r) => (r % 97 === 0 ? -0 : random()))],
    });
    const centroids = [
      [0, 0, 0.5],
      [2.5, 1e5, 0.1],
      [-3, -2e5, 0.9],
      [1, 3e5, 0],
    ];
    const features = ['a', 'b', 'c'];
    const out = await expectGroupedSame(
      batchFromArrow(table),
      kmeansLevels(features, centroids),
      [col('cluster').node],
      step(features),
      true,
    );
    expect(out.length).toBe(4);
  });

  it('NULL features (a NULL key), keys outside the table, INT sums and no rows fall back with the same answer', async () => {
    const features = ['x', 'y'];
    const levels = kmeansLevels(features, [
      [0.5, 1],
      [1e10, -2],
    ]);
    // x and y have NULLs, so some rows have no nearest centroid: the NULL group.
    await expectGroupedSame(batch(), levels, [col('cluster').node], step(features), false);
    // An INT key beyond the table's range, COUNT of a column with NULLs.
    const byI = [[...keep('i', 'x', 'z'), named(col('z').times(lit(2)), 'z2')]];
    await expectGroupedSame(batch(), byI, [col('i').node], [fn.count('x').as('n').node], false);
    // SUM of an INT is exact only on the kernels' checked path.
    const small = [[...keep('j', 'z'), named(col('z').minus(lit(1)), 'k')]];
    await expectGroupedSame(batch(), small, [col('z').node], [fn.sum('j').as('sj').node], false);
    // A small INT key computed by the chain, COUNT(*) and COUNT(x) and SUM(y) with NULLs.
    const flags = [[...keep('x', 'y'), named(fn.when(col('z').gt(lit(4)), 1).otherwise(0), 'flag')]];
    const aggregates = [
      fn.count().as('n').node,
      fn.count('x').as('nx').node,
      fn.sum('y').as('sy').node,
      fn.sum(col('x').times(col('y'))).as('sxy').node,
    ];
    await expectGroupedSame(batch(), flags, [col('flag').node], aggregates, true);
    const empty = batchFromArrow(
      arrowTable({ x: [new Float64(), []], y: [new Float64(), []], z: [new Float64(), []] }),
    );
    expect((await expectGroupedSame(empty, flags, [col('flag').node], aggregates, true)).length).toBe(0);
  });
  /** Rows where runs of NULLs (longer than the full loop's block), lone NULLs and overflows fall between clean rows. */
  function patchy(rows: number): Batch {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const x = Array.from({ length: rows }, (_, r) =>
      (r >= 100 && r < 250) || r === rows - 1 ? null : r % 53 === 0 ? 1e200 : random() * 4 - 2,
    );
    const y = Array.from({ length: rows }, (_, r) =>
      r % 17 === 0 ? null : r % 61 === 0 ? -1e200 : random() * 2,
    );
    const z = Array.from({ length: rows }, () => random() * 8);
    return batchFromArrow(
      arrowTable({ x: [new Float64(), x], y: [new Float64(), y], z: [new Float64(), z] }),
    );
  }
  const flagLevels = () => [
    [...keep('x', 'y', 'z'), named(fn.when(col('z').gt(lit(4)), 1).otherwise(0), 'flag')],
    [...keep('flag', 'x', 'y'), named(col('x').times(col('y')), 'xy'), named(col('x').minus(lit(0.5)), 'x5')],
  ];
  const flagAggregates = () => [
    fn.count().as('n').node,
    fn.count('x').as('nx').node,
    fn.sum('y').as('sy').node,
    fn.sum('xy').as('sxy').node,
    fn.sum(col('x5').times(col('x5'))).as('sx5').node,
  ];

  it("rows with NULL columns or non-finite values run the full loop, the rest the fast one, with the row path's answer", async () => {
    await expectGroupedSame(patchy(1000), flagLevels(), [col('flag').node], flagAggregates(), true);
    const { fused, slow, ran } = both(patchy(1000), [
      col('x').times(col('y')),
      fn.least(col('x').times(col('x')), col('y'), lit(1)),
      fn.when(col('x').gt(col('y')), col('x')).otherwise(col('y').times(lit(2))),
      col('x').div(col('y')),
    ]);
    expect(ran).toBe(1);
    expectSame(fused, slow);
  });

  it('ties in LEAST go to the first centroid (CASE takes the first match), -0 and 0 as the row path keeps them', async () => {
    const table = arrowTable({
      a: [new Float64(), [0, 1, -1, 0, 0.5, -0, 2, -2, 0, 1e-300]],
      b: [new Float64(), [0, 0, 0, 1, 0.5, 0, 2, -2, -0, -1e-300]],
    });
    const centroids = [
      [-1, 0],
      [1, 0],
      [0, 1],
      [0, -1],
      [-1, 0],
    ];
    const out = await expectGroupedSame(
      batchFromArrow(table),
      kmeansLevels(['a', 'b'], centroids),
      [col('cluster').node],
      step(['a', 'b']),
      true,
    );
    // The duplicate centroid (4) never wins: every tie with it goes to centroid 0.
    expect(Array.from(out.columns[0]!.values)).not.toContain(4);
    const { fused, slow } = both(batchFromArrow(table), [
      fn.least(col('a'), col('b')),
      fn.greatest(col('b'), col('a')),
      fn.when(col('a').eq(col('b')), 1).when(col('a').le(col('b')), 2),
    ]);
    expectSame(fused, slow);
  });

  it('a DECIMAL sum, or an INT overflow inside the loop, takes the exact path with the same answer', async () => {
    const table = arrowTable({
      i: [new Int32(), [3, 2147483647, -5, 7, 2147483647, 1]],
      z: [new Float64(), [1, 5, 6, 2, 9, 0]],
      dec: [new Decimal(2, 10, 128), [150, 1, 99, 5, 7, 3].map((cents) => new Uint32Array([cents, 0, 0, 0]))],
    });
    const levels = [[...keep('i', 'dec'), named(fn.when(col('z').gt(lit(4)), 1).otherwise(0), 'flag')]];
    // COUNT of an INT product beyond 2^53: the loop gives up, the unfused path counts it.
    const counted = await expectGroupedSame(
      batchFromArrow(table),
      [[...levels[0]!, named(col('i').times(col('i')).times(col('i')), 'cube')]],
      [col('flag').node],
      [fn.count('cube').as('n').node],
      false,
    );
    expect(counted.length).toBe(2);
    const summed = await expectGroupedSame(
      batchFromArrow(table),
      levels,
      [col('flag').node],
      [fn.sum('dec').as('s').node],
      false,
    );
    expect(summed.columns[1]!.type.kind).toBe('decimal');
  });

  it('a large batch runs in two morsels: the same groups in the same order, counts exact, sums to the last bits', async () => {
    const rows = 6000;
    let seed = 3;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const data = arrowTable({
      a: [new Float64(), Array.from({ length: rows }, (_, r) => (r % 401 === 0 ? null : random() * 10 - 5))],
      b: [new Float64(), Array.from({ length: rows }, () => random() * 6)],
      k: [new Int32(), Array.from({ length: rows }, (_, r) => r * 1000)],
    });
    const centroids = [
      [-3, 1],
      [0, 3],
      [3, 5],
      [1, 0.5],
    ];
    // k-means on a0 (a, or b where a is NULL: a NULL key would send the step to the unfused path),
    // with a's own count and sum (NULLs: the full loop, on both threads).
    const first = [
      ...keep('a', 'b', 'k'),
      named(fn.when(col('a').isNull(), col('b')).otherwise(col('a')), 'a0'),
    ];
    const all = [first, ...kmeansLevels(['a0', 'b'], centroids).map((level) => [col('a').node, ...level])];
    const aggregates = [...step(['a0', 'b']), fn.count('a').as('na').node, fn.sum('a').as('sa').node];
    const one = await aggregateProjected(
      batchFromArrow(data),
      all,
      [col('cluster').node],
      aggregates,
      context,
    );
    const before = fusionStats.split;
    const two = await withMorselsFrom(1000, () =>
      aggregateProjected(batchFromArrow(data), all, [col('cluster').node], aggregates, context),
    );
    expect(fusionStats.split - before).toBe(1);
    expect(two.columns.map((c) => c.name)).toEqual(one.columns.map((c) => c.name));
    expect(Array.from(two.columns[0]!.values)).toEqual(Array.from(one.columns[0]!.values));
    two.columns.forEach((column, c) => {
      const kind = column.type.kind;
      expect(kind).toBe(one.columns[c]!.type.kind);
      for (let g = 0; g < two.length; g++) {
        const [x, y] = [column.values[g] as number, one.columns[c]!.values[g] as number];
        if (kind === 'int') expect(x).toBe(y);
        else expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-12 * Math.abs(y));
      }
    });
    // An INT overflow in the helper's half gives the same fallback as on one thread.
    const overflow = [
      [
        named(fn.when(col('b').gt(lit(3)), 1).otherwise(0), 'flag'),
        named(col('k').times(col('k')).times(col('k')), 'cube'),
      ],
    ];
    const before2 = fusionStats.runs;
    const fallback = await withMorselsFrom(1000, () =>
      aggregateProjected(
        batchFromArrow(data),
        overflow,
        [col('flag').node],
        [fn.count('cube').as('n').node],
        context,
      ),
    );
    expect(fusionStats.runs).toBe(before2);
    expect(Number(fallback.columns[1]!.values[0]) + Number(fallback.columns[1]!.values[1])).toBe(rows);
  });
});
