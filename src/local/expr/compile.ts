/**
 * Expression nodes (src/plan/expr.ts) compiled against one batch into closures over its columns.
 * One function per node kind, as the SQL compiler has; aggregates and window functions are not
 * scalar and are computed by their plan nodes, which replace them by columns before compiling.
 */
import { PlanError } from '../../base/errors.ts';
import type { Expr, ExprKind, LiteralValue } from '../../plan/expr.ts';
import { findColumn } from '../batch.ts';
import { fromUnscaled, unscaledBig } from '../decimal.ts';
import { formatJsDate } from '../temporal.ts';
import { computed, mergeTypes, type SqlType, T } from '../types.ts';
import { normalizeInt, toText } from '../values.ts';
import { cast } from './cast.ts';
import { type Compiled, constant, convertValue, derived, type Scope } from './compiled.ts';
import { callFunction } from './functions.ts';
import { likeMatcher } from './like.ts';
import {
  and,
  arithmetic,
  between,
  comparison,
  inList,
  isNull,
  negate,
  not,
  or,
  predicateOf,
} from './operators.ts';

type Compilers = { [K in ExprKind]: (expr: Extract<Expr, { kind: K }>, scope: Scope) => Compiled };

/**
 * A literal's type as the server sees the parameter mysql2 writes into the SQL text: an integer,
 * a DECIMAL for '2.5' (its digits after the point), a DOUBLE for '1e+21', a string.
 */
export function literal(value: LiteralValue): Compiled {
  if (value === null) return constant(T.null, null);
  if (typeof value === 'boolean') return constant(T.int, value ? 1 : 0);
  if (typeof value === 'bigint') return constant(T.int, normalizeInt(value));
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return constant(T.int, value);
    if (Number.isInteger(value) && Math.abs(value) < 1e21)
      return constant(T.int, normalizeInt(BigInt(value)));
    const text = String(value);
    if (!Number.isFinite(value) || /e/i.test(text)) return constant(T.double, value);
    const scale = text.length - text.indexOf('.') - 1;
    return constant(T.decimal(scale), value);
  }
  if (value instanceof Date) return constant(T.string, formatJsDate(value));
  return constant(T.string, value);
}

/** A DECIMAL literal ('100.00'): its digits after the point are its scale. */
function decimalLiteral(text: string): Compiled {
  const scale = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  return constant(T.decimal(scale), fromUnscaled(unscaledBig(text, scale), scale));
}

const COMPILERS: Compilers = {
  column: (expr, scope) => {
    const column = findColumn(scope.batch, expr.name, scope.where);
    const values = column.values;
    return { type: column.type, evaluate: (row) => values[row]!, constant: false, values };
  },
  literal: (expr) => (expr.decimal ? decimalLiteral(String(expr.value)) : literal(expr.value)),
  binary: (expr, scope) => {
    const left = compileExpr(expr.left, scope);
    const right = compileExpr(expr.right, scope);
    switch (expr.op) {
      case 'and':
        return and(left, right);
      case 'or':
        return or(left, right);
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return arithmetic(expr.op, left, right);
      default:
        return comparison(expr.op, left, right, scope.collation);
    }
  },
  not: (expr, scope) => not(compileExpr(expr.operand, scope)),
  negate: (expr, scope) => negate(compileExpr(expr.operand, scope)),
  isNull: (expr, scope) => isNull(compileExpr(expr.operand, scope), expr.negated),
  in: (expr, scope) =>
    inList(
      compileExpr(expr.operand, scope),
      expr.list.map((item) => compileExpr(item, scope)),
      expr.negated,
      scope.collation,
    ),
  between: (expr, scope) =>
    between(
      compileExpr(expr.operand, scope),
      compileExpr(expr.low, scope),
      compileExpr(expr.high, scope),
      expr.negated,
      scope.collation,
    ),
  like: (expr, scope) => {
    const operand = compileExpr(expr.operand, scope);
    const pattern = compileExpr(expr.pattern, scope);
    const negated = expr.negated;
    const cache = new Map<string, (text: string) => boolean>();
    const matcherFor = (text: string) => {
      let matcher = cache.get(text);
      if (!matcher) {
        matcher = likeMatcher(text, scope.collation);
        if (cache.size < 1000) cache.set(text, matcher);
      }
      return matcher;
    };
    return derived(T.int, [operand, pattern], (row) => {
      const text = toText(operand.evaluate(row), operand.type);
      if (text === null) return null;
      const patternText = toText(pattern.evaluate(row), pattern.type);
      if (patternText === null) return null;
      return matcherFor(patternText)(text) !== negated ? 1 : 0;
    });
  },
  cast: (expr, scope) => cast(compileExpr(expr.operand, scope), expr.to, expr.digits),
  case: (expr, scope) => {
    const branches = expr.branches.map((branch) => {
      const whenCompiled = compileExpr(branch.when, scope);
      return { when: predicateOf(whenCompiled), whenCompiled, result: compileExpr(branch.result, scope) };
    });
    const otherwise = expr.otherwise ? compileExpr(expr.otherwise, scope) : constant(T.null, null);
    const results = [...branches.map((branch) => branch.result), otherwise];
    const type: SqlType = computed(results.map((result) => result.type).reduce(mergeTypes));
    const children = [...branches.flatMap((branch) => [branch.whenCompiled, branch.result]), otherwise];
    return derived(type, children, (row) => {
      for (const branch of branches) {
        if (branch.when(row)) return convertValue(branch.result.evaluate(row), branch.result.type, type);
      }
      return convertValue(otherwise.evaluate(row), otherwise.type, type);
    });
  },
  call: (expr, scope) =>
    callFunction(
      expr.name,
      expr.args.map((arg) => compileExpr(arg, scope)),
      scope.collation,
    ),
  aggregate: (expr, scope) => {
    throw new PlanError(`${scope.where}: the aggregate ${expr.fn}() can only be used in agg()`);
  },
  window: (expr, scope) => {
    throw new PlanError(`${scope.where}: the window function ${expr.fn}() can only be used in a window step`);
  },
  alias: (expr, scope) => compileExpr(expr.expr, scope),
  subquery: () => {
    throw new PlanError(
      'a subquery reached local execution; the optimizer rewrites subqueries into joins first',
    );
  },
  outer: (expr) => {
    throw new PlanError(`the outer column '${expr.name}' of a subquery reached local execution`);
  },
};

export function compileExpr(expr: Expr, scope: Scope): Compiled {
  return (COMPILERS[expr.kind] as (expr: Expr, scope: Scope) => Compiled)(expr, scope);
}

/** A row predicate for WHERE: a row is kept when the condition is 1 (true), not 0 or NULL. */
export function compilePredicate(expr: Expr, scope: Scope): (row: number) => boolean {
  return predicateOf(compileExpr(expr, scope));
}
