/**
 * node-sql-parser expression nodes to sluice expression nodes. Values become literals (so they
 * travel as parameters in the pushed SQL); functions map to registry names; anything without an
 * exact sluice equivalent throws `NotTranslated` and the whole statement runs as written.
 */
import { ConfigError } from '../../base/errors.ts';
import { checkArity, DATE_UNITS } from '../../functions/registry.ts';
import {
  type AggregateFunction,
  type BinaryOp,
  type CastType,
  type DecimalDigits,
  type Expr,
  Exprs,
  type LiteralValue,
  type SortKey,
  type SubqueryMode,
  type WindowFrame,
  type WindowFunction,
} from '../../plan/expr.ts';
import { type Ast, functionArgs, functionName, isSubquery, notTranslated } from './ast.ts';

export interface ExprScope {
  /** The plan expression a column reference stands for; throws PlanError for unknown or ambiguous names. */
  column(table: string | undefined, name: string): Expr;
  /** Aggregates may appear here (select list, HAVING, ORDER BY), not in WHERE, ON or GROUP BY. */
  readonly aggregates: boolean;
  /** Plans a subquery here (WHERE, HAVING, the select list); absent where subqueries are not planned. */
  readonly subquery?: (ast: Ast, mode: SubqueryMode, operand?: Expr, negated?: boolean) => Expr;
}

function subquery(node: Ast, scope: ExprScope, mode: SubqueryMode, operand?: Expr, negated = false): Expr {
  if (!scope.subquery) return notTranslated('a subquery in this position');
  return scope.subquery(node.ast, mode, operand, negated);
}

const BINARY_OPS: Record<string, BinaryOp> = {
  '=': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  MOD: '%',
  AND: 'and',
  '&&': 'and',
  OR: 'or',
};

/** Registry functions whose SQL name and meaning are the same in MariaDB. */
const SCALAR_FUNCTIONS: Record<string, string> = {
  ABS: 'abs',
  ROUND: 'round',
  FLOOR: 'floor',
  CEIL: 'ceil',
  CEILING: 'ceil',
  SQRT: 'sqrt',
  LN: 'ln',
  LOG: 'log',
  EXP: 'exp',
  POW: 'pow',
  POWER: 'pow',
  GREATEST: 'greatest',
  LEAST: 'least',
  COALESCE: 'coalesce',
  IFNULL: 'coalesce',
  LOWER: 'lower',
  LCASE: 'lower',
  UPPER: 'upper',
  UCASE: 'upper',
  // LENGTH counts bytes in MariaDB; sluice's length counts characters (CHAR_LENGTH), so it is not mapped.
  CHAR_LENGTH: 'length',
  CHARACTER_LENGTH: 'length',
  SUBSTRING: 'substr',
  SUBSTR: 'substr',
  CONCAT: 'concat',
  TRIM: 'trim',
  REPLACE: 'replace',
  YEAR: 'year',
  MONTH: 'month',
  DAY: 'day',
  DAYOFMONTH: 'day',
  HOUR: 'hour',
  DATEDIFF: 'dateDiff',
};

/**
 * Aggregates by SQL name. MariaDB's STD, STDDEV and VARIANCE are the population forms while
 * sluice's stddev and variance are the sample ones, so only STDDEV_SAMP and VAR_SAMP map.
 */
const AGGREGATES: Record<string, AggregateFunction> = {
  COUNT: 'count',
  SUM: 'sum',
  AVG: 'avg',
  MIN: 'min',
  MAX: 'max',
  STDDEV_SAMP: 'stddev',
  VAR_SAMP: 'variance',
};

const WINDOW_ONLY: Record<string, WindowFunction> = {
  ROW_NUMBER: 'rowNumber',
  RANK: 'rank',
  DENSE_RANK: 'denseRank',
  LAG: 'lag',
  LEAD: 'lead',
  FIRST_VALUE: 'firstValue',
  LAST_VALUE: 'lastValue',
};

