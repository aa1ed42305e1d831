/**
 * A plan subtree to ONE SQL statement for one database. Nodes fold into the current SELECT
 * block while SQL's clause order allows (FROM, WHERE, GROUP BY, HAVING, SELECT, DISTINCT,
 * ORDER BY, LIMIT); otherwise the block so far becomes a derived table and a new block starts
 * over it. Every value is a `?` parameter; every identifier is quoted by the dialect.
 *
 * A subtree that cannot be expressed for the dialect throws `NotPushable`; the pushdown pass uses
 * that verdict to keep the node local instead.
 *
 * The MySQL family merges a derived table into the query over it and evaluates a merged column's
 * expression again at every reference. A block that references an expensive column of its input
 * many times (k-means: `LEAST` of eight distances, then a CASE comparing each distance with it)
 * would evaluate hundreds of operators per row; the compiler tracks what each column costs once
 * merged and, past `DUPLICATION_BUDGET` wasted operators per row, makes that input a derived table
 * the server must materialize (a `LIMIT` of all rows, which the family never merges), so every
 * column is computed once.
 */
import {
  childExprs,
  conjuncts,
  type Expr,
  exprName,
  referencedColumns,
  type SortKey,
  someExpr,
  unalias,
} from '../plan/expr.ts';
import type { Field, JoinNode, PlanNode, UnionNode } from '../plan/nodes.ts';
import { outputFields } from '../plan/schema.ts';
import { type CompileContext, compileSortKeys, exprToSql, NotPushable } from './compile-expr.ts';
import type { Dialect } from './dialect.ts';

export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly fields: readonly Field[];
}

export interface PlanCompileOptions {
  readonly dialect: Dialect;
  /**
   * The FROM text for a table: a partition read replaces `t` by `t PARTITION (p0)` or adds a key
   * range. Returning undefined keeps the quoted table name.
   */
  readonly tableSql?: (table: string) => { sql: string; params: readonly unknown[] } | undefined;
}

/** SQL text and its parameters, in text order. */
interface Fragment {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Operators per row a block may evaluate again (by referencing merged columns more than once) before its input is materialized. */
export const DUPLICATION_BUDGET = 64;
/** The MySQL family's "all rows" LIMIT, a bigint (the driver would quote text). */
const ALL_ROWS = 18446744073709551615n;

interface Block {
  readonly from: Fragment;
  /** The output columns of the block as built so far. */
  readonly fields: readonly Field[];
  /** Undefined: the FROM columns as they are (each named in `fields`). */
  readonly select: readonly Fragment[] | undefined;
  /** True when `select` only picks or renames nothing but FROM columns by their own names. */
  readonly plainSelect: boolean;
  readonly where: readonly Fragment[];
  readonly groupBy: readonly Fragment[] | undefined;
  readonly having: readonly Fragment[];
  readonly orderBy: Fragment | undefined;
  /** The sort keys `orderBy` was compiled from (over `fields`), to sort again after a wrap. */
  readonly orderKeys: readonly SortKey[] | undefined;
  readonly limit: number | bigint | undefined;
  readonly offset: number;
  readonly distinct: boolean;
  /** Names in `fields` that are computed in `select` (not FROM columns). */
  readonly computed: ReadonlySet<string>;
  /** Window functions in `select` see the rows after WHERE: a later filter must not join them. */
  readonly hasWindow: boolean;
  /**
   * Operators the server evaluates per reference of each output column once derived tables are
   * merged (absent: a stored column or a value computed once, cost 1).
   */
  readonly costs: ReadonlyMap<string, number>;
}

class Compiler {
  private aliasCounter = 0;
  constructor(private readonly options: PlanCompileOptions) {}

  compile(node: PlanNode): CompiledQuery {
    // SQL text alone runs as written (as a derived table, its ORDER BY would mean nothing).
    if (node.kind === 'sqlText') return { sql: node.sql, params: [], fields: node.fields };
    const block = this.block(node);
    const rendered = this.render(block);
    return { sql: rendered.sql, params: rendered.params, fields: block.fields };
  }

  private expr(expr: Expr, columnSql?: (name: string) => string): Fragment {
    const ctx: CompileContext = { dialect: this.options.dialect, params: [], columnSql };
    const sql = exprToSql(expr, ctx);
    return { sql, params: ctx.params };
  }

  private selectItem(expr: Expr): Fragment {
    const name = exprName(expr);
    const inner = unalias(expr);
    if (inner.kind === 'column' && inner.name === name) return this.expr(inner);
    return this.expr(expr.kind === 'alias' ? expr : inner);
  }

