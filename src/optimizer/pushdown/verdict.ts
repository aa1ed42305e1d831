import type { PlanKind, PlanNode } from '../../plan/nodes.ts';
import type { Dialect } from '../../sql/dialect.ts';

/**
 * Whether a node may join the SQL of its (already pushed) inputs, and why not. `byCost`: the
 * database could run it, but the estimate says the local side is cheaper (`pushdown: 'always'`
 * pushes it anyway).
 */
export type PushVerdict =
  | { readonly push: true; readonly note?: string }
  | { readonly push: false; readonly reason: string; readonly byCost?: true };

export const PUSH: PushVerdict = Object.freeze({ push: true });
export const keepLocal = (reason: string): PushVerdict => Object.freeze({ push: false, reason });
export const keepCheaperLocal = (reason: string): PushVerdict =>
  Object.freeze({ push: false, reason, byCost: true });

/**
 * A pushdown rule for one kind of node. It only decides what the dialect's capabilities allow;
 * the splitter then compiles the subtree, and a subtree that does not compile stays local too.
 */
export type PushRule<K extends PlanKind = PlanKind> = (
  node: Extract<PlanNode, { kind: K }>,
  dialect: Dialect,
) => PushVerdict;
