/**
 * Splits an optimized plan into the queries each database runs and the residual steps that run
 * locally. Bottom-up, a node joins its inputs' SQL when they are all pushed to the same
 * connection, its kind's push rule allows it, and the subtree compiles for that dialect. Every
 * maximal pushed subtree becomes one SQL statement, and a `values` leaf in the residual plan.
 */
import { conjunction, type Expr, Exprs, exprName } from '../plan/expr.ts';
import { type PlanKind, type PlanNode, Plans, planInputs, withInputs } from '../plan/nodes.ts';
import { outputFields } from '../plan/schema.ts';
import { NotPushable } from '../sql/compile-expr.ts';
import { type CompiledQuery, compilePlan } from '../sql/compile-plan.ts';
import type { Dialect } from '../sql/dialect.ts';
import { aggregatePushRule } from './pushdown/aggregate.ts';
import {
  distinctPushRule,
  limitPushRule,
  projectPushRule,
  sortPushRule,
  unionPushRule,
} from './pushdown/always-push.ts';
import { filterPushRule, filterVerdicts } from './pushdown/filter.ts';
import { joinPushRule } from './pushdown/join.ts';
import { keepLocal, type PushRule, type PushVerdict } from './pushdown/verdict.ts';
import { windowPushRule } from './pushdown/window.ts';
import type { OptimizerContext } from './rule.ts';

export interface PushedQuery {
  /** The id of the `values` leaf that stands for this query in the residual plan. */
  readonly id: string;
  readonly source: string;
  readonly dialect: Dialect;
  /** The plan subtree the SQL computes (the partition planner recompiles it per partition). */
  readonly subtree: PlanNode;
  readonly compiled: CompiledQuery;
}

export interface SplitPlan {
  readonly residual: PlanNode;
  readonly queries: readonly PushedQuery[];
  /** Why each local node stayed local, in plan order (for explain). */
  readonly localReasons: readonly string[];
  /** Where each window step runs and why (for explain). */
  readonly windows: readonly string[];
}

const LOCAL_ONLY: PushVerdict = keepLocal('a JavaScript function runs locally');

const PUSH_RULES: { [K in PlanKind]: PushRule<K> } = {
  scan: () => keepLocal('leaf'),
  sqlText: () => keepLocal('leaf'),
  values: () => keepLocal('rows already here'),
  filter: filterPushRule,
  jsFilter: () => LOCAL_ONLY,
  mapBatches: () => LOCAL_ONLY,
  project: projectPushRule,
  aggregate: aggregatePushRule,
  window: windowPushRule,
  sort: sortPushRule,
  limit: limitPushRule,
  distinct: distinctPushRule,
  join: joinPushRule,
  union: unionPushRule,
};

interface Placed {
  readonly node: PlanNode;
  /** The connection the whole subtree runs on, if it is pushed. */
  readonly source: string | undefined;
  /** Only a column projection may join a scan read with pushdown off (the baseline mode). */
  readonly baseline: boolean;
  /** A scan below has `pushdown: 'always'`: steps kept local by a cost estimate are pushed anyway. */
  readonly always?: boolean;
  /** For a local node: its inputs, placed. */
  readonly children: readonly Placed[];
}

/** A window step's columns, for explain. */
const windowColumns = (node: PlanNode): string =>
  node.kind === 'window' ? `window [${node.exprs.map((expr) => exprName(expr) ?? '?').join(', ')}]` : '';

