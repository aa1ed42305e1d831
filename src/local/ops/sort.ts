/** ORDER BY (Arquero sorts; keys normalized to the collation, NULL placement explicit) and LIMIT/OFFSET. */
import { type SortKey, unalias } from '../../plan/expr.ts';
import { type Batch, type LocalColumn, sliceRows, takeRows } from '../batch.ts';
import { type Key, type KeyFn, keyColumn, keysOfColumn, perRowCode, sortKey } from '../compare.ts';
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
      const key = sortKey(column.type, context.collation);
      values = codeRanks(column, batch.length, key) ?? keysOfColumn(column, batch.length, key);
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

/** Past this many dictionary strings per row, ranking a column's whole dictionary costs more than its rows. */
const CODES_PER_ROW = 2;

/**
 * A string column with dictionary codes as each row's rank among the dictionary's keys (NULL
 * stays NULL): the strings are keyed and ordered once per code, and the rows' ranks order and
 * tie as their keys do. Undefined without codes or with a dictionary much larger than the rows.
 */
function codeRanks(column: LocalColumn, length: number, key: KeyFn): (number | null)[] | undefined {
  const codes = column.type.kind === 'string' ? column.source?.codes() : undefined;
  if (!codes || codes.dictionary.length > Math.max(CODES_PER_ROW * length, 64)) return undefined;
  const keys = codes.dictionary.map((text) => key(text)!);
  const order = keys
    .map((_, code) => code)
    .sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const rankOfCode = new Float64Array(keys.length);
  let rank = 0;
  for (let k = 1; k < order.length; k++) {
    if (keys[order[k]!] !== keys[order[k - 1]!]) rank++;
    rankOfCode[order[k]!] = rank;
  }
  return perRowCode(codes, rankOfCode, length);
}

export function sortBatch(batch: Batch, keys: readonly SortKey[], context: ExecContext): Batch {
  if (keys.length === 0 || batch.length < 2) return batch;
  return takeRows(batch, sortRows(sortKeyValues(batch, keys, context, 'orderBy'), batch.length));
}

export function limitBatch(batch: Batch, limit: number | undefined, offset: number): Batch {
  const start = Math.max(0, offset);
  return sliceRows(batch, start, limit === undefined ? batch.length : start + Math.max(0, limit));
}
