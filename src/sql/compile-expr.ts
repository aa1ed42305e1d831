/**
 * Expression nodes to SQL text plus parameters. Every literal becomes a `?` placeholder with its
 * value in `params`; no user value is ever written into the SQL text.
 */
import { ConfigError } from '../base/errors.ts';
import { checkArity, functionSpec } from '../functions/registry.ts';
import type { AggregateFunction, Expr, ExprKind, SortKey, WindowExpr } from '../plan/expr.ts';
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
  /** How a column reference is written, e.g. qualified by a join side; default: the quoted name. */
  readonly columnSql?: (name: string) => string;
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
  column: (expr, ctx) => ctx.columnSql?.(expr.name) ?? ctx.dialect.quoteIdentifier(expr.name),
  literal: (expr, ctx) => {
    if (expr.value === null) return 'NULL';
    ctx.params.push(expr.value);
    if (expr.decimal) {
      // The text as a parameter would be a string (a DOUBLE in arithmetic): the CAST keeps the
      // literal's type, DECIMAL(digits, digits after the point), as the server types `100.00`.
      const [whole = '', fraction = ''] = String(expr.value).replace('-', '').split('.');
      const precision = Math.max(1, whole.replace(/^0$/, '').length + fraction.length);
      return `CAST(? AS DECIMAL(${precision}, ${fraction.length}))`;
    }
    return '?';
  },
  binary: (expr, ctx) =>
    `(${exprToSql(expr.left, ctx)} ${BINARY_SQL[expr.op]} ${exprToSql(expr.right, ctx)})`,
  not: (expr, ctx) => `(NOT ${exprToSql(expr.operand, ctx)})`,
  negate: (expr, ctx) => `(- ${exprToSql(expr.operand, ctx)})`,
  isNull: (expr, ctx) => `(${exprToSql(expr.operand, ctx)} IS ${not(expr.negated)}NULL)`,
  in: (expr, ctx) => {
    // An empty list matches nothing (and NOT IN () everything); SQL has no empty IN list.
    if (expr.list.length === 0) return expr.negated ? '(1 = 1)' : '(1 = 0)';
    const operand = exprToSql(expr.operand, ctx);
    const list = expr.list.map((item) => exprToSql(item, ctx));
    return `(${operand} ${not(expr.negated)}IN (${list.join(', ')}))`;
  },
  between: (expr, ctx) => {
    const operand = exprToSql(expr.operand, ctx);
    const low = exprToSql(expr.low, ctx);
    const high = exprToSql(expr.high, ctx);
    return `(${operand} ${not(expr.negated)}BETWEEN ${low} AND ${high})`;
  },
  like: (expr, ctx) =>
    `(${exprToSql(expr.operand, ctx)} ${not(expr.negated)}LIKE ${exprToSql(expr.pattern, ctx)})`,
  cast: (expr, ctx) => {
    const type = expr.digits
      ? `DECIMAL(${expr.digits.precision},${expr.digits.scale})`
      : ctx.dialect.castType(expr.to);
    const inner = `CAST(${exprToSql(expr.operand, ctx)} AS ${type})`;
    return expr.to === 'boolean' ? `(${inner} <> 0)` : inner;
  },
  case: (expr, ctx) => {
    const branches = expr.branches.map(
      (branch) => `WHEN ${exprToSql(branch.when, ctx)} THEN ${exprToSql(branch.result, ctx)}`,
    );
    const otherwise = expr.otherwise ? ` ELSE ${exprToSql(expr.otherwise, ctx)}` : '';
    return `(CASE ${branches.join(' ')}${otherwise} END)`;
  },
  call: (expr, ctx) => {
    if (ctx.dialect.unsupportedFunctions.has(expr.name)) {
      throw new NotPushable(`${ctx.dialect.name} has no function '${expr.name}'`);
    }
    checkArity(expr.name, expr.args.length);
    const { keywordArg } = functionSpec(expr.name);
    const args = expr.args.map((arg, index) =>
      index === keywordArg?.index ? keyword(arg, keywordArg.allowed, expr.name) : exprToSql(arg, ctx),
    );
    return ctx.dialect.renderFunction?.(expr.name, args) ?? functionSpec(expr.name).sql(args);
  },
  aggregate: (expr, ctx) => {
    if (expr.fn === 'countDistinct') return `COUNT(DISTINCT ${exprToSql(expr.arg!, ctx)})`;
    if (expr.arg === undefined) return 'COUNT(*)';
    return `${AGGREGATE_SQL[expr.fn]}(${exprToSql(expr.arg, ctx)})`;
  },
  window: (expr, ctx) => compileWindow(expr, ctx),
  subquery: () => {
    throw new NotPushable('a subquery the optimizer did not rewrite into a join');
  },
  outer: () => {
    throw new NotPushable('an outer column of a subquery the optimizer did not rewrite');
  },
  alias: (expr, ctx) => `${exprToSql(expr.expr, ctx)} AS ${ctx.dialect.quoteIdentifier(expr.name)}`,
};

