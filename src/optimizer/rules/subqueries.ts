/**
 * Subqueries into joins, the classic decorrelation (Spark's RewritePredicateSubquery and
 * RewriteCorrelatedScalarSubquery, Galindo-Legaria's rules):
 *
 * - `EXISTS (S)` / `NOT EXISTS (S)` in a WHERE conjunct: a semi / anti join of the row with S,
 *   on the correlated predicates pulled out of S.
 * - `x IN (S)`: a semi join on `x = s` and the correlated predicates.
 * - `x NOT IN (S)`: an anti join on `(x = s OR x IS NULL OR s IS NULL)` and the correlated
 *   predicates: a row is dropped when some row of S equals it or when either side is NULL
 *   (`x NOT IN` a set holding NULL is never true), and kept when S is empty, as SQL says.
 * - a scalar `(S)` anywhere in a filter or a projection: a left join with S grouped by its
 *   correlated columns (so one row per outer key) and a column in place of the subquery; an
 *   uncorrelated aggregate without GROUP BY has exactly one row and joins as a cross join.
 *
 * Correlated predicates are the conjuncts of S's filters (and inner join conditions) that read
 * an `outer(name)` column. They move up through filters, projections (which then keep the inner
 * columns the predicates read), inner joins and sorts; through an aggregate only equalities
 * move, each adding its inner side to the GROUP BY. A correlated COUNT without GROUP BY reads
 * COALESCE(count, 0), as an outer row no inner row matches finds no group (the COUNT bug).
 * Anything else (a correlated LIMIT, window, outer join, a COUNT inside an expression) is not
 * rewritten, and the rule
 * fails with a PlanError naming it; SQL text planning checks this first and keeps such a
 * statement as written.
 *
 * The rule runs first, before other rules could move expressions across the subquery's scope.
 */
import { PlanError } from '../../base/errors.ts';
import {
  conjunction,
  conjuncts,
  type Expr,
  Exprs,
  exprName,
  mapExpr,
  referencedColumns,
  type SubqueryExpr,
  someExpr,
  unalias,
} from '../../plan/expr.ts';
import { type Field, type PlanNode, Plans, planInputs, transformUp } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import {
  containsSubquery,
  nodeHasSubquery,
  planHasSubquery,
  planReadsOuter,
  readsOuter,
} from '../../plan/subquery.ts';
import type { Rule } from '../rule.ts';

/** The plan could not be decorrelated: why, for explain and the SQL-text fallback. */
export class SubqueryNotRewritten extends PlanError {
  constructor(readonly reason: string) {
    super(`subquery not planned: ${reason}`, { reason });
  }
}

const unsupported = (reason: string): never => {
  throw new SubqueryNotRewritten(reason);
};

/** S without its correlation, and the predicates (with `outer(…)` columns) taken out of it. */
interface Pulled {
  readonly plan: PlanNode;
  readonly preds: readonly Expr[];
}

/** Fresh names for the columns the rewrite adds, unique in one run of the rule. */
class Names {
  private next = 1;
  fresh(prefix: string, taken: ReadonlySet<string>): string {
    let name = `${prefix}${this.next++}`;
    while (taken.has(name)) name = `${prefix}${this.next++}`;
    return name;
  }
}

const fieldNames = (plan: PlanNode): string[] => outputFields(plan).map((field) => field.name);

/** Inner columns the predicates read (outer columns are `outer` nodes, not columns). */
const innerColumns = (preds: readonly Expr[]): string[] => [
  ...new Set(preds.flatMap((pred) => [...referencedColumns(pred)])),
];

