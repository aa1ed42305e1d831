/**
 * Group keys read as ids (src/local/kernels/group-ids.ts): a string column through its codes, an
 * integer column through its span. The groups equal those of the keys path (relational.ts,
 * a Map over each row's collation key) row for row, in order of first appearance: strings equal
 * under the collation in one group, NULL a group of its own, several chunks, several keys.
 */
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, fn } from '../../../../src/frame/column.ts';
import { batchFromArrow } from '../../../../src/local/arrow-in.ts';
import { DEFAULT_COLLATION } from '../../../../src/local/collation.ts';
import { groupKey, keysOfColumn } from '../../../../src/local/compare.ts';
import { groupIdsOf } from '../../../../src/local/kernels/group-ids.ts';
import { withoutKernels } from '../../../../src/local/kernels/vectors.ts';
import { aggregateRows } from '../../../../src/local/ops/aggregate.ts';
import { groupRows, groupRowsByIds } from '../../../../src/local/relational.ts';

const WORDS = ['Brass', 'BRASS', 'tin', null, 'Ámbar', 'ambar', 'tin ', 'steel'];

/** 900 rows in three chunks: s (strings, NULLs, collation-equal spellings), k (ints, NULLs, negative). */
function table(): Table {
  const chunk = (from: number) => {
    const s = Array.from({ length: 300 }, (_, i) => WORDS[(from + i * 7) % WORDS.length] ?? null);
    const k = Array.from({ length: 300 }, (_, i) => ((from + i) % 11 === 0 ? null : ((from + i) % 5) - 2));
    return new Table({ s: vectorFromArray(s, new Utf8()), k: vectorFromArray(k, new Int32()) });
  };
  return new Table([...chunk(0).batches, ...chunk(300).batches, ...chunk(600).batches]);
}

describe('group ids', () => {
  it('give the groups the keys path gives, for each key and for both together', () => {
    const batch = batchFromArrow(table());
    const [s, k] = batch.columns;
    const ids = [s!, k!].map((column) => groupIdsOf(column, batch.length, DEFAULT_COLLATION));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    const keys = [s!, k!].map((column) =>
      keysOfColumn(column, batch.length, groupKey(column.type, DEFAULT_COLLATION)),
    );
    for (const pick of [[0], [1], [0, 1], [1, 0]]) {
      const byIds = groupRowsByIds(
        pick.map((i) => ids[i]!),
        batch.length,
      );
      const byKeys = groupRows(
        pick.map((i) => keys[i]!),
        batch.length,
      );
      expect(byIds.count).toBe(byKeys.count);
      expect(Array.from(byIds.ids)).toEqual(Array.from(byKeys.ids));
      expect(Array.from(byIds.firstRows)).toEqual(Array.from(byKeys.firstRows));
    }
    // 'Brass'/'BRASS', 'tin'/'tin ' and 'Ámbar'/'ambar' are one string each under general_ci.
    expect(groupRowsByIds([ids[0]!], batch.length).count).toBe(5);
  });

  it('a GROUP BY over them answers as the row path does', () => {
    const answer = () => {
      const batch = batchFromArrow(table());
      const out = aggregateRows(
        batch,
        [col('s').node, col('k').node],
        [fn.count().as('n').node, fn.sum(col('k')).as('total').node],
        { collation: DEFAULT_COLLATION },
      );
      return Array.from({ length: out.length }, (_, row) => out.columns.map((c) => c.values[row]));
    };
    const fast = answer();
    expect(fast).toEqual(withoutKernels(answer));
    expect(fast.length).toBe(5 * 6);
  });
});
