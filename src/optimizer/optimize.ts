/**
 * The optimizer: named rules in order, then the split into pushed SQL and local steps.
 */
import type { PlanNode } from '../plan/nodes.ts';
import { type OptimizerContext, type Rule, runRules, type TraceStep } from './rule.ts';
import { constantFolding } from './rules/constant-folding.ts';
import { crossJoinReorder } from './rules/cross-join-reorder.ts';
import { limitPushdown } from './rules/limit-pushdown.ts';
import { localKeyFilter } from './rules/local-key-filter.ts';
import { orFactoring } from './rules/or-factoring.ts';
import { predicatePushdown } from './rules/predicate-pushdown.ts';
import { projectionPruning } from './rules/projection-pruning.ts';
import { subqueryRewrite } from './rules/subqueries.ts';
import { type SplitPlan, splitPlan } from './split.ts';

/**
 * In order: subqueries become joins before any rule could move an expression across their
 * scope; fold constants so predicates are simple; factor ORs so shared conjuncts can move;
 * add local key filters before predicate pushdown moves them to the tables; reorder cross
 * products of local joins once filters sit on their tables; prune last so it sees final shapes.
 */
export const RULES: readonly Rule[] = [
  subqueryRewrite,
  constantFolding,
  orFactoring,
  localKeyFilter,
  predicatePushdown,
  crossJoinReorder,
  limitPushdown,
  projectionPruning,
];

export interface Optimized {
  readonly logical: PlanNode;
  readonly optimized: PlanNode;
  readonly split: SplitPlan;
  readonly trace: readonly TraceStep[];
}

export function optimize(plan: PlanNode, ctx: OptimizerContext): Optimized {
  const trace: TraceStep[] = [];
  const optimized = runRules(plan, RULES, ctx, trace);
  return { logical: plan, optimized, split: splitPlan(optimized, ctx), trace };
}
