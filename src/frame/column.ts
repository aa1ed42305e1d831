/**
 * The user-facing expression builders: `col('x').gt(1).and(col('y').isNull())`. A Column wraps
 * an expression node and never changes; every method returns a new Column. User arguments are
 * turned into nodes here, once: a Column is used as it is, any other value becomes a literal.
 */
import { ConfigError } from '../base/errors.ts';
import { checkArity, DATE_UNITS, type DateUnit } from '../functions/registry.ts';
import {
  type AggregateFunction,
  type BinaryOp,
  CAST_TYPES,
  type CastType,
  type Expr,
  Exprs,
  type LiteralValue,
  type SortKey,
  type SubqueryMode,
  someExpr,
  type WindowFrame,
  type WindowFunction,
} from '../plan/expr.ts';
import type { PlanNode } from '../plan/nodes.ts';
import { subqueryOf } from '../plan/subquery.ts';
import type { FrameRuntime } from './runtime.ts';

export type ColumnLike = Column | LiteralValue;

/** What a subquery needs of a frame: its plan, and how to reach the connections it reads. */
export interface SubqueryFrame {
  readonly plan: PlanNode;
  readonly runtime: FrameRuntime;
}

const isFrame = (value: unknown): value is SubqueryFrame =>
  typeof value === 'object' && value !== null && 'plan' in value && 'runtime' in value;

/**
 * The runtime of each subquery's frame, so a frame that filters or selects with a subquery can
 * reach the subquery's connections (a subquery over another database runs as a local join).
 */
const subqueryRuntimes = new WeakMap<Expr, FrameRuntime>();

function subqueryColumn(mode: SubqueryMode, frame: SubqueryFrame, operand?: Expr, negated = false): Column {
  if (!isFrame(frame)) throw new ConfigError(`${mode === 'scalar' ? 'scalar' : mode}() takes a frame`);
  const node = subqueryOf(mode, frame.plan, operand, negated);
  subqueryRuntimes.set(node, frame.runtime);
  return new Column(node);
}

/** The runtimes of the subqueries in an expression (for the frame that uses it). */
export function runtimesOf(expr: Expr): FrameRuntime[] {
  const found: FrameRuntime[] = [];
  someExpr(expr, (node) => {
    const runtime = node.kind === 'subquery' ? subqueryRuntimes.get(node) : undefined;
    if (runtime) found.push(runtime);
    return false;
  });
  return found;
}

export class Column {
  constructor(readonly node: Expr) {}

