/**
 * Filter pushdown verdicts, three-way as in DataFusion's supports_filters_pushdown:
 * - exact: the conjunct compiles for the dialect; the database applies it and it is not re-checked;
 * - inexact: it does not compile, but a weaker form does (an OR whose every branch keeps a
 *   pushable part); the weaker form is pushed to cut the rows moved, the original stays local;
 * - unsupported: nothing of it can go; it runs locally above the pushed query.
 * One expression that cannot be translated never fails a query: it is computed locally.
 */
import { conjunction, conjuncts, type Expr } from '../../plan/expr.ts';
import { compileStandalone, NotPushable } from '../../sql/compile-expr.ts';
import type { Dialect } from '../../sql/dialect.ts';
import { PUSH, type PushRule } from './verdict.ts';

export type FilterVerdict =
  | { readonly verdict: 'exact'; readonly expr: Expr }
  | { readonly verdict: 'inexact'; readonly expr: Expr; readonly pushed: Expr }
  | { readonly verdict: 'unsupported'; readonly expr: Expr };

export function compiles(expr: Expr, dialect: Dialect): boolean {
  try {
    compileStandalone(expr, dialect);
    return true;
  } catch (error) {
    if (error instanceof NotPushable) return false;
    throw error;
  }
}

/** The weakest-but-pushable form implied by `expr`, or undefined when none exists. */
function relax(expr: Expr, dialect: Dialect): Expr | undefined {
  if (compiles(expr, dialect)) return expr;
  if (expr.kind === 'binary' && expr.op === 'and') {
    const parts = conjuncts(expr)
      .map((part) => relax(part, dialect))
      .filter((part): part is Expr => part !== undefined);
    return conjunction(parts);
  }
  if (expr.kind === 'binary' && expr.op === 'or') {
    const left = relax(expr.left, dialect);
    const right = relax(expr.right, dialect);
    return left && right ? { kind: 'binary', op: 'or', left, right } : undefined;
  }
  return undefined;
}

export function filterVerdicts(predicate: Expr, dialect: Dialect): FilterVerdict[] {
  return conjuncts(predicate).map((expr): FilterVerdict => {
    if (compiles(expr, dialect)) return { verdict: 'exact', expr };
    const pushed = relax(expr, dialect);
    return pushed ? { verdict: 'inexact', expr, pushed } : { verdict: 'unsupported', expr };
  });
}

/** A filter node itself may always try; the splitter splits it by the verdicts above. */
export const filterPushRule: PushRule<'filter'> = () => PUSH;