  private block(node: PlanNode): Block {
    switch (node.kind) {
      case 'scan': {
        const override = this.options.tableSql?.(node.table);
        const from = override ?? { sql: this.options.dialect.quoteIdentifier(node.table), params: [] };
        return emptyBlock(from, node.fields);
      }
      case 'sqlText': {
        // The user's own SQL, pushed as it is: it carries no sluice values.
        const from = { sql: `(${node.sql}) AS ${this.alias()}`, params: [] };
        return emptyBlock(from, node.fields);
      }
      case 'values':
      case 'jsFilter':
      case 'mapBatches':
        throw new NotPushable(`${node.kind} runs locally`);
      case 'filter': {
        const input = this.block(node.input);
        const predicate = conjuncts(node.predicate).map((part) => this.expr(part));
        const readsOnlyFromColumns = ![...referencedColumns(node.predicate)].some((n) =>
          input.computed.has(n),
        );
        if (input.groupBy === undefined && isOpen(input) && !input.hasWindow && readsOnlyFromColumns) {
          return { ...input, where: [...input.where, ...predicate] };
        }
        if (input.groupBy !== undefined && isOpen(input)) {
          // A filter over grouped rows reads the block's output names: HAVING accepts them.
          return { ...input, having: [...input.having, ...predicate] };
        }
        return {
          ...this.wrap(input, true, wasted([node.predicate], input) > DUPLICATION_BUDGET),
          where: predicate,
        };
      }
      case 'project': {
        const input = this.block(node.input);
        const picksColumns = node.exprs.every((expr) => expr.kind === 'column');
        // Picking columns commutes with ORDER BY/LIMIT (they read FROM columns, as nothing is
        // computed yet), but not with DISTINCT, which depends on the columns it sees.
        const canMerge =
          input.plainSelect &&
          input.groupBy === undefined &&
          (isOpen(input) || (picksColumns && !input.distinct && !input.hasWindow));
        const materialize = wasted(node.exprs, input) > DUPLICATION_BUDGET;
        const base = canMerge && !materialize ? input : this.wrap(input, true, materialize);
        const fields = outputFields(node);
        return {
          ...base,
          fields,
          costs: new Map(node.exprs.map((expr) => [exprName(expr)!, cost(unalias(expr), base.costs)])),
          select: node.exprs.map((expr) => this.selectItem(expr)),
          plainSelect: node.exprs.every((expr) => {
            const inner = unalias(expr);
            return inner.kind === 'column' && inner.name === exprName(expr);
          }),
          computed: computedNames(node.exprs),
          hasWindow: node.exprs.some((expr) => someExpr(expr, (n) => n.kind === 'window')),
        };
      }
      case 'aggregate': {
        for (const expr of node.aggregates) this.rejectWindows(expr);
        const input = this.block(node.input);
        const canMerge = input.plainSelect && input.groupBy === undefined && isOpen(input);
        // A group key is evaluated once per row (its output is the group's), as is each aggregate's argument.
        const materialize = wasted([...node.groupBy, ...node.aggregates], input) > DUPLICATION_BUDGET;
        const base = canMerge && !materialize ? input : this.wrap(input, false, materialize);
        const all = [...node.groupBy, ...node.aggregates];
        return {
          ...base,
          costs: new Map(),
          fields: outputFields(node),
          select: all.map((expr) => this.selectItem(expr)),
          plainSelect: false,
          groupBy: node.groupBy.map((expr) => this.expr(unalias(expr))),
          computed: new Set(all.map((expr) => exprName(expr)!)),
        };
      }
      case 'window': {
        const input = this.block(node.input);
        const canMerge = input.plainSelect && input.groupBy === undefined && isOpen(input);
        const base = canMerge ? input : this.wrap(input, true);
        const fields = outputFields(node);
        const added = new Set(node.exprs.map((expr) => exprName(expr)!));
        const kept = base.fields.filter((field) => !added.has(field.name));
        return {
          ...base,
          fields,
          select: [
            ...kept.map((field) => this.expr({ kind: 'column', name: field.name })),
            ...node.exprs.map((expr) => this.selectItem(expr)),
          ],
          plainSelect: false,
          computed: new Set([...added]),
          hasWindow: true,
          // The family materializes a derived table with window functions: its columns cost 1 above.
          costs: new Map(),
        };
      }
      case 'sort': {
        const input = this.block(node.input);
        // ORDER BY resolves a bare name to the SELECT alias, but an expression over a computed
        // name may not: such keys sort over a derived table instead.
        const keysReadComputed = node.keys.some(
          (key) =>
            key.expr.kind !== 'column' && [...referencedColumns(key.expr)].some((n) => input.computed.has(n)),
        );
        const base = input.limit === undefined && !keysReadComputed ? input : this.wrap(input);
        const ctx: CompileContext = { dialect: this.options.dialect, params: [] };
        const sql = compileSortKeys(node.keys, ctx);
        return { ...base, orderBy: { sql, params: ctx.params }, orderKeys: node.keys };
      }
      case 'limit': {
        const input = this.block(node.input);
        const base = input.limit === undefined && input.offset === 0 ? input : this.wrap(input, true);
        return { ...base, limit: node.limit, offset: node.offset };
      }
      case 'distinct': {
        const input = this.block(node.input);
        const base = input.limit === undefined && input.orderBy === undefined ? input : this.wrap(input);
        return { ...base, distinct: true };
      }
      case 'join':
        return this.join(node);
      case 'union':
        return this.union(node);
    }
  }

