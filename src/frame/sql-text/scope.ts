/**
 * The FROM clause: tables, derived tables and their joins as plan nodes, and the names a query
 * can use for their columns.
 *
 * sluice plans name columns without table qualifiers, so every column of the FROM clause gets
 * one plan name, unique across the clause: its own name when no earlier table has that name,
 * else `alias.column` (the later table is renamed by a projection above it). `l.x` and `r.x`
 * therefore resolve to two different plan columns; a bare `x` that more than one table has is
 * ambiguous and fails with a PlanError, as it does in MariaDB.
 */
import { PlanError } from '../../base/errors.ts';
import { didYouMean } from '../../base/suggest.ts';
import { type Expr, Exprs, referencedColumns } from '../../plan/expr.ts';
import { type Field, type PlanNode, Plans, type ScanOptions } from '../../plan/nodes.ts';
import { outputFields } from '../../plan/schema.ts';
import { containsSubquery } from '../../plan/subquery.ts';
import { type Ast, isSubquery, notTranslated } from './ast.ts';

/** One column of the FROM clause. */
export interface Binding {
  /** The table alias (or table name) that qualifies it. */
  readonly alias: string;
  /** The column's own name. */
  readonly column: string;
  /** The expression the plan computes it with (a column under its unique plan name). */
  readonly expr: Expr;
}

export interface QualifiedTable {
  readonly source: string;
  readonly fields: readonly Field[];
}

export interface FromContext {
  readonly source: string;
  readonly options: ScanOptions;
  fieldsOf(table: string): readonly Field[] | undefined;
  /** A table qualified with the name of another connection (`name.table`): where it is read. */
  qualified?(qualifier: string, table: string): QualifiedTable | undefined;
  /** Plans a derived table's statement. */
  subquery(ast: Ast): PlanNode;
  /** A join's ON condition as an expression over the tables joined so far. */
  condition(on: Ast, scope: Scope): Expr;
  /** A WITH query of this name, planned afresh for this use; undefined when there is none. */
  cte?(name: string): PlanNode | undefined;
  /** Plan names an enclosing query uses, which this FROM clause must not reuse (subqueries). */
  readonly reserved?: ReadonlySet<string>;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class Scope {
  constructor(
    /** Every column of every table, in FROM order. */
    readonly bindings: readonly Binding[],
    /** What `SELECT *` lists, in MariaDB's order (USING columns first). */
    readonly star: readonly Binding[],
    /** Unqualified names that a USING join merged into one column. */
    readonly merged: ReadonlyMap<string, Binding>,
  ) {}

  get aliases(): string[] {
    return [...new Set(this.bindings.map((binding) => binding.alias))];
  }

  /** Whether an unqualified name is a column of some table here. */
  has(name: string): boolean {
    return this.bindings.some((binding) => same(binding.column, name));
  }

  resolve(table: string | undefined, name: string): Binding {
    if (table !== undefined) {
      if (!this.aliases.includes(table)) {
        throw new PlanError(
          `no table or alias '${table}' in FROM${didYouMean(table, this.aliases)}; tables: ${this.aliases.join(', ')}`,
          {
            table,
            available: this.aliases,
          },
        );
      }
      const found = this.bindings.find((binding) => binding.alias === table && same(binding.column, name));
      if (!found) {
        const available = this.bindings.filter((b) => b.alias === table).map((b) => b.column);
        throw new PlanError(
          `no column '${name}' in ${table}${didYouMean(name, available)}; available columns: ${available.join(', ')}`,
          {
            column: name,
            available,
          },
        );
      }
      return found;
    }
    const merged = this.merged.get(name.toLowerCase());
    if (merged) return merged;
    const found = this.bindings.filter((binding) => same(binding.column, name));
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new PlanError(
        `column '${name}' is ambiguous: ${found.map((b) => `${b.alias}.${b.column}`).join(', ')}; qualify it with the table`,
        { column: name, candidates: found.map((b) => `${b.alias}.${b.column}`) },
      );
    }
    const available = this.bindings.map((b) => `${b.alias}.${b.column}`);
    const suggestion = didYouMean(
      name,
      this.bindings.map((b) => b.column),
    );
    throw new PlanError(`no column '${name}'${suggestion}; available columns: ${available.join(', ')}`, {
      column: name,
      available,
    });
  }