  eq(other: ColumnLike): Column {
    return this.binary('=', other);
  }
  ne(other: ColumnLike): Column {
    return this.binary('!=', other);
  }
  lt(other: ColumnLike): Column {
    return this.binary('<', other);
  }
  le(other: ColumnLike): Column {
    return this.binary('<=', other);
  }
  gt(other: ColumnLike): Column {
    return this.binary('>', other);
  }
  ge(other: ColumnLike): Column {
    return this.binary('>=', other);
  }
  and(other: ColumnLike): Column {
    return this.binary('and', other);
  }
  or(other: ColumnLike): Column {
    return this.binary('or', other);
  }
  plus(other: ColumnLike): Column {
    return this.binary('+', other);
  }
  minus(other: ColumnLike): Column {
    return this.binary('-', other);
  }
  times(other: ColumnLike): Column {
    return this.binary('*', other);
  }
  div(other: ColumnLike): Column {
    return this.binary('/', other);
  }
  mod(other: ColumnLike): Column {
    return this.binary('%', other);
  }
  not(): Column {
    return new Column(Exprs.not(this.node));
  }
  negate(): Column {
    return new Column(Exprs.negate(this.node));
  }
  isNull(): Column {
    return new Column(Exprs.isNull(this.node));
  }
  isNotNull(): Column {
    return new Column(Exprs.isNull(this.node, true));
  }
  /** In a list of values (`isIn(1, 2)`, `isIn([1, 2])`), or in the one column of a frame (a subquery). */
  isIn(...values: (ColumnLike | readonly ColumnLike[] | SubqueryFrame)[]): Column {
    if (values.length === 1 && isFrame(values[0])) return subqueryColumn('in', values[0], this.node);
    // isIn([1, 2]) and isIn(1, 2) both work, as in Spark.
    const list = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
    return new Column(Exprs.in(this.node, (list as ColumnLike[]).map(valueExpr)));
  }
  /** SQL's NOT IN: never true when the value or any value of a subquery's column is NULL. */
  notIn(...values: (ColumnLike | readonly ColumnLike[] | SubqueryFrame)[]): Column {
    if (values.length === 1 && isFrame(values[0])) return subqueryColumn('in', values[0], this.node, true);
    const list = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
    return new Column(Exprs.in(this.node, (list as ColumnLike[]).map(valueExpr), true));
  }
  between(low: ColumnLike, high: ColumnLike): Column {
    return new Column(Exprs.between(this.node, valueExpr(low), valueExpr(high)));
  }
  like(pattern: ColumnLike): Column {
    return new Column(Exprs.like(this.node, valueExpr(pattern)));
  }
  cast(to: CastType): Column {
    if (!(CAST_TYPES as readonly string[]).includes(to)) {
      throw new ConfigError(`cannot cast to '${to}'; valid types: ${CAST_TYPES.join(', ')}`);
    }
    return new Column(Exprs.cast(this.node, to));
  }
  /** Ascending order for orderBy (NULLs first unless `nulls: 'last'`). */
  asc(options: { nulls?: 'first' | 'last' } = {}): SortOrder {
    return new SortOrder(Exprs.sortKey(this.node, false, (options.nulls ?? 'first') === 'first'));
  }
  /** Descending order for orderBy (NULLs last unless `nulls: 'first'`). */
  desc(options: { nulls?: 'first' | 'last' } = {}): SortOrder {
    return new SortOrder(Exprs.sortKey(this.node, true, (options.nulls ?? 'last') === 'first'));
  }
  /** An aggregate as a window function: `fn.avg('x').over({ partitionBy: 'k', orderBy: 'd', rows: [-6, 0] })`. */
  over(spec: WindowSpec = {}): Column {
    const inner = this.node.kind === 'alias' ? this.node.expr : this.node;
    if (inner.kind !== 'aggregate') {
      throw new ConfigError(
        'over() applies to an aggregate (fn.sum, fn.avg, ...) or a window function (fn.rank, fn.lag, ...)',
      );
    }
    if (inner.fn === 'countDistinct') throw new ConfigError('countDistinct cannot be a window function');
    return windowColumn(inner.fn, inner.arg ? [inner.arg] : [], spec);
  }
  /** Names the result column. */
  as(name: string): Column {
    if (name === '') throw new ConfigError('a column alias cannot be empty');
    const inner = this.node.kind === 'alias' ? this.node.expr : this.node;
    return new Column(Exprs.alias(inner, name));
  }

  private binary(op: BinaryOp, other: ColumnLike): Column {
    return new Column(Exprs.binary(op, this.node, valueExpr(other)));
  }
}

/** One ORDER BY key: `col('x').desc({ nulls: 'first' })`. */
export class SortOrder {
  constructor(readonly key: SortKey) {}
}

export type SortSpec = string | Column | SortOrder;

export function toSortKey(spec: SortSpec): SortKey {
  if (spec instanceof SortOrder) return spec.key;
  if (spec instanceof Column) return Exprs.sortKey(spec.node);
  if (typeof spec === 'string' && spec !== '') return Exprs.sortKey(Exprs.column(spec));
  throw new ConfigError(
    `expected a column name, a column or col(...).asc()/desc() to sort by, got ${String(spec)}`,
  );
}

export interface WindowSpec {
  readonly partitionBy?: string | Column | readonly (string | Column)[];
  readonly orderBy?: SortSpec | readonly SortSpec[];
  /** A frame in rows relative to the current row, e.g. [-6, 0]; null is unbounded. */
  readonly rows?: readonly [number | null, number | null];
}