export function astToExpr(node: Ast, scope: ExprScope): Expr {
  if (node === null || typeof node !== 'object') return notTranslated('an empty expression');
  if (isSubquery(node)) return subquery(node, scope, 'scalar');
  switch (node.type) {
    case 'column_ref':
      return columnRef(node, scope);
    case 'number':
      // `100.00` is a DECIMAL(5,2): its scale is part of its type.
      return (
        (typeof node.value === 'string' && node.value.includes('.') && Exprs.decimal(node.value)) ||
        Exprs.literal(numberValue(node.value))
      );
    case 'bigint': {
      // The parser's name for any long number: a long one with a point is a DECIMAL literal too.
      const text = String(node.value);
      if (/^-?\d*\.\d*$/.test(text)) return Exprs.decimal(text) ?? Exprs.literal(Number(text));
      if (!/^-?\d+$/.test(text)) return Exprs.literal(Number(text));
      const value = BigInt(text);
      const small = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
      return Exprs.literal(small ? Number(value) : value);
    }
    case 'single_quote_string':
    case 'double_quote_string':
    case 'string':
      return Exprs.literal(stringLiteral(node));
    case 'bool':
      return Exprs.literal(Boolean(node.value));
    case 'null':
      return Exprs.literal(null);
    case 'date':
      return Exprs.cast(Exprs.literal(stringLiteral(node)), 'date');
    case 'timestamp':
    case 'datetime':
      return Exprs.cast(Exprs.literal(stringLiteral(node)), 'timestamp');
    case 'unary_expr':
      return unary(node, scope);
    case 'binary_expr':
      return binary(node, scope);
    case 'expr_list':
      // A parenthesised expression; a row constructor (a, b) has no sluice form.
      if (Array.isArray(node.value) && node.value.length === 1) return astToExpr(node.value[0], scope);
      return notTranslated('a row constructor');
    case 'case':
      return caseExpr(node, scope);
    case 'cast':
      return cast(node, scope);
    case 'extract':
      return extract(node, scope);
    case 'aggr_func':
    case 'function':
      return call(node, scope);
    case 'interval':
      return notTranslated('an INTERVAL outside date arithmetic');
    default:
      return notTranslated(`expression type '${String(node.type)}'`);
  }
}

function columnRef(node: Ast, scope: ExprScope): Expr {
  if (node.collate) notTranslated('COLLATE');
  const column = typeof node.column === 'string' ? node.column : node.column?.expr?.value;
  if (typeof column !== 'string') return notTranslated('a column reference of an unknown shape');
  if (column === '*') return notTranslated('* outside the select list and COUNT(*)');
  if (node.db) notTranslated('a column qualified by a database name');
  const table = typeof node.table === 'string' ? node.table : undefined;
  return scope.column(table, column);
}

