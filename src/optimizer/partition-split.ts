/**
 * Splits a pushed query so that it can run once per partition (native partition, Spider leaf,
 * key range) with a merge afterwards:
 * - row-wise steps (filter, project) run in every partition as they are;
 * - an aggregate becomes a partial aggregate per partition and a final aggregate over the
 *   partials: SUM and COUNT add up, MIN/MAX of MIN/MAX, AVG from a sum and a count, STDDEV and
 *   VARIANCE from count, sum and sum of squares; COUNT(DISTINCT) cannot be split this way;
 * - ORDER BY + LIMIT is a top-N in every partition and a merge of the sorted partials;
 * - a plain LIMIT is applied per partition and again on the merged rows.
 * A DECIMAL quotient keeps more digits inside the server than it shows (see
 * docs/exact-decimals.md); a SUM or AVG of one leaves each partition as its whole part and the
 * exact rest, so the merge adds every internal digit and rounds once, as one server would. Per
 * group, the server rounds the running sum after every row, so such a grouped SUM is read in
 * one piece.
 * Anything else (joins, windows, DISTINCT, unions) is read in one piece.
 */

import { SluiceError } from '../base/errors.ts';
import {
  type AggregateExpr,
  type Expr,
  Exprs,
  exprName,
  mapExpr,
  referencedColumns,
  someExpr,
  unalias,
} from '../plan/expr.ts';
import { type PlanNode, Plans, planLeaves } from '../plan/nodes.ts';
import { outputFields } from '../plan/schema.ts';

export interface PartitionSplit {
  /** What every partition runs (compiled per partition with its own FROM). */
  readonly perPartition: PlanNode;
  /** The merge over the partitions' rows: a plan over a `values` leaf with id `partitions`. */
  readonly merge: PlanNode;
  /** For explain: how the partials are combined. */
  readonly description: string;
}

export type Unsplittable = { readonly reason: string };

/** A DECIMAL's digits: `scale` shown, `frac` carried inside the server (more after a division). */
export interface DecimalDigitsOf {
  readonly scale: number;
  readonly frac: number;
}

export interface SplitOptions {
  /** The DECIMAL digits of an expression over the aggregate's input; undefined when not a DECIMAL. */
  readonly decimalOf?: (expr: Expr, input: PlanNode) => DecimalDigitsOf | undefined;
}

/** DECIMAL_MAX_SCALE: a CAST keeps at most this many digits after the point. */
const MAX_SCALE = 38;
/** AVG shows div_precision_increment (4) more digits than its argument. */
const AVG_EXTRA_SCALE = 4;

const ROW_WISE = new Set(['scan', 'filter', 'project']);

const isRowWise = (node: PlanNode): boolean =>
  ROW_WISE.has(node.kind) &&
  (node.kind !== 'project' || !node.exprs.some((expr) => someExpr(expr, (n) => n.kind === 'window'))) &&
  (node.kind === 'scan' || isRowWise((node as { input: PlanNode }).input));

export const PARTITIONS_ID = 'partitions';

