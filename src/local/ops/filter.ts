/** WHERE over a compiled predicate (rows where it is 1), and JavaScript predicates over row objects. */
import type { Expr } from '../../plan/expr.ts';
import { type Batch, takeRows } from '../batch.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { compilePredicate } from '../expr/compile.ts';
import { selectInTwoSteps, selectRows } from '../kernels/selection.ts';
import { rowObjects } from '../rows.ts';

export function filterRows(batch: Batch, predicate: Expr, context: ExecContext): Batch {
  const stepped = selectInTwoSteps(predicate, batch, context.collation);
  if (stepped) return stepped;
  const selected = selectRows(predicate, batch, context.collation);
  if (selected) return selected.length === batch.length ? batch : takeRows(batch, selected);
  const test = compilePredicate(predicate, scopeOf(batch, context, 'filter'));
  const rows: number[] = [];
  for (let row = 0; row < batch.length; row++) if (test(row)) rows.push(row);
  return rows.length === batch.length ? batch : takeRows(batch, rows);
}

export function filterRowsWith(batch: Batch, predicate: (row: Record<string, unknown>) => boolean): Batch {
  const rows: number[] = [];
  const objects = rowObjects(batch);
  for (let row = 0; row < batch.length; row++) if (predicate(objects(row))) rows.push(row);
  return rows.length === batch.length ? batch : takeRows(batch, rows);
}
