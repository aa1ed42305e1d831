import { Decimal, Float64, Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, fn, lit } from '../../../src/frame/column.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, run, source } from './helpers.ts';

const dec = (cents: number) => {
  const words = new Uint32Array(4);
  let rest = BigInt.asUintN(128, BigInt(cents));
  for (let k = 0; k < 4; k++) {
    words[k] = Number(rest & 0xffffffffn);
    rest >>= 32n;
  }
  return words;
};

// The same rows MariaDB answered for in the integration test: k has case and trailing-space variants.
const table = arrowTable({
  k: [new Utf8(), ['a', 'A', 'b', 'B ', null]],
  i: [new Int32(), [1, 2, 2, null, 5]],
  d: [new Decimal(2, 10, 128), [dec(110), dec(225), null, dec(333), dec(500)]],
  f: [new Float64(), [1.5, 2.5, null, 3.25, 0.1]],
});
const { node, inputs } = source('t', table);

describe('aggregate', () => {
  it('groups case-insensitively and computes every aggregate as MariaDB does', async () => {
    const plan = Plans.aggregate(
      node,
      [col('k').node],
      [
        fn.count().as('n'),
        fn.count('i').as('ni'),
        fn.sum('i').as('si'),
        fn.avg('i').as('ai'),
        fn.sum('d').as('sd'),
        fn.avg('d').as('ad'),
        fn.avg('f').as('af'),
        fn.stddev('i').as('sdi'),
        fn.variance('d').as('vd'),
        fn.min('k').as('mink'),
        fn.max('f').as('maxf'),
        fn.countDistinct('k').as('dk'),
      ].map((c) => c.node),
    );
    expect(await run(plan, inputs)).toEqual([
      {
        k: 'a',
        n: 2,
        ni: 2,
        si: 3,
        ai: 1.5,
        sd: 3.35,
        ad: 1.675,
        af: 2,
        // biome-ignore lint/suspicious/noApproximativeNumericConstant: MariaDB shows STDDEV of an INT with 4 digits.
        sdi: 0.7071,
        vd: 0.66125,
        mink: 'a',
        maxf: 2.5,
        dk: 1,
      },
      {
        k: 'b',
        n: 2,
        ni: 1,
        si: 2,
        ai: 2,
        sd: 3.33,
        ad: 3.33,
        af: 3.25,
        sdi: null,
        vd: null,
        mink: 'b',
        maxf: 3.25,
        dk: 1,
      },
      {
        k: null,
        n: 1,
        ni: 1,
        si: 5,
        ai: 5,
        sd: 5,
        ad: 5,
        af: 0.1,
        sdi: null,
        vd: null,
        mink: null,
        maxf: 0.1,
        dk: 0,
      },
    ]);
  });

  it('global aggregate over no rows gives one row of zero counts and NULLs', async () => {
    const empty = Plans.filter(node, lit(0).node);
    const plan = Plans.aggregate(
      empty,
      [],
      [
        fn.count().as('n'),
        fn.sum('i').as('s'),
        fn.avg('i').as('a'),
        fn.stddev('i').as('sd'),
        fn.min('k').as('mn'),
        fn.countDistinct('k').as('dk'),
      ].map((c) => c.node),
    );
    expect(await run(plan, inputs)).toEqual([{ n: 0, s: null, a: null, sd: null, mn: null, dk: 0 }]);
  });

  it('grouped aggregate over no rows gives no rows', async () => {
    const plan = Plans.aggregate(Plans.filter(node, lit(0).node), [col('k').node], [fn.count().as('n').node]);
    expect(await run(plan, inputs)).toEqual([]);
  });

  it('evaluates expressions over aggregates and conditional aggregates', async () => {
    const plan = Plans.aggregate(
      node,
      [],
      [
        fn.sum('i').div(fn.sum('d')).as('ratio'),
        fn.sum('i').div(fn.count()).as('perRow'),
        fn.sum(fn.when(col('k').like('a'), col('i')).otherwise(0)).as('aOnly'),
        fn.sum(fn.when(col('f').gt(1), 1).otherwise(0)).as('bigF'),
        fn.count(fn.when(col('i').eq(2), 1)).as('twos'),
        fn.max('i').minus(fn.min('i')).plus(1).as('span'),
        fn.sum('f').as('sf'),
        fn.stddev('f').as('sdf'),
        fn.variance('i').as('vi'),
      ].map((c) => c.node),
    );
    const [row] = await run(plan, inputs);
    expect(row).toEqual({
      ratio: 0.8562,
      perRow: 2,
      aOnly: 3,
      bigF: 3,
      twos: 2,
      span: 5,
      sf: 7.35,
      sdf: expect.closeTo(1.3622132725825278, 12),
      vi: 3,
    });
  });

  it('groups on expressions and on several keys, NULL keys forming one group', async () => {
    const plan = Plans.aggregate(
      node,
      [fn.upper('k').as('K').node, col('i').gt(1).as('big').node],
      [fn.count().as('n'), col('i').as('anyI')].map((c) => c.node),
    );
    expect(await run(plan, inputs)).toEqual([
      { K: 'A', big: 0, n: 1, anyI: 1 },
      { K: 'A', big: 1, n: 1, anyI: 2 },
      { K: 'B', big: 1, n: 1, anyI: 2 },
      { K: 'B ', big: null, n: 1, anyI: null },
      { K: null, big: 1, n: 1, anyI: 5 },
    ]);
  });

  it('counts distinct values under the collation and ignores NULLs', async () => {
    const words = arrowTable({ w: [new Utf8(), ['x', 'X', 'x ', 'y', null, 'y']] });
    const { node: wordsNode, inputs: wordsInputs } = source('w', words);
    const plan = Plans.aggregate(
      wordsNode,
      [],
      [fn.countDistinct('w').as('n'), fn.count('w').as('c')].map((c) => c.node),
    );
    expect(await run(plan, wordsInputs)).toEqual([{ n: 2, c: 5 }]);
  });

  it('counts distinct INTs per group (NULLs, a group of NULLs only; narrow and wide value ranges)', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => ['a', 'b', 'c', 'd'][i % 4]!);
    const narrow = keys.map((k, i) => (k === 'd' || i % 7 === 0 ? null : ((i * 13) % 41) - 20));
    // A range too wide for a bitset of (group, value) pairs: counted by sorting the pairs.
    const wide = narrow.map((v) => (v === null ? null : v * 50_000_000));
    const t = arrowTable({ k: [new Utf8(), keys], v: [new Int32(), narrow], w: [new Int32(), wide] });
    const { node: n, inputs: i } = source('d', t);
    const plan = Plans.aggregate(
      n,
      [col('k').node],
      [col('k'), fn.countDistinct('v').as('n'), fn.countDistinct('w').as('nw'), fn.count('v').as('c')].map(
        (c) => c.node,
      ),
    );
    const want = ['a', 'b', 'c', 'd'].map((k) => {
      const present = narrow.filter((v, row) => keys[row] === k && v !== null);
      return { k, n: new Set(present).size, nw: new Set(present).size, c: present.length };
    });
    expect(await run(plan, i)).toEqual(want);
    expect(want[3]).toEqual({ k: 'd', n: 0, nw: 0, c: 0 });
  });

  it('sums integers beyond 2^53 exactly', async () => {
    const { Int64 } = await import('apache-arrow');
    const big = arrowTable({ v: [new Int64(), [2n ** 60n, 2n ** 60n, 1n]] });
    const { node: bigNode, inputs: bigInputs } = source('b', big);
    const plan = Plans.aggregate(
      bigNode,
      [],
      [fn.sum('v').as('s')].map((c) => c.node),
    );
    expect(await run(plan, bigInputs)).toEqual([{ s: 2n ** 61n + 1n }]);
  });

  it('MIN and MAX of a column keep its Arrow type; computed aggregates get their own (DECIMAL exact)', async () => {
    const { executeLocal } = await import('../../../src/local/execute.ts');
    const plan = Plans.aggregate(
      node,
      [],
      [fn.min('d').as('mn'), fn.max('i').as('mx'), fn.sum('d').as('s'), fn.count().as('n')].map(
        (c) => c.node,
      ),
    );
    const result = await executeLocal(plan, inputs);
    expect(result.schema.fields.map((field) => String(field.type))).toEqual([
      'Decimal[10e+2]',
      'Int32',
      'Decimal[38e+2]',
      'Int64',
    ]);
    expect(await run(plan, inputs)).toEqual([{ mn: 1.1, mx: 5, s: 11.68, n: 5 }]);
  });

  it('names a missing column without the internal ones', async () => {
    const plan = Plans.aggregate(node, [col('k').node], [fn.sum('i').plus(col('nope')).as('x').node]);
    await expect(run(plan, inputs)).rejects.toThrow(/no column 'nope'; available columns: k, i, d, f$/);
  });

  it('keeps DECIMAL(38,10) exact: values beyond a double as text, sums on unscaled integers', async () => {
    const { executeLocal } = await import('../../../src/local/execute.ts');
    const big = (unscaled: bigint) =>
      dec(0).map((_, k) => Number((BigInt.asUintN(128, unscaled) >> BigInt(32 * k)) & 0xffffffffn));
    const table = arrowTable({
      v: [
        new Decimal(10, 38, 128),
        [big(123456789012345678901234567n), big(-(10n ** 38n - 1n)), big(5n), big(10n ** 37n)],
      ],
    });
    const { node: bigNode, inputs: bigInputs } = source('b', table);
    const plan = Plans.aggregate(
      bigNode,
      [],
      [fn.sum('v').as('s'), fn.min('v').as('mn'), fn.max('v').as('mx'), fn.count('v').as('n')].map(
        (c) => c.node,
      ),
    );
    expect(await run(plan, bigInputs)).toEqual([
      {
        s: '-8999999999987654321098765432.1098765427',
        mn: '-9999999999999999999999999999.9999999999',
        mx: 1_000_000_000_000_000_000_000_000_000n,
        n: 4,
      },
    ]);
    const words = (await executeLocal(plan, bigInputs)).getChild('s')!.data[0]!.values as Uint32Array;
    let unscaled = 0n;
    for (let k = 3; k >= 0; k--) unscaled = (unscaled << 32n) | BigInt(words[k]!);
    expect(BigInt.asIntN(128, unscaled)).toBe(
      123456789012345678901234567n - (10n ** 38n - 1n) + 5n + 10n ** 37n,
    );
  });

  it('computes DECIMAL and BIGINT UNSIGNED arithmetic exactly beyond a double', async () => {
    const { Uint64 } = await import('apache-arrow');
    const table = arrowTable({ u: [new Uint64(), [18446744073709551615n, 18446744073709551614n, 5n]] });
    const { node: bigNode, inputs: bigInputs } = source('u', table);
    const project = Plans.project(
      bigNode,
      [col('u').div(2).as('half'), col('u').plus(0.5).as('plus'), col('u').times(1.5).as('times')].map(
        (c) => c.node,
      ),
    );
    expect(await run(project, bigInputs)).toEqual([
      { half: '9223372036854775807.5000', plus: '18446744073709551615.5', times: '27670116110564327422.5' },
      { half: 9223372036854775807n, plus: '18446744073709551614.5', times: 27670116110564327421n },
      { half: 2.5, plus: 5.5, times: 7.5 },
    ]);
    const averaged = Plans.aggregate(
      bigNode,
      [],
      [fn.avg('u').as('mean'), fn.sum('u').as('total')].map((c) => c.node),
    );
    expect(await run(averaged, bigInputs)).toEqual([
      { mean: '12297829382473034411.3333', total: 36893488147419103234n },
    ]);
  });
});
