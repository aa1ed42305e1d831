/**
 * Plans of repeated SQL text, made once. Text without parameters keeps its plan whole (a
 * template with no markers: nothing to swap, so any plan qualifies, subqueries included), so a
 * repeated query skips parsing, planning and optimizing as a prepared statement would.
 *
 * Text with `?` parameters is templated: it is planned with a marker
 * value in place of each parameter (a string or integer no query holds); a later call with the
 * same text and parameter shape gets that plan with its own values swapped in for the markers,
 * and the runtime optimizes a template once (`FrameRuntime`), swapping values into the
 * optimized plan and recompiling only the pushed SQL.
 *
 * Swapping is sound because planning does not look inside a string or integer literal except
 * to compute with it: a marker that planning folded, converted or dropped is no longer found,
 * and such text is not templated (each marker must come out exactly once, unchanged). Values
 * whose form changes the plan (NULL, booleans, decimals, big integers) are part of the shape,
 * so they are planned as written.
 */
import { type Expr, Exprs, type LiteralValue, mapExpr, someExpr } from '../plan/expr.ts';
import { type PlanNode, transformUp } from '../plan/nodes.ts';
import { nodeExprs, planHasSubquery } from '../plan/subquery.ts';
import type { SqlParam } from './sql-text/params.ts';

export interface PlanTemplate {
  /** The plan made with the markers. */
  readonly plan: PlanNode;
  /** The marker of each parameter (undefined: the value is planned as written). */
  readonly markers: readonly (LiteralValue | undefined)[];
}

const INT32 = 2 ** 31 - 1;
const STRING_MARKER = '\u0001sluice-param-';
const INT_MARKER = 1_900_000_000;

/** A parameter planned through a marker: strings and integers of INT range; their sign is part of the shape. */
function shapeOf(value: SqlParam): string | undefined {
  if (typeof value === 'string') return 's';
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= INT32)
    return value < 0 ? 'i-' : 'i+';
  return undefined;
}

/** The cache key of text with these parameters: templated ones by shape, the rest by value. */
export function templateKey(text: string, params: readonly SqlParam[]): string {
  return JSON.stringify([text, params.map((value) => shapeOf(value) ?? { v: value })]);
}

/** The parameter values to plan the template with: markers where the shape allows. */
export function markerParams(params: readonly SqlParam[]): {
  values: SqlParam[];
  markers: (LiteralValue | undefined)[];
} {
  const markers = params.map((value, i): LiteralValue | undefined => {
    const shape = shapeOf(value);
    if (shape === 's') return `${STRING_MARKER}${i}`;
    if (shape === 'i+') return INT_MARKER + i;
    if (shape === 'i-') return -(INT_MARKER + i);
    return undefined;
  });
  return { values: params.map((value, i) => (markers[i] ?? value) as SqlParam), markers };
}

/** Rebuilds a node with every expression passed through `f`. */
function mapNodeExprs(node: PlanNode, f: (expr: Expr) => Expr): PlanNode {
  switch (node.kind) {
    case 'filter':
      return Object.freeze({ ...node, predicate: f(node.predicate) });
    case 'project':
    case 'window':
      return Object.freeze({ ...node, exprs: Object.freeze(node.exprs.map(f)) });
    case 'aggregate':
      return Object.freeze({
        ...node,
        groupBy: Object.freeze(node.groupBy.map(f)),
        aggregates: Object.freeze(node.aggregates.map(f)),
      });
    case 'sort':
      return Object.freeze({
        ...node,
        keys: Object.freeze(node.keys.map((key) => Object.freeze({ ...key, expr: f(key.expr) }))),
      });
    case 'join':
      return node.on ? Object.freeze({ ...node, on: f(node.on) }) : node;
    default:
      return node;
  }
}

/** The literals of a plan equal to one of `values` (not decimals), counted by value. */
export function countLiterals(plan: PlanNode, values: ReadonlySet<LiteralValue>): Map<LiteralValue, number> {
  const counts = new Map<LiteralValue, number>();
  const visit = (expr: Expr): boolean => {
    if (expr.kind === 'literal' && !expr.decimal && values.has(expr.value))
      counts.set(expr.value, (counts.get(expr.value) ?? 0) + 1);
    return false;
  };
  transformUp(plan, (node) => {
    for (const expr of nodeExprs(node)) someExpr(expr, visit);
    return node;
  });
  return counts;
}

/** `plan` with each literal equal to a key of `swap` replaced by its value. */
export function swapLiterals(plan: PlanNode, swap: ReadonlyMap<LiteralValue, LiteralValue>): PlanNode {
  const replace = (expr: Expr): Expr | undefined =>
    expr.kind === 'literal' && !expr.decimal && swap.has(expr.value)
      ? Exprs.literal(swap.get(expr.value)!)
      : undefined;
  return transformUp(plan, (node) =>
    nodeExprs(node).length === 0 ? node : mapNodeExprs(node, (expr) => mapExpr(expr, replace)),
  );
}

/** The template of text without parameters: its plan, kept whole. */
export function keptPlan(plan: PlanNode): PlanTemplate {
  return Object.freeze({ plan, markers: Object.freeze([]) });
}

/** The template of a marker plan, or undefined when a marker did not come out exactly once. */
export function makeTemplate(
  plan: PlanNode,
  markers: readonly (LiteralValue | undefined)[],
): PlanTemplate | undefined {
  const used = markers.filter((m): m is LiteralValue => m !== undefined);
  if (used.length === 0 || planHasSubquery(plan)) return undefined;
  let opaque = false;
  transformUp(plan, (node) => {
    if (
      node.kind === 'sqlText' ||
      node.kind === 'values' ||
      node.kind === 'jsFilter' ||
      node.kind === 'mapBatches'
    )
      opaque = true;
    return node;
  });
  if (opaque) return undefined;
  const counts = countLiterals(plan, new Set(used));
  if (used.some((marker) => counts.get(marker) !== 1)) return undefined;
  return Object.freeze({ plan, markers: Object.freeze([...markers]) });
}

/** Marker → value for one call. */
export function swapFor(
  template: PlanTemplate,
  params: readonly SqlParam[],
): Map<LiteralValue, LiteralValue> {
  const swap = new Map<LiteralValue, LiteralValue>();
  template.markers.forEach((marker, i) => {
    // -0 is written as 0 in SQL text: the same value as planning the text would give.
    if (marker !== undefined) swap.set(marker, Object.is(params[i], -0) ? 0 : (params[i] as LiteralValue));
  });
  return swap;
}

/** Which template (and values) a plan was made from, for the runtime's cache of optimized templates. */
const instances = new WeakMap<
  PlanNode,
  { template: PlanTemplate; swap: ReadonlyMap<LiteralValue, LiteralValue> }
>();

/** The template's plan with these parameters' values. */
export function instantiate(template: PlanTemplate, params: readonly SqlParam[]): PlanNode {
  const swap = swapFor(template, params);
  const plan = swap.size === 0 ? template.plan : swapLiterals(template.plan, swap);
  instances.set(plan, { template, swap });
  return plan;
}

export function instanceOf(
  plan: PlanNode,
): { template: PlanTemplate; swap: ReadonlyMap<LiteralValue, LiteralValue> } | undefined {
  return instances.get(plan);
}