function windowColumn(
  fnName: WindowFunction | AggregateFunction,
  args: readonly Expr[],
  spec: WindowSpec,
): Column {
  const list = <T>(value: T | readonly T[] | undefined): readonly T[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value as T];
  const partitionBy = list(spec.partitionBy).map((value) => asColumn(value as string | Column));
  const orderBy = list(spec.orderBy).map((value) => toSortKey(value as SortSpec));
  let frame: WindowFrame | undefined;
  if (spec.rows !== undefined) {
    const [start, end] = spec.rows;
    for (const bound of [start, end]) {
      if (bound !== null && !Number.isInteger(bound)) {
        throw new ConfigError(`a window frame bound must be an integer or null, got ${String(bound)}`);
      }
    }
    if (start !== null && end !== null && start > end) {
      throw new ConfigError(`a window frame must start before it ends, got rows [${start}, ${end}]`);
    }
    frame = { start: start ?? undefined, end: end ?? undefined };
  }
  return new Column(Exprs.window(fnName, args, partitionBy, orderBy, frame));
}

/** A ranking or offset function waiting for its window: `fn.rank().over({ orderBy: 'x' })`. */
export class WindowFunctionCall {
  constructor(
    private readonly name: WindowFunction,
    private readonly args: readonly Expr[],
  ) {}
  over(spec: WindowSpec = {}): Column {
    const needsOrder = ['rowNumber', 'rank', 'denseRank', 'lag', 'lead'];
    if (needsOrder.includes(this.name) && spec.orderBy === undefined) {
      throw new ConfigError(`${this.name}() needs an orderBy in its window`);
    }
    return windowColumn(this.name, this.args, spec);
  }
}

function offsetFunction(name: 'lag' | 'lead') {
  return (value: string | Column, offset = 1): WindowFunctionCall => {
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ConfigError(`${name}() offset must be a non-negative integer, got ${offset}`);
    }
    return new WindowFunctionCall(name, [asColumn(value), Exprs.literal(offset)]);
  };
}

export function valueExpr(value: ColumnLike): Expr {
  if (value instanceof Column) return value.node;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    throw new ConfigError(
      `expected a column or a literal value, got ${Object.prototype.toString.call(value)}`,
    );
  }
  return Exprs.literal(value);
}

/** A column of the input by name. */
export function col(name: string): Column {
  if (typeof name !== 'string' || name === '') throw new ConfigError('col() needs a column name');
  return new Column(Exprs.column(name));
}

/** A literal value; it always travels to the database as a parameter. */
export function lit(value: LiteralValue): Column {
  return new Column(Exprs.literal(value));
}

/**
 * A DECIMAL literal from its text, with the scale it is written with: `lit.decimal('100.00')`
 * is the DECIMAL(5,2) that `100.00` is in SQL (a JS number cannot keep its trailing zeros).
 */
lit.decimal = (text: string): Column => {
  const node = Exprs.decimal(text);
  if (!node) {
    throw new ConfigError(
      `lit.decimal() needs a decimal number's text of at most 65 digits, 38 after the point; got ${JSON.stringify(text)}`,
    );
  }
  return new Column(node);
};

const asColumn = (value: string | ColumnLike): Expr =>
  typeof value === 'string' ? col(value).node : valueExpr(value);

function aggregate(name: AggregateFunction) {
  return (value: string | Column): Column => new Column(Exprs.aggregate(name, asColumn(value)));
}

function scalar(name: string) {
  return (...args: (string | ColumnLike)[]): Column => {
    checkArity(name, args.length);
    // The first argument names a column when it is a string; later ones are literal values.
    return new Column(
      Exprs.call(
        name,
        args.map((arg, index) => (index === 0 ? asColumn(arg) : valueExpr(arg as ColumnLike))),
      ),
    );
  };
}

/** A CASE expression being built: `fn.when(c1, v1).when(c2, v2).otherwise(v3)`. */
export class When extends Column {
  constructor(private readonly branches: readonly { when: Expr; result: Expr }[]) {
    super(Exprs.case(branches));
  }
  when(condition: Column, value: ColumnLike): When {
    return new When([...this.branches, { when: condition.node, result: valueExpr(value) }]);
  }
  otherwise(value: ColumnLike): Column {
    return new Column(Exprs.case(this.branches, valueExpr(value)));
  }
}

