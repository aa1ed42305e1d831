/**
 * The user-facing expression builders: `col('x').gt(1).and(col('y').isNull())`. A Column wraps
 * an expression node and never changes; every method returns a new Column. User arguments are
 * turned into nodes here, once: a Column is used as it is, any other value becomes a literal.
 */
import { ConfigError } from '../errors.ts';
import { checkArity } from '../functions/registry.ts';
import {
  type AggregateFunction,
  type BinaryOp,
  CAST_TYPES,
  type CastType,
  type Expr,
  Exprs,
  type LiteralValue,
} from '../plan/expr.ts';

export type ColumnLike = Column | LiteralValue;

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
  isIn(...values: (ColumnLike | readonly ColumnLike[])[]): Column {
    // isIn([1, 2]) and isIn(1, 2) both work, as in Spark.
    const list = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
    return new Column(Exprs.in(this.node, (list as ColumnLike[]).map(toExpr)));
  }
  notIn(...values: (ColumnLike | readonly ColumnLike[])[]): Column {
    const list = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
    return new Column(Exprs.in(this.node, (list as ColumnLike[]).map(toExpr), true));
  }
  between(low: ColumnLike, high: ColumnLike): Column {
    return new Column(Exprs.between(this.node, toExpr(low), toExpr(high)));
  }
  like(pattern: ColumnLike): Column {
    return new Column(Exprs.like(this.node, toExpr(pattern)));
  }
  cast(to: CastType): Column {
    if (!(CAST_TYPES as readonly string[]).includes(to)) {
      throw new ConfigError(`cannot cast to '${to}'; valid types: ${CAST_TYPES.join(', ')}`);
    }
    return new Column(Exprs.cast(this.node, to));
  }
  /** Names the result column. */
  as(name: string): Column {
    if (name === '') throw new ConfigError('a column alias cannot be empty');
    const inner = this.node.kind === 'alias' ? this.node.expr : this.node;
    return new Column(Exprs.alias(inner, name));
  }

  private binary(op: BinaryOp, other: ColumnLike): Column {
    return new Column(Exprs.binary(op, this.node, toExpr(other)));
  }
}

export function toExpr(value: ColumnLike): Expr {
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

const asColumn = (value: string | ColumnLike): Expr =>
  typeof value === 'string' ? col(value).node : toExpr(value);

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
        args.map((arg, index) => (index === 0 ? asColumn(arg) : toExpr(arg as ColumnLike))),
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
    return new When([...this.branches, { when: condition.node, result: toExpr(value) }]);
  }
  otherwise(value: ColumnLike): Column {
    return new Column(Exprs.case(this.branches, toExpr(value)));
  }
}

export const fn = {
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
    new When([{ when: condition.node, result: toExpr(value) }]),
  coalesce: (...values: (string | ColumnLike)[]): Column => {
    checkArity('coalesce', values.length);
    return new Column(
      Exprs.call(
        'coalesce',
        values.map((value) => (typeof value === 'string' ? col(value).node : toExpr(value))),
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
};
