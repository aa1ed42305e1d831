/**
 * What local execution keeps with an Arrow column's data (src/local/arrow-memo.ts): an integer
 * column's index, made on the second ask and used by runtime key filters to look few keys up, and
 * a string column's codes. Answers through the index equal the scan's row for row (NULL keys,
 * several chunks, keys absent from the column), the index is built once per data and shared by
 * new Table objects over the same buffers, index joins give the hash join's pairs in its order,
 * and the index kernel gives exact rows.
 */
import { Int32, Table, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, fn } from '../../../src/frame/column.ts';
import { parseSql } from '../../../src/frame/sql-text/ast.ts';
import { batchFromArrow } from '../../../src/local/arrow-in.ts';
import {
  buildIndex,
  coversKeys,
  indexStats,
  keySetOf,
  rowsOfKeys,
} from '../../../src/local/kernels/column-index.ts';
import { indexJoinStats } from '../../../src/local/ops/join.ts';
import { keyFilterStats, withoutKeyFilters } from '../../../src/local/ops/key-filter.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, run } from './helpers.ts';

/** Bits of `keys` over [min, ...], as a key filter holds them. */
function bitsOf(keys: readonly number[], min: number): Uint32Array {
  const bits = new Uint32Array(((Math.max(...keys) - min) >>> 5) + 1);
  for (const key of keys) bits[(key - min) >>> 5]! |= 1 << ((key - min) & 31);
  return bits;
}

describe('column index kernel', () => {
  it("each value's rows in row order; NULLs in no value's rows", () => {
    const values = Float64Array.from([5, -2, 5, 0, 7, -2, 5, 0]);
    const valid = new Uint8Array([0b1111_0111]); // row 3 is NULL
    const index = buildIndex({ values, valid })!;
    expect([index.min, index.max]).toEqual([-2, 7]);
    expect(Array.from(rowsOfKeys(index, bitsOf([5, 0], -2), -2, 100)!)).toEqual([0, 2, 6, 7]);
    expect(Array.from(rowsOfKeys(index, bitsOf([-2], -2), -2, 100)!)).toEqual([1, 5]);
    // Keys outside the column's span or without rows give nothing; the bits may start below min.
    expect(Array.from(rowsOfKeys(index, bitsOf([-9, 3, 40], -9), -9, 100)!)).toEqual([]);
    expect(Array.from(rowsOfKeys(index, bitsOf([-9, 7], -9), -9, 100)!)).toEqual([4]);
    // More rows than allowed: undefined (the caller scans).
    expect(rowsOfKeys(index, bitsOf([5], -2), -2, 2)).toBeUndefined();
  });

  it('key sets: distinct keys without NULLs; one covers another only with every key', () => {
    const set = (values: number[], valid?: Uint8Array) =>
      keySetOf(Float64Array.from(values), valid, values.length)!;
    const wide = set([100, 3, 40, 3, 77, 36]);
    expect(wide.keys).toBe(5);
    // Shifted against each other by bits not a multiple of 32 (3 against 36), both ways.
    expect(coversKeys(wide, set([40, 77, 100]))).toBe(true);
    expect(coversKeys(wide, set([36, 100, 3]))).toBe(true);
    expect(coversKeys(wide, set([36, 100, 99]))).toBe(false);
    expect(coversKeys(wide, set([2, 40]))).toBe(false);
    expect(coversKeys(set([40, 77]), wide)).toBe(false);
    // A NULL row's value (0 here) is no key: covered by a set without 0.
    expect(coversKeys(wide, set([0, 40], new Uint8Array([0b10])))).toBe(true);
    expect(coversKeys(wide, set([0, 40]))).toBe(false);
  });

  it('no index over fractions, NULLs only, or a span too wide for a counting sort', () => {
    expect(buildIndex({ values: Float64Array.from([1, 2.5]), valid: undefined })).toBeNull();
    expect(buildIndex({ values: Float64Array.from([1, 2]), valid: new Uint8Array([0]) })).toBeNull();
    expect(buildIndex({ values: Float64Array.from([0, 2 ** 30]), valid: undefined })).toBeNull();
  });
});

/** 30,000 rows over keys 0-9999 (NULL every 101st row), v the row number, in three chunks. */
function detailTable(): Table {
  const chunk = (from: number) => {
    const rows = Array.from({ length: 10_000 }, (_, i) => from + i);
    return arrowTable({
      k: [new Int32(), rows.map((i) => (i % 101 === 0 ? null : i % 10_000))],
      v: [new Int32(), rows],
    }).batches[0]!;
  };
  return new Table([chunk(0), chunk(10_000), chunk(20_000)]);
}