export const fn = {
  /** True when the frame has a row; the frame may read the outer row with `fn.outer(name)`. */
  exists: (frame: SubqueryFrame): Column => subqueryColumn('exists', frame),
  notExists: (frame: SubqueryFrame): Column => subqueryColumn('exists', frame, undefined, true),
  /** The one value of a frame of one column and at most one row (NULL when it has none). */
  scalar: (frame: SubqueryFrame): Column => subqueryColumn('scalar', frame),
  /** Inside a subquery's frame: the column `name` of the row of the frame that uses the subquery. */
  outer: (name: string): Column => {
    if (typeof name !== 'string' || name === '') throw new ConfigError('outer() needs a column name');
    return new Column(Exprs.outer(name));
  },
  count: (value?: string | Column): Column =>
    new Column(Exprs.aggregate('count', value === undefined ? undefined : asColumn(value))),
  countDistinct: aggregate('countDistinct'),
  sum: aggregate('sum'),
  avg: aggregate('avg'),
  min: aggregate('min'),
  max: aggregate('max'),
  stddev: aggregate('stddev'),
  variance: aggregate('variance'),
  when: (condition: Column, value: ColumnLike): When =>
    new When([{ when: condition.node, result: valueExpr(value) }]),
  coalesce: (...values: (string | ColumnLike)[]): Column => {
    checkArity('coalesce', values.length);
    return new Column(
      Exprs.call(
        'coalesce',
        values.map((value) => (typeof value === 'string' ? col(value).node : valueExpr(value))),
      ),
    );
  },
  abs: scalar('abs'),
  round: scalar('round'),
  floor: scalar('floor'),
  ceil: scalar('ceil'),
  sqrt: scalar('sqrt'),
  ln: scalar('ln'),
  log: scalar('log'),
  exp: scalar('exp'),
  pow: scalar('pow'),
  greatest: (...values: (string | Column)[]) => new Column(Exprs.call('greatest', values.map(asColumn))),
  least: (...values: (string | Column)[]) => new Column(Exprs.call('least', values.map(asColumn))),
  lower: scalar('lower'),
  upper: scalar('upper'),
  length: scalar('length'),
  substr: scalar('substr'),
  concat: (...values: (string | Column)[]) => new Column(Exprs.call('concat', values.map(asColumn))),
  trim: scalar('trim'),
  replace: scalar('replace'),
  year: scalar('year'),
  month: scalar('month'),
  day: scalar('day'),
  hour: scalar('hour'),
  dateDiff: (end: string | Column, start: string | Column) =>
    new Column(Exprs.call('dateDiff', [asColumn(end), asColumn(start)])),
  /** The date truncated to the start of its `unit` (year, quarter, month, week, day, hour, minute, second). */
  dateTrunc: (unit: DateUnit, value: string | Column) =>
    new Column(Exprs.call('dateTrunc', [Exprs.literal(unitNamed(unit)), asColumn(value)])),
  /** The date plus `amount` units (negative to subtract). */
  dateAdd: (value: string | Column, amount: number | Column, unit: DateUnit) =>
    new Column(Exprs.call('dateAdd', [asColumn(value), valueExpr(amount), Exprs.literal(unitNamed(unit))])),
  rowNumber: () => new WindowFunctionCall('rowNumber', []),
  rank: () => new WindowFunctionCall('rank', []),
  denseRank: () => new WindowFunctionCall('denseRank', []),
  lag: offsetFunction('lag'),
  lead: offsetFunction('lead'),
  firstValue: (value: string | Column) => new WindowFunctionCall('firstValue', [asColumn(value)]),
  lastValue: (value: string | Column) => new WindowFunctionCall('lastValue', [asColumn(value)]),
};

function unitNamed(unit: string): DateUnit {
  if (!(DATE_UNITS as readonly string[]).includes(unit)) {
    throw new ConfigError(`unknown date unit '${unit}'; valid units: ${DATE_UNITS.join(', ')}`);
  }
  return unit as DateUnit;
}
