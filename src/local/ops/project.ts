/** SELECT: each output column a column of the input (passed through, type kept) or a computed one. */
import { PlanError } from '../../base/errors.ts';
import { type Expr, exprName, unalias } from '../../plan/expr.ts';
import { type Batch, findColumn, type LocalColumn, makeBatch, renamed } from '../batch.ts';
import { type ExecContext, scopeOf } from '../context.ts';
import { compileExpr } from '../expr/compile.ts';
import { evaluateAll } from '../expr/compiled.ts';
import { vectorize } from '../kernels/expressions.ts';
import { fuseProjection } from '../kernels/fused.ts';
import { columnOfVector } from '../kernels/vectors.ts';
import { computed } from '../types.ts';

/** One computed or passed-through column of `batch`. */
export function projectColumn(batch: Batch, expr: Expr, context: ExecContext, where: string): LocalColumn {
  const name = exprName(expr);
  if (name === undefined) throw new PlanError(`${where}: every computed column needs a name (use .as(name))`);
  const inner = unalias(expr);
  if (inner.kind === 'column') {
    const column = findColumn(batch, inner.name, where);
    return renamed(column, name);
  }
  const vector = vectorize(inner, batch, context.collation);
  if (vector) return columnOfVector(name, vector);
  const compiled = compileExpr(inner, scopeOf(batch, context, where));
  return { name, type: computed(compiled.type), values: evaluateAll(compiled, batch.length) };
}

export function project(batch: Batch, exprs: readonly Expr[], context: ExecContext): Batch {
  // The numeric outputs in one generated loop; the rest (and anything it declines) one by one.
  const fused = fuseProjection(exprs, batch);
  return makeBatch(
    exprs.map((expr, index) => {
      const column = fused?.[index];
      const name = exprName(expr);
      if (!column || name === undefined) return projectColumn(batch, expr, context, 'select');
      return { name, type: column.type, values: column.values };
    }),
    batch.length,
  );
}
