/**
 * Constant folding: arithmetic and comparisons over literals are computed once, and AND/OR/NOT
 * with a known side collapse (`x AND TRUE` is `x`, `x OR TRUE` is TRUE). Filters that are always
 * true disappear. The result is the same on every database and locally.
 */
import { type BinaryExpr, type Expr, Exprs, type LiteralValue, mapExpr } from '../../plan/expr.ts';
import { type PlanNode, Plans, transformUp } from '../../plan/nodes.ts';
import type { Rule } from '../rule.ts';

const isLiteral = (expr: Expr): expr is Extract<Expr, { kind: 'literal' }> => expr.kind === 'literal';
const isNumber = (value: LiteralValue): value is number =>
  typeof value === 'number' && Number.isFinite(value);
/** MariaDB's booleans are integers: TRUE is 1, FALSE is 0. */
const truth = (value: LiteralValue): boolean | undefined =>
  value === null ? undefined : typeof value === 'boolean' ? value : isNumber(value) ? value !== 0 : undefined;

function foldBinary(expr: BinaryExpr): Expr | undefined {
  const { left, right, op } = expr;
  if (op === 'and' || op === 'or') {
    for (const [known, other] of [
      [left, right],
      [right, left],
    ] as const) {
      if (!isLiteral(known)) continue;
      const value = truth(known.value);
      if (value === undefined) continue;
      if (op === 'and') return value ? other : Exprs.literal(0);
      return value ? Exprs.literal(1) : other;
    }
    return undefined;
  }
  if (!isLiteral(left) || !isLiteral(right)) return undefined;
  const a = left.value;
  const b = right.value;
  if (!isNumber(a) || !isNumber(b)) return undefined;
  // Only integer arithmetic is exact in JS: the database reads 0.1 + 0.2 as DECIMAL (exactly 0.3),
  // and integers past 2^53 (or its BIGINT range) behave differently too.
  const exact = (value: number) =>
    Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(value)
      ? Exprs.literal(value)
      : undefined;
  switch (op) {
    case '+':
      return exact(a + b);
    case '-':
      return exact(a - b);
    case '*':
      return exact(a * b);
    case '=':
      return Exprs.literal(a === b ? 1 : 0);
    case '!=':
      return Exprs.literal(a !== b ? 1 : 0);
    case '<':
      return Exprs.literal(a < b ? 1 : 0);
    case '<=':
      return Exprs.literal(a <= b ? 1 : 0);
    case '>':
      return Exprs.literal(a > b ? 1 : 0);
    case '>=':
      return Exprs.literal(a >= b ? 1 : 0);
    default:
      // Division and modulo keep the database's decimal and NULL-on-zero rules: not folded.
      return undefined;
  }
}

export function foldConstants(expr: Expr): Expr {
  return mapExpr(expr, (node) => {
    if (node.kind === 'binary') {
      const left = foldConstants(node.left);
      const right = foldConstants(node.right);
      const rebuilt = left === node.left && right === node.right ? node : Exprs.binary(node.op, left, right);
      return foldBinary(rebuilt) ?? rebuilt;
    }
    if (node.kind === 'not') {
      const operand = foldConstants(node.operand);
      if (operand.kind === 'not') return operand.operand;
      if (isLiteral(operand)) {
        const value = truth(operand.value);
        if (value !== undefined) return Exprs.literal(value ? 0 : 1);
      }
      return operand === node.operand ? node : Exprs.not(operand);
    }
    if (node.kind === 'negate') {
      const operand = foldConstants(node.operand);
      if (isLiteral(operand) && isNumber(operand.value)) return Exprs.literal(-operand.value);
      return operand === node.operand ? node : Exprs.negate(operand);
    }
    return undefined;
  });
}

export const constantFolding: Rule = {
  name: 'constant folding',
  apply: (plan) =>
    transformUp(plan, (node): PlanNode => {
      if (node.kind === 'filter') {
        const predicate = foldConstants(node.predicate);
        if (isLiteral(predicate) && truth(predicate.value) === true) return node.input;
        return predicate === node.predicate ? node : Plans.filter(node.input, predicate);
      }
      if (node.kind === 'project') {
        const exprs = node.exprs.map(foldConstants);
        return exprs.every((e, i) => e === node.exprs[i]) ? node : Plans.project(node.input, exprs);
      }
      return node;
    }),
};
