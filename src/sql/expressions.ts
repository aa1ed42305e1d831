/**
 * Expression nodes to SQL text plus parameters. Every literal becomes a `?` placeholder with its
 * value in `params`; no user value is ever written into the SQL text.
 */
import { checkArity, functionSpec } from '../functions/registry.ts';
import type { AggregateFunction, Expr, ExprKind } from '../plan/expr.ts';
import type { Dialect } from './dialect.ts';

/** The expression cannot be rendered for this database; the optimizer keeps it local instead. */
export class NotPushable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotPushable';
  }
}

export interface CompileContext {
  readonly dialect: Dialect;
  /** Parameter values, in placeholder order; compiling appends to it. */
  readonly params: unknown[];
}

type Renderers = { [K in ExprKind]: (expr: Extract<Expr, { kind: K }>, ctx: CompileContext) => string };

const BINARY_SQL = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  and: 'AND',
  or: 'OR',
} as const;

const AGGREGATE_SQL: Record<Exclude<AggregateFunction, 'countDistinct'>, string> = {
  count: 'COUNT',
  sum: 'SUM',
  avg: 'AVG',
  min: 'MIN',
  max: 'MAX',
  // Spark's and Polars' stddev and variance are the sample ones.
  stddev: 'STDDEV_SAMP',
  variance: 'VAR_SAMP',
};

const not = (negated: boolean) => (negated ? 'NOT ' : '');

// Every compound form is parenthesised, so precedence never depends on the surrounding SQL.
const RENDER: Renderers = {
  column: (expr, ctx) => ctx.dialect.quoteIdentifier(expr.name),
  literal: (expr, ctx) => {
    if (expr.value === null) return 'NULL';
    ctx.params.push(expr.value);
    return '?';
  },
  binary: (expr, ctx) =>
    `(${compileExpr(expr.left, ctx)} ${BINARY_SQL[expr.op]} ${compileExpr(expr.right, ctx)})`,
  not: (expr, ctx) => `(NOT ${compileExpr(expr.operand, ctx)})`,
  negate: (expr, ctx) => `(- ${compileExpr(expr.operand, ctx)})`,
  isNull: (expr, ctx) => `(${compileExpr(expr.operand, ctx)} IS ${not(expr.negated)}NULL)`,
  in: (expr, ctx) => {
    // An empty list matches nothing (and NOT IN () everything); SQL has no empty IN list.
    if (expr.list.length === 0) return expr.negated ? '(1 = 1)' : '(1 = 0)';
    const operand = compileExpr(expr.operand, ctx);
    const list = expr.list.map((item) => compileExpr(item, ctx));
    return `(${operand} ${not(expr.negated)}IN (${list.join(', ')}))`;
  },
  between: (expr, ctx) => {
    const operand = compileExpr(expr.operand, ctx);
    const low = compileExpr(expr.low, ctx);
    const high = compileExpr(expr.high, ctx);
    return `(${operand} ${not(expr.negated)}BETWEEN ${low} AND ${high})`;
  },
  like: (expr, ctx) =>
    `(${compileExpr(expr.operand, ctx)} ${not(expr.negated)}LIKE ${compileExpr(expr.pattern, ctx)})`,
  cast: (expr, ctx) => {
    const inner = `CAST(${compileExpr(expr.operand, ctx)} AS ${ctx.dialect.castType(expr.to)})`;
    return expr.to === 'boolean' ? `(${inner} <> 0)` : inner;
  },
  case: (expr, ctx) => {
    const branches = expr.branches.map(
      (branch) => `WHEN ${compileExpr(branch.when, ctx)} THEN ${compileExpr(branch.result, ctx)}`,
    );
    const otherwise = expr.otherwise ? ` ELSE ${compileExpr(expr.otherwise, ctx)}` : '';
    return `(CASE ${branches.join(' ')}${otherwise} END)`;
  },
  call: (expr, ctx) => {
    if (ctx.dialect.unsupportedFunctions.has(expr.name)) {
      throw new NotPushable(`${ctx.dialect.name} has no function '${expr.name}'`);
    }
    checkArity(expr.name, expr.args.length);
    const args = expr.args.map((arg) => compileExpr(arg, ctx));
    return ctx.dialect.renderFunction?.(expr.name, args) ?? functionSpec(expr.name).sql(args);
  },
  aggregate: (expr, ctx) => {
    if (expr.fn === 'countDistinct') return `COUNT(DISTINCT ${compileExpr(expr.arg!, ctx)})`;
    if (expr.arg === undefined) return 'COUNT(*)';
    return `${AGGREGATE_SQL[expr.fn]}(${compileExpr(expr.arg, ctx)})`;
  },
  alias: (expr, ctx) => `${compileExpr(expr.expr, ctx)} AS ${ctx.dialect.quoteIdentifier(expr.name)}`,
};

export function compileExpr(expr: Expr, ctx: CompileContext): string {
  return (RENDER[expr.kind] as (expr: Expr, ctx: CompileContext) => string)(expr, ctx);
}

export interface CompiledExpr {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Compiles one expression on its own, with fresh parameters. */
export function compileStandalone(expr: Expr, dialect: Dialect): CompiledExpr {
  const ctx: CompileContext = { dialect, params: [] };
  const sql = compileExpr(expr, ctx);
  return { sql, params: ctx.params };
}