  private rejectWindows(expr: Expr): void {
    if (someExpr(expr, (node) => node.kind === 'window')) {
      throw new NotPushable('a window function inside an aggregate');
    }
  }

  private join(node: JoinNode): Block {
    const dialect = this.options.dialect;
    if (node.type === 'full' && !dialect.fullOuterJoin) {
      throw new NotPushable(`${dialect.name} has no FULL OUTER JOIN`);
    }
    const left = this.compile(node.left);
    const right = this.compile(node.right);
    const l = this.alias();
    const r = this.alias();
    const q = (name: string) => dialect.quoteIdentifier(name);
    const leftNames = new Set(left.fields.map((field) => field.name));
    const side = (name: string) => `${leftNames.has(name) ? l : r}.${q(name)}`;
    const condition: Fragment[] = node.using.map((key) => ({
      sql: `${l}.${q(key)} = ${r}.${q(key)}`,
      params: [],
    }));
    if (node.on) condition.push(this.expr(node.on, side));
    const on = joinFragments(condition, ' AND ');
    const leftFrom: Fragment = { sql: `(${left.sql}) AS ${l}`, params: left.params };
    const rightFrom: Fragment = { sql: `(${right.sql}) AS ${r}`, params: right.params };
    const fields = outputFields(node);

    if (node.type === 'semi' || node.type === 'anti') {
      const exists: Fragment = concat(
        { sql: `${node.type === 'anti' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM `, params: [] },
        rightFrom,
        condition.length > 0 ? concat({ sql: ' WHERE ', params: [] }, on) : { sql: '', params: [] },
        { sql: ')', params: [] },
      );
      return {
        ...emptyBlock(leftFrom, fields),
        select: fields.map((field) => ({ sql: `${l}.${q(field.name)}`, params: [] })),
        where: [exists],
      };
    }
    const joinWord = {
      inner: 'INNER JOIN',
      left: 'LEFT JOIN',
      right: 'RIGHT JOIN',
      full: 'FULL OUTER JOIN',
      cross: 'CROSS JOIN',
    }[node.type];
    const from = concat(
      leftFrom,
      { sql: ` ${joinWord} `, params: [] },
      rightFrom,
      node.type === 'cross' || condition.length === 0
        ? { sql: node.type === 'cross' ? '' : ' ON 1 = 1', params: [] }
        : concat({ sql: ' ON ', params: [] }, on),
    );
    const select = fields.map((field): Fragment => {
      if (!node.using.includes(field.name)) return { sql: side(field.name), params: [] };
      const key = q(field.name);
      if (node.type === 'right') return { sql: `${r}.${key} AS ${key}`, params: [] };
      if (node.type === 'full') return { sql: `COALESCE(${l}.${key}, ${r}.${key}) AS ${key}`, params: [] };
      return { sql: `${l}.${key}`, params: [] };
    });
    return {
      ...emptyBlock(from, fields),
      select,
      plainSelect: false,
      computed: new Set(fields.map((f) => f.name)),
    };
  }

  private union(node: UnionNode): Block {
    const left = this.compile(node.left);
    const right = this.compile(node.right);
    const from = concat(
      { sql: '((', params: [] },
      left,
      { sql: `) UNION ${node.all ? 'ALL ' : ''}(`, params: [] },
      right,
      { sql: `)) AS ${this.alias()}`, params: [] },
    );
    return emptyBlock(from, left.fields);
  }

  /**
   * The block so far as a derived table, under a fresh block that selects all its columns. A
   * derived table's rows have no order, so with `keepOrder` (for steps that keep their input's
   * order: filter, project, window, limit) the outer block sorts again by the inner ORDER BY
   * keys, qualified by the derived table's alias so that a select alias of the same name cannot
   * capture them. Keys over columns the inner block does not output cannot be named outside it,
   * so the wrapped block then carries no ORDER BY.
   */
  private wrap(block: Block, keepOrder = false, materialize = false): Block {
    const inner = this.render(
      materialize && block.limit === undefined ? { ...block, limit: ALL_ROWS } : block,
    );
    const alias = this.alias();
    const outer = {
      ...emptyBlock({ sql: `(${inner.sql}) AS ${alias}`, params: inner.params }, block.fields),
      // A merged derived table's columns cost what they cost inside; a materialized one's cost 1.
      costs: materialize || block.limit !== undefined || block.distinct ? new Map() : block.costs,
    };
    const keys = block.orderKeys;
    if (!keepOrder || !keys) return outer;
    const names = new Set(block.fields.map((field) => field.name));
    if (!keys.every((key) => [...referencedColumns(key.expr)].every((name) => names.has(name)))) return outer;
    const dialect = this.options.dialect;
    const ctx: CompileContext = {
      dialect,
      params: [],
      columnSql: (name) => `${alias}.${dialect.quoteIdentifier(name)}`,
    };
    const sql = compileSortKeys(keys, ctx);
    return { ...outer, orderBy: { sql, params: ctx.params }, orderKeys: keys };
  }

