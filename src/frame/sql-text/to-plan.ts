/**
 * SQL text to the logical plan, so `db.sql('SELECT …')` is optimized, pushed down and composes
 * with further DataFrame verbs like any other frame. node-sql-parser (MariaDB grammar) reads the
 * text; this module turns its AST into the same nodes the verbs build (Filter, Project with
 * windows in a Window node below, Aggregate with named keys and aggregates, Join, Sort, Limit,
 * Distinct, Union). Every value in the text becomes a literal, so it travels as a parameter.
 *
 * Subqueries (EXISTS, IN, scalar; correlated through `outer` columns) become subquery
 * expressions, WITH queries are planned where they are used, and the optimizer's first rule turns
 * subqueries into joins (docs/subqueries.md). Text the planner does not translate (a subquery
 * shape that rule cannot rewrite, a function sluice lacks, a grammar node-sql-parser cannot
 * read, …) is never an error: it becomes one
 * opaque `sqlText` node, pushed as a derived table exactly as written, and explain() shows it
 * with the reason. Errors are kept for what no database would run either: an unknown or
 * ambiguous column, an unknown table alias, a select list that names one column twice.
 */
import { ConfigError, PlanError } from '../../base/errors.ts';
import { rewriteSubqueries, SubqueryNotRewritten } from '../../optimizer/rules/subqueries.ts';
import { samePlan } from '../../plan/equal.ts';
import {
  conjunction,
  conjuncts,
  containsAggregate,
  containsWindow,
  type Expr,
  Exprs,
  mapExpr,
  referencedColumns,
  type SubqueryExpr,
  type SubqueryMode,
  unalias,
} from '../../plan/expr.ts';
import { type Field, type PlanNode, Plans, type ScanOptions } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import { subqueryOf } from '../../plan/subquery.ts';
import { defaultName } from '../lazy-frame.ts';
import { type Ast, NotTranslated, notTranslated, parseSql } from './ast.ts';
import { type Binding, planFrom, type QualifiedTable, type Scope } from './scope.ts';
import { selectItemTexts } from './select-text.ts';
import { astToExpr, type ExprScope, sortKey } from './to-expr.ts';

export interface SqlPlanContext {
  /** The connection the tables belong to (`Database.id`). */
  readonly source: string;
  /** A table's columns from the catalog; undefined for a table it does not know. */
  fieldsOf(table: string): readonly Field[] | undefined;
  readonly options: ScanOptions;
  /** Tables of other connections, named `qualifier.table` in the text (federated queries). */
  qualified?(qualifier: string, table: string): QualifiedTable | undefined;
}

