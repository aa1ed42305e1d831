/**
 * Structural equality of plans and expressions. Nodes are frozen plain data, so two trees mean
 * the same thing exactly when they are deeply equal; functions (JS filters, row mappers) compare
 * by identity, and shared subtrees are recognised without a walk.
 */
import { isDeepStrictEqual } from 'node:util';

export function samePlan(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}
