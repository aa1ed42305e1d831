/**
 * Hash grouping and hash joins on typed arrays against a plain nested-loop reference: groups in
 * order of first appearance with NULL equal to NULL, join pairs in left-then-right row order with
 * NULL matching nothing, for one key and for several (combined into one number).
 */
import { describe, expect, it } from 'vitest';
import type { Key } from '../../../src/local/compare.ts';
import {
  equalKeyPairs,
  groupRows,
  type KeyValues,
  orderedPartitions,
  sortRows,
  uniqueKeyLookup,
} from '../../../src/local/relational.ts';

/** The reference: groups by the tuple of keys (NULL as a value), numbered by first appearance. */
function referenceGroups(keys: readonly KeyValues[], length: number) {
  const seen = new Map<string, number>();
  const ids: number[] = [];
  const firstRows: number[] = [];
  for (let row = 0; row < length; row++) {
    const tuple = JSON.stringify(keys.map((values) => [typeof values[row], String(values[row])]));
    let id = seen.get(tuple);
    if (id === undefined) {
      id = seen.size;
      seen.set(tuple, id);
      firstRows.push(row);
    }
    ids.push(id);
  }
  return { ids, firstRows, count: seen.size };
}

/** The reference: every pair with all keys equal and none NULL, left rows first. */
function referencePairs(left: readonly KeyValues[], right: readonly KeyValues[], l: number, r: number) {
  const out = { left: [] as number[], right: [] as number[] };
  for (let i = 0; i < l; i++) {
    for (let j = 0; j < r; j++) {
      if (left.every((values, k) => values[i] !== null && values[i] === right[k]![j])) {
        out.left.push(i);
        out.right.push(j);
      }
    }
  }
  return out;
}

const a: (Key | null)[] = [1, 2, null, 1, 2, 3, null, 1, 0, 'x'];
const b: (Key | null)[] = ['p', 'q', 'p', 'p', null, 'q', null, 'p', 'p', 'x'];
const c: (Key | null)[] = [10n, 10n, 11n, 10n, 11n, null, 12n, 10n, 10n, 10n];

describe('hash grouping', () => {
  for (const [name, keys] of [
    ['one key with NULLs', [a]],
    ['two keys', [a, b]],
    ['three keys, bigints among them', [a, b, c]],
  ] as const) {
    it(`${name}: groups in order of first appearance, NULL equal to NULL`, () => {
      const groups = groupRows(keys, a.length);
      const expected = referenceGroups(keys, a.length);
      expect(Array.from(groups.ids)).toEqual(expected.ids);
      expect(Array.from(groups.firstRows)).toEqual(expected.firstRows);
      expect(groups.count).toBe(expected.count);
    });
  }

  it('many distinct values per key (combinations past the small table)', () => {
    const n = 5000;
    const x = Array.from({ length: n }, (_, i) => (i * 7919) % 1000);
    const y = Array.from({ length: n }, (_, i) => `k${(i * 104729) % 997}`);
    const groups = groupRows([x, y], n);
    const expected = referenceGroups([x, y], n);
    expect(Array.from(groups.ids)).toEqual(expected.ids);
    expect(groups.count).toBe(expected.count);
  });

  it('no rows, no groups', () => {
    expect(groupRows([a], 0).count).toBe(0);
  });

  for (const [name, key] of [
    ['integers in a small span (numbered through a table)', [7, -3, 7, 0, -3, 12, 7, 0, 5]],
    ['an Int32Array', Int32Array.from([4, 4, 9, 1, 9, 4, 2147483647, -2147483648])],
    ['integers too sparse for a table', [1, 2 ** 40, 1, -(2 ** 40), 2 ** 40]],
    ['integers and a non-integer', [1, 2, 1.5, 2, 1.5]],
  ] as const) {
    it(`one key of ${name}: the reference's groups`, () => {
      const groups = groupRows([key], key.length);
      const expected = referenceGroups([key], key.length);
      expect(Array.from(groups.ids)).toEqual(expected.ids);
      expect(Array.from(groups.firstRows)).toEqual(expected.firstRows);
      expect(groups.count).toBe(expected.count);
    });
  }
});

describe('lookups on a key unique on the right', () => {
  it('give each left row its matching right row, as the hash pairs do', () => {
    const leftKey: (Key | null)[] = [5, null, 7, 5, 2.5, 'x', 9, 6];
    const rightKey: (Key | null)[] = [7, null, 5, 6];
    const lookup = uniqueKeyLookup(leftKey, rightKey, leftKey.length, rightKey.length)!;
    const pairs = referencePairs([leftKey], [rightKey], leftKey.length, rightKey.length);
    const expected = leftKey.map((_, l) => {
      const at = pairs.left.indexOf(l);
      return at < 0 ? -1 : pairs.right[at];
    });
    expect(Array.from(lookup)).toEqual(expected);
  });

  it('are not taken for a repeated or non-integer right key', () => {
    expect(uniqueKeyLookup([1, 2], [1, 1], 2, 2)).toBeUndefined();
    expect(uniqueKeyLookup([1, 2], [1, 'x'], 2, 2)).toBeUndefined();
    expect(uniqueKeyLookup([1, 2], [1, 2 ** 40], 2, 2)).toBeUndefined();
  });
});

