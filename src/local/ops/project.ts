/** SELECT: each output column a column of the input (passed through, type kept) or a computed one. */
import { PlanError } from '../../base/errors.ts';
import { type Expr, Exprs, exprName, mapExpr, unalias } from '../../plan/expr.ts';
import { type Batch, findColumn, type LocalColumn, makeBatch, renameColumn } from '../batch.ts';
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
    return renameColumn(column, name);
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

/**
 * The chain's outputs over the bottom input, each level's columns inlined into the next (the
 * same object at every reference, so the fused loop computes each once per row); undefined when
 * a level has an unnamed output, a repeated name, or names a column its input does not output.
 */
export function composeChain(levels: readonly (readonly Expr[])[]): Expr[] | undefined {
  let below: Map<string, Expr> | undefined;
  let outputs: Expr[] = [];
  for (const exprs of levels) {
    const level: Expr[] = [];
    const byName = new Map<string, Expr>();
    for (const expr of exprs) {
      const name = exprName(expr);
      if (name === undefined || byName.has(name)) return undefined;
      let missing = false;
      const env = below;
      const body = env
        ? mapExpr(unalias(expr), (node) => {
            if (node.kind !== 'column') return undefined;
            const inlined = env.get(node.name);
            if (!inlined) missing = true;
            return inlined ?? node;
          })
        : unalias(expr);
      if (missing) return undefined;
      byName.set(name, body);
      level.push(body.kind === 'column' && body.name === name ? body : Exprs.alias(body, name));
    }
    below = byName;
    outputs = level;
  }
  return outputs;
}

/**
 * SELECTs stacked over one input (`levels`, the bottom one first) in one pass when every computed
 * output of the whole chain fuses into one generated loop: no loop, column and batch per level
 * (a k-means step is eleven levels: eight distances, LEAST, CASE, the columns it keeps).
 * Otherwise level by level, with each level's own semantics and errors.
 */
export function projectChain(
  batch: Batch,
  levels: readonly (readonly Expr[])[],
  context: ExecContext,
): Batch {
  const composed = levels.length > 1 ? composeChain(levels) : undefined;
  const fused = composed && fuseProjection(composed, batch);
  if (composed && fused) {
    const plain = (expr: Expr) => {
      const kind = unalias(expr).kind;
      return kind === 'column' || kind === 'literal';
    };
    if (composed.every((expr, index) => fused[index] !== undefined || plain(expr))) {
      return makeBatch(
        composed.map((expr, index) => {
          const column = fused[index];
          if (!column) return projectColumn(batch, expr, context, 'select');
          return { name: exprName(expr)!, type: column.type, values: column.values };
        }),
        batch.length,
      );
    }
  }
  return levels.reduce<Batch>((current, exprs) => project(current, exprs, context), batch);
}
