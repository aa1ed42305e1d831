/**
 * Join pushdown within one source: when both sides are pushed to the same connection, the join
 * runs there. Sides from different connections (federation) join locally; so does a FULL OUTER
 * JOIN on a dialect without one (MySQL, MariaDB).
 */
import { keepLocal, PUSH, type PushRule } from './verdict.ts';

export const joinPushRule: PushRule<'join'> = (node, dialect) =>
  node.type === 'full' && !dialect.fullOuterJoin ? keepLocal(`${dialect.name} has no FULL OUTER JOIN`) : PUSH;