describe('window partitions', () => {
  /** The reference: rows grouped by key in first-appearance order, each group sorted stably by order. */
  function referencePartitions(key: ArrayLike<number>, order: ArrayLike<number>): number[][] {
    const groups = referenceGroups([key], key.length);
    const out: number[][] = Array.from({ length: groups.count }, () => []);
    for (let row = 0; row < key.length; row++) out[groups.ids[row]!]!.push(row);
    return out.map((rows) => rows.sort((x, y) => order[x]! - order[y]! || x - y));
  }

  const n = 600;
  const drills = (i: number) => Math.floor(i / 100);
  for (const [name, key, order] of [
    [
      'contiguous and in order',
      Int32Array.from({ length: n }, (_, i) => drills(i)),
      Int32Array.from({ length: n }, (_, i) => i % 100),
    ],
    [
      'interleaved, each in order',
      Int32Array.from({ length: n }, (_, i) => i % 6),
      Int32Array.from({ length: n }, (_, i) => i),
    ],
    [
      'contiguous, one out of order',
      Int32Array.from({ length: n }, (_, i) => drills(i)),
      Int32Array.from({ length: n }, (_, i) => (i === 250 ? 0 : i)),
    ],
    [
      'interleaved and shuffled with ties',
      Int32Array.from({ length: n }, (_, i) => (i * 7) % 5),
      Int32Array.from({ length: n }, (_, i) => (i * 7919) % 37),
    ],
    [
      'keys as numbers in a plain array',
      Array.from({ length: n }, (_, i) => (i * 13) % 9),
      Array.from({ length: n }, (_, i) => (i * 31) % 101),
    ],
  ] as const) {
    it(`${name}: the reference's partitions, each sorted stably`, () => {
      const partitions = orderedPartitions([key], [{ values: order, descending: false }], n);
      expect(partitions.map((rows) => Array.from(rows))).toEqual(referencePartitions(key, order));
    });
  }
});

describe('hash join pairs', () => {
  const right: (Key | null)[] = [2, 1, null, 1, 5, 'x', 2];
  const right2: (Key | null)[] = ['q', 'p', 'p', 'x', 'p', 'x', 'q'];
  for (const [name, leftKeys, rightKeys] of [
    ['one key: NULL matches nothing, duplicates on both sides', [a], [right]],
    ['two keys combined into one', [a, b], [right, right2]],
  ] as const) {
    it(`${name}: left-then-right row order`, () => {
      const pairs = equalKeyPairs(leftKeys, rightKeys, a.length, right.length);
      const expected = referencePairs(leftKeys, rightKeys, a.length, right.length);
      expect(Array.from(pairs.left)).toEqual(expected.left);
      expect(Array.from(pairs.right)).toEqual(expected.right);
    });
  }

  it('an empty side gives no pairs', () => {
    expect(equalKeyPairs([a], [[]], a.length, 0).left.length).toBe(0);
    expect(equalKeyPairs([[]], [right], 0, right.length).left.length).toBe(0);
  });
});

describe('sorting rows', () => {
  /** The reference: a stable sort by a comparator, NULL smallest. */
  const reference = (keys: { values: KeyValues; descending: boolean }[], length: number) =>
    Array.from({ length }, (_, i) => i).sort((a, b) => {
      for (const { values, descending } of keys) {
        const x = values[a]!;
        const y = values[b]!;
        if (x === y) continue;
        const less = x === null || (y !== null && x < y);
        const greater = !less && (y === null || x > y);
        if (!less && !greater) continue;
        return (descending ? greater : less) ? -1 : 1;
      }
      return a - b;
    });
  const pick = <T>(length: number, f: (i: number) => T) => Array.from({ length }, (_, i) => f(i));

  it('keys repeating few values (ranked, one typed sort) give the comparator order, ties in input order', () => {
    const n = 3000;
    const keys = [
      { values: pick(n, (i) => (i % 13 === 0 ? null : (i * 7) % 11)), descending: true },
      { values: pick(n, (i) => (i % 17 === 0 ? null : `brand#${(i * 5) % 23}`)), descending: false },
      { values: pick(n, (i) => [3, 1n, 2, 1, -0, 0][i % 6]!), descending: false },
      { values: Float64Array.from(pick(n, (i) => (i * 3) % 8)), descending: true },
    ];
    expect(Array.from(sortRows(keys, n))).toEqual(reference(keys, n));
  });

  it('integer keys ranked through a table over their span (NULL smallest, -0 equal to 0) give the comparator order', () => {
    const n = 2000;
    const keys = [
      { values: pick(n, (i) => (i % 9 === 0 ? null : ((i * 37) % 301) - 150)), descending: false },
      { values: pick(n, (i) => (i % 7 === 0 ? -0 : i % 5 === 0 ? null : (i % 4) * 1000)), descending: true },
    ];
    expect(Array.from(sortRows(keys, n))).toEqual(reference(keys, n));
    expect(Array.from(sortRows([keys[1]!], n))).toEqual(reference([keys[1]!], n));
  });

  it('mostly distinct keys (the comparator sort) give the same order', () => {
    const n = 5000;
    const keys = [
      { values: pick(n, (i) => (i * 7919) % 4999), descending: false },
      { values: pick(n, (i) => (i % 3 === 0 ? null : `s${(i * 31) % 97}`)), descending: true },
    ];
    expect(Array.from(sortRows(keys, n))).toEqual(reference(keys, n));
  });
});