function pullUp(node: PlanNode, mode: SubqueryExpr['mode'], names: Names): Pulled {
  if (!planReadsOuter(node)) return { plan: node, preds: [] };
  switch (node.kind) {
    case 'filter': {
      const inner = pullUp(node.input, mode, names);
      const parts = conjuncts(node.predicate);
      const correlated = parts.filter(readsOuter);
      const local = parts.filter((part) => !readsOuter(part));
      if (correlated.some(containsSubquery)) unsupported('a correlated predicate holding another subquery');
      const plan = local.length > 0 ? Plans.filter(inner.plan, conjunction(local)!) : inner.plan;
      return { plan, preds: [...inner.preds, ...correlated] };
    }
    case 'project': {
      if (node.exprs.some(readsOuter)) unsupported('a select list that reads an outer column');
      const inner = pullUp(node.input, mode, names);
      const outputs = new Map(node.exprs.map((expr) => [exprName(expr)!, unalias(expr)]));
      const extra: Expr[] = [];
      for (const name of innerColumns(inner.preds)) {
        const existing = outputs.get(name);
        if (existing === undefined) extra.push(Exprs.column(name));
        else if (!(existing.kind === 'column' && existing.name === name)) {
          unsupported(`the select list names '${name}', which a correlated predicate also reads`);
        }
      }
      return { plan: Plans.project(inner.plan, [...node.exprs, ...extra]), preds: inner.preds };
    }
    case 'aggregate': {
      if ([...node.groupBy, ...node.aggregates].some(readsOuter)) {
        unsupported('an aggregate that reads an outer column');
      }
      if (mode !== 'scalar') unsupported('an aggregate under a correlated EXISTS or IN');
      const inner = pullUp(node.input, mode, names);
      const groupBy = [...node.groupBy];
      const taken = new Set(fieldNames(node));
      const preds = inner.preds.map((pred) => {
        if (pred.kind !== 'binary' || pred.op !== '=') {
          return unsupported('a correlated predicate other than an equality under an aggregate');
        }
        const [outerSide, innerSide] = readsOuter(pred.left)
          ? [pred.left, pred.right]
          : [pred.right, pred.left];
        if (
          readsOuter(innerSide) ||
          referencedColumns(outerSide).size > 0 ||
          referencedColumns(innerSide).size === 0
        ) {
          return unsupported('a correlated equality that mixes outer and inner columns on one side');
        }
        const existing = groupBy.find((key) => sameExpr(unalias(key), innerSide));
        let keyName: string;
        if (existing) keyName = exprName(existing) ?? unsupported('an unnamed grouping key');
        else if (innerSide.kind === 'column') {
          keyName = innerSide.name;
          groupBy.push(innerSide);
        } else {
          keyName = names.fresh('__key_', taken);
          groupBy.push(Exprs.alias(innerSide, keyName));
        }
        taken.add(keyName);
        return Exprs.binary('=', outerSide, Exprs.column(keyName));
      });
      return { plan: Plans.aggregate(inner.plan, groupBy, node.aggregates), preds };
    }
    case 'join': {
      if (node.type !== 'inner' && node.type !== 'cross') {
        unsupported(`an outer column under a ${node.type} join`);
      }
      const left = pullUp(node.left, mode, names);
      const right = pullUp(node.right, mode, names);
      const parts = node.on ? conjuncts(node.on) : [];
      const correlated = parts.filter(readsOuter);
      const local = conjunction(parts.filter((part) => !readsOuter(part)));
      const type = local ? 'inner' : node.type === 'inner' && node.using.length > 0 ? 'inner' : 'cross';
      return {
        plan: Plans.join(left.plan, right.plan, type, node.using, local),
        preds: [...left.preds, ...right.preds, ...correlated],
      };
    }
    case 'sort':
      // Order means nothing inside a subquery without LIMIT.
      return pullUp(node.input, mode, names);
    case 'distinct':
      if (mode === 'scalar') return unsupported('a correlated DISTINCT in a scalar subquery');
      // A semi or anti join only asks whether a row exists.
      return pullUp(node.input, mode, names);
    default:
      return unsupported(`an outer column under ${node.kind}`);
  }
}

const sameExpr = (a: Expr, b: Expr): boolean => JSON.stringify(a) === JSON.stringify(b);

/** `outer(x)` becomes the column x of the row the subquery is joined to. */
const outerToColumns = (expr: Expr): Expr =>
  mapExpr(expr, (node) => (node.kind === 'outer' ? Exprs.column(node.name) : undefined));