/** Decimal literals become JS numbers; one with more digits than a double keeps stays as written. */
function numberValue(value: unknown): LiteralValue {
  if (typeof value === 'number') return value;
  const text = String(value);
  const digits = text
    .replace(/[eE].*$/, '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '');
  const parsed = Number(text);
  if (!Number.isFinite(parsed) || digits.length > 15) notTranslated(`the number ${text}`);
  return parsed;
}

function stringLiteral(node: Ast): string {
  if (node.suffix) notTranslated('a COLLATE or charset suffix on a string');
  if (typeof node.value !== 'string') return notTranslated('a string of an unknown shape');
  const quote = node.type === 'double_quote_string' ? '"' : "'";
  return unescapeString(node.value, quote);
}

/**
 * A string's value as MariaDB reads it. node-sql-parser already turned \n, \r, \t, \b into
 * characters but keeps \' \" \\ and doubled quotes as written; `\%` and `\_` stay as they are
 * (they are LIKE escapes), and any other backslash is dropped, as MariaDB does.
 */
export function unescapeString(raw: string, quote: "'" | '"'): string {
  return raw.replace(/\\([\s\S])|''|""/g, (match, escaped: string | undefined) => {
    if (escaped === undefined) return match[0] === quote ? quote : match;
    if (escaped === '%' || escaped === '_') return match;
    if (escaped === '0') return '\0';
    if (escaped === 'Z') return '\x1a';
    return escaped;
  });
}

function unary(node: Ast, scope: ExprScope): Expr {
  const operator = String(node.operator).toUpperCase();
  if (operator === 'NOT EXISTS' && isSubquery(node.expr))
    return subquery(node.expr, scope, 'exists', undefined, true);
  const operand = astToExpr(node.expr, scope);
  if (operator === '-') {
    if (operand.kind === 'literal' && operand.decimal) {
      const text = String(operand.value);
      return Exprs.decimal(text.startsWith('-') ? text.slice(1) : `-${text}`) ?? Exprs.negate(operand);
    }
    if (operand.kind === 'literal' && typeof operand.value === 'number') return Exprs.literal(-operand.value);
    if (operand.kind === 'literal' && typeof operand.value === 'bigint') return Exprs.literal(-operand.value);
    return Exprs.negate(operand);
  }
  if (operator === '+') return operand;
  if (operator === 'NOT' || operator === '!') return Exprs.not(operand);
  return notTranslated(`the unary operator ${operator}`);
}

function binary(node: Ast, scope: ExprScope): Expr {
  const operator = String(node.operator).toUpperCase();
  const left = () => astToExpr(node.left, scope);
  switch (operator) {
    case 'IN':
    case 'NOT IN': {
      if (node.left?.type === 'expr_list' && node.left.value?.length !== 1) notTranslated('a row IN list');
      const list = node.right;
      if (isSubquery(list)) return subquery(list, scope, 'in', left(), operator === 'NOT IN');
      if (list?.type !== 'expr_list' || !Array.isArray(list.value))
        return notTranslated('IN over a subquery');
      if (list.value.length === 1 && isSubquery(list.value[0])) {
        return subquery(list.value[0], scope, 'in', left(), operator === 'NOT IN');
      }
      if (list.value.some(isSubquery)) notTranslated('IN over a list holding a subquery');
      const items = list.value.map((item: Ast) => astToExpr(item, scope));
      return Exprs.in(left(), items, operator === 'NOT IN');
    }
    case 'BETWEEN':
    case 'NOT BETWEEN': {
      const [low, high] = node.right?.value ?? [];
      if (!low || !high) return notTranslated('BETWEEN of an unknown shape');
      return Exprs.between(left(), astToExpr(low, scope), astToExpr(high, scope), operator === 'NOT BETWEEN');
    }
    case 'LIKE':
    case 'NOT LIKE':
      if (node.right?.escape) notTranslated('LIKE … ESCAPE');
      return Exprs.like(left(), astToExpr(node.right, scope), operator === 'NOT LIKE');
    case 'IS':
    case 'IS NOT':
      if (node.right?.type !== 'null') notTranslated(`${operator} TRUE/FALSE/UNKNOWN`);
      return Exprs.isNull(left(), operator === 'IS NOT');
    case '+':
    case '-': {
      if (node.right?.type === 'interval') return dateAdd(node.left, node.right, operator === '-', scope);
      if (node.left?.type === 'interval' && operator === '+')
        return dateAdd(node.right, node.left, false, scope);
      break;
    }
  }
  const op = BINARY_OPS[operator];
  if (op === undefined) return notTranslated(`the operator ${operator}`);
  return Exprs.binary(op, left(), astToExpr(node.right, scope));
}

/** `d + INTERVAL n unit` (or DATE_ADD/DATE_SUB) as the registry's dateAdd(d, n, unit). */
function dateAdd(value: Ast, interval: Ast, subtract: boolean, scope: ExprScope): Expr {
  const unit = String(interval.unit ?? '').toLowerCase();
  if (!(DATE_UNITS as readonly string[]).includes(unit))
    return notTranslated(`INTERVAL … ${unit.toUpperCase()}`);
  let amount = astToExpr(interval.expr, scope);
  if (amount.kind === 'literal' && typeof amount.value === 'string') {
    // INTERVAL '3' DAY: MariaDB reads a numeric string as the number.
    if (!/^\s*-?\d+\s*$/.test(amount.value)) return notTranslated(`INTERVAL '${amount.value}'`);
    amount = Exprs.literal(Number(amount.value));
  }
  if (subtract) {
    amount =
      amount.kind === 'literal' && typeof amount.value === 'number'
        ? Exprs.literal(-amount.value)
        : Exprs.negate(amount);
  }
  return Exprs.call('dateAdd', [astToExpr(value, scope), amount, Exprs.literal(unit)]);
}

function caseExpr(node: Ast, scope: ExprScope): Expr {
  const operand = node.expr ? astToExpr(node.expr, scope) : undefined;
  const branches: { when: Expr; result: Expr }[] = [];
  let otherwise: Expr | undefined;
  for (const arm of node.args ?? []) {
    if (arm.type === 'when') {
      const condition = astToExpr(arm.cond, scope);
      branches.push({
        // A simple CASE compares its operand with each WHEN value.
        when: operand ? Exprs.binary('=', operand, condition) : condition,
        result: astToExpr(arm.result, scope),
      });
    } else if (arm.type === 'else') {
      otherwise = astToExpr(arm.result, scope);
    } else {
      notTranslated('a CASE arm of an unknown shape');
    }
  }
  if (branches.length === 0) return notTranslated('CASE without WHEN');
  return Exprs.case(branches, otherwise);
}

/** CAST targets with an exact sluice cast type (same SQL type after the dialect's rendering). */
function castType(target: Ast): { to: CastType; digits?: DecimalDigits } | undefined {
  const to = castKind(target);
  if (to !== 'decimal') return to === undefined ? undefined : { to };
  // DECIMAL alone is DECIMAL(10,0); DECIMAL(p) is DECIMAL(p,0).
  const precision = typeof target.length === 'number' ? target.length : 10;
  const scale = typeof target.scale === 'number' ? target.scale : 0;
  if (precision < 1 || precision > 65 || scale > 38 || scale > precision) return undefined;
  return { to, digits: { precision, scale } };
}

function castKind(target: Ast): CastType | undefined {
  const type = String(target.dataType ?? '').toUpperCase();
  const hasLength = target.length !== undefined && target.length !== null;
  switch (type) {
    case 'SIGNED':
    case 'INT':
    case 'INTEGER':
      return target.suffix?.length ? undefined : 'bigint';
    case 'CHAR':
      return hasLength ? undefined : 'string';
    case 'DATE':
      return 'date';
    case 'DOUBLE':
      return target.suffix?.length ? undefined : 'double';
    case 'DATETIME':
      // sluice's timestamp is DATETIME(6); a plain DATETIME drops the fraction.
      return target.length === 6 ? 'timestamp' : undefined;
    case 'DECIMAL':
      return 'decimal';
    default:
      return undefined;
  }
}

function cast(node: Ast, scope: ExprScope): Expr {
  const targets = Array.isArray(node.target) ? node.target : [node.target];
  if (targets.length !== 1 || !targets[0]) return notTranslated('CAST of an unknown shape');
  const type = castType(targets[0]);
  if (!type)
    return notTranslated(`CAST … AS ${String(targets[0].dataType)}${targets[0].length ? '(…)' : ''}`);
  return Exprs.cast(astToExpr(node.expr, scope), type.to, type.digits);
}

function extract(node: Ast, scope: ExprScope): Expr {
  const field = String(node.args?.field ?? '').toLowerCase();
  if (!['year', 'month', 'day', 'hour'].includes(field))
    return notTranslated(`EXTRACT(${field.toUpperCase()} …)`);
  return Exprs.call(field, [astToExpr(node.args.source, scope)]);
}

function call(node: Ast, scope: ExprScope): Expr {
  const name = functionName(node);
  if (name === undefined) return notTranslated('a qualified function name');
  if (node.over) return windowCall(node, name, scope);
  if (name in AGGREGATES) return aggregateCall(node, name, scope);
  if (name in WINDOW_ONLY) return notTranslated(`${name} without OVER`);
  const args = functionArgs(node);
  const converted = () => args.map((arg) => astToExpr(arg, scope));
  switch (name) {
    case 'EXISTS':
      if (args.length !== 1 || !isSubquery(args[0]!)) break;
      return subquery(args[0]!, scope, 'exists');
    case 'NOT':
      if (args.length !== 1) break;
      return Exprs.not(astToExpr(args[0]!, scope));
    case 'MOD':
      if (args.length !== 2) break;
      return Exprs.binary('%', astToExpr(args[0]!, scope), astToExpr(args[1]!, scope));
    case 'IF': {
      if (args.length !== 3) break;
      const [condition, then, otherwise] = converted() as [Expr, Expr, Expr];
      return Exprs.case([{ when: condition, result: then }], otherwise);
    }
    case 'NULLIF': {
      if (args.length !== 2) break;
      const [value, other] = converted() as [Expr, Expr];
      return Exprs.case([{ when: Exprs.binary('=', value, other), result: Exprs.literal(null) }], value);
    }
    case 'DATE_ADD':
    case 'DATE_SUB':
    case 'ADDDATE':
    case 'SUBDATE': {
      if (args.length !== 2) break;
      const subtract = name === 'DATE_SUB' || name === 'SUBDATE';
      // ADDDATE(d, n) without INTERVAL adds days.
      const interval =
        args[1]!.type === 'interval' ? args[1]! : { type: 'interval', expr: args[1], unit: 'day' };
      if (args[1]!.type !== 'interval' && (name === 'DATE_ADD' || name === 'DATE_SUB')) break;
      return dateAdd(args[0]!, interval, subtract, scope);
    }
  }
  const registryName = SCALAR_FUNCTIONS[name];
  if (registryName === undefined) return notTranslated(`the function ${name}`);
  if (name === 'TRIM' && args.some((arg) => arg.type === 'origin'))
    notTranslated('TRIM(BOTH|LEADING|TRAILING …)');
  if (name === 'IFNULL' && args.length !== 2) notTranslated('IFNULL with other than two arguments');
  try {
    checkArity(registryName, args.length);
  } catch (error) {
    if (error instanceof ConfigError) notTranslated(`${name} with ${args.length} argument(s)`);
    throw error;
  }
  return Exprs.call(registryName, converted());
}

function aggregateCall(node: Ast, name: string, scope: ExprScope): Expr {
  if (!scope.aggregates) return notTranslated(`the aggregate ${name} in WHERE, ON or GROUP BY`);
  const inner: ExprScope = { column: scope.column, aggregates: false };
  const fn = AGGREGATES[name]!;
  if (node.type === 'function') {
    // STDDEV_SAMP(x), VAR_SAMP(x): the parser reads these as plain functions.
    const args = functionArgs(node);
    if (args.length !== 1) return notTranslated(`${name} with ${args.length} arguments`);
    return Exprs.aggregate(fn, astToExpr(args[0]!, inner));
  }
  const args = node.args ?? {};
  if (args.orderby || args.separator) notTranslated(`${name} with ORDER BY or SEPARATOR`);
  const arg: Ast | undefined = args.expr;
  if (arg?.type === 'star') {
    if (fn !== 'count' || args.distinct) return notTranslated(`${name}(*)`);
    return Exprs.aggregate('count');
  }
  if (!arg) return notTranslated(`${name} without an argument`);
  if (arg.type === 'expr_list' && arg.value?.length !== 1)
    return notTranslated(`${name} over several values`);
  const value = astToExpr(arg, inner);
  if (args.distinct) {
    if (fn !== 'count') return notTranslated(`${name}(DISTINCT …)`);
    return Exprs.aggregate('countDistinct', value);
  }
  return Exprs.aggregate(fn, value);
}

function windowCall(node: Ast, name: string, scope: ExprScope): Expr {
  const spec = node.over?.as_window_specification;
  if (typeof spec !== 'object' || spec === null) return notTranslated('a named window (OVER w)');
  const window = spec.window_specification ?? {};
  if (window.name) notTranslated('a window based on a named window');
  const partitionBy: Expr[] = (window.partitionby ?? []).map((item: Ast) => astToExpr(item.expr, scope));
  const orderBy: SortKey[] = (window.orderby ?? []).map((item: Ast) => sortKey(item, scope));
  const frame = window.window_frame_clause ? windowFrame(window.window_frame_clause) : undefined;
  const windowFn = WINDOW_ONLY[name];
  if (windowFn) {
    const args = functionArgs(node).map((arg) => astToExpr(arg, scope));
    if (windowFn === 'lag' || windowFn === 'lead') {
      if (args.length < 1 || args.length > 2) return notTranslated(`${name} with a default value`);
      const offset = args[1] ?? Exprs.literal(1);
      if (offset.kind !== 'literal' || typeof offset.value !== 'number' || !Number.isInteger(offset.value)) {
        return notTranslated(`${name} with an offset that is not an integer`);
      }
      return Exprs.window(windowFn, [args[0]!, offset], partitionBy, orderBy, frame);
    }
    const arity = windowFn === 'firstValue' || windowFn === 'lastValue' ? 1 : 0;
    if (args.length !== arity) return notTranslated(`${name} with ${args.length} argument(s)`);
    return Exprs.window(windowFn, args, partitionBy, orderBy, frame);
  }
  const fn = AGGREGATES[name];
  if (!fn) return notTranslated(`the window function ${name}`);
  const aggregate = aggregateCall({ ...node, over: undefined }, name, scope);
  if (aggregate.kind !== 'aggregate' || aggregate.fn === 'countDistinct') {
    return notTranslated(`${name}(DISTINCT …) OVER`);
  }
  return Exprs.window(aggregate.fn, aggregate.arg ? [aggregate.arg] : [], partitionBy, orderBy, frame);
}

/** ROWS BETWEEN <bound> AND <bound>; RANGE frames and other shapes are not translated. */
function windowFrame(clause: Ast): WindowFrame {
  if (clause.type !== 'binary_expr' || String(clause.operator).toUpperCase() !== 'BETWEEN') {
    return notTranslated('a window frame without BETWEEN');
  }
  if (String(clause.left?.value).toLowerCase() !== 'rows') return notTranslated('a RANGE window frame');
  const [start, end] = (clause.right?.value ?? []).map((bound: Ast) => frameBound(String(bound.value)));
  if (start === null || end === null) return notTranslated('a window frame with an unknown bound');
  if (start === 'unbounded following' || end === 'unbounded preceding')
    notTranslated('an empty window frame');
  return {
    start: typeof start === 'number' ? start : undefined,
    end: typeof end === 'number' ? end : undefined,
  };
}

function frameBound(text: string): number | 'unbounded preceding' | 'unbounded following' | null {
  const bound = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (bound === 'current row') return 0;
  if (bound === 'unbounded preceding' || bound === 'unbounded following') return bound;
  const match = /^(\d+) (preceding|following)$/.exec(bound);
  if (!match) return null;
  const offset = Number(match[1]);
  return match[2] === 'preceding' ? -offset : offset;
}

/** One ORDER BY item (MariaDB puts NULLs first ascending, last descending: sluice's default). */
export function sortKey(item: Ast, scope: ExprScope, expr?: Expr): SortKey {
  const descending = String(item.type ?? 'ASC').toUpperCase() === 'DESC';
  return Exprs.sortKey(expr ?? astToExpr(item.expr, scope), descending);
}
