/** DISTINCT and UNION [ALL]: duplicates are rows equal column by column as the database compares them. */
import { PlanError } from '../../base/errors.ts';
import { type Batch, type LocalColumn, makeBatch, nullValues, takeRows, type Values } from '../batch.ts';
import { groupKey, keysOf } from '../compare.ts';
import type { ExecContext } from '../context.ts';
import { convertValue } from '../expr/compiled.ts';
import { groupRows } from '../relational.ts';
import { mergeTypes, type SqlType, type Value } from '../types.ts';

/** The first row of each set of equal rows, in input order. */
export function distinctRows(batch: Batch, context: ExecContext): Batch {
  if (batch.length < 2) return batch;
  const keys = batch.columns.map((column) => keysOf(column.values, groupKey(column.type, context.collation)));
  const groups = groupRows(keys, batch.length);
  return groups.count === batch.length ? batch : takeRows(batch, groups.firstRows);
}

function appendConverted(out: Value[], at: number, values: Values, from: SqlType, to: SqlType): void {
  const same = from.kind === to.kind;
  for (let i = 0; i < values.length; i++)
    out[at + i] = same ? values[i]! : convertValue(values[i]!, from, to);
}

/** The rows of both sides, matched by position; names come from the left, types widen as UNION's do. */
export function unionBatches(left: Batch, right: Batch, all: boolean, context: ExecContext): Batch {
  if (left.columns.length !== right.columns.length) {
    throw new PlanError(
      `union needs the same number of columns on both sides: ${left.columns.map((c) => c.name).join(', ')} vs ${right.columns.map((c) => c.name).join(', ')}`,
    );
  }
  const length = left.length + right.length;
  const columns: LocalColumn[] = left.columns.map((l, index) => {
    const r = right.columns[index]!;
    const type = mergeTypes(l.type, r.type);
    const values = nullValues(length);
    appendConverted(values, 0, l.values, l.type, type);
    appendConverted(values, left.length, r.values, r.type, type);
    return { name: l.name, type, values };
  });
  const union = makeBatch(columns, length);
  return all ? union : distinctRows(union, context);
}