/**
 * The pulled subquery ready to join the outer plan: its columns that clash with the outer
 * plan's are renamed, and `rename` chooses new names for some columns (the scalar's value).
 */
function prepare(
  pulled: Pulled,
  outerFields: readonly Field[],
  names: Names,
  rename: ReadonlyMap<string, string> = new Map(),
): { plan: PlanNode; preds: Expr[]; renamed: Map<string, string> } {
  const outer = new Set(outerFields.map((field) => field.name));
  const inner = fieldNames(pulled.plan);
  const taken = new Set([...outer, ...inner]);
  const renamed = new Map<string, string>();
  for (const name of inner) {
    const target = rename.get(name) ?? (outer.has(name) ? names.fresh(`__sq_${name}_`, taken) : name);
    taken.add(target);
    renamed.set(name, target);
  }
  const changed = inner.some((name) => renamed.get(name) !== name);
  const plan = changed
    ? Plans.project(
        pulled.plan,
        inner.map((name) =>
          renamed.get(name) === name
            ? Exprs.column(name)
            : Exprs.alias(Exprs.column(name), renamed.get(name)!),
        ),
      )
    : pulled.plan;
  const preds = pulled.preds.map((pred) =>
    outerToColumns(
      mapExpr(pred, (node) =>
        node.kind === 'column' && renamed.has(node.name) ? Exprs.column(renamed.get(node.name)!) : undefined,
      ),
    ),
  );
  return { plan, preds, renamed };
}

/** The single column of an IN or scalar subquery. */
function valueColumn(sub: SubqueryExpr): string {
  const fields = fieldNames(sub.plan);
  if (fields.length !== 1) {
    throw new PlanError(
      `a subquery used as a value must return one column; this one returns ${fields.length}`,
      {
        columns: fields,
      },
    );
  }
  return fields[0]!;
}

const isCount = (expr: Expr): boolean =>
  expr.kind === 'aggregate' && (expr.fn === 'count' || expr.fn === 'countDistinct');

/**
 * How a subquery's output column depends on a COUNT: 'bare' when it is a COUNT of an aggregate
 * without GROUP BY (through renaming projections), 'derived' when a COUNT reaches it any other
 * way (an expression, a HAVING, a grouped COUNT), else 'none'.
 */
function countLineage(plan: PlanNode, column: string): 'bare' | 'derived' | 'none' {
  const hasCount = (node: PlanNode): boolean =>
    (node.kind === 'aggregate' && node.aggregates.some((expr) => someExpr(expr, isCount))) ||
    planInputs(node).some(hasCount);
  switch (plan.kind) {
    case 'project': {
      const expr = plan.exprs.find((e) => exprName(e) === column);
      if (expr === undefined) return 'none';
      const inner = unalias(expr);
      if (inner.kind === 'column') return countLineage(plan.input, inner.name);
      const reads = [...referencedColumns(inner)].map((name) => countLineage(plan.input, name));
      return reads.some((read) => read !== 'none') ? 'derived' : 'none';
    }
    case 'aggregate': {
      const expr = plan.aggregates.find((e) => exprName(e) === column);
      if (expr === undefined) return 'none';
      const inner = unalias(expr);
      if (isCount(inner)) return plan.groupBy.length === 0 ? 'bare' : 'derived';
      return someExpr(inner, isCount) ? 'derived' : 'none';
    }
    case 'sort':
      return countLineage(plan.input, column);
    default:
      return hasCount(plan) ? 'derived' : 'none';
  }
}

/** True when the plan is an aggregate without GROUP BY (under projections): always one row. */
function oneRow(plan: PlanNode): boolean {
  if (plan.kind === 'project') return oneRow(plan.input);
  return plan.kind === 'aggregate' && plan.groupBy.length === 0;
}

class Rewriter {
  readonly names = new Names();