/** A keyword argument (a date unit): only a string from the allowed list reaches the SQL text. */
function keyword(arg: Expr, allowed: readonly string[], name: string): string {
  const value = arg.kind === 'literal' && typeof arg.value === 'string' ? arg.value.toLowerCase() : undefined;
  if (value === undefined || !allowed.includes(value)) {
    throw new ConfigError(`${name}: the unit must be one of ${allowed.join(', ')}`);
  }
  return value;
}

const WINDOW_SQL = {
  rowNumber: 'ROW_NUMBER',
  rank: 'RANK',
  denseRank: 'DENSE_RANK',
  lag: 'LAG',
  lead: 'LEAD',
  firstValue: 'FIRST_VALUE',
  lastValue: 'LAST_VALUE',
} as const;

function compileWindow(expr: WindowExpr, ctx: CompileContext): string {
  let call: string;
  if (expr.fn in WINDOW_SQL) {
    const [value, offset] = expr.args;
    const args: string[] = [];
    if (value) args.push(exprToSql(value, ctx));
    // Offsets are validated integers and must be constants in the OVER clause's function call.
    if (offset) args.push(String(integerLiteral(offset, 'a lag/lead offset')));
    call = `${WINDOW_SQL[expr.fn as keyof typeof WINDOW_SQL]}(${args.join(', ')})`;
  } else {
    call = exprToSql({ kind: 'aggregate', fn: expr.fn as AggregateFunction, arg: expr.args[0] }, ctx);
  }
  const clauses: string[] = [];
  if (expr.partitionBy.length > 0) {
    clauses.push(`PARTITION BY ${expr.partitionBy.map((key) => exprToSql(key, ctx)).join(', ')}`);
  }
  if (expr.orderBy.length > 0) clauses.push(`ORDER BY ${compileSortKeys(expr.orderBy, ctx)}`);
  if (expr.frame)
    clauses.push(
      `ROWS BETWEEN ${frameBound(expr.frame.start, 'PRECEDING')} AND ${frameBound(expr.frame.end, 'FOLLOWING')}`,
    );
  return `${call} OVER (${clauses.join(' ')})`;
}

function integerLiteral(expr: Expr, what: string): number {
  if (expr.kind !== 'literal' || typeof expr.value !== 'number' || !Number.isInteger(expr.value)) {
    throw new NotPushable(`${what} must be an integer constant`);
  }
  return expr.value;
}

function frameBound(offset: number | undefined, unbounded: 'PRECEDING' | 'FOLLOWING'): string {
  if (offset === undefined) return `UNBOUNDED ${unbounded}`;
  if (offset === 0) return 'CURRENT ROW';
  // Frame offsets are validated integers; the OVER clause takes no placeholders.
  return offset < 0 ? `${-offset} PRECEDING` : `${offset} FOLLOWING`;
}

/**
 * ORDER BY keys. The MySQL family sorts NULLs first ascending and last descending and has no
 * NULLS FIRST/LAST, so any other placement sorts on `expr IS NULL` first.
 */
export function compileSortKeys(keys: readonly SortKey[], ctx: CompileContext): string {
  return keys
    .map((key) => {
      const sql = exprToSql(key.expr, ctx);
      const direction = key.descending ? 'DESC' : 'ASC';
      const defaultNullsFirst = !key.descending;
      if (key.nullsFirst === defaultNullsFirst) return `${sql} ${direction}`;
      const nullOrder = key.nullsFirst ? 'DESC' : 'ASC';
      return `(${sql} IS NULL) ${nullOrder}, ${sql} ${direction}`;
    })
    .join(', ');
}

export function exprToSql(expr: Expr, ctx: CompileContext): string {
  return (RENDER[expr.kind] as (expr: Expr, ctx: CompileContext) => string)(expr, ctx);
}

export interface CompiledExpr {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Compiles one expression on its own, with fresh parameters. */
export function compileStandalone(expr: Expr, dialect: Dialect): CompiledExpr {
  const ctx: CompileContext = { dialect, params: [] };
  const sql = exprToSql(expr, ctx);
  return { sql, params: ctx.params };
}
