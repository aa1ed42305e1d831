/**
 * OR factoring: a conjunct that every branch of an OR shares is taken out of the OR,
 * `(a = b AND x) OR (a = b AND y)` becomes `a = b AND (x OR y)`. AND distributes over OR in SQL's
 * three-valued logic too, so the rows kept are the same; what changes is that the shared part is
 * now a conjunct of its own: an equality between two join sides becomes a hash-join key (TPC-H
 * Q19 names `p_partkey = l_partkey` in each of its three branches), and a one-table conjunct can
 * be pushed below the join. Filters and join conditions are rewritten.
 */
import {
  conjunction,
  conjuncts,
  type Expr,
  Exprs,
  mapExpr,
  referencedColumns,
  someExpr,
} from '../../plan/expr.ts';
import { type PlanNode, Plans, transformUp } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import type { Rule } from '../rule.ts';

const isOr = (expr: Expr): expr is Extract<Expr, { kind: 'binary' }> =>
  expr.kind === 'binary' && expr.op === 'or';

function disjuncts(expr: Expr): Expr[] {
  if (isOr(expr)) return [...disjuncts(expr.left), ...disjuncts(expr.right)];
  return [expr];
}

const text = (expr: Expr) =>
  JSON.stringify(expr, (_key, value) => (typeof value === 'bigint' ? `${value}n` : value));

/** A key equal for equal conjuncts, `a = b` and `b = a` included. */
function conjunctKey(expr: Expr): string {
  if (expr.kind === 'binary' && expr.op === '=') {
    const sides = [text(expr.left), text(expr.right)].sort();
    return `=${sides[0]}\u0000${sides[1]}`;
  }
  return text(expr);
}

/** The OR with its shared conjuncts taken out; the same node when nothing is shared. */
export function factorOr(expr: Expr): Expr {
  if (expr.kind !== 'binary' || expr.op !== 'or') return expr;
  const branches = disjuncts(expr).map(conjuncts);
  const [first, ...rest] = branches;
  const shared = first!.filter((part) => {
    const key = conjunctKey(part);
    return rest.every((branch) => branch.some((other) => conjunctKey(other) === key));
  });
  if (shared.length === 0) return expr;
  const sharedKeys = new Set(shared.map(conjunctKey));
  const remaining = branches.map((branch) => branch.filter((part) => !sharedKeys.has(conjunctKey(part))));
  // A branch left with nothing is TRUE: the OR of the rest adds no condition.
  const or = remaining.some((branch) => branch.length === 0)
    ? undefined
    : remaining
        .map((branch) => conjunction(branch)!)
        .reduce((all, branch) => Exprs.binary('or', all, branch));
  return conjunction(or ? [...shared, or] : shared)!;
}

/** Every OR inside an expression factored, innermost first; the same node when none changes. */
export function factorOrs(expr: Expr): Expr {
  if (!someExpr(expr, isOr)) return expr;
  const factored = mapExpr(expr, (node) =>
    isOr(node) ? factorOr(Exprs.binary('or', factorOrs(node.left), factorOrs(node.right))) : undefined,
  );
  return text(factored) === text(expr) ? expr : factored;
}

/**
 * For an inner join's condition, what each OR in it implies about one side alone: when every
 * branch has conjuncts over only that side's columns, the OR of those parts holds for every
 * joined row, so it may filter that side before the join (TPC-H Q19: each branch names a brand,
 * containers and sizes of the part, so only the parts of those three kinds are joined). The OR
 * stays in the condition; the implied conjuncts are added once (predicate pushdown moves them
 * below the join).
 */
function withImpliedSideFilters(on: Expr, sides: readonly ReadonlySet<string>[]): Expr {
  const parts = conjuncts(on);
  if (!parts.some(isOr)) return on;
  const present = new Set(parts.map(conjunctKey));
  const added: Expr[] = [];
  for (const part of parts) {
    if (part.kind !== 'binary' || part.op !== 'or') continue;
    const branches = disjuncts(part).map(conjuncts);
    for (const names of sides) {
      const onSide = (expr: Expr) => {
        const used = [...referencedColumns(expr)];
        return used.length > 0 && used.every((name) => names.has(name));
      };
      const sideParts = branches.map((branch) => branch.filter(onSide));
      // A branch without a condition on this side says nothing about it.
      if (sideParts.some((branchParts) => branchParts.length === 0)) continue;
      // Every branch wholly on this side: the OR itself moves, nothing to imply.
      if (sideParts.every((branchParts, i) => branchParts.length === branches[i]!.length)) continue;
      const implied = sideParts
        .map((branchParts) => conjunction(branchParts)!)
        .reduce((all, branch) => Exprs.binary('or', all, branch));
      const key = conjunctKey(implied);
      if (present.has(key)) continue;
      present.add(key);
      added.push(implied);
    }
  }
  return added.length === 0 ? on : conjunction([...parts, ...added])!;
}

export const orFactoring: Rule = {
  name: 'OR factoring',
  apply: (plan) =>
    transformUp(plan, (node): PlanNode => {
      if (node.kind === 'filter') {
        const predicate = factorOrs(node.predicate);
        return predicate === node.predicate ? node : Plans.filter(node.input, predicate);
      }
      if (node.kind === 'join' && node.on) {
        let on = factorOrs(node.on);
        if (node.type === 'inner' && node.using.length === 0) {
          const sides = [node.left, node.right].map(
            (side) => new Set(outputFields(side).map((field) => field.name)),
          );
          if (sides.every((names) => names.size > 0)) on = withImpliedSideFilters(on, sides);
        }
        return on === node.on ? node : Plans.join(node.left, node.right, node.type, node.using, on);
      }
      return node;
    }),
};
