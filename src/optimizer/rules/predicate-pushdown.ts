/**
 * Predicate pushdown: each conjunct of a filter moves as far down as its meaning allows, through
 * projections (aliases are replaced by what they compute), sorts, DISTINCT, JS filters, group
 * keys, into the sides of joins and unions, so that the part below can run in the database. The
 * conjuncts that cannot move stay where they were. Whether a conjunct then runs in SQL is the
 * pushdown verdict's business (src/optimizer/pushdown/filter.ts).
 */

import { samePlan } from '../../plan/equal.ts';
import {
  conjunction,
  conjuncts,
  type Expr,
  Exprs,
  exprName,
  mapExpr,
  referencedColumns,
  someExpr,
  unalias,
} from '../../plan/expr.ts';
import { type FilterNode, type JoinNode, type PlanNode, Plans, transformUp } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import type { Rule } from '../rule.ts';

const filterOver = (input: PlanNode, exprs: readonly Expr[]): PlanNode => {
  const predicate = conjunction(exprs);
  return predicate ? pushFilter(Plans.filter(input, predicate)) : input;
};

const keepAbove = (input: PlanNode, exprs: readonly Expr[]): PlanNode => {
  const predicate = conjunction(exprs);
  return predicate ? Plans.filter(input, predicate) : input;
};

const isComputedByAggregateOrWindow = (expr: Expr) =>
  someExpr(expr, (node) => node.kind === 'aggregate' || node.kind === 'window');

/** Replaces column references by the expressions that produce them; undefined if one cannot be. */
function substitute(expr: Expr, definitions: ReadonlyMap<string, Expr>): Expr | undefined {
  let ok = true;
  const result = mapExpr(expr, (node) => {
    if (node.kind !== 'column') return undefined;
    const definition = definitions.get(node.name);
    if (!definition || isComputedByAggregateOrWindow(definition)) {
      ok = false;
      return node;
    }
    return definition;
  });
  return ok ? result : undefined;
}

/**
 * Conjuncts that can be written over a node's input (its output names replaced by the
 * expressions that define them), rewritten so; the others stay above the node.
 */
function splitByDefinitions(
  parts: readonly Expr[],
  outputs: readonly Expr[],
): { down: Expr[]; stay: Expr[] } {
  const definitions = new Map(outputs.map((expr) => [exprName(expr)!, unalias(expr)]));
  const down: Expr[] = [];
  const stay: Expr[] = [];
  for (const part of parts) {
    const rewritten = substitute(part, definitions);
    if (rewritten) down.push(rewritten);
    else stay.push(part);
  }
  return { down, stay };
}

function pushFilter(filter: FilterNode): PlanNode {
  const input = filter.input;
  const parts = conjuncts(filter.predicate);
  switch (input.kind) {
    case 'filter':
      return pushFilter(Plans.filter(input.input, conjunction([...conjuncts(input.predicate), ...parts])!));
    case 'sort':
    case 'distinct':
    case 'jsFilter':
      return { ...input, input: filterOver(input.input, parts) } as PlanNode;
    case 'project': {
      const { down, stay } = splitByDefinitions(parts, input.exprs);
      if (down.length === 0) return filter;
      return keepAbove(Plans.project(filterOver(input.input, down), input.exprs), stay);
    }
    case 'aggregate': {
      const { down, stay } = splitByDefinitions(parts, input.groupBy);
      if (down.length === 0) return filter;
      return keepAbove(Plans.aggregate(filterOver(input.input, down), input.groupBy, input.aggregates), stay);
    }
    case 'join': {
      const leftNames = new Set(outputFields(input.left).map((field) => field.name));
      const rightNames = new Set(outputFields(input.right).map((field) => field.name));
      if (leftNames.size === 0 || rightNames.size === 0) return filter;
      const toLeft = ['inner', 'left', 'semi', 'anti', 'cross'].includes(input.type);
      const toRight = ['inner', 'right', 'cross'].includes(input.type);
      const left: Expr[] = [];
      const right: Expr[] = [];
      const stay: Expr[] = [];
      for (const part of parts) {
        const used = [...referencedColumns(part)];
        if (toLeft && used.every((name) => leftNames.has(name))) left.push(part);
        else if (toRight && used.every((name) => rightNames.has(name) && !input.using.includes(name)))
          right.push(part);
        else if (toRight && input.type === 'right' && used.every((name) => rightNames.has(name)))
          right.push(part);
        else stay.push(part);
      }
      if (left.length === 0 && right.length === 0) return filter;
      const join = Plans.join(
        filterOver(input.left, left),
        filterOver(input.right, right),
        input.type,
        input.using,
        input.on,
      );
      return keepAbove(join, stay);
    }
    case 'union': {
      const leftNames = outputFields(input.left).map((field) => field.name);
      const rightNames = outputFields(input.right).map((field) => field.name);
      if (leftNames.length === 0 || rightNames.length !== leftNames.length) return filter;
      // Union is by position: the right side's columns may have other names.
      const renames = new Map(
        leftNames.map((name, index) => [name, Exprs.column(rightNames[index]!) as Expr]),
      );
      const rightParts = parts.map((part) => substitute(part, renames)!);
      return Plans.union(filterOver(input.left, parts), filterOver(input.right, rightParts), input.all);
    }
    default:
      return filter;
  }
}

/**
 * An inner join's condition conjuncts over one side's columns only filter that side before the
 * join (the same rows join); at least one conjunct stays the condition.
 */
function pushJoinCondition(join: JoinNode): PlanNode {
  if (join.type !== 'inner' || !join.on || join.using.length > 0) return join;
  const leftNames = new Set(outputFields(join.left).map((field) => field.name));
  const rightNames = new Set(outputFields(join.right).map((field) => field.name));
  if (leftNames.size === 0 || rightNames.size === 0) return join;
  const left: Expr[] = [];
  const right: Expr[] = [];
  const stay: Expr[] = [];
  for (const part of conjuncts(join.on)) {
    const used = [...referencedColumns(part)];
    if (used.length > 0 && used.every((name) => leftNames.has(name))) left.push(part);
    else if (used.length > 0 && used.every((name) => rightNames.has(name))) right.push(part);
    else stay.push(part);
  }
  if (stay.length === 0 || (left.length === 0 && right.length === 0)) return join;
  return Plans.join(
    filterOver(join.left, left),
    filterOver(join.right, right),
    join.type,
    join.using,
    conjunction(stay),
  );
}

export const predicatePushdown: Rule = {
  name: 'predicate pushdown',
  apply: (plan) => {
    let changed = false;
    const result = transformUp(plan, (node) => {
      if (node.kind === 'join') {
        const pushed = pushJoinCondition(node);
        if (pushed !== node) changed = true;
        return pushed;
      }
      if (node.kind !== 'filter') return node;
      const pushed = pushFilter(node);
      if (!samePlan(pushed, node)) changed = true;
      return pushed;
    });
    return changed ? result : plan;
  },
};
