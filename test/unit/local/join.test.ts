import { Float64, Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, lit } from '../../../src/frame/column.ts';
import { nullAwareStats } from '../../../src/local/ops/join.ts';
import type { JoinType } from '../../../src/plan/nodes.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, run } from './helpers.ts';

const left = arrowTable({
  id: [new Int32(), [1, 2, 3, 4, 5]],
  k: [new Int32(), [1, 2, 2, null, 9]],
  s: [new Utf8(), ['a', 'b', 'c', 'd', 'e']],
});
const right = arrowTable({
  k: [new Int32(), [1, 2, 2, null, 7]],
  t: [new Utf8(), ['x', 'y', 'z', 'n', 'w']],
});
const inputs = new Map([
  ['l', left],
  ['r', right],
]);
const l = Plans.values('l', [{ name: 'id' }, { name: 'k' }, { name: 's' }]);
const r = Plans.values('r', [{ name: 'k' }, { name: 't' }]);
const rRenamed = Plans.project(r, [col('k').as('rk').node, col('t').node]);

const joined = (type: JoinType) => run(Plans.join(l, r, type, type === 'cross' ? [] : ['k']), inputs);

describe('joins', () => {
  it('inner join on a key: duplicates multiply, NULL keys never match, the key appears once', async () => {
    expect(await joined('inner')).toEqual([
      { id: 1, k: 1, s: 'a', t: 'x' },
      { id: 2, k: 2, s: 'b', t: 'y' },
      { id: 2, k: 2, s: 'b', t: 'z' },
      { id: 3, k: 2, s: 'c', t: 'y' },
      { id: 3, k: 2, s: 'c', t: 'z' },
    ]);
  });

  it('left join keeps unmatched left rows, NULL key included', async () => {
    expect(await joined('left')).toEqual([
      { id: 1, k: 1, s: 'a', t: 'x' },
      { id: 2, k: 2, s: 'b', t: 'y' },
      { id: 2, k: 2, s: 'b', t: 'z' },
      { id: 3, k: 2, s: 'c', t: 'y' },
      { id: 3, k: 2, s: 'c', t: 'z' },
      { id: 4, k: null, s: 'd', t: null },
      { id: 5, k: 9, s: 'e', t: null },
    ]);
  });

  it("right join keeps unmatched right rows with the right side's key", async () => {
    expect(await joined('right')).toEqual([
      { id: 1, k: 1, s: 'a', t: 'x' },
      { id: 2, k: 2, s: 'b', t: 'y' },
      { id: 2, k: 2, s: 'b', t: 'z' },
      { id: 3, k: 2, s: 'c', t: 'y' },
      { id: 3, k: 2, s: 'c', t: 'z' },
      { id: null, k: null, s: null, t: 'n' },
      { id: null, k: 7, s: null, t: 'w' },
    ]);
  });

  it('full join keeps both sides, the key from whichever side has it', async () => {
    expect(await joined('full')).toEqual([
      { id: 1, k: 1, s: 'a', t: 'x' },
      { id: 2, k: 2, s: 'b', t: 'y' },
      { id: 2, k: 2, s: 'b', t: 'z' },
      { id: 3, k: 2, s: 'c', t: 'y' },
      { id: 3, k: 2, s: 'c', t: 'z' },
      { id: 4, k: null, s: 'd', t: null },
      { id: 5, k: 9, s: 'e', t: null },
      { id: null, k: null, s: null, t: 'n' },
      { id: null, k: 7, s: null, t: 'w' },
    ]);
  });

  it('semi and anti joins keep left rows once, by whether they match', async () => {
    expect((await joined('semi')).map((row) => row.id)).toEqual([1, 2, 3]);
    expect((await joined('anti')).map((row) => row.id)).toEqual([4, 5]);
    expect(Object.keys((await joined('semi'))[0]!)).toEqual(['id', 'k', 's']);
  });

  it('cross join pairs every row with every row', async () => {
    const plan = Plans.join(l, Plans.project(r, [col('t').node]), 'cross', []);
    const rows = await run(plan, inputs);
    expect(rows).toHaveLength(25);
    expect(rows.slice(0, 6).map((row) => `${row.id}${row.t}`)).toEqual(['1x', '1y', '1z', '1n', '1w', '2x']);
  });

  it('joins on an expression: equalities hashed, the rest checked on the pairs, outer rows kept', async () => {
    const on = col('k').eq(col('rk')).and(col('id').le(2)).node;
    expect(await run(Plans.join(l, rRenamed, 'left', [], on), inputs)).toEqual([
      { id: 1, k: 1, s: 'a', rk: 1, t: 'x' },
      { id: 2, k: 2, s: 'b', rk: 2, t: 'y' },
      { id: 2, k: 2, s: 'b', rk: 2, t: 'z' },
      { id: 3, k: 2, s: 'c', rk: null, t: null },
      { id: 4, k: null, s: 'd', rk: null, t: null },
      { id: 5, k: 9, s: 'e', rk: null, t: null },
    ]);
    expect((await run(Plans.join(l, rRenamed, 'anti', [], on), inputs)).map((row) => row.id)).toEqual([
      3, 4, 5,
    ]);
  });

  it('joins on an inequality alone (no key to hash on)', async () => {
    const on = col('id').gt(col('rk')).and(col('rk').ge(2)).node;
    const rows = await run(Plans.join(l, rRenamed, 'inner', [], on), inputs);
    expect(rows.map((row) => `${row.id}${row.t}`)).toEqual(['3y', '3z', '4y', '4z', '5y', '5z']);
  });

  it('matches string keys under the collation, and numbers against numeric strings', async () => {
    const a = arrowTable({ name: [new Utf8(), ['Alice', 'bob', null]], n: [new Int32(), [1, 2, 3]] });
    const b = arrowTable({
      who: [new Utf8(), ['ALICE ', 'Bob', null]],
      code: [new Utf8(), ['1', '02', '3']],
    });
    const sides = new Map([
      ['a', a],
      ['b', b],
    ]);
    const av = Plans.values('a', [{ name: 'name' }, { name: 'n' }]);
    const bv = Plans.values('b', [{ name: 'who' }, { name: 'code' }]);
    const byName = await run(Plans.join(av, bv, 'inner', [], col('name').eq(col('who')).node), sides);
    expect(byName.map((row) => [row.name, row.who])).toEqual([
      ['Alice', 'ALICE '],
      ['bob', 'Bob'],
    ]);
    const byNumber = await run(Plans.join(av, bv, 'inner', [], col('n').eq(col('code')).node), sides);
    expect(byNumber.map((row) => [row.n, row.code])).toEqual([
      [1, '1'],
      [2, '02'],
      [3, '3'],
    ]);
  });

  it('left join on a key unique on the right (a lookup): each left row once, in order', async () => {
    const a = arrowTable({
      id: [new Int32(), [1, 2, 3, 4, 5, 6, 7]],
      k: [new Float64(), [3, null, 1, 7, 3, 2.5, 2]],
    });
    const b = arrowTable({ k: [new Int32(), [1, 2, 3, null]], t: [new Utf8(), ['x', 'y', 'z', 'n']] });
    const sides = new Map([
      ['a', a],
      ['b', b],
    ]);
    const av = Plans.values('a', [{ name: 'id' }, { name: 'k' }]);
    const bv = Plans.values('b', [{ name: 'k' }, { name: 't' }]);
    const rows = await run(Plans.join(av, bv, 'left', ['k']), sides);
    expect(rows.map((row) => [row.id, row.t])).toEqual([
      [1, 'z'],
      [2, null],
      [3, 'x'],
      [4, null],
      [5, 'z'],
      [6, null],
      [7, 'y'],
    ]);
  });

  it('joins with an empty side', async () => {
    const empty = Plans.filter(r, col('k').gt(100).node);
    expect(await run(Plans.join(l, empty, 'inner', ['k']), inputs)).toEqual([]);
    expect((await run(Plans.join(l, empty, 'left', ['k']), inputs)).map((row) => row.t)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect((await run(Plans.join(l, empty, 'anti', ['k']), inputs)).map((row) => row.id)).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('joins on several keys, NULL in any key matching nothing', async () => {
    const a = arrowTable({
      x: [new Int32(), [1, 1, null]],
      y: [new Utf8(), ['a', 'b', 'a']],
      v: [new Int32(), [1, 2, 3]],
    });
    const b = arrowTable({
      x: [new Int32(), [1, 1, null]],
      y: [new Utf8(), ['A', null, 'a']],
      w: [new Int32(), [10, 20, 30]],
    });
    const sides = new Map([
      ['a', a],
      ['b', b],
    ]);
    const plan = Plans.join(
      Plans.values('a', [{ name: 'x' }, { name: 'y' }, { name: 'v' }]),
      Plans.values('b', [{ name: 'x' }, { name: 'y' }, { name: 'w' }]),
      'full',
      ['x', 'y'],
    );
    expect(await run(plan, sides)).toEqual([
      { x: 1, y: 'a', v: 1, w: 10 },
      { x: 1, y: 'b', v: 2, w: null },
      { x: null, y: 'a', v: 3, w: null },
      { x: 1, y: null, v: null, w: 20 },
      { x: null, y: 'a', v: null, w: 30 },
    ]);
  });
});

describe('NOT IN as a null-aware anti join (a = b OR a IS NULL OR b IS NULL)', () => {
  const a = col('k');
  const b = col('rk');
  const notIn = a.eq(b).or(a.isNull()).or(b.isNull());
  /** The same truth value in a shape the hash path does not take: every pair tested. */
  const pairByPair = notIn.or(a.eq(lit(-12345)).and(lit(0).eq(lit(1))));
  const rightOf = (keys: (number | null)[]) =>
    arrowTable({ rk: [new Int32(), keys], t: [new Utf8(), keys.map(() => 'x')] });
  const cases: Record<string, (number | null)[]> = {
    'NULL on the right: every left row matches': [1, null, 7],
    'no NULL on the right: NULL left keys match': [1, 2, 7],
    'an empty right side: nothing matches': [],
  };
  for (const [name, keys] of Object.entries(cases)) {
    for (const type of ['anti', 'semi'] as const) {
      it(`${type}, ${name}: the pair-by-pair answer`, async () => {
        const rk = Plans.values('rk', [{ name: 'rk' }, { name: 't' }]);
        const data = new Map([
          ['l', left],
          ['rk', rightOf(keys)],
        ]);
        const before = nullAwareStats.runs;
        const hashed = await run(Plans.join(l, rk, type, [], notIn.node), data);
        expect(nullAwareStats.runs, 'hash path taken').toBe(before + 1);
        const looped = await run(Plans.join(l, rk, type, [], pairByPair.node), data);
        expect(nullAwareStats.runs, 'pair by pair').toBe(before + 1);
        expect(hashed).toEqual(looped);
        const ids = hashed.map((row) => row.id);
        if (name.startsWith('NULL on')) expect(ids).toEqual(type === 'anti' ? [] : [1, 2, 3, 4, 5]);
        if (name.startsWith('no NULL')) expect(ids).toEqual(type === 'anti' ? [5] : [1, 2, 3, 4]);
        if (name.startsWith('an empty')) expect(ids).toEqual(type === 'anti' ? [1, 2, 3, 4, 5] : []);
      });
    }
  }
});