  /** The plan with every subquery expression in it (and in its subqueries) rewritten. */
  plan(plan: PlanNode): PlanNode {
    return transformUp(plan, (node) => this.node(node));
  }

  private node(node: PlanNode): PlanNode {
    if (node.kind === 'filter' && containsSubquery(node.predicate))
      return this.filter(node.input, node.predicate);
    if (node.kind === 'project' && node.exprs.some(containsSubquery)) {
      let input = node.input;
      const exprs = node.exprs.map((expr) => {
        const replaced = this.scalars(input, expr);
        input = replaced.plan;
        return replaced.expr;
      });
      return Plans.project(input, exprs);
    }
    if (nodeHasSubquery(node)) return unsupported(`a subquery in ${node.kind}`);
    return node;
  }

  private filter(input: PlanNode, predicate: Expr): PlanNode {
    const fields = outputFields(input);
    let plan = input;
    const residual: Expr[] = [];
    for (const part of conjuncts(predicate)) {
      const sub = topSubquery(part);
      if (sub && sub.mode !== 'scalar') {
        plan = this.semiOrAnti(plan, sub);
        continue;
      }
      if (!containsSubquery(part)) {
        residual.push(part);
        continue;
      }
      const replaced = this.scalars(plan, part);
      plan = replaced.plan;
      residual.push(replaced.expr);
    }
    if (residual.length > 0) plan = Plans.filter(plan, conjunction(residual)!);
    if (fieldNames(plan).length !== fields.length) {
      plan = Plans.project(
        plan,
        fields.map((field) => Exprs.column(field.name)),
      );
    }
    return plan;
  }

  private semiOrAnti(plan: PlanNode, sub: SubqueryExpr): PlanNode {
    const value = sub.mode === 'in' ? valueColumn(sub) : undefined;
    const pulled = pullUp(this.plan(sub.plan), sub.mode, this.names);
    // The join reads only the IN value and the columns of the correlated predicates.
    const kept = [...new Set([...(value === undefined ? [] : [value]), ...innerColumns(pulled.preds)])];
    const narrowed =
      kept.length > 0 && kept.length < fieldNames(pulled.plan).length
        ? { plan: Plans.project(pulled.plan, kept.map(Exprs.column)), preds: pulled.preds }
        : pulled;
    const { plan: right, preds, renamed } = prepare(narrowed, outputFields(plan), this.names);
    const condition = [...preds];
    if (value !== undefined) {
      const operand = sub.operand!;
      const column = Exprs.column(renamed.get(value)!);
      const equal = Exprs.binary('=', operand, column);
      condition.unshift(
        sub.negated
          ? Exprs.binary('or', Exprs.binary('or', equal, Exprs.isNull(operand)), Exprs.isNull(column))
          : equal,
      );
    }
    // Without a condition any one row decides, so the join reads at most one.
    const joined = condition.length === 0 ? Plans.limit(right, 1) : right;
    return Plans.join(plan, joined, sub.negated ? 'anti' : 'semi', [], conjunction(condition));
  }

  /** Every scalar subquery in `expr` becomes a column of `plan` (joined in). */
  private scalars(plan: PlanNode, expr: Expr): { plan: PlanNode; expr: Expr } {
    let current = plan;
    const rewritten = mapExpr(expr, (node) => {
      if (node.kind !== 'subquery') return undefined;
      const joined = node.mode === 'scalar' ? this.scalar(current, node) : this.truthValue(current, node);
      current = joined.plan;
      return joined.value;
    });
    return { plan: current, expr: rewritten };
  }

