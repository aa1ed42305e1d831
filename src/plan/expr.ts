/**
 * Expression nodes: plain, frozen data with a `kind`. Nothing here knows SQL or Arrow; the
 * compiler, the optimizer and local execution each read these nodes their own way.
 */
import type { PlanNode } from './nodes.ts';

export type LiteralValue = null | boolean | number | bigint | string | Date;

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ComparisonOp | ArithmeticOp | LogicalOp;

export const CAST_TYPES = [
  'int',
  'bigint',
  'double',
  'decimal',
  'string',
  'date',
  'timestamp',
  'boolean',
] as const;
export type CastType = (typeof CAST_TYPES)[number];

export const AGGREGATE_FUNCTIONS = [
  'count',
  'countDistinct',
  'sum',
  'avg',
  'min',
  'max',
  'stddev',
  'variance',
] as const;
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

export interface ColumnExpr {
  readonly kind: 'column';
  readonly name: string;
}
export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: LiteralValue;
  /**
   * A DECIMAL literal: `value` is its text ('100.00'), whose digits after the point are its scale,
   * as `100.00` written in SQL is a DECIMAL(5,2). A JS number cannot say how it was written.
   */
  readonly decimal?: true;
}
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}
export interface NotExpr {
  readonly kind: 'not';
  readonly operand: Expr;
}
export interface NegateExpr {
  readonly kind: 'negate';
  readonly operand: Expr;
}
export interface IsNullExpr {
  readonly kind: 'isNull';
  readonly operand: Expr;
  readonly negated: boolean;
}
export interface InExpr {
  readonly kind: 'in';
  readonly operand: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
}
export interface BetweenExpr {
  readonly kind: 'between';
  readonly operand: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly negated: boolean;
}
export interface LikeExpr {
  readonly kind: 'like';
  readonly operand: Expr;
  readonly pattern: Expr;
  readonly negated: boolean;
}
export interface CastExpr {
  readonly kind: 'cast';
  readonly operand: Expr;
  readonly to: CastType;
  /** For `decimal`: DECIMAL(precision, scale); without it DECIMAL(38,10). */
  readonly digits?: DecimalDigits;
}
export interface DecimalDigits {
  readonly precision: number;
  readonly scale: number;
}
export interface CaseExpr {
  readonly kind: 'case';
  readonly branches: readonly { readonly when: Expr; readonly result: Expr }[];
  readonly otherwise: Expr | undefined;
}
/** A scalar function from the registry (src/functions), by its sluice name. */
export interface CallExpr {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Expr[];
}
export interface AggregateExpr {
  readonly kind: 'aggregate';
  readonly fn: AggregateFunction;
  /** Undefined only for COUNT(*). */
  readonly arg: Expr | undefined;
}
/** Ranking and offset functions that exist only as window functions. */
export const WINDOW_FUNCTIONS = [
  'rowNumber',
  'rank',
  'denseRank',
  'lag',
  'lead',
  'firstValue',
  'lastValue',
] as const;
export type WindowFunction = (typeof WINDOW_FUNCTIONS)[number];

export interface SortKey {
  readonly expr: Expr;
  readonly descending: boolean;
  /** SQL's default: NULLs sort first ascending and last descending (MySQL family). */
  readonly nullsFirst: boolean;
}

/** A frame in rows relative to the current row; undefined bounds are UNBOUNDED. */
export interface WindowFrame {
  readonly start: number | undefined;
  readonly end: number | undefined;
}

export interface WindowExpr {
  readonly kind: 'window';
  readonly fn: WindowFunction | AggregateFunction;
  readonly args: readonly Expr[];
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly SortKey[];
  /** Undefined: the SQL default frame (RANGE UNBOUNDED PRECEDING to CURRENT ROW when ordered). */
  readonly frame: WindowFrame | undefined;
}

export interface AliasExpr {
  readonly kind: 'alias';
  readonly expr: Expr;
  readonly name: string;
}

/**
 * A subquery in an expression: `EXISTS (plan)`, `operand IN (plan)` (one output column) or a
 * scalar `(plan)` (one column, at most one row). `correlated` lists the outer columns the plan
 * reads (names it uses but does not produce); they count as this expression's column references.
 * The optimizer's first rule rewrites every subquery into joins (src/optimizer/rules/subqueries.ts).
 */
export interface SubqueryExpr {
  readonly kind: 'subquery';
  readonly mode: SubqueryMode;
  readonly plan: PlanNode;
  /** The value tested by IN; undefined for EXISTS and scalar subqueries. */
  readonly operand: Expr | undefined;
  /** NOT EXISTS, NOT IN. */
  readonly negated: boolean;
  readonly correlated: readonly string[];
}
export type SubqueryMode = 'exists' | 'in' | 'scalar';

/**
 * Inside a subquery's plan: a column of the enclosing query's row (Spark's OuterReference). It
 * is not a column of the plan it sits in, so it never counts as one of that plan's references.
 */
export interface OuterColumnExpr {
  readonly kind: 'outer';
  readonly name: string;
}

