/** ORDER BY (Arquero sorts; keys normalized to the collation, NULL placement explicit) and LIMIT/OFFSET. */
import { type SortKey, unalias } from '../../plan/expr.ts';
import { type Batch, sliceRows, takeRows } from '../batch.ts';
import { type Key, keyColumn, keysOfColumn, sortKey } from '../compare.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { compileExpr } from '../expr/compile.ts';
import { evaluateAll } from '../expr/compiled.ts';
import { type SortKeyValues, sortRows } from '../relational.ts';

/** Sort keys as Arquero sorts them: a leading "is null" key where NULLs go where SQL's default would not. */
export function sortKeyValues(
  batch: Batch,
  keys: readonly SortKey[],
  context: ExecContext,
  where: string,
): SortKeyValues[] {
  const scope = scopeOf(batch, context, where);
  const out: SortKeyValues[] = [];
  for (const key of keys) {
    const inner = unalias(key.expr);
    const column = inner.kind === 'column' ? batch.columns.find((c) => c.name === inner.name) : undefined;
    let values: ArrayLike<Key | null>;
    if (column) {
      values = keysOfColumn(column, batch.length, sortKey(column.type, context.collation));
    } else {
      const compiled = compileExpr(key.expr, scope);
      values = keyColumn(
        evaluateAll(compiled, batch.length),
        compiled.type,
        sortKey(compiled.type, context.collation),
      );
    }
    if (key.nullsFirst !== !key.descending) {
      out.push({
        values: Array.from(values, (value) => ((value === null) === key.nullsFirst ? 0 : 1)),
        descending: false,
      });
    }
    out.push({ values, descending: key.descending });
  }
  return out;
}

export function sortBatch(batch: Batch, keys: readonly SortKey[], context: ExecContext): Batch {
  if (keys.length === 0 || batch.length < 2) return batch;
  return takeRows(batch, sortRows(sortKeyValues(batch, keys, context, 'orderBy'), batch.length));
}

export function limitBatch(batch: Batch, limit: number | undefined, offset: number): Batch {
  const start = Math.max(0, offset);
  return sliceRows(batch, start, limit === undefined ? batch.length : start + Math.max(0, limit));
}
