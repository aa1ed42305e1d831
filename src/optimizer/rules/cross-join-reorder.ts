/**
 * Cross join reorder: `(A CROSS JOIN B) JOIN R ON c` becomes `(A JOIN R ON cA) JOIN B ON cB` when
 * c links A to R by an equality (cA: the conjuncts over A and R only) and the rest links B in
 * (cB: an equality between B and A or R). A comma-separated FROM list in SQL text names tables
 * in the writer's order, and a table with no condition against the one before it becomes a
 * cross product: TPC-H's `FROM part, supplier, partsupp, ...` (Q2, Q8, Q9) pairs every selected
 * part with every supplier before partsupp connects them. Inner joins commute and associate, so
 * joining through the linking table first gives the same rows without the product; a projection
 * on top keeps the columns in their order.
 *
 * Only joins that run locally are reordered (a leaf with pushdown off, local data, or leaves on
 * more than one source): a join pushed down whole is the database's to order, and the SQL sent
 * for it stays as written.
 */
import { conjunction, conjuncts, type Expr, Exprs, referencedColumns } from '../../plan/expr.ts';
import { type JoinNode, type PlanNode, Plans, planInputs, transformUp } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import type { Rule } from '../rule.ts';

/** A subtree's leaves summed up: whether one runs locally, and their one source (null: several). */
interface Leaves {
  readonly local: boolean;
  readonly source: string | null | undefined;
}

/** Each node's, worked out once (nodes are frozen; the rule runs over the same subtrees pass after pass). */
const leavesOf = new WeakMap<PlanNode, Leaves>();

function leavesSummary(node: PlanNode): Leaves {
  let summary = leavesOf.get(node);
  if (summary) return summary;
  if (node.kind === 'values') summary = { local: true, source: undefined };
  else if (node.kind === 'scan' || node.kind === 'sqlText')
    summary = { local: !node.options.pushdown, source: node.source };
  else {
    let local = false;
    let source: string | null | undefined;
    for (const input of planInputs(node)) {
      const inner = leavesSummary(input);
      local ||= inner.local;
      if (source === undefined) source = inner.source;
      else if (inner.source !== undefined && inner.source !== source) source = null;
    }
    summary = { local, source };
  }
  leavesOf.set(node, summary);
  return summary;
}

/** Whether the join runs here: a leaf is local data or not pushed down, or its leaves span several sources. */
function runsLocally(node: PlanNode): boolean {
  const { local, source } = leavesSummary(node);
  return local || source === null;
}

const namesOf = (node: PlanNode): ReadonlySet<string> =>
  new Set(outputFields(node).map((field) => field.name));

const within = (expr: Expr, names: ReadonlySet<string>, also?: ReadonlySet<string>): boolean => {
  const used = referencedColumns(expr);
  return used.size > 0 && [...used].every((name) => names.has(name) || (also?.has(name) ?? false));
};

/** Some conjunct is an equality between a side over `x` and a side over `y`. */
const links = (parts: readonly Expr[], x: ReadonlySet<string>, y: ReadonlySet<string>): boolean =>
  parts.some(
    (part) =>
      part.kind === 'binary' &&
      part.op === '=' &&
      ((within(part.left, x) && within(part.right, y)) || (within(part.left, y) && within(part.right, x))),
  );

function reorder(node: JoinNode): PlanNode {
  const cross = node.left;
  if (node.type !== 'inner' || node.using.length > 0 || !node.on) return node;
  if (cross.kind !== 'join' || cross.type !== 'cross') return node;
  if (!runsLocally(node)) return node;
  const parts = conjuncts(node.on);
  const rightNames = namesOf(node.right);
  for (const [near, far] of [
    [cross.left, cross.right],
    [cross.right, cross.left],
  ] as const) {
    const nearNames = namesOf(near);
    const farNames = namesOf(far);
    const first = parts.filter((part) => within(part, nearNames, rightNames));
    const rest = parts.filter((part) => !first.includes(part));
    const joined = new Set([...nearNames, ...rightNames]);
    if (!links(first, nearNames, rightNames) || !links(rest, farNames, joined)) continue;
    const inner = Plans.join(near, node.right, 'inner', [], conjunction(first));
    const outer = Plans.join(inner, far, 'inner', [], conjunction(rest));
    return Plans.project(
      outer,
      outputFields(node).map((field) => Exprs.column(field.name)),
    );
  }
  return node;
}

export const crossJoinReorder: Rule = {
  name: 'cross-join-reorder',
  apply: (plan) => transformUp(plan, (node) => (node.kind === 'join' ? reorder(node) : node)),
};