  private render(block: Block): Fragment {
    const q = (name: string) => this.options.dialect.quoteIdentifier(name);
    const select = block.select ?? block.fields.map((field) => ({ sql: q(field.name), params: [] }));
    const parts: Fragment[] = [
      { sql: `SELECT ${block.distinct ? 'DISTINCT ' : ''}`, params: [] },
      select.length > 0 ? joinFragments(select, ', ') : { sql: '*', params: [] },
      { sql: ' FROM ', params: [] },
      block.from,
    ];
    if (block.where.length > 0)
      parts.push({ sql: ' WHERE ', params: [] }, joinFragments(block.where, ' AND '));
    if (block.groupBy && block.groupBy.length > 0) {
      parts.push({ sql: ' GROUP BY ', params: [] }, joinFragments(block.groupBy, ', '));
    }
    if (block.having.length > 0)
      parts.push({ sql: ' HAVING ', params: [] }, joinFragments(block.having, ' AND '));
    if (block.orderBy) parts.push({ sql: ' ORDER BY ', params: [] }, block.orderBy);
    if (block.limit !== undefined || block.offset > 0) {
      // The MySQL family needs a LIMIT to have an OFFSET; 2^64-1 is its documented "all rows".
      // A bigint, not text: the driver writes text as a quoted string, which LIMIT rejects.
      const limit = block.limit ?? ALL_ROWS;
      parts.push({ sql: ' LIMIT ?', params: [limit] });
      if (block.offset > 0) parts.push({ sql: ' OFFSET ?', params: [block.offset] });
    }
    return concat(...parts);
  }

  private alias(): string {
    return `t${this.aliasCounter++}`;
  }
}

function emptyBlock(from: Fragment, fields: readonly Field[]): Block {
  return {
    from,
    fields,
    select: undefined,
    plainSelect: true,
    where: [],
    groupBy: undefined,
    having: [],
    orderBy: undefined,
    orderKeys: undefined,
    limit: undefined,
    offset: 0,
    distinct: false,
    computed: new Set(),
    hasWindow: false,
    costs: new Map(),
  };
}

/** Operators evaluated per row for `expr`, a column costing what `costs` says (1 when absent). */
function cost(expr: Expr, costs: ReadonlyMap<string, number>): number {
  if (expr.kind === 'column') return costs.get(expr.name) ?? 1;
  let total = 1;
  for (const child of childExprs(expr)) total += cost(child, costs);
  return total;
}

/**
 * Operators per row evaluated again because `exprs` reference an input column whose merged
 * expression costs more than 1 more than once.
 */
function wasted(exprs: readonly Expr[], input: Block): number {
  const references = new Map<string, number>();
  const count = (expr: Expr) => {
    if (expr.kind === 'column') references.set(expr.name, (references.get(expr.name) ?? 0) + 1);
    for (const child of childExprs(expr)) count(child);
  };
  for (const expr of exprs) count(expr);
  let total = 0;
  for (const [name, n] of references) total += (n - 1) * ((input.costs.get(name) ?? 1) - 1);
  return total;
}

/** No clause that must apply after a WHERE/GROUP BY/SELECT has been set yet. */
function isOpen(block: Block): boolean {
  return block.limit === undefined && block.offset === 0 && block.orderBy === undefined && !block.distinct;
}

function computedNames(exprs: readonly Expr[]): Set<string> {
  const names = new Set<string>();
  for (const expr of exprs) {
    const inner = unalias(expr);
    const name = exprName(expr)!;
    if (!(inner.kind === 'column' && inner.name === name)) names.add(name);
  }
  return names;
}

function concat(...fragments: Fragment[]): Fragment {
  return { sql: fragments.map((f) => f.sql).join(''), params: fragments.flatMap((f) => f.params) };
}

function joinFragments(fragments: readonly Fragment[], separator: string): Fragment {
  return { sql: fragments.map((f) => f.sql).join(separator), params: fragments.flatMap((f) => f.params) };
}

/** One SQL statement for a whole subtree, or `NotPushable` when some part cannot be expressed. */
export function compilePlan(node: PlanNode, options: PlanCompileOptions): CompiledQuery {
  return new Compiler(options).compile(node);
}
