/**
 * Window pushdown: every window function with a ROWS frame is expressible in the MySQL family,
 * but not every one is cheaper there. MariaDB evaluates window functions over a temporary table
 * of the sorted rows, one function at a time, at about a microsecond or more per row for each
 * (its cost table is the dialect's `windowCost`); sluice reads a value into Arrow in a fraction
 * of that and its window kernels (local/kernels/windows.ts) take about 0.1 µs per row and
 * function. Both costs grow with the window's input rows, so the comparison is per input row
 * and needs no row count:
 *
 *   pushed:  the dialect's cost of each window function (and the result's transfer, at least 0);
 *   local:   reading the window's input columns + the local kernels.
 *
 * When the local side is cheaper even with nothing to transfer back, the window stays local and
 * explain says so with both estimates. A dialect without a cost table pushes every window, and
 * `pushdown: 'always'` pushes whatever the database can run (split.ts).
 */
import type { Expr, WindowExpr } from '../../plan/expr.ts';
import { childExprs } from '../../plan/expr.ts';
import type { WindowNode } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import type { Dialect, WindowCost } from '../../sql/dialect.ts';
import { keepCheaperLocal, type PushRule } from './verdict.ts';

/**
 * Reading one value (a column of a row) from the database into Arrow, in µs: 1M rows of 4 to 8
 * numeric columns read in 0.35-0.45 µs per value on the development machine (2 cores shared by
 * the database, `bench/ml` SF 1).
 */
export const READ_MICROS_PER_VALUE = 0.4;
/** One window function over one row in the local kernels, in µs (`bench/local-execution.ts`). */
export const LOCAL_MICROS_PER_FUNCTION = 0.1;

function windowCalls(expr: Expr, into: WindowExpr[] = []): WindowExpr[] {
  if (expr.kind === 'window') into.push(expr);
  else for (const child of childExprs(expr)) windowCalls(child, into);
  return into;
}

/** A window function's class in the dialect's cost table. */
function costOf(call: WindowExpr, cost: WindowCost): number {
  switch (call.fn) {
    case 'rowNumber':
    case 'rank':
    case 'denseRank':
      return cost.ranking;
    case 'lag':
    case 'lead':
    case 'firstValue':
    case 'lastValue':
      return cost.offset;
    default:
      return cost.aggregate;
  }
}

/** µs per input row of the window step in the database, and locally (read + kernels). */
export function windowEstimate(node: WindowNode, cost: WindowCost): { pushed: number; local: number } {
  const calls = node.exprs.flatMap((expr) => windowCalls(expr));
  const pushed = calls.reduce((total, call) => total + costOf(call, cost), 0);
  const columns = outputFields(node.input).length;
  const local = columns * READ_MICROS_PER_VALUE + calls.length * LOCAL_MICROS_PER_FUNCTION;
  return { pushed, local };
}

export const windowPushRule: PushRule<'window'> = (node, dialect: Dialect) => {
  const cost = dialect.windowCost;
  if (cost === undefined) return { push: true, note: `no window cost measured for ${dialect.name}` };
  const { pushed, local } = windowEstimate(node, cost);
  const calls = node.exprs.flatMap((expr) => windowCalls(expr)).length;
  const estimate =
    `${calls} window function${calls === 1 ? '' : 's'} cost ~${pushed.toFixed(1)} µs per row in ${dialect.name}, ` +
    `reading ${outputFields(node.input).length} input columns and the local kernels ~${local.toFixed(1)} µs`;
  if (local >= pushed) return { push: true, note: `cheaper there: ${estimate}` };
  return keepCheaperLocal(`cheaper here: ${estimate}`);
};
