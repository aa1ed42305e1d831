/**
 * Aggregate pushdown: GROUP BY with its aggregates runs in the database when every aggregate and
 * group key compiles for the dialect (Spark JDBC's pushDownAggregate has the same all-or-nothing
 * rule: a partly pushed aggregate would give partial groups). Window functions nested inside an
 * aggregate never push.
 */
import { someExpr } from '../../plan/expr.ts';
import { keepLocal, PUSH, type PushRule } from './verdict.ts';

export const aggregatePushRule: PushRule<'aggregate'> = (node) =>
  node.aggregates.some((expr) => someExpr(expr, (n) => n.kind === 'window'))
    ? keepLocal('a window function inside an aggregate')
    : PUSH;