  /** The columns `alias.*` lists: all of that table's own columns, in its order. */
  starOf(alias: string): Binding[] {
    if (!this.aliases.includes(alias)) {
      throw new PlanError(
        `no table or alias '${alias}' in FROM${didYouMean(alias, this.aliases)}; tables: ${this.aliases.join(', ')}`,
      );
    }
    return this.bindings.filter((binding) => binding.alias === alias);
  }
}

interface FromItem {
  readonly alias: string;
  readonly plan: PlanNode;
  readonly bindings: readonly Binding[];
  readonly join: 'first' | 'comma' | 'inner' | 'cross' | 'left' | 'right';
  readonly on: Ast | undefined;
  readonly using: readonly string[];
}

const JOINS: Record<string, FromItem['join']> = {
  JOIN: 'inner',
  'INNER JOIN': 'inner',
  'CROSS JOIN': 'cross',
  'LEFT JOIN': 'left',
  'LEFT OUTER JOIN': 'left',
  'RIGHT JOIN': 'right',
  'RIGHT OUTER JOIN': 'right',
};

const ITEM_KEYS = new Set(['db', 'table', 'as', 'join', 'on', 'using', 'expr', 'parentheses']);

/**
 * The FROM clause as one plan, with its scope. `where` (already split into conjuncts over the
 * scope) is offered to comma and cross joins: a conjunct that reads both sides becomes the join
 * condition, so `FROM a, b WHERE a.k = b.k` plans as an inner join. Returns the conjuncts left.
 */
export function planFrom(
  from: readonly Ast[],
  ctx: FromContext,
  where: (scope: Scope) => Expr[],
): { plan: PlanNode; scope: Scope; where: Expr[] } {
  const used = new Set<string>([...(ctx.reserved ?? [])].map((name) => name.toLowerCase()));
  const items = from.map((item, index) => fromItem(item, index, ctx, used));
  const aliases = new Set<string>();
  for (const item of items) {
    if (aliases.has(item.alias)) throw new PlanError(`table alias '${item.alias}' is used twice in FROM`);
    aliases.add(item.alias);
  }
  const commaIndex = items.findIndex((item) => item.join === 'comma');
  if (commaIndex >= 0 && items.slice(commaIndex).some((item) => item.join === 'right')) {
    // `a, b RIGHT JOIN c` is `a, (b RIGHT JOIN c)` in MariaDB: a comma binds more loosely.
    notTranslated('a RIGHT JOIN after a comma join');
  }
  const all = new Scope(
    items.flatMap((item) => item.bindings),
    [],
    new Map(),
  );
  let remaining = where(all);

  let plan = items[0]!.plan;
  let star: Binding[] = [...items[0]!.bindings];
  const merged = new Map<string, Binding>();
  const joined = new Set<string>(items[0]!.bindings.flatMap((b) => [...referencedColumns(b.expr)]));
  items.slice(1).forEach((item, offset) => {
    const index = offset + 1;
    const right = new Set(item.bindings.flatMap((b) => [...referencedColumns(b.expr)]));
    const scope = new Scope(
      items.slice(0, index + 1).flatMap((i) => i.bindings),
      star,
      merged,
    );
    const conditions: Expr[] = [];
    if (item.on) conditions.push(ctx.condition(item.on, scope));
    let type = (item.join === 'comma' ? 'cross' : item.join) as 'inner' | 'cross' | 'left' | 'right';
    if (item.using.length > 0) {
      const left = new Scope(
        items.slice(0, index).flatMap((i) => i.bindings),
        star,
        merged,
      );
      const leftKeys: Binding[] = [];
      const rightKeys: Binding[] = [];
      const keys: Binding[] = [];
      for (const name of item.using) {
        const leftKey = left.resolve(undefined, name);
        const rightKey = item.bindings.find((b) => same(b.column, name));
        if (!rightKey) throw new PlanError(`USING column '${name}' is not a column of ${item.alias}`);
        conditions.push(Exprs.binary('=', leftKey.expr, rightKey.expr));
        // The merged column is the left one, except in a RIGHT JOIN, which keeps the right side whole.
        const key: Binding = { ...leftKey, expr: type === 'right' ? rightKey.expr : leftKey.expr };
        leftKeys.push(leftKey);
        rightKeys.push(rightKey);
        keys.push(key);
        merged.set(name.toLowerCase(), key);
      }
      // MariaDB lists the merged columns first, then the rest of the first table, then the
      // second; a RIGHT JOIN is planned as the mirrored LEFT JOIN, so its right side comes first.
      const leftRest = star.filter((b) => !leftKeys.some((k) => k.expr === b.expr));
      const rightRest = item.bindings.filter((b) => !rightKeys.includes(b));
      star = type === 'right' ? [...keys, ...rightRest, ...leftRest] : [...keys, ...leftRest, ...rightRest];
    } else {
      star = [...star, ...item.bindings];
    }
    const noRightJoinLater = !items.slice(index + 1).some((later) => later.join === 'right');
    if ((type === 'cross' || type === 'inner') && noRightJoinLater) {
      // WHERE conjuncts that read the new table and one joined before it: the join's condition.
      // (Conjuncts over one side stay in WHERE, where predicate pushdown moves them into that side.)
      const available = new Set([...joined, ...right]);
      const taken = remaining.filter((conjunct) => {
        const columns = [...referencedColumns(conjunct)];
        return (
          !containsSubquery(conjunct) &&
          columns.every((c) => available.has(c)) &&
          columns.some((c) => right.has(c)) &&
          columns.some((c) => joined.has(c))
        );
      });
      if (taken.length > 0) {
        conditions.push(...taken);
        remaining = remaining.filter((conjunct) => !taken.includes(conjunct));
      }
    }
    if (type === 'cross' && conditions.length > 0) type = 'inner';
    const on = conditions.reduce<Expr | undefined>(
      (all, condition) => (all ? Exprs.binary('and', all, condition) : condition),
      undefined,
    );
    if (type !== 'cross' && on === undefined) {
      notTranslated(`a ${type} join without a condition`);
    }
    plan = Plans.join(plan, item.plan, type, [], on);
    for (const name of right) joined.add(name);
  });
  return { plan, scope: new Scope(all.bindings, star, merged), where: remaining };
}