export function splitForPartitions(
  node: PlanNode,
  options: SplitOptions = {},
): PartitionSplit | Unsplittable {
  const leaves = planLeaves(node);
  if (leaves.length !== 1 || leaves[0]!.kind !== 'scan')
    return { reason: 'the query reads more than one table' };

  // Peel ORDER BY / LIMIT from the top; what is under them must be row-wise or one aggregate.
  let limit: { limit: number | undefined; offset: number } | undefined;
  let sort: (PlanNode & { kind: 'sort' }) | undefined;
  let top: PlanNode = node;
  let outerProject: (PlanNode & { kind: 'project' }) | undefined;
  // A column pick above ORDER BY / LIMIT moves to the merge; above row-wise steps it stays in
  // every partition, so a plain read is still a plain concatenation.
  if (
    top.kind === 'project' &&
    isPlainColumns(top) &&
    (top.input.kind === 'limit' || top.input.kind === 'sort')
  ) {
    outerProject = top;
    top = top.input;
  }
  if (top.kind === 'limit') {
    limit = { limit: top.limit, offset: top.offset };
    top = top.input;
  }
  if (top.kind === 'sort') {
    sort = top;
    top = top.input;
  }
  const wrapMerge = (merge: PlanNode): PlanNode => {
    let result = merge;
    if (sort) result = Plans.sort(result, sort.keys);
    if (limit) result = Plans.limit(result, limit.limit, limit.offset);
    if (outerProject) result = Plans.project(result, outerProject.exprs);
    return result;
  };
  const values = (fieldsOf: PlanNode) => Plans.values(PARTITIONS_ID, fieldsOfPlan(fieldsOf));
  // MariaDB sorts ENUM and SET by their list position, which a merge of the rows cannot see.
  const scanFields = (leaves[0] as { fields: readonly { name: string; sqlType?: string }[] }).fields;
  const listTyped = (name: string) =>
    /^(enum|set)\(/.test(scanFields.find((f) => f.name === name)?.sqlType ?? '');
  if (sort?.keys.some((key) => [...referencedColumns(key.expr)].some(listTyped))) {
    return { reason: 'ORDER BY an ENUM or SET column is merged only by the database' };
  }

  if (isRowWise(top)) {
    // Each partition may stop after offset + limit rows (sorted first, if there is an order).
    let perPartition: PlanNode = top;
    if (sort) perPartition = Plans.sort(perPartition, sort.keys);
    if (limit?.limit !== undefined) perPartition = Plans.limit(perPartition, limit.limit + limit.offset, 0);
    const description = sort
      ? `k-way merge of sorted partitions${limit?.limit !== undefined ? `, top ${limit.limit}` : ''}`
      : limit?.limit !== undefined
        ? `concatenation, stopping after ${limit.limit + limit.offset} rows`
        : 'concatenation';
    return { perPartition, merge: wrapMerge(values(top)), description };
  }

  if (top.kind === 'aggregate' && isRowWise(top.input)) {
    const split = splitAggregate(top, options);
    if ('reason' in split) return split;
    return {
      perPartition: split.partial,
      merge: wrapMerge(split.final(values(split.partial))),
      description: `partial aggregates per partition, final aggregate (${split.summary})`,
    };
  }
  return { reason: `a ${top.kind} over the table needs all rows in one place` };
}

/** The digits of a SUM/AVG call's argument when it carries more inside the server than it shows. */
function hiddenDigits(
  call: AggregateExpr,
  input: PlanNode,
  options: SplitOptions,
): DecimalDigitsOf | undefined {
  if ((call.fn !== 'sum' && call.fn !== 'avg') || call.arg === undefined) return undefined;
  const digits = options.decimalOf?.(call.arg, input);
  return digits && digits.frac > digits.scale ? digits : undefined;
}

/**
 * Whether an aggregate's answer depends on the order its rows arrive in: a grouped SUM or AVG of
 * a quotient, whose running sum the database (and local execution, following it) rounds to the
 * shown digits after every row (docs/exact-decimals.md).
 */
export function roundsPerRow(node: PlanNode & { kind: 'aggregate' }, options: SplitOptions): boolean {
  return (
    node.groupBy.length > 0 &&
    node.aggregates.some((expr) =>
      someExpr(expr, (n) => n.kind === 'aggregate' && hiddenDigits(n, node.input, options) !== undefined),
    )
  );
}

const isPlainColumns = (node: PlanNode & { kind: 'project' }) =>
  node.exprs.every((expr) => expr.kind === 'column');

const fieldsOfPlan = (node: PlanNode) => outputFields(node);

interface AggregateSplit {
  readonly partial: PlanNode;
  readonly final: (partials: PlanNode) => PlanNode;
  readonly summary: string;
}

function splitAggregate(
  node: PlanNode & { kind: 'aggregate' },
  options: SplitOptions,
): AggregateSplit | Unsplittable {
  const calls: AggregateExpr[] = [];
  const indexOf = new Map<string, number>();
  const key = (expr: AggregateExpr) => JSON.stringify(expr);
  for (const expr of node.aggregates) {
    mapExpr(expr, (n) => {
      if (n.kind !== 'aggregate') return undefined;
      if (!indexOf.has(key(n))) {
        indexOf.set(key(n), calls.length);
        calls.push(n);
      }
      return n;
    });
  }
  const distinct = calls.find((call) => call.fn === 'countDistinct');
  if (distinct) return { reason: 'COUNT(DISTINCT) cannot be merged from partitions' };
  /** SUM/AVG calls over a value with more inside digits than shown, and those digits. */
  const hidden = new Map<number, DecimalDigitsOf>();
  calls.forEach((call, i) => {
    const digits = hiddenDigits(call, node.input, options);
    if (digits) hidden.set(i, digits);
  });
  if (hidden.size > 0 && node.groupBy.length > 0) {
    // Grouping through a temporary table, the server rounds a group's running sum to the shown
    // digits after every row, in its scan order: partitions rounding their own running sums and
    // a merge adding them differ where a row lands on a half (docs/exact-decimals.md).
    return { reason: 'a grouped SUM or AVG of a quotient is rounded after every row by the database' };
  }
  for (const [i, digits] of hidden) {
    if (digits.frac > MAX_SCALE)
      return { reason: `a partial SUM of a quotient with ${digits.frac} inside digits cannot leave exactly` };
    // Only a top-level call is rounded once to its shown digits; inside an expression the
    // server computes on every inside digit and shows the expression's own scale.
    const topLevel = node.aggregates.every(
      (expr) =>
        !someExpr(expr, (n) => n.kind === 'aggregate' && key(n) === key(calls[i]!)) ||
        (unalias(expr).kind === 'aggregate' && key(unalias(expr) as AggregateExpr) === key(calls[i]!)),
    );
    if (!topLevel)
      return {
        reason: 'a SUM or AVG of a quotient inside an expression is merged exactly only by the database',
      };
  }

  const partialExprs: Expr[] = [];
  const finalExprs: Expr[] = [];
  /** For each call, the expression over final columns that gives its value. */
  const finalValue: Expr[] = [];
  const column = (name: string) => Exprs.column(name);
  const add = (name: string, partial: Expr, final: Expr) => {
    partialExprs.push(Exprs.alias(partial, name));
    finalExprs.push(Exprs.alias(final, name));
  };
  calls.forEach((call, i) => {
    const p = `__p${i}`;
    const arg = call.arg;
    switch (call.fn) {
      case 'count':
        add(`${p}_count`, Exprs.aggregate('count', arg), Exprs.aggregate('sum', column(`${p}_count`)));
        // SUM over no partial rows is NULL; a count is 0.
        finalValue.push(Exprs.call('coalesce', [column(`${p}_count`), Exprs.literal(0)]));
        break;
      case 'sum':
      case 'avg': {
        const digits = hidden.get(i);
        if (digits === undefined && call.fn === 'avg') {
          add(`${p}_sum`, Exprs.aggregate('sum', arg), Exprs.aggregate('sum', column(`${p}_sum`)));
          add(`${p}_count`, Exprs.aggregate('count', arg), Exprs.aggregate('sum', column(`${p}_count`)));
          finalValue.push(Exprs.binary('/', column(`${p}_sum`), column(`${p}_count`)));
          break;
        }
        if (digits === undefined) {
          add(`${p}_sum`, Exprs.aggregate('sum', arg), Exprs.aggregate('sum', column(`${p}_sum`)));
          finalValue.push(column(`${p}_sum`));
          break;
        }
        // The partial sum shown at its scale would lose the quotient's inside digits: it leaves
        // as ROUND(sum, 0) and the rest (below one half, so DECIMAL(38, frac) holds it).
        const sum = Exprs.aggregate('sum', arg);
        const whole = Exprs.call('round', [sum, Exprs.literal(0)]);
        const rest = Exprs.cast(Exprs.binary('-', sum, whole), 'decimal', {
          precision: MAX_SCALE,
          scale: digits.frac,
        });
        add(`${p}_whole`, whole, Exprs.aggregate('sum', column(`${p}_whole`)));
        add(`${p}_rest`, rest, Exprs.aggregate('sum', column(`${p}_rest`)));
        const total = Exprs.binary('+', column(`${p}_whole`), column(`${p}_rest`));
        if (call.fn === 'sum') {
          finalValue.push(Exprs.call('round', [total, Exprs.literal(digits.scale)]));
          break;
        }
        add(`${p}_count`, Exprs.aggregate('count', arg), Exprs.aggregate('sum', column(`${p}_count`)));
        const scale = Math.min(digits.scale + AVG_EXTRA_SCALE, MAX_SCALE);
        finalValue.push(
          Exprs.call('round', [Exprs.binary('/', total, column(`${p}_count`)), Exprs.literal(scale)]),
        );
        break;
      }
      case 'min':
      case 'max':
        add(
          `${p}_${call.fn}`,
          Exprs.aggregate(call.fn, arg),
          Exprs.aggregate(call.fn, column(`${p}_${call.fn}`)),
        );
        finalValue.push(column(`${p}_${call.fn}`));
        break;
      case 'stddev':
      case 'variance': {
        const asDouble = Exprs.cast(arg!, 'double');
        add(`${p}_count`, Exprs.aggregate('count', arg), Exprs.aggregate('sum', column(`${p}_count`)));
        add(`${p}_sum`, Exprs.aggregate('sum', asDouble), Exprs.aggregate('sum', column(`${p}_sum`)));
        add(
          `${p}_sumsq`,
          Exprs.aggregate('sum', Exprs.binary('*', asDouble, asDouble)),
          Exprs.aggregate('sum', column(`${p}_sumsq`)),
        );
        const n = column(`${p}_count`);
        const s = column(`${p}_sum`);
        // Sample variance (n - 1), NULL below two values, as STDDEV_SAMP/VAR_SAMP.
        const variance = Exprs.case(
          [{ when: Exprs.binary('<', n, Exprs.literal(2)), result: Exprs.literal(null) }],
          Exprs.binary(
            '/',
            Exprs.binary('-', column(`${p}_sumsq`), Exprs.binary('/', Exprs.binary('*', s, s), n)),
            Exprs.binary('-', n, Exprs.literal(1)),
          ),
        );
        finalValue.push(call.fn === 'variance' ? variance : Exprs.call('sqrt', [variance]));
        break;
      }
      case 'countDistinct':
        throw new SluiceError('INTERNAL', 'countDistinct has no partial aggregate to split');
    }
  });

  const groupNames = node.groupBy.map((expr) => exprName(expr)!);
  const partial = Plans.aggregate(node.input, node.groupBy, partialExprs);
  const final = (partials: PlanNode): PlanNode => {
    const finalAggregate = Plans.aggregate(
      partials,
      groupNames.map((name) => Exprs.column(name)),
      finalExprs,
    );
    const outputs = node.aggregates.map((expr) => {
      const rewritten = mapExpr(unalias(expr), (n) =>
        n.kind === 'aggregate' ? finalValue[indexOf.get(key(n))!] : undefined,
      );
      return Exprs.alias(rewritten, exprName(expr)!);
    });
    return Plans.project(finalAggregate, [...groupNames.map((name) => Exprs.column(name)), ...outputs]);
  };
  const summary = [...new Set(calls.map((call) => call.fn))].join(', ');
  return { partial, final, summary };
}
