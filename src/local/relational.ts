/**
 * The relational heavy lifting, done by Arquero: hash grouping, sorting, hash joins and ordered
 * partitions. Arquero sees only key columns that this module's callers have already normalized to
 * SQL equality (collation keys for strings, one number for 1 and 1.0, null for NULL), so its
 * JavaScript equality is the database's; the results are row numbers, which callers gather from.
 */
import * as aq from 'arquero';
import { rowRange } from './batch.ts';
import type { Key } from './compare.ts';

export type KeyValues = ArrayLike<Key | null>;

/**
 * Arquero joins several keys into one string with '|' between values it quotes without escaping;
 * escaping quotes and backslashes in string keys keeps two different key tuples apart.
 */
function escapedForTuples(keys: readonly KeyValues[]): KeyValues[] {
  if (keys.length < 2) return [...keys];
  return keys.map((values) => {
    let out: (Key | null)[] | undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (typeof value === 'string' && (value.includes('"') || value.includes('\\'))) {
        out ??= Array.from(values);
        out[i] = value.replace(/["\\]/g, '\\$&');
      }
    }
    return out ?? values;
  });
}

function keyTable(keys: readonly KeyValues[], extra: Record<string, ArrayLike<unknown>> = {}) {
  const columns: Record<string, ArrayLike<unknown>> = { ...extra };
  escapedForTuples(keys).forEach((values, index) => {
    columns[`k${index}`] = values;
  });
  return aq.table(columns as Record<string, unknown[]>);
}

const keyNames = (count: number) => Array.from({ length: count }, (_, index) => `k${index}`);

export interface Groups {
  /** The group of each row, numbered in order of first appearance. */
  readonly ids: ArrayLike<number>;
  /** The first row of each group. */
  readonly firstRows: ArrayLike<number>;
  readonly count: number;
}

/** Rows with equal keys (NULL equal to NULL, as GROUP BY and DISTINCT take them) in one group. */
export function groupRows(keys: readonly KeyValues[], length: number): Groups {
  if (keys.length === 0) {
    return { ids: new Uint32Array(length), firstRows: length > 0 ? [0] : [], count: length > 0 ? 1 : 0 };
  }
  if (length === 0) return { ids: new Uint32Array(0), firstRows: [], count: 0 };
  const groups = keyTable(keys).groupby(keyNames(keys.length)).groups();
  return { ids: groups.keys, firstRows: groups.rows, count: groups.size };
}

export interface SortKeyValues {
  readonly values: KeyValues;
  readonly descending: boolean;
}

/**
 * Row numbers in the order of the keys. NULL sorts first ascending and last descending (the
 * MySQL family's order); callers add a leading key where they want otherwise. Stable: ties keep
 * their input order.
 */
export function sortRows(keys: readonly SortKeyValues[], length: number): Uint32Array {
  if (keys.length === 0 || length < 2) return rowRange(length);
  const table = keyTable(keys.map((key) => key.values));
  const order = keys.map((key, index) => (key.descending ? aq.desc(`k${index}`) : `k${index}`));
  return table.orderby(...(order as string[])).indices();
}

/**
 * Rows split by the partition keys, each partition's rows in the order of the sort keys: what a
 * window function runs over.
 */
export function orderedPartitions(
  partitionKeys: readonly KeyValues[],
  sortKeys: readonly SortKeyValues[],
  length: number,
): ArrayLike<number>[] {
  if (length === 0) return [];
  if (partitionKeys.length === 0) return [sortRows(sortKeys, length)];
  const all = [...partitionKeys, ...sortKeys.map((key) => key.values)];
  let table = keyTable(all).groupby(keyNames(partitionKeys.length));
  if (sortKeys.length > 0) {
    const order = sortKeys.map((key, index) => {
      const name = `k${partitionKeys.length + index}`;
      return key.descending ? aq.desc(name) : name;
    });
    table = table.orderby(...(order as string[]));
  }
  return table.partitions();
}

export interface Pairs {
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
}

/** Every (left row, right row) whose keys are equal; a NULL key matches nothing, as in SQL. */
export function equalKeyPairs(
  leftKeys: readonly KeyValues[],
  rightKeys: readonly KeyValues[],
  leftLength: number,
  rightLength: number,
): Pairs {
  if (leftLength === 0 || rightLength === 0) return { left: [], right: [] };
  const left = keyTable(leftKeys, { li: rowRange(leftLength) });
  const right = keyTable(rightKeys, { ri: rowRange(rightLength) });
  const names = keyNames(leftKeys.length);
  const joined = left.join(right, [names, names], [['li'], ['ri']]);
  return { left: joined.array('li') as ArrayLike<number>, right: joined.array('ri') as ArrayLike<number> };
}
