/**
 * Local key filter: a join of database rows with a small local side (a `db.fromArrow` table, a
 * cached frame) filters the database side by the local side's keys, `key IN (…)` with each key a
 * parameter, so the database sends only the rows that can match (a broadcast of the small side's
 * keys, as Spark's dynamic partition pruning does). The join itself still runs locally.
 *
 * Filtering side X by the keys of side Y is exact when X's rows that match no Y row never reach
 * the output: X is the right side of inner, left, semi and anti joins, the left side of inner and
 * right joins. The keys are the local table's own values for a column that reaches the join
 * unchanged; the steps between may drop rows, which only makes the key list a superset.
 */
import { type Expr, Exprs, unalias } from '../../plan/expr.ts';
import { type JoinNode, type PlanNode, Plans, planLeaves, transformUp } from '../../plan/nodes.ts';
import type { OptimizerContext, Rule } from '../rule.ts';

const made = new WeakSet<PlanNode>();

/** The values leaf whose `column` reaches the top of `node` unchanged, if `node` is local data only. */
function localColumnSource(node: PlanNode, column: string): string | undefined {
  switch (node.kind) {
    case 'values':
      return node.fields.some((field) => field.name === column) ? node.id : undefined;
    case 'filter':
    case 'sort':
    case 'limit':
    case 'distinct':
      return localColumnSource(node.input, column);
    case 'project': {
      const passes = node.exprs.some((expr) => {
        const inner = unalias(expr);
        const name = expr.kind === 'alias' ? expr.name : inner.kind === 'column' ? inner.name : undefined;
        return name === column && inner.kind === 'column' && inner.name === column;
      });
      return passes ? localColumnSource(node.input, column) : undefined;
    }
    default:
      return undefined;
  }
}

const readsDatabase = (node: PlanNode) =>
  planLeaves(node).some((leaf) => leaf.kind === 'scan' || leaf.kind === 'sqlText');

function filtered(side: PlanNode, local: PlanNode, column: string, ctx: OptimizerContext): PlanNode {
  if (made.has(side) || !readsDatabase(side)) return side;
  const id = localColumnSource(local, column);
  if (id === undefined) return side;
  const keys = ctx.localKeys?.(id, column);
  if (keys === undefined) return side;
  const predicate: Expr =
    keys.length === 0
      ? Exprs.literal(0)
      : Exprs.in(
          Exprs.column(column),
          keys.map((key) => Exprs.literal(key)),
        );
  const node = Plans.filter(side, predicate);
  made.add(node);
  return node;
}

function rewrite(join: JoinNode, ctx: OptimizerContext): PlanNode {
  if (join.using.length === 0) return join;
  const column = join.using[0]!;
  const filterRight = ['inner', 'left', 'semi', 'anti'].includes(join.type);
  const filterLeft = join.type === 'inner' || join.type === 'right';
  const right = filterRight ? filtered(join.right, join.left, column, ctx) : join.right;
  const left = filterLeft ? filtered(join.left, join.right, column, ctx) : join.left;
  if (left === join.left && right === join.right) return join;
  return Plans.join(left, right, join.type, join.using, join.on);
}

export const localKeyFilter: Rule = {
  name: 'local key filter',
  apply: (plan, ctx) => {
    if (!ctx.localKeys) return plan;
    return transformUp(plan, (node) => (node.kind === 'join' ? rewrite(node, ctx) : node));
  },
};