export function splitPlan(plan: PlanNode, ctx: OptimizerContext): SplitPlan {
  const reasons: string[] = [];
  const windows: string[] = [];
  const placeWindow = (node: PlanNode, where: string) => {
    if (node.kind === 'window') windows.push(`${windowColumns(node)}: ${where}`);
  };
  const compiles = (node: PlanNode, dialect: Dialect): boolean => {
    try {
      compilePlan(node, { dialect });
      return true;
    } catch (error) {
      if (error instanceof NotPushable) {
        reasons.push(`${node.kind}: ${error.reason}`);
        return false;
      }
      throw error;
    }
  };

  const place = (node: PlanNode): Placed => {
    if (node.kind === 'scan' || node.kind === 'sqlText') {
      return {
        node,
        source: node.source,
        baseline: !node.options.pushdown,
        always: node.options.pushdown === 'always',
        children: [],
      };
    }
    const inputs = planInputs(node).map(place);
    const rebuilt = inputs.every((p, i) => p.node === planInputs(node)[i])
      ? node
      : withInputs(
          node,
          inputs.map((p) => p.node),
        );
    const local: Placed = { node: rebuilt, source: undefined, baseline: false, children: inputs };
    const source = inputs[0]?.source;
    if (source === undefined)
      placeWindow(rebuilt, 'here: its input is here (cached, local or computed here)');
    if (source === undefined || inputs.some((p) => p.source !== source)) {
      if (inputs.length === 2 && inputs.every((p) => p.source !== undefined)) {
        reasons.push(`${node.kind}: its inputs come from different connections`);
      }
      return local;
    }
    if (inputs.some((p) => p.baseline)) {
      const columnsOnly =
        rebuilt.kind === 'project' &&
        rebuilt.exprs.every((expr) => expr.kind === 'column') &&
        inputs.length === 1;
      placeWindow(rebuilt, 'here: pushdown is off');
      return columnsOnly ? { node: rebuilt, source, baseline: true, children: [] } : local;
    }
    const dialect = ctx.dialectOf(source);
    const verdict = (PUSH_RULES[rebuilt.kind] as PushRule)(rebuilt, dialect);
    const always = inputs.some((p) => p.always);
    if (!verdict.push && !(verdict.byCost && always)) {
      reasons.push(`${rebuilt.kind}: ${verdict.reason}`);
      placeWindow(rebuilt, verdict.reason);
      return local;
    }
    if (compiles(rebuilt, dialect)) {
      placeWindow(
        rebuilt,
        verdict.push
          ? `in the database: ${verdict.note}`
          : `in the database (pushdown 'always'): ${verdict.reason}`,
      );
      return { node: rebuilt, source, baseline: false, always, children: [] };
    }
    placeWindow(rebuilt, 'here: the database cannot run it (see why local)');
    if (rebuilt.kind === 'filter') return splitFilter(inputs[0]!, rebuilt.predicate, source, dialect);
    return local;
  };

  /** Pushes a filter's exact conjuncts (and weaker forms of inexact ones); the rest stays above. */
  const splitFilter = (placedInput: Placed, predicate: Expr, source: string, dialect: Dialect): Placed => {
    const input = placedInput.node;
    const verdicts = filterVerdicts(predicate, dialect);
    const pushed = conjunction(
      verdicts.flatMap((v) => (v.verdict === 'exact' ? [v.expr] : v.verdict === 'inexact' ? [v.pushed] : [])),
    );
    const kept =
      conjunction(verdicts.filter((v) => v.verdict !== 'exact').map((v) => v.expr)) ?? Exprs.literal(1);
    for (const v of verdicts)
      if (v.verdict !== 'exact') reasons.push(`filter: ${v.verdict} conjunct stays local`);
    const below: Placed =
      pushed && compiles(Plans.filter(input, pushed), dialect)
        ? {
            node: Plans.filter(input, pushed),
            source,
            baseline: false,
            always: placedInput.always,
            children: [],
          }
        : placedInput;
    return { node: Plans.filter(below.node, kept), source: undefined, baseline: false, children: [below] };
  };

  const queries: PushedQuery[] = [];
  const extract = (placed: Placed): PlanNode => {
    if (placed.source !== undefined) {
      const dialect = ctx.dialectOf(placed.source);
      const compiled = compilePlan(placed.node, { dialect });
      const id = `q${queries.length + 1}`;
      queries.push({ id, source: placed.source, dialect, subtree: placed.node, compiled });
      return Plans.values(
        id,
        outputFields(placed.node).length > 0 ? outputFields(placed.node) : compiled.fields,
      );
    }
    if (placed.children.length === 0) return placed.node;
    return withInputs(placed.node, placed.children.map(extract));
  };

  const residual = extract(place(plan));
  return { residual, queries, localReasons: reasons, windows };
}
