/**
 * What subquery planning needs to know about a plan: the expressions each node holds, and the
 * outer columns (`outer(name)`) a subquery's plan reads from the enclosing query's row.
 */
import { childExprs, type Expr, Exprs, type SubqueryExpr, type SubqueryMode, someExpr } from './expr.ts';
import { type PlanNode, planInputs } from './nodes.ts';

/** The expressions a node evaluates, in a fixed order. */
export function nodeExprs(node: PlanNode): readonly Expr[] {
  switch (node.kind) {
    case 'filter':
      return [node.predicate];
    case 'project':
    case 'window':
      return node.exprs;
    case 'aggregate':
      return [...node.groupBy, ...node.aggregates];
    case 'sort':
      return node.keys.map((key) => key.expr);
    case 'join':
      return node.on ? [node.on] : [];
    default:
      return [];
  }
}

/** The outer columns an expression reads at this level (not those of subqueries nested in it). */
function outerNames(expr: Expr, into: Set<string>): void {
  if (expr.kind === 'outer') into.add(expr.name);
  else if (expr.kind === 'subquery') {
    if (expr.operand) outerNames(expr.operand, into);
  } else for (const child of childExprs(expr)) outerNames(child, into);
}

/** The enclosing query's columns that `plan` reads, in first-use order. */
export function outerReferences(plan: PlanNode): string[] {
  const names = new Set<string>();
  const visit = (node: PlanNode) => {
    for (const expr of nodeExprs(node)) outerNames(expr, names);
    planInputs(node).forEach(visit);
  };
  visit(plan);
  return [...names];
}

/** True when the expression reads an outer column at this level. */
export function readsOuter(expr: Expr): boolean {
  const names = new Set<string>();
  outerNames(expr, names);
  return names.size > 0;
}

/** True when any node of the plan reads an outer column. */
export function planReadsOuter(plan: PlanNode): boolean {
  return outerReferences(plan).length > 0;
}

export const containsSubquery = (expr: Expr): boolean => someExpr(expr, (node) => node.kind === 'subquery');

export const nodeHasSubquery = (node: PlanNode): boolean => nodeExprs(node).some(containsSubquery);

/** True when some node of the tree (not looking inside subqueries) holds a subquery expression. */
export function planHasSubquery(plan: PlanNode): boolean {
  return nodeHasSubquery(plan) || planInputs(plan).some(planHasSubquery);
}

/** A subquery over `plan`, its correlation found from the plan. */
export function subqueryOf(
  mode: SubqueryMode,
  plan: PlanNode,
  operand?: Expr,
  negated = false,
): SubqueryExpr {
  return Exprs.subquery(mode, plan, outerReferences(plan), operand, negated);
}