/** The plan for one SELECT statement (with UNIONs, derived tables); see the module comment. */
export function sqlToPlan(text: string, ctx: SqlPlanContext): PlanNode {
  const sql = text.trim().replace(/;\s*$/, '');
  let parsed: Ast | Ast[];
  try {
    parsed = parseSql(sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fallback(sql, ctx, `node-sql-parser cannot read it (${message.slice(0, 120)})`);
  }
  const statements = Array.isArray(parsed) ? parsed : [parsed];
  if (statements.length !== 1) {
    throw new ConfigError(`sql() takes one statement; this text has ${statements.length}`);
  }
  const ast = statements[0]!;
  if (ast.type !== 'select') {
    throw new ConfigError(`sql() takes a SELECT statement; this one is ${String(ast.type).toUpperCase()}`);
  }
  // node-sql-parser reads \f and \uXXXX inside strings as JSON escapes; MariaDB does not.
  if (/\\[fu]/.test(sql)) return fallback(sql, ctx, 'a backslash escape that MariaDB reads its own way');
  try {
    const plan = new StatementPlanner(ctx).query(ast, selectItemTexts(sql));
    // A subquery the optimizer could not turn into joins keeps the statement as written.
    rewriteSubqueries(plan);
    return plan;
  } catch (error) {
    if (error instanceof NotTranslated) return fallback(sql, ctx, error.reason);
    if (error instanceof SubqueryNotRewritten) return fallback(sql, ctx, error.message);
    throw error;
  }
}

/** The query a subquery sits in: its FROM scope, the plan names it uses, and its own enclosing query. */
interface Enclosing {
  readonly scope: Scope;
  readonly reserved: ReadonlySet<string>;
  readonly parent: Enclosing | undefined;
}

/** A WITH query: its statement and the WITH queries defined before it (it may read those). */
interface Cte {
  readonly ast: Ast;
  readonly ctes: ReadonlyMap<string, Cte>;
}

/** Whether `scope` has the column (without throwing for a name it lacks; ambiguity still throws later). */
function hasColumn(scope: Scope, table: string | undefined, name: string): boolean {
  if (table !== undefined) return scope.aliases.includes(table);
  return scope.merged.has(name.toLowerCase()) || scope.has(name);
}

function fallback(sql: string, ctx: SqlPlanContext, reason: string): PlanNode {
  return Plans.sqlText(ctx.source, sql, [], ctx.options, reason);
}

/** One item of a SELECT list. */
interface Item {
  /** Over the FROM scope; after aggregation, over the aggregate's output. */
  expr: Expr;
  name: string;
  /** For a plain column reference: the column it names (for `alias.column` names on a clash). */
  readonly binding: Binding | undefined;
}

type OrderRef =
  | { readonly output: string; readonly descending: boolean }
  | { readonly expr: Expr; readonly descending: boolean };

const SELECT_KEYS = new Set([
  'type',
  'options',
  'distinct',
  'columns',
  'into',
  'from',
  'where',
  'groupby',
  'having',
  'orderby',
  'limit',
  'with',
  'window',
  'locking_read',
  'collate',
  '_next',
  'set_op',
  '_orderby',
  '_limit',
  'parentheses_symbol',
]);

/** Words that start a SELECT list; the parser may read `SELECT DISTINCTROW a` as a column named so. */
const MISREAD_MODIFIERS = new Set(['DISTINCTROW', 'HIGH_PRIORITY', 'STRAIGHT_JOIN', 'SQL_CALC_FOUND_ROWS']);

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

class StatementPlanner {
  constructor(
    private readonly ctx: SqlPlanContext,
    private readonly enclosing?: Enclosing,
    private readonly ctes: ReadonlyMap<string, Cte> = new Map(),
  ) {}

  /** A SELECT, or a chain of SELECTs joined by UNION [ALL], with an ORDER BY/LIMIT over all. */
  query(ast: Ast, itemTexts?: readonly string[]): PlanNode {
    if (ast.with) return this.withQueries(ast, itemTexts);
    const members: Ast[] = [];
    const ops: string[] = [];
    for (let node: Ast | undefined = ast; node; node = node._next ?? undefined) {
      members.push(node);
      if (node._next) ops.push(String(node.set_op ?? '').toLowerCase());
    }
    let orderBy: Ast[] | undefined = ast._orderby ?? undefined;
    let limit: Ast | undefined = ast._limit ?? undefined;
    if (members.length === 1 && !orderBy && !limit) return this.select(ast, itemTexts);
    const last = members.at(-1)!;
    if (members.length > 1 && !last.parentheses_symbol && (last.orderby || last.limit)) {
      // Without parentheses, the last SELECT's ORDER BY and LIMIT belong to the whole UNION.
      if (orderBy || limit) notTranslated('two ORDER BY/LIMIT clauses over a UNION');
      orderBy = last.orderby ?? undefined;
      limit = last.limit ?? undefined;
      members[members.length - 1] = { ...last, orderby: null, limit: null };
    }
    const plans = members.map((member, index) => {
      if (index < members.length - 1 && !member.parentheses_symbol && (member.orderby || member.limit)) {
        notTranslated('ORDER BY/LIMIT inside a UNION without parentheses');
      }
      return this.select(member, index === 0 ? itemTexts : undefined);
    });
    let plan = plans[0]!;
    plans.slice(1).forEach((right, index) => {
      const op = ops[index]!;
      if (op !== 'union' && op !== 'union all' && op !== 'union distinct') notTranslated(op.toUpperCase());
      plan = Plans.union(plan, right, op === 'union all');
    });
    const names = outputFields(plan).map((field) => field.name);
    if (orderBy && orderBy.length > 0) {
      const keys = orderBy.map((item) => {
        const expr = item.expr;
        let name: string | undefined;
        if (expr?.type === 'number') name = names[positionOf(expr, names.length) - 1];
        else if (expr?.type === 'column_ref' && !expr.table && typeof expr.column === 'string') {
          name = names.find((n) => same(n, expr.column));
        }
        if (name === undefined) return notTranslated('ORDER BY an expression over a UNION');
        return sortKey(item, noColumns, Exprs.column(name));
      });
      plan = Plans.sort(plan, keys);
    }
    return withLimit(plan, limit);
  }

  /** WITH (non-recursive): each name stands for its statement, planned afresh where it is used. */
  private withQueries(ast: Ast, itemTexts: readonly string[] | undefined): PlanNode {
    const ctes = new Map(this.ctes);
    for (const entry of ast.with as Ast[]) {
      if (entry.recursive || ast.with.recursive) notTranslated('WITH RECURSIVE');
      const name = typeof entry.name === 'string' ? entry.name : entry.name?.value;
      if (typeof name !== 'string' || !entry.stmt?.ast)
        return notTranslated('a WITH query of an unknown shape');
      if (Array.isArray(entry.columns) && entry.columns.length > 0) notTranslated('a WITH column list');
      ctes.set(name.toLowerCase(), { ast: entry.stmt.ast, ctes: new Map(ctes) });
    }
    return new StatementPlanner(this.ctx, this.enclosing, ctes).query({ ...ast, with: null }, itemTexts);
  }

  private cte(name: string): PlanNode | undefined {
    const cte = this.ctes.get(name.toLowerCase());
    return cte ? new StatementPlanner(this.ctx, undefined, cte.ctes).query(cte.ast) : undefined;
  }

  /** Plan names the enclosing queries use (a subquery's FROM clause must not reuse them). */
  private reserved(): ReadonlySet<string> {
    return this.enclosing?.reserved ?? new Set();
  }

  /** A column of this query's FROM clause, else of an enclosing query's (an `outer` column). */
  private resolve(scope: Scope, table: string | undefined, name: string): Expr {
    if (!this.enclosing || hasColumn(scope, table, name)) return scope.resolve(table, name).expr;
    if (hasColumn(this.enclosing.scope, table, name)) {
      const expr = this.enclosing.scope.resolve(table, name).expr;
      if (expr.kind !== 'column') return notTranslated('an outer reference to a computed column');
      return Exprs.outer(expr.name);
    }
    for (let up = this.enclosing.parent; up; up = up.parent) {
      if (hasColumn(up.scope, table, name)) notTranslated('a column of a query two or more levels out');
    }
    return scope.resolve(table, name).expr;
  }

  /** A subquery whose enclosing row is a row of `scope`. */
  private subquery(
    scope: Scope,
    ast: Ast,
    mode: SubqueryMode,
    operand?: Expr,
    negated = false,
  ): SubqueryExpr {
    const reserved = new Set(this.reserved());
    for (const binding of scope.bindings)
      for (const name of referencedColumns(binding.expr)) reserved.add(name);
    const inner = new StatementPlanner(this.ctx, { scope, reserved, parent: this.enclosing }, this.ctes);
    return subqueryOf(mode, inner.query(ast), operand, negated);
  }

  private scope(scope: Scope, aggregates: boolean, subqueries = false): ExprScope {
    return {
      column: (table, name) => this.resolve(scope, table, name),
      aggregates,
      subquery: subqueries
        ? (ast, mode, operand, negated) => this.subquery(scope, ast, mode, operand, negated)
        : undefined,
    };
  }

  /** An expression where neither aggregates nor window functions belong (WHERE, ON, GROUP BY). */
  private rowExpr(ast: Ast, scope: ExprScope, where: string): Expr {
    const expr = astToExpr(ast, scope);
    if (containsWindow(expr)) notTranslated(`a window function in ${where}`);
    return expr;
  }

  private select(ast: Ast, itemTexts: readonly string[] | undefined): PlanNode {
    for (const [key, value] of Object.entries(ast)) {
      if (!SELECT_KEYS.has(key) && value !== null && value !== undefined) notTranslated(`SELECT … ${key}`);
    }
    if (ast.with) notTranslated('WITH inside a UNION');
    if (Array.isArray(ast.options) && ast.options.length > 0)
      notTranslated(`SELECT ${ast.options.join(' ')}`);
    if (ast.into?.position || ast.into?.expr) notTranslated('SELECT … INTO');
    if (ast.locking_read) notTranslated(String(ast.locking_read));
    if (ast.window) notTranslated('a WINDOW clause');
    if (ast.collate) notTranslated('COLLATE');
    const distinctWord = typeof ast.distinct === 'string' ? ast.distinct : ast.distinct?.type;
    if (distinctWord && String(distinctWord).toUpperCase() !== 'DISTINCT')
      notTranslated(String(distinctWord));
    const distinct = Boolean(distinctWord);
    if (!Array.isArray(ast.from) || ast.from.length === 0) notTranslated('a SELECT without FROM');
    const columns: Ast[] = Array.isArray(ast.columns) ? ast.columns : notTranslated('a select list');
    const first = columns[0]?.expr;
    if (
      first?.type === 'column_ref' &&
      !first.table &&
      MISREAD_MODIFIERS.has(String(first.column).toUpperCase())
    ) {
      notTranslated(`SELECT ${first.column}`);
    }
    if (ast.groupby?.modifiers?.some((m: Ast) => m)) notTranslated('GROUP BY … WITH ROLLUP');

    const {
      plan: fromPlan,
      scope,
      where,
    } = planFrom(
      ast.from,
      {
        source: this.ctx.source,
        options: this.ctx.options,
        fieldsOf: (table) => this.ctx.fieldsOf(table),
        qualified: this.ctx.qualified,
        subquery: (sub) => this.query(sub),
        condition: (on, joined) => this.rowExpr(on, this.scope(joined, false), 'ON'),
        cte: (name) => this.cte(name),
        reserved: this.reserved(),
      },
      (all) => (ast.where ? conjuncts(this.rowExpr(ast.where, this.scope(all, false, true), 'WHERE')) : []),
    );
    let plan = where.length > 0 ? Plans.filter(fromPlan, conjunction(where)!) : fromPlan;

    const items = this.selectItems(
      columns,
      scope,
      itemTexts?.length === columns.length ? itemTexts : undefined,
    );
    // Names resolve to select aliases first in ORDER BY, to FROM columns first in GROUP BY and HAVING.
    const withAliases = (aliasFirst: boolean, aggregates: boolean): ExprScope => ({
      column: (table, name) => {
        if (table === undefined && (aliasFirst || !scope.has(name))) {
          const item = items.find((i) => same(i.name, name));
          if (item) return item.expr;
        }
        return scope.resolve(table, name).expr;
      },
      aggregates,
      subquery: aggregates
        ? (sub, mode, operand, negated) => {
            const planned = this.subquery(scope, sub, mode, operand, negated);
            if (planned.correlated.length > 0) notTranslated('a correlated subquery in HAVING');
            return planned;
          }
        : undefined,
    });

    const orderRefs: OrderRef[] = (ast.orderby ?? []).map((entry: Ast): OrderRef => {
      const descending = String(entry.type ?? 'ASC').toUpperCase() === 'DESC';
      const expr = entry.expr;
      if (expr?.type === 'number')
        return { output: items[positionOf(expr, items.length) - 1]!.name, descending };
      if (expr?.type === 'column_ref' && !expr.table && typeof expr.column === 'string') {
        const item = items.find((i) => same(i.name, expr.column));
        if (item) return { output: item.name, descending };
      }
      return { expr: astToExpr(expr, withAliases(true, true)), descending };
    });

    const groupKeys: Expr[] = (ast.groupby?.columns ?? []).map((key: Ast) => {
      if (key.type === 'number') {
        const item = items[positionOf(key, items.length) - 1]!;
        if (containsAggregate(item.expr) || containsWindow(item.expr)) notTranslated('GROUP BY an aggregate');
        return item.expr;
      }
      return this.rowExpr(key, withAliases(false, false), 'GROUP BY');
    });
    const having = ast.having ? astToExpr(ast.having, withAliases(false, true)) : undefined;
    if (having && containsWindow(having)) notTranslated('a window function in HAVING');

    const aggregated =
      groupKeys.length > 0 ||
      having !== undefined ||
      items.some((item) => containsAggregate(item.expr)) ||
      orderRefs.some((ref) => 'expr' in ref && containsAggregate(ref.expr));
    let orderExprs = orderRefs.map((ref) => ('expr' in ref ? ref.expr : undefined));
    if (aggregated) {
      const lifted = this.aggregate(plan, groupKeys, items, having, orderExprs);
      plan = lifted.plan;
      orderExprs = lifted.orderExprs;
    }

    // Each ORDER BY key is a select item (sorted by its output name) or an expression the
    // select list does not show.
    const keyExprs = orderRefs.map((ref, index) => {
      if ('output' in ref) return { item: items.find((i) => i.name === ref.output)!, expr: undefined };
      const expr = orderExprs[index]!;
      return { item: items.find((i) => samePlan(i.expr, expr)), expr };
    });
    const unlisted = keyExprs.some((key) => key.item === undefined);
    if (unlisted && distinct) notTranslated('ORDER BY an expression that SELECT DISTINCT does not list');
    const below = keyExprs.map((key) => key.expr ?? key.item!.expr);
    if (unlisted && !below.some(containsWindow) && !items.some((item) => containsWindow(item.expr))) {
      // Sort before projecting, by what the keys compute (SQL may sort by unselected columns);
      // not under window functions, whose results come in no particular order.
      plan = Plans.sort(
        plan,
        below.map((expr, index) => Exprs.sortKey(expr, orderRefs[index]!.descending)),
      );
      plan = this.project(plan, items);
      return withLimit(plan, ast.limit ?? undefined);
    }
    // Otherwise sort the projection by output names; keys it does not list are hidden columns,
    // dropped after the sort.
    const hidden: { name: string; expr: Expr }[] = [];
    const sortKeys = keyExprs.map((key, index) => {
      const descending = orderRefs[index]!.descending;
      if (key.item) return Exprs.sortKey(Exprs.column(key.item.name), descending);
      const name = `__order_${hidden.length + 1}`;
      hidden.push({ name, expr: key.expr! });
      return Exprs.sortKey(Exprs.column(name), descending);
    });
    plan = this.project(plan, [...items, ...hidden]);
    if (distinct) plan = Plans.distinct(plan);
    if (sortKeys.length > 0) plan = Plans.sort(plan, sortKeys);
    if (hidden.length > 0)
      plan = Plans.project(
        plan,
        items.map((item) => Exprs.column(item.name)),
      );
    return withLimit(plan, ast.limit ?? undefined);
  }

  /** The select list with `*` expanded and every column named as MariaDB names it. */
  private selectItems(columns: readonly Ast[], scope: Scope, texts: readonly string[] | undefined): Item[] {
    const items: Item[] = [];
    columns.forEach((column, index) => {
      const node = column.expr;
      if (node?.type === 'column_ref' && node.column === '*') {
        const bindings = node.table ? scope.starOf(String(node.table)) : scope.star;
        for (const binding of bindings) items.push({ expr: binding.expr, name: binding.column, binding });
        return;
      }
      const expr = astToExpr(node, this.scope(scope, true, true));
      const isColumn = node?.type === 'column_ref' && typeof node.column === 'string';
      let name: string;
      if (column.as) name = String(column.as);
      else if (isColumn) name = node.column;
      else if (node?.type === 'single_quote_string' || node?.type === 'double_quote_string') {
        name = String((expr as { value?: unknown }).value ?? texts?.[index] ?? defaultName(expr));
      } else name = texts?.[index] ?? defaultName(expr);
      const binding =
        isColumn && !column.as ? scope.resolve(node.table ?? undefined, node.column) : undefined;
      items.push({ expr, name, binding });
    });
    // Two columns of the same name from different tables (SELECT * over a join, or l.x, r.x) are
    // named `alias.column`; any other repeated name needs an alias.
    const byName = new Map<string, Item[]>();
    for (const item of items)
      byName.set(item.name.toLowerCase(), [...(byName.get(item.name.toLowerCase()) ?? []), item]);
    for (const group of byName.values()) {
      if (group.length === 1) continue;
      const aliases = new Set(group.map((item) => item.binding?.alias));
      if (group.some((item) => !item.binding) || aliases.size !== group.length) {
        throw new PlanError(
          `the select list names column '${group[0]!.name}' ${group.length} times; give all but one an alias (AS)`,
          { column: group[0]!.name },
        );
      }
      for (const item of group) item.name = `${item.binding!.alias}.${item.binding!.column}`;
    }
    return items;
  }

  /**
   * GROUP BY and aggregates: an Aggregate node with named keys and named aggregate expressions,
   * then every later expression reads those names (a HAVING becomes a Filter over them).
   */
  private aggregate(
    input: PlanNode,
    keys: readonly Expr[],
    items: Item[],
    having: Expr | undefined,
    orderExprs: readonly (Expr | undefined)[],
  ): { plan: PlanNode; orderExprs: (Expr | undefined)[] } {
    const taken = new Set<string>();
    const claim = (preferred: string | undefined, fallbackName: string): string => {
      let name = preferred !== undefined && !taken.has(preferred.toLowerCase()) ? preferred : fallbackName;
      for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${fallbackName}_${n}`;
      taken.add(name.toLowerCase());
      return name;
    };
    for (const key of keys) if (key.kind === 'column') taken.add(key.name.toLowerCase());
    const itemNamed = (expr: Expr) => items.find((item) => samePlan(item.expr, expr))?.name;
    const keyNames = keys.map((key, index) =>
      key.kind === 'column' ? key.name : claim(itemNamed(key), `__group_${index + 1}`),
    );
    const aggregates: { expr: Expr; name: string }[] = [];
    const lift = (expr: Expr): Expr =>
      mapExpr(expr, (node) => {
        const key = keys.findIndex((k) => samePlan(k, node));
        if (key >= 0) return Exprs.column(keyNames[key]!);
        if (node.kind === 'aggregate') {
          let found = aggregates.find((a) => samePlan(a.expr, node));
          if (!found) {
            found = { expr: node, name: claim(itemNamed(node), `__agg_${aggregates.length + 1}`) };
            aggregates.push(found);
          }
          return Exprs.column(found.name);
        }
        if (node.kind === 'column') notTranslated(`'${node.name}' is neither grouped nor aggregated`);
        return undefined;
      });
    for (const item of items) item.expr = lift(item.expr);
    const liftedHaving = having ? lift(having) : undefined;
    const liftedOrder = orderExprs.map((expr) => (expr ? lift(expr) : undefined));
    let plan: PlanNode = Plans.aggregate(
      input,
      keys.map((key, index) => (key.kind === 'column' ? key : Exprs.alias(key, keyNames[index]!))),
      aggregates.map((a) => Exprs.alias(a.expr, a.name)),
    );
    if (liftedHaving) plan = Plans.filter(plan, liftedHaving);
    return { plan, orderExprs: liftedOrder };
  }

  /**
   * The output columns. Window functions become columns of a Window node below the projection
   * (as `LazyFrame.select` does), named after their select item where that name is free.
   */
  private project(input: PlanNode, outputs: readonly { name: string; expr: Expr }[]): PlanNode {
    const inputNames = new Set(outputFields(input).map((field) => field.name.toLowerCase()));
    const windows: Expr[] = [];
    const used = new Set(inputNames);
    const windowColumn = (node: Expr, preferred?: string): Expr => {
      const existing = windows.find((w) => samePlan(unalias(w), node));
      if (existing) return Exprs.column((existing as { name: string }).name);
      let name =
        preferred && !used.has(preferred.toLowerCase()) ? preferred : `__window_${windows.length + 1}`;
      for (let n = 2; used.has(name.toLowerCase()); n++) name = `__window_${windows.length + 1}_${n}`;
      used.add(name.toLowerCase());
      windows.push(Exprs.alias(node, name));
      return Exprs.column(name);
    };
    const exprs = outputs.map(({ name, expr }) => {
      const rewritten =
        expr.kind === 'window'
          ? windowColumn(expr, name)
          : mapExpr(expr, (node) => (node.kind === 'window' ? windowColumn(node) : undefined));
      return rewritten.kind === 'column' && rewritten.name === name
        ? rewritten
        : Exprs.alias(rewritten, name);
    });
    const below = windows.length > 0 ? Plans.window(input, windows) : input;
    const belowNames = outputFields(below).map((field) => field.name);
    const identity =
      exprs.length === belowNames.length &&
      exprs.every((expr, index) => expr.kind === 'column' && expr.name === belowNames[index]);
    return identity ? below : Plans.project(below, exprs);
  }
}

/** A scope for ORDER BY over a UNION, where only output names (already resolved) are used. */
const noColumns: ExprScope = {
  column: () => notTranslated('a column in this position'),
  aggregates: false,
};

/** `ORDER BY 2` / `GROUP BY 2`: a 1-based position in the select list. */
function positionOf(node: Ast, count: number): number {
  const position = Number(node.value);
  if (!Number.isInteger(position) || position < 1 || position > count) {
    throw new PlanError(`position ${String(node.value)} is not in the select list (1 to ${count})`);
  }
  return position;
}

/** LIMIT n, LIMIT n OFFSET m and LIMIT m, n. */
function withLimit(plan: PlanNode, limit: Ast | undefined): PlanNode {
  const values: Ast[] = limit?.value ?? [];
  if (values.length === 0) return plan;
  const numbers = values.map((value) => {
    const n = Number(value?.value);
    if (value?.type !== 'number' || !Number.isInteger(n) || n < 0)
      notTranslated('a LIMIT that is not a number');
    return n;
  });
  if (numbers.length === 1) return Plans.limit(plan, numbers[0], 0);
  const [count, offset] = limit!.seperator === ',' ? [numbers[1]!, numbers[0]!] : [numbers[0]!, numbers[1]!];
  return Plans.limit(plan, count, offset);
}
