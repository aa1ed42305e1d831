/**
 * Optimizer rules are named, run in a fixed order, each to a fixed point with a pass cap (as
 * Spark's RuleExecutor does). A rule that changes the plan's output columns is a bug, and the
 * optimizer stops with an error naming the rule.
 */
import { SluiceError } from '../base/errors.ts';
import type { LiteralValue } from '../plan/expr.ts';
import type { PlanNode } from '../plan/nodes.ts';
import { outputFields } from '../plan/schema.ts';
import type { Dialect } from '../sql/dialect.ts';

export interface OptimizerContext {
  /** The dialect of each source (connection id). */
  readonly dialectOf: (source: string) => Dialect;
  /**
   * The distinct values of a column of local data (a `values` leaf the program supplied), when
   * they are here and few; undefined otherwise. Lets a join filter the database side by them.
   */
  readonly localKeys?: (valuesId: string, column: string) => readonly LiteralValue[] | undefined;
}

export interface Rule {
  readonly name: string;
  apply(plan: PlanNode, ctx: OptimizerContext): PlanNode;
}

export interface TraceStep {
  readonly rule: string;
  readonly plan: PlanNode;
}

const MAX_PASSES = 10;

export function runRules(
  plan: PlanNode,
  rules: readonly Rule[],
  ctx: OptimizerContext,
  trace?: TraceStep[],
): PlanNode {
  const columns = (node: PlanNode) =>
    outputFields(node)
      .map((field) => field.name)
      .join(',');
  const before = columns(plan);
  let current = plan;
  for (const rule of rules) {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const next = rule.apply(current, ctx);
      if (next === current) break;
      if (columns(next) !== before) {
        throw new SluiceError('PLAN_INVALID', `optimizer rule '${rule.name}' changed the output columns`);
      }
      current = next;
      trace?.push({ rule: rule.name, plan: current });
    }
  }
  return current;
}