function fromItem(item: Ast, index: number, ctx: FromContext, used: Set<string>): FromItem {
  for (const [key, value] of Object.entries(item)) {
    if (!ITEM_KEYS.has(key) && value !== null && value !== undefined) notTranslated(`FROM … ${key}`);
  }
  const join: FromItem['join'] | undefined =
    index === 0 ? 'first' : item.join ? JOINS[String(item.join).toUpperCase()] : 'comma';
  if (join === undefined) return notTranslated(String(item.join));
  if (index === 0 && item.join) notTranslated('a FROM clause that starts with a join');
  let plan: PlanNode;
  let alias: string;
  if (item.expr !== undefined && item.expr !== null) {
    if (!isSubquery(item.expr)) return notTranslated('a table expression in FROM');
    if (!item.as) throw new PlanError('every derived table needs an alias: (SELECT …) AS name');
    alias = String(item.as);
    plan = ctx.subquery(item.expr.ast);
  } else {
    const table = String(item.table);
    const other = item.db ? ctx.qualified?.(String(item.db), table) : undefined;
    if (item.db && !other) notTranslated(`a table of another database (${item.db}.${item.table})`);
    if (table.toUpperCase() === 'DUAL') notTranslated('FROM DUAL');
    alias = item.as ? String(item.as) : table;
    const cte = other ? undefined : ctx.cte?.(table);
    if (other) plan = Plans.scan(other.source, table, other.fields, ctx.options);
    else if (cte) plan = cte;
    else {
      const fields = ctx.fieldsOf(table);
      if (!fields || fields.length === 0) notTranslated(`table '${table}' is not in the catalog`);
      plan = Plans.scan(ctx.source, table, fields!, ctx.options);
    }
  }
  const fields = outputFields(plan);
  if (fields.length === 0) notTranslated(`the columns of ${alias} are not known`);
  const bindings: Binding[] = [];
  let renamed = false;
  const exprs = fields.map((field) => {
    let name = field.name;
    if (used.has(name.toLowerCase())) {
      name = `${alias}.${field.name}`;
      for (let n = 2; used.has(name.toLowerCase()); n++) name = `${alias}.${field.name}#${n}`;
    }
    used.add(name.toLowerCase());
    bindings.push({ alias, column: field.name, expr: Exprs.column(name) });
    if (name === field.name) return Exprs.column(name);
    renamed = true;
    return Exprs.alias(Exprs.column(field.name), name);
  });
  if (renamed) plan = Plans.project(plan, exprs);
  const using = (item.using ?? []).map((key: Ast) => String(typeof key === 'string' ? key : key.value));
  return { alias, plan, bindings, join, on: item.on ?? undefined, using };
}