export type Expr =
  | SubqueryExpr
  | OuterColumnExpr
  | ColumnExpr
  | LiteralExpr
  | BinaryExpr
  | NotExpr
  | NegateExpr
  | IsNullExpr
  | InExpr
  | BetweenExpr
  | LikeExpr
  | CastExpr
  | CaseExpr
  | CallExpr
  | AggregateExpr
  | WindowExpr
  | AliasExpr;

export type ExprKind = Expr['kind'];

const DECIMAL_LITERAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

/** Node factories: the only way nodes are made, so every node is frozen. */
export const Exprs = {
  column: (name: string): ColumnExpr => Object.freeze({ kind: 'column', name }),
  literal: (value: LiteralValue): LiteralExpr => Object.freeze({ kind: 'literal', value }),
  /** A DECIMAL literal from its text ('100.00', '-.5'); undefined when the text is not one. */
  decimal: (text: string): LiteralExpr | undefined => {
    const match = DECIMAL_LITERAL.exec(text);
    if (!match || (match[2] ?? '') + (match[3] ?? '') === '') return undefined;
    const whole = match[2]!.replace(/^0+(?=\d)/, '') || '0';
    const fraction = match[3] ?? '';
    // DECIMAL holds 65 digits, 38 after the point; beyond, the server reads a DOUBLE.
    if (whole.replace(/^0$/, '').length + fraction.length > 65 || fraction.length > 38) return undefined;
    const sign = match[1] === '-' && /[1-9]/.test(whole + fraction) ? '-' : '';
    const value = fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
    return Object.freeze({ kind: 'literal', value, decimal: true });
  },
  binary: (op: BinaryOp, left: Expr, right: Expr): BinaryExpr =>
    Object.freeze({ kind: 'binary', op, left, right }),
  not: (operand: Expr): NotExpr => Object.freeze({ kind: 'not', operand }),
  negate: (operand: Expr): NegateExpr => Object.freeze({ kind: 'negate', operand }),
  isNull: (operand: Expr, negated = false): IsNullExpr => Object.freeze({ kind: 'isNull', operand, negated }),
  in: (operand: Expr, list: readonly Expr[], negated = false): InExpr =>
    Object.freeze({ kind: 'in', operand, list: Object.freeze([...list]), negated }),
  between: (operand: Expr, low: Expr, high: Expr, negated = false): BetweenExpr =>
    Object.freeze({ kind: 'between', operand, low, high, negated }),
  like: (operand: Expr, pattern: Expr, negated = false): LikeExpr =>
    Object.freeze({ kind: 'like', operand, pattern, negated }),
  cast: (operand: Expr, to: CastType, digits?: DecimalDigits): CastExpr =>
    Object.freeze(
      to === 'decimal' && digits
        ? {
            kind: 'cast',
            operand,
            to,
            digits: Object.freeze({ precision: digits.precision, scale: digits.scale }),
          }
        : { kind: 'cast', operand, to },
    ),
  case: (branches: readonly { when: Expr; result: Expr }[], otherwise?: Expr): CaseExpr =>
    Object.freeze({
      kind: 'case',
      branches: Object.freeze(branches.map((branch) => Object.freeze({ ...branch }))),
      otherwise,
    }),
  call: (name: string, args: readonly Expr[]): CallExpr =>
    Object.freeze({ kind: 'call', name, args: Object.freeze([...args]) }),
  aggregate: (fn: AggregateFunction, arg?: Expr): AggregateExpr =>
    Object.freeze({ kind: 'aggregate', fn, arg }),
  window: (
    fn: WindowFunction | AggregateFunction,
    args: readonly Expr[],
    partitionBy: readonly Expr[],
    orderBy: readonly SortKey[],
    frame?: WindowFrame,
  ): WindowExpr =>
    Object.freeze({
      kind: 'window',
      fn,
      args: Object.freeze([...args]),
      partitionBy: Object.freeze([...partitionBy]),
      orderBy: Object.freeze(orderBy.map((key) => Object.freeze({ ...key }))),
      frame: frame ? Object.freeze({ ...frame }) : undefined,
    }),
  sortKey: (expr: Expr, descending = false, nullsFirst = !descending): SortKey =>
    Object.freeze({ expr, descending, nullsFirst }),
  alias: (expr: Expr, name: string): AliasExpr => Object.freeze({ kind: 'alias', expr, name }),
  outer: (name: string): OuterColumnExpr => Object.freeze({ kind: 'outer', name }),
  subquery: (
    mode: SubqueryMode,
    plan: PlanNode,
    correlated: readonly string[],
    operand?: Expr,
    negated = false,
  ): SubqueryExpr =>
    Object.freeze({
      kind: 'subquery',
      mode,
      plan,
      operand,
      negated,
      correlated: Object.freeze([...correlated]),
    }),
};

/** The name a projected expression gets: its alias, its column name, or undefined. */
export function exprName(expr: Expr): string | undefined {
  if (expr.kind === 'alias') return expr.name;
  if (expr.kind === 'column') return expr.name;
  return undefined;
}

/** Strips an alias. */
export function unalias(expr: Expr): Expr {
  return expr.kind === 'alias' ? expr.expr : expr;
}