  /**
   * EXISTS or IN inside another expression (under OR, in a select list) as a value from COUNT
   * subqueries joined like scalars: EXISTS is `n > 0`; `x IN (S)` is true when some value of S
   * equals x, else false when S is empty, else NULL when x or a value of S is NULL, else false.
   */
  private truthValue(plan: PlanNode, sub: SubqueryExpr): { plan: PlanNode; value: Expr } {
    const counted = (source: PlanNode, arg: Expr | undefined, correlated: readonly string[]) =>
      Exprs.subquery(
        'scalar',
        Plans.aggregate(source, [], [Exprs.alias(Exprs.aggregate('count', arg), '__count')]),
        correlated,
      );
    const zero = Exprs.literal(0);
    if (sub.mode === 'exists') {
      const rows = this.scalar(plan, counted(sub.plan, undefined, sub.correlated));
      const value = Exprs.binary(sub.negated ? '=' : '>', rows.value, zero);
      return { plan: rows.plan, value };
    }
    const operand = sub.operand!;
    if (containsSubquery(operand)) unsupported('IN with a subquery on its left');
    const column = Exprs.column(valueColumn(sub));
    const outerOperand = mapExpr(operand, (node) =>
      node.kind === 'column' ? Exprs.outer(node.name) : undefined,
    );
    const byOperand = [...new Set([...sub.correlated, ...referencedColumns(operand)])];
    const matches = this.scalar(
      plan,
      counted(Plans.filter(sub.plan, Exprs.binary('=', column, outerOperand)), undefined, byOperand),
    );
    const rows = this.scalar(matches.plan, counted(sub.plan, undefined, sub.correlated));
    const values = this.scalar(rows.plan, counted(sub.plan, column, sub.correlated));
    const isIn = Exprs.case(
      [
        { when: Exprs.binary('>', matches.value, zero), result: Exprs.literal(1) },
        { when: Exprs.binary('=', rows.value, zero), result: zero },
        {
          when: Exprs.binary('or', Exprs.isNull(operand), Exprs.binary('<', values.value, rows.value)),
          result: Exprs.literal(null),
        },
      ],
      zero,
    );
    return { plan: values.plan, value: sub.negated ? Exprs.not(isIn) : isIn };
  }

  private scalar(plan: PlanNode, sub: SubqueryExpr): { plan: PlanNode; value: Expr } {
    const value = valueColumn(sub);
    const rewritten = this.plan(sub.plan);
    const counted = countLineage(rewritten, value);
    const pulled = pullUp(rewritten, 'scalar', this.names);
    const outerFields = outputFields(plan);
    const taken = new Set([...outerFields.map((field) => field.name), ...fieldNames(pulled.plan)]);
    const column = this.names.fresh('__scalar_', taken);
    const { plan: right, preds } = prepare(pulled, outerFields, this.names, new Map([[value, column]]));
    if (preds.length === 0 && oneRow(right)) {
      return { plan: Plans.join(plan, right, 'cross', []), value: Exprs.column(column) };
    }
    if (counted === 'derived') {
      unsupported('a correlated COUNT inside an expression or under HAVING (its value for no rows)');
    }
    // The COUNT bug: an outer row no inner row matches misses the grouped side of the left join
    // and reads NULL, but COUNT over no rows is 0.
    const read =
      counted === 'bare'
        ? Exprs.call('coalesce', [Exprs.column(column), Exprs.literal(0)])
        : Exprs.column(column);
    return { plan: Plans.join(plan, right, 'left', [], conjunction(preds)), value: read };
  }
}

/** The subquery a WHERE conjunct is (`EXISTS`, `NOT EXISTS`, `IN`, `NOT IN`), if it is one. */
function topSubquery(part: Expr): SubqueryExpr | undefined {
  if (part.kind === 'subquery') return part;
  if (part.kind === 'not' && part.operand.kind === 'subquery' && part.operand.mode !== 'scalar') {
    const sub = part.operand;
    return Exprs.subquery(sub.mode, sub.plan, sub.correlated, sub.operand, !sub.negated);
  }
  return undefined;
}

/** Rewrites every subquery of a plan into joins; throws SubqueryNotRewritten for shapes it cannot. */
export function rewriteSubqueries(plan: PlanNode): PlanNode {
  return planHasSubquery(plan) ? new Rewriter().plan(plan) : plan;
}

export const subqueryRewrite: Rule = {
  name: 'subqueryRewrite',
  apply: (plan) => rewriteSubqueries(plan),
};
