/**
 * Projection pruning: only the columns some later step reads are fetched. Required columns are
 * collected top-down; above each table scan that has more columns than needed, a projection of
 * just those columns is added (it becomes the SELECT list of the pushed query, in either mode).
 */

import { samePlan } from '../../plan/equal.ts';
import { type Expr, exprName, referencedColumns, unalias } from '../../plan/expr.ts';
import { type PlanNode, Plans } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import type { Rule } from '../rule.ts';

/** Undefined means every column. */
type Required = ReadonlySet<string> | undefined;

const refs = (exprs: readonly Expr[], into = new Set<string>()): Set<string> => {
  for (const expr of exprs) referencedColumns(expr, into);
  return into;
};
const union = (required: Required, more: Iterable<string>): Required =>
  required === undefined ? undefined : new Set([...required, ...more]);

const isPlainColumns = (exprs: readonly Expr[]) =>
  exprs.every((expr) => {
    const inner = unalias(expr);
    return inner.kind === 'column' && inner.name === exprName(expr);
  });

/**
 * The outputs of a projection some later step reads (all of them when `required` is every
 * column): a projection listing every column of a subquery's table (`SELECT *` or the rename
 * a decorrelated subquery gets) otherwise makes its scan read every column. At least one stays,
 * so a projection nothing reads (under a COUNT(*)) still has rows.
 */
function keptOutputs(exprs: readonly Expr[], required: Required): readonly Expr[] {
  if (required === undefined) return exprs;
  const kept = exprs.filter((expr) => {
    const name = exprName(expr);
    return name === undefined || required.has(name);
  });
  return kept.length > 0 ? kept : exprs.slice(0, 1);
}

/**
 * Prunes below `node` (the node itself when nothing below it changes); with `narrow`, a node
 * that outputs more than `required` also gets a projection of just those columns on top (not
 * under a projection, which already narrows).
 */
function prune(node: PlanNode, required: Required, narrow = true): PlanNode {
  const pruned = pruneInputs(node, required);
  if (
    !narrow ||
    required === undefined ||
    node.kind === 'scan' ||
    node.kind === 'sqlText' ||
    node.kind === 'project'
  ) {
    return pruned;
  }
  const fields = outputFields(pruned);
  if (fields.length === 0 || fields.every((field) => required.has(field.name))) return pruned;
  const kept = fields.filter((field) => required.has(field.name));
  if (kept.length === 0) return pruned;
  return Plans.project(
    pruned,
    kept.map((field) => ({ kind: 'column', name: field.name }) as Expr),
  );
}

function pruneInputs(node: PlanNode, required: Required): PlanNode {
  switch (node.kind) {
    case 'scan':
    case 'sqlText': {
      if (required === undefined || node.fields.length === 0) return node;
      const kept = node.fields.filter((field) => required.has(field.name));
      if (kept.length === node.fields.length || kept.length === 0) return node;
      return Plans.project(
        node,
        kept.map((field) => ({ kind: 'column', name: field.name }) as Expr),
      );
    }
    case 'values':
      return node;
    case 'project': {
      // keptOutputs keeps the order: as many outputs means the same ones.
      const kept = keptOutputs(node.exprs, required);
      const exprs = kept.length === node.exprs.length ? node.exprs : kept;
      if (isPlainColumns(exprs) && (node.input.kind === 'scan' || node.input.kind === 'sqlText'))
        return exprs === node.exprs ? node : Plans.project(node.input, exprs);
      const input = prune(node.input, refs(exprs), false);
      return input === node.input && exprs === node.exprs ? node : Plans.project(input, exprs);
    }
    case 'filter': {
      const input = prune(node.input, union(required, referencedColumns(node.predicate)));
      return input === node.input ? node : Plans.filter(input, node.predicate);
    }
    case 'sort': {
      const input = prune(node.input, union(required, refs(node.keys.map((key) => key.expr))));
      return input === node.input ? node : Plans.sort(input, node.keys);
    }
    case 'limit': {
      const input = prune(node.input, required);
      return input === node.input ? node : Plans.limit(input, node.limit, node.offset);
    }
    case 'aggregate': {
      const input = prune(node.input, refs([...node.groupBy, ...node.aggregates]));
      return input === node.input ? node : Plans.aggregate(input, node.groupBy, node.aggregates);
    }
    case 'window': {
      let inputRequired: Required;
      if (required !== undefined) {
        const added = new Set(node.exprs.map((expr) => exprName(expr)!));
        inputRequired = refs(node.exprs, new Set([...required].filter((name) => !added.has(name))));
      }
      const input = prune(node.input, inputRequired);
      return input === node.input ? node : Plans.window(input, node.exprs);
    }
    case 'join': {
      const leftNames = new Set(outputFields(node.left).map((f) => f.name));
      const rightNames = new Set(outputFields(node.right).map((f) => f.name));
      const condition = new Set([...node.using, ...(node.on ? referencedColumns(node.on) : [])]);
      const side = (names: Set<string>, outputs: boolean): Required => {
        if (names.size === 0) return undefined;
        const wanted = outputs ? (required ?? names) : new Set<string>();
        return new Set([...wanted, ...condition].filter((name) => names.has(name)));
      };
      const rightOutputs = node.type !== 'semi' && node.type !== 'anti';
      const left = prune(node.left, side(leftNames, true));
      const right = prune(node.right, side(rightNames, rightOutputs));
      return left === node.left && right === node.right
        ? node
        : Plans.join(left, right, node.type, node.using, node.on);
    }
    // These read every column of their input.
    case 'distinct':
    case 'union':
    case 'jsFilter':
    case 'mapBatches': {
      if (node.kind === 'union') {
        const left = prune(node.left, undefined);
        const right = prune(node.right, undefined);
        return left === node.left && right === node.right ? node : Plans.union(left, right, node.all);
      }
      const input = prune(node.input, undefined);
      return input === node.input ? node : ({ ...node, input } as PlanNode);
    }
  }
}

export const projectionPruning: Rule = {
  name: 'projection pruning',
  apply: (plan) => {
    const pruned = prune(plan, undefined);
    return pruned === plan || samePlan(pruned, plan) ? plan : pruned;
  },
};