describe('runtime key filters through a kept index', () => {
  const outer = arrowTable({ p: [new Int32(), [3, 7, null, 7, 40, 12_000, 100]] });
  const o = Plans.values('outer', [{ name: 'p' }]);
  const d = Plans.values('detail', [{ name: 'k' }, { name: 'v' }]);
  const plan = Plans.aggregate(
    Plans.join(o, d, 'inner', [], col('p').eq(col('k')).node),
    [col('p').node],
    [fn.count('v').as('n').node, fn.sum('v').as('total').node],
  );
  const joined = Plans.join(o, d, 'inner', [], col('p').eq(col('k')).node);

  it('equals the scan row for row from the second run on; the index is built once for the data', async () => {
    const detail = detailTable();
    const built = indexStats.built;
    const indexed = keyFilterStats.indexed;
    const scanned = await withoutKeyFilters(() =>
      run(
        joined,
        new Map([
          ['outer', outer],
          ['detail', detail],
        ]),
      ),
    );
    const answers = [];
    // New Table objects over the same buffers each run, as a new read of cached data gives them.
    for (let i = 0; i < 3; i++) {
      answers.push(
        await run(
          joined,
          new Map([
            ['outer', outer],
            ['detail', detail.select(['k', 'v'])],
          ]),
        ),
      );
    }
    for (const answer of answers) expect(answer).toEqual(scanned);
    // Each key's rows in row order; row 10,100 (key 100) is NULL; no row has key 12,000.
    expect(scanned.map((row) => [row.p, row.v])).toEqual([
      [3, 3],
      [3, 10_003],
      [3, 20_003],
      [7, 7],
      [7, 10_007],
      [7, 20_007],
      [7, 7],
      [7, 10_007],
      [7, 20_007],
      [40, 40],
      [40, 10_040],
      [40, 20_040],
      [100, 100],
      [100, 20_100],
    ]);
    expect(indexStats.built - built).toBe(1);
    expect(keyFilterStats.indexed - indexed).toBe(2);
  });

  it('grouped answers over the index equal the scan', async () => {
    const inputs = () =>
      new Map([
        ['outer', outer],
        ['detail', detailTable()],
      ]);
    const scanned = await withoutKeyFilters(() => run(plan, inputs()));
    const table = detailTable();
    const again = () =>
      new Map([
        ['outer', outer],
        ['detail', table.select(['k', 'v'])],
      ]);
    await run(plan, again());
    expect(await run(plan, again())).toEqual(scanned);
    expect(scanned.find((row) => row.p === 7)?.n).toBe(6);
    expect(scanned.find((row) => row.p === 100)?.n).toBe(2);
    expect(scanned.some((row) => row.p === null || row.p === 12_000)).toBe(false);
  });
});

describe('string codes kept with the data', () => {
  it('rows picked by a filter read the same strings, NULLs included, once codes are kept', async () => {
    const words = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? null : `w${i % 13}`));
    const table = arrowTable({ s: [new Utf8(), words], n: [new Int32(), words.map((_, i) => i)] });
    const t = Plans.values('t', [{ name: 's' }, { name: 'n' }]);
    const plan = Plans.filter(t, col('n').gt(2000).and(col('s').like('w1%')).node);
    const expected = words
      .map((s, n) => ({ s, n }))
      .filter((row) => row.n > 2000 && row.s !== null && row.s.startsWith('w1'));
    for (let i = 0; i < 3; i++) {
      expect(await run(plan, new Map([['t', table.select(['s', 'n'])]]))).toEqual(expected);
    }
    const codes = batchFromArrow(table.select(['s'])).columns[0]!.source!.codes()!;
    expect(Array.from(codes.codes.slice(0, 8), (code) => (code < 0 ? null : codes.dictionary[code]))).toEqual(
      words.slice(0, 8),
    );
  });
});

describe('parsed SQL kept per text', () => {
  it('the same frozen tree for the same text; planning reads it without writing', () => {
    const text = 'SELECT a, COUNT(*) AS n FROM t WHERE b IN (SELECT c FROM u) GROUP BY a';
    const first = parseSql(text);
    expect(parseSql(text)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseSql(`${text} `)).not.toBe(first);
  });
});

describe('index joins on a kept index', () => {
  /** 4,000 rows over keys 0-999 (NULL every 7th row), v the row number; new buffers each call. */
  const bigTable = () =>
    arrowTable({
      k: [new Int32(), Array.from({ length: 4000 }, (_, i) => (i % 7 === 0 ? null : (i * 37) % 1000))],
      v: [new Int32(), Array.from({ length: 4000 }, (_, i) => i)],
    });
  /** A few right rows: keys repeated, absent, NULL, out of range. */
  const few = arrowTable({
    rk: [new Int32(), [37, null, 74, 37, 5000, -3, 111]],
    tag: [new Utf8(), ['a', 'n', 'b', 'c', 'far', 'neg', 'd']],
  });
  const b = Plans.values('big', [{ name: 'k' }, { name: 'v' }]);
  const f = Plans.values('few', [{ name: 'rk' }, { name: 'tag' }]);

  /** Every (left, right) pair with equal non-NULL keys, left rows in order, right rows in order within. */
  function expectedPairs() {
    const keys = Array.from({ length: 4000 }, (_, i) => (i % 7 === 0 ? null : (i * 37) % 1000));
    const right = [37, null, 74, 37, 5000, -3, 111];
    const tags = ['a', 'n', 'b', 'c', 'far', 'neg', 'd'];
    const out: { k: number; v: number; rk: number; tag: string }[] = [];
    keys.forEach((k, v) => {
      right.forEach((rk, r) => {
        if (k !== null && k === rk) out.push({ k, v, rk, tag: tags[r]! });
      });
    });
    return out;
  }

  for (const type of ['inner', 'semi'] as const) {
    it(`${type} join: the lookups' rows equal the hash join's, in the same order`, async () => {
      const plan = Plans.join(b, f, type, [], col('k').eq(col('rk')).node);
      const runs = [];
      const big = bigTable();
      const before = indexJoinStats.runs;
      for (let i = 0; i < 3; i++) {
        runs.push(
          await run(
            plan,
            new Map([
              ['big', big.select(['k', 'v'])],
              ['few', few],
            ]),
          ),
        );
      }
      // The first run asks for the index once (none yet): a hash join; later runs look keys up.
      expect(indexJoinStats.runs - before).toBe(2);
      const pairs = expectedPairs();
      const expected =
        type === 'inner'
          ? pairs
          : pairs.filter((pair, i) => i === 0 || pairs[i - 1]!.v !== pair.v).map(({ k, v }) => ({ k, v }));
      for (const answer of runs) expect(answer).toEqual(expected);
      expect(expected.length).toBeGreaterThan(5);
    });
  }
});
