/**
 * Expression nodes: plain, frozen data with a `kind`. Nothing here knows SQL or Arrow; the
 * compiler, the optimizer and local execution each read these nodes their own way.
 */

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
export interface AliasExpr {
  readonly kind: 'alias';
  readonly expr: Expr;
  readonly name: string;
}

export type Expr =
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
  | AliasExpr;

export type ExprKind = Expr['kind'];

/** Node factories: the only way nodes are made, so every node is frozen. */
export const Exprs = {
  column: (name: string): ColumnExpr => Object.freeze({ kind: 'column', name }),
  literal: (value: LiteralValue): LiteralExpr => Object.freeze({ kind: 'literal', value }),
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
  cast: (operand: Expr, to: CastType): CastExpr => Object.freeze({ kind: 'cast', operand, to }),
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
  alias: (expr: Expr, name: string): AliasExpr => Object.freeze({ kind: 'alias', expr, name }),
};