/** Every direct child expression, in a fixed order (for generic walks). */
export function childExprs(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case 'column':
    case 'literal':
    case 'outer':
      return [];
    case 'binary':
      return [expr.left, expr.right];
    case 'not':
    case 'negate':
    case 'isNull':
    case 'cast':
      return [expr.operand];
    case 'in':
      return [expr.operand, ...expr.list];
    case 'between':
      return [expr.operand, expr.low, expr.high];
    case 'like':
      return [expr.operand, expr.pattern];
    case 'case':
      return [
        ...expr.branches.flatMap((branch) => [branch.when, branch.result]),
        ...(expr.otherwise ? [expr.otherwise] : []),
      ];
    case 'call':
      return expr.args;
    case 'aggregate':
      return expr.arg ? [expr.arg] : [];
    case 'window':
      return [...expr.args, ...expr.partitionBy, ...expr.orderBy.map((key) => key.expr)];
    case 'alias':
      return [expr.expr];
    case 'subquery':
      return [
        ...(expr.operand ? [expr.operand] : []),
        ...expr.correlated.map((name): ColumnExpr => ({ kind: 'column', name })),
      ];
  }
}

/** True when `predicate` holds for this node or any node below it. */
export function someExpr(expr: Expr, predicate: (node: Expr) => boolean): boolean {
  return predicate(expr) || childExprs(expr).some((child) => someExpr(child, predicate));
}

/** The column names an expression reads. */
export function referencedColumns(expr: Expr, into = new Set<string>()): Set<string> {
  if (expr.kind === 'column') into.add(expr.name);
  for (const child of childExprs(expr)) referencedColumns(child, into);
  return into;
}

export const containsAggregate = (expr: Expr): boolean => someExpr(expr, (node) => node.kind === 'aggregate');
export const containsWindow = (expr: Expr): boolean => someExpr(expr, (node) => node.kind === 'window');

/** Rebuilds an expression bottom-up, replacing nodes for which `replace` returns a node (unchanged subtrees kept as they are). */
export function mapExpr(expr: Expr, replace: (node: Expr) => Expr | undefined): Expr {
  const replaced = replace(expr);
  if (replaced) return replaced;
  // A node whose children all come back as they were is kept itself: a rewrite that changes
  // nothing returns the same tree, so a rule run to a fixed point stops after one pass.
  let changed = false;
  const rebuilt = rebuildExpr(expr, (child) => {
    const mapped = mapExpr(child, replace);
    if (mapped !== child) changed = true;
    return mapped;
  });
  return changed ? rebuilt : expr;
}

function rebuildExpr(expr: Expr, m: (child: Expr) => Expr): Expr {
  switch (expr.kind) {
    case 'column':
    case 'literal':
    case 'outer':
      return expr;
    case 'binary':
      return Exprs.binary(expr.op, m(expr.left), m(expr.right));
    case 'not':
      return Exprs.not(m(expr.operand));
    case 'negate':
      return Exprs.negate(m(expr.operand));
    case 'isNull':
      return Exprs.isNull(m(expr.operand), expr.negated);
    case 'cast':
      return Exprs.cast(m(expr.operand), expr.to, expr.digits);
    case 'in':
      return Exprs.in(m(expr.operand), expr.list.map(m), expr.negated);
    case 'between':
      return Exprs.between(m(expr.operand), m(expr.low), m(expr.high), expr.negated);
    case 'like':
      return Exprs.like(m(expr.operand), m(expr.pattern), expr.negated);
    case 'case':
      return Exprs.case(
        expr.branches.map((branch) => ({ when: m(branch.when), result: m(branch.result) })),
        expr.otherwise ? m(expr.otherwise) : undefined,
      );
    case 'call':
      return Exprs.call(expr.name, expr.args.map(m));
    case 'aggregate':
      return Exprs.aggregate(expr.fn, expr.arg ? m(expr.arg) : undefined);
    case 'window':
      return Exprs.window(
        expr.fn,
        expr.args.map(m),
        expr.partitionBy.map(m),
        expr.orderBy.map((key) => Exprs.sortKey(m(key.expr), key.descending, key.nullsFirst)),
        expr.frame,
      );
    case 'alias':
      return Exprs.alias(m(expr.expr), expr.name);
    case 'subquery':
      // The plan inside is its own scope: only the IN operand is an expression of this one.
      return expr.operand
        ? Exprs.subquery(expr.mode, expr.plan, expr.correlated, m(expr.operand), expr.negated)
        : expr;
  }
}

/** The parts of an AND chain. */
export function conjuncts(expr: Expr): Expr[] {
  if (expr.kind === 'binary' && expr.op === 'and') return [...conjuncts(expr.left), ...conjuncts(expr.right)];
  return [expr];
}

/** The AND of all parts; undefined for none. */
export function conjunction(exprs: readonly Expr[]): Expr | undefined {
  return exprs.reduce<Expr | undefined>(
    (all, expr) => (all ? Exprs.binary('and', all, expr) : expr),
    undefined,
  );
}
