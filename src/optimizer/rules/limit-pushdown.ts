/**
 * Limit pushdown: a LIMIT moves below row-wise projections (so it reaches the database with the
 * query under them), and a copy of it (limit + offset rows) goes into each side of a UNION ALL,
 * with the original kept on top. Sort + limit is a top-N and compiles to ORDER BY … LIMIT.
 */
import { someExpr } from '../../plan/expr.ts';
import { type PlanNode, Plans, transformUp } from '../../plan/nodes.ts';
import type { Rule } from '../rule.ts';

const rowWise = (node: PlanNode) =>
  node.kind === 'project' &&
  !node.exprs.some((expr) => someExpr(expr, (n) => n.kind === 'window' || n.kind === 'aggregate'));

export const limitPushdown: Rule = {
  name: 'limit pushdown',
  apply: (plan) => {
    let changed = false;
    const result = transformUp(plan, (node) => {
      if (node.kind !== 'limit') return node;
      const input = node.input;
      if (input.kind === 'project' && rowWise(input)) {
        changed = true;
        return Plans.project(Plans.limit(input.input, node.limit, node.offset), input.exprs);
      }
      if (input.kind === 'union' && input.all && node.limit !== undefined) {
        const n = node.limit + node.offset;
        const hasCap = (side: PlanNode): boolean =>
          (side.kind === 'limit' && side.limit !== undefined && side.limit <= n && side.offset === 0) ||
          (rowWise(side) && hasCap((side as { input: PlanNode }).input));
        const capped = (side: PlanNode) => (hasCap(side) ? side : Plans.limit(side, n, 0));
        const left = capped(input.left);
        const right = capped(input.right);
        if (left === input.left && right === input.right) return node;
        changed = true;
        return Plans.limit(Plans.union(left, right, true), node.limit, node.offset);
      }
      return node;
    });
    return changed ? result : plan;
  },
};
