/**
 * A group key column as dense ids (equal keys, NULL included, share one id), read without a key
 * per row: a string column per dictionary code (each distinct string folded to its collation key
 * once), an integer column through a table over its span. What groupRows (relational.ts) does
 * with a Map per row, for the columns whose values need none. Undefined for any other column.
 */
import type { LocalColumn } from '../batch.ts';
import { type Collation, collationKey } from '../collation.ts';
import { fitsKeyTable, type KeyIds } from '../relational.ts';
import { isValidAt, kernelsEnabled, vectorOfLocalColumn } from './vectors.ts';

export function groupIdsOf(column: LocalColumn, length: number, collation: Collation): KeyIds | undefined {
  if (!kernelsEnabled()) return undefined;
  if (column.type.kind === 'string') return stringIds(column, length, collation);
  if (column.type.kind === 'int') return integerIds(column, length);
  return undefined;
}

function stringIds(column: LocalColumn, length: number, collation: Collation): KeyIds | undefined {
  const codes = column.source?.codes();
  if (!codes) return undefined;
  const fold = collationKey(collation);
  const { dictionary } = codes;
  // Codes whose strings are equal under the collation ('a' and 'A') share an id.
  const byKey = new Map<string, number>();
  const idOfCode = new Int32Array(dictionary.length);
  for (let code = 0; code < dictionary.length; code++) {
    const key = fold(dictionary[code]!);
    let id = byKey.get(key);
    if (id === undefined) {
      id = byKey.size;
      byKey.set(key, id);
    }
    idOfCode[code] = id;
  }
  const nullId = byKey.size;
  const ids = new Int32Array(length);
  const rows = codes.codes;
  for (let i = 0; i < length; i++) {
    const code = rows[i]!;
    ids[i] = code >= 0 ? idOfCode[code]! : nullId;
  }
  return { ids, count: nullId + 1 };
}

function integerIds(column: LocalColumn, length: number): KeyIds | undefined {
  const vector = vectorOfLocalColumn(column, length);
  if (vector?.kind !== 'int') return undefined;
  const { values, valid } = vector;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) {
    if (!isValidAt(valid, i)) continue;
    const value = values[i]!;
    if (!Number.isInteger(value)) return undefined;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const span = max >= min ? max - min + 1 : 0;
  if (!fitsKeyTable(span, length)) return undefined;
  // Id span is NULL; ids need not follow first appearance (groupRowsByIds numbers the groups).
  const ids = new Int32Array(length);
  for (let i = 0; i < length; i++) ids[i] = isValidAt(valid, i) ? values[i]! - min : span;
  return { ids, count: span + 1 };
}
