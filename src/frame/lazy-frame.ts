/**
 * LazyFrame: the DataFrame API. Every verb returns a new frame over a new plan node; nothing runs
 * until an action (toArrow, stream, collect, count). User arguments become plan and expression
 * nodes here, once; the planner never sees strings or builders.
 */
import type { RecordBatch, Table } from 'apache-arrow';
import { ConfigError, PlanError } from '../base/errors.ts';
import { didYouMean } from '../base/suggest.ts';
import {
  type Expr,
  Exprs,
  exprName,
  mapExpr,
  type SortKey,
  someExpr,
  unalias,
  type WindowExpr,
} from '../plan/expr.ts';
import { JOIN_TYPES, type JoinType, type MapBatchesFn, type PlanNode, Plans } from '../plan/nodes.ts';
import { renderExpr } from '../plan/render.ts';
import { outputFields } from '../plan/schema.ts';
import { type PlanJson, planToJson } from '../plan/serialize.ts';
import { Column, type ColumnLike, col, runtimesOf, type SortSpec, toSortKey, valueExpr } from './column.ts';
import { LocalData } from './local-data.ts';
import type { FrameRuntime, RunControl } from './runtime.ts';
import { formatTable } from './show.ts';

export type ColumnSpec = string | Column;
/** A connection that can bulk-load an Arrow table (a `Database` from connect()). */
export interface LoadTarget {
  load(
    data: Table,
    table: string,
    options?: { mode?: 'append' | 'ignore' | 'replace' | 'upsert' },
  ): Promise<unknown>;
}
export type Row = Record<string, unknown>;

/** The name a computed column gets when the program gives none (as Spark shows it). */
export function defaultName(expr: Expr): string {
  const inner = unalias(expr);
  if (expr.kind === 'alias') return expr.name;
  if (inner.kind === 'column') return inner.name;
  if (inner.kind === 'aggregate') {
    const arg = inner.arg ? (inner.arg.kind === 'column' ? inner.arg.name : renderExpr(inner.arg)) : '*';
    return `${inner.fn}(${arg})`;
  }
  return renderExpr(inner);
}

const named = (expr: Expr): Expr =>
  expr.kind === 'alias' || expr.kind === 'column' ? expr : Exprs.alias(expr, defaultName(expr));

const toColumnExpr = (spec: ColumnSpec): Expr => (typeof spec === 'string' ? col(spec).node : spec.node);

export class LazyFrame {
  constructor(
    /** The logical plan: plain frozen data. */
    readonly plan: PlanNode,
    /** How to reach each connection the plan reads from (shared by frames derived from it). */
    readonly runtime: FrameRuntime,
  ) {}

  private next(plan: PlanNode): LazyFrame {
    return new LazyFrame(plan, this.runtime);
  }

  /** The output column names as far as they are known before running. */
  get columns(): string[] {
    return outputFields(this.plan).map((field) => field.name);
  }

  private knownColumns(verb: string): string[] {
    const columns = this.columns;
    if (columns.length === 0) {
      throw new PlanError(
        `${verb}: the columns of this frame are not known before it runs (after mapBatches, or a table created after connect: call db.refresh())`,
      );
    }
    return columns;
  }

  select(...columns: (ColumnSpec | readonly ColumnSpec[])[]): LazyFrame {
    const specs = columns.flat() as ColumnSpec[];
    if (specs.length === 0) throw new PlanError('select() needs at least one column');
    const exprs = specs.flatMap((spec) =>
      spec === '*' ? this.knownColumns('select(*)').map((c) => col(c).node) : [toColumnExpr(spec)],
    );
    if (exprs.some((expr) => someExpr(expr, (n) => n.kind === 'aggregate'))) {
      if (exprs.some((expr) => someExpr(expr, (n) => n.kind === 'window'))) {
        throw new PlanError(
          'select() cannot mix aggregates and window functions; use agg() then withColumn()',
        );
      }
      const plain = exprs.find((expr) => !someExpr(expr, (n) => n.kind === 'aggregate'));
      if (plain)
        throw new PlanError(
          `select() mixes aggregates with '${defaultName(plain)}'; group with groupBy().agg()`,
        );
      return this.agg(...exprs.map((expr) => new Column(expr)));
    }
    return this.projectWithWindows(exprs.map(named));
  }

  /** Adds a column, or replaces the one with that name (in place). */
  withColumn(name: string, value: ColumnLike): LazyFrame {
    if (typeof name !== 'string' || name === '') throw new ConfigError('withColumn() needs a column name');
    const expr = Exprs.alias(unalias(valueExpr(value)), name);
    const columns = this.knownColumns('withColumn');
    const exprs = columns.map((c) => (c === name ? expr : (col(c).node as Expr)));
    if (!columns.includes(name)) exprs.push(expr);
    return this.projectWithWindows(exprs);
  }

  withColumnRenamed(existing: string, renamed: string): LazyFrame {
    const columns = this.knownColumns('withColumnRenamed');
    if (!columns.includes(existing)) {
      throw new PlanError(
        `withColumnRenamed: no column '${existing}'${didYouMean(existing, columns)}; available columns: ${columns.join(', ')}`,
      );
    }
    return this.next(
      Plans.project(
        this.plan,
        columns.map((c) => (c === existing ? Exprs.alias(Exprs.column(c), renamed) : Exprs.column(c))),
      ),
    );
  }

  drop(...names: string[]): LazyFrame {
    const columns = this.knownColumns('drop');
    for (const name of names) {
      if (!columns.includes(name))
        throw new PlanError(
          `drop: no column '${name}'${didYouMean(name, columns)}; available columns: ${columns.join(', ')}`,
        );
    }
    const kept = columns.filter((c) => !names.includes(c));
    if (kept.length === 0) throw new PlanError('drop() would leave no columns');
    return this.next(
      Plans.project(
        this.plan,
        kept.map((c) => Exprs.column(c)),
      ),
    );
  }

  /** Keeps rows where the condition holds (NULL counts as false). A JS function runs locally. */
  filter(condition: Column | ((row: Row) => boolean)): LazyFrame {
    if (typeof condition === 'function') {
      return this.next(Plans.jsFilter(this.plan, condition, condition.name || 'js predicate'));
    }
    if (!(condition instanceof Column))
      throw new ConfigError('filter() takes a column expression or a function');
    if (someExpr(condition.node, (n) => n.kind === 'aggregate' || n.kind === 'window')) {
      throw new PlanError(
        'filter() cannot contain aggregates or window functions; compute them first with agg()/withColumn()',
      );
    }
    return this.withSubqueries([condition.node]).next(Plans.filter(this.plan, unalias(condition.node)));
  }

  /** This frame able to reach the connections of the subqueries in `exprs`. */
  private withSubqueries(exprs: readonly Expr[]): LazyFrame {
    const runtimes = exprs.flatMap(runtimesOf);
    if (runtimes.length === 0) return this;
    return new LazyFrame(
      this.plan,
      runtimes.reduce((all, runtime) => all.merge(runtime), this.runtime),
    );
  }

  where(condition: Column | ((row: Row) => boolean)): LazyFrame {
    return this.filter(condition);
  }

  groupBy(...keys: (ColumnSpec | readonly ColumnSpec[])[]): GroupedFrame {
    const exprs = (keys.flat() as ColumnSpec[]).map((key) => named(toColumnExpr(key)));
    return new GroupedFrame(this, exprs);
  }

  /** A global aggregate: one row. */
  agg(...aggregates: (Column | readonly Column[])[]): LazyFrame {
    return new GroupedFrame(this, []).agg(...aggregates);
  }

  orderBy(...keys: (SortSpec | readonly SortSpec[])[]): LazyFrame {
    const list = keys.flat() as SortSpec[];
    if (list.length === 0) throw new PlanError('orderBy() needs at least one key');
    return this.next(Plans.sort(this.plan, list.map(toSortKey)));
  }

  sort(...keys: (SortSpec | readonly SortSpec[])[]): LazyFrame {
    return this.orderBy(...keys);
  }

  limit(count: number): LazyFrame {
    if (!Number.isInteger(count) || count < 0)
      throw new ConfigError(`limit() takes a non-negative integer, got ${count}`);
    if (this.plan.kind === 'limit' && this.plan.limit === undefined) {
      return this.next(Plans.limit(this.plan.input, count, this.plan.offset));
    }
    return this.next(Plans.limit(this.plan, count, 0));
  }

  offset(count: number): LazyFrame {
    if (!Number.isInteger(count) || count < 0)
      throw new ConfigError(`offset() takes a non-negative integer, got ${count}`);
    if (count === 0) return this;
    return this.next(Plans.limit(this.plan, undefined, count));
  }

  distinct(): LazyFrame {
    return this.next(Plans.distinct(this.plan));
  }

  /**
   * Joins on column names present on both sides (each appears once in the result), or on a
   * condition over the two sides' column names. `how`: inner, left, right, full, semi, anti, cross.
   */
  join(other: LazyFrame, on?: string | readonly string[] | Column, how: JoinType = 'inner'): LazyFrame {
    if (!(other instanceof LazyFrame)) throw new ConfigError('join() takes another frame');
    if (!(JOIN_TYPES as readonly string[]).includes(how)) {
      throw new ConfigError(`unknown join type '${how}'; valid types: ${JOIN_TYPES.join(', ')}`);
    }
    let using: readonly string[] = [];
    let condition: Expr | undefined;
    if (typeof on === 'string') using = [on];
    else if (Array.isArray(on)) using = on as string[];
    else if (on instanceof Column) condition = unalias(on.node);
    if (how === 'cross' && (using.length > 0 || condition))
      throw new PlanError('a cross join takes no condition');
    if (how !== 'cross' && using.length === 0 && !condition) {
      throw new PlanError(`a ${how} join needs column names or a condition (or use how = 'cross')`);
    }
    return new LazyFrame(
      Plans.join(this.plan, other.plan, how, using, condition),
      this.runtime.merge(other.runtime),
    );
  }

  crossJoin(other: LazyFrame): LazyFrame {
    return this.join(other, undefined, 'cross');
  }

  /** UNION: rows of both, by position, duplicates removed. */
  union(other: LazyFrame): LazyFrame {
    return new LazyFrame(Plans.union(this.plan, other.plan, false), this.runtime.merge(other.runtime));
  }

  /** UNION ALL: rows of both, by position, duplicates kept. */
  unionAll(other: LazyFrame): LazyFrame {
    return new LazyFrame(Plans.union(this.plan, other.plan, true), this.runtime.merge(other.runtime));
  }

  /** A JS function over each Arrow batch of the input (returns a Table or row objects); runs locally. */
  mapBatches(fn: MapBatchesFn, label?: string): LazyFrame {
    if (typeof fn !== 'function') throw new ConfigError('mapBatches() takes a function');
    return this.next(Plans.mapBatches(this.plan, fn, label ?? (fn.name || 'js function')));
  }

  /**
   * This frame's rows kept as Arrow in memory: computed once, by the first action on this frame or
   * on any frame built on it, then reused, so later verbs run locally on the cached columns (as
   * Spark's `cache()`). Select only the columns later passes need first: the cache holds what the
   * frame outputs. `explain()` of a frame built on it shows the cache and how it was computed.
   */
  cache(): LazyFrame {
    const plan = this.plan;
    const runtime = this.runtime;
    const data = new LocalData(
      'cache',
      () => runtime.toArrow(plan),
      () => runtime.explain(plan),
    );
    return new LazyFrame(Plans.values(data.id, outputFields(plan), 'cache'), runtime.withLocal(data));
  }

  /** The logical plan, the SQL each database runs (with its parameters), and the local steps. */
  explain(): string {
    return this.runtime.explain(this.plan);
  }

  /** explain() printed to stdout. */
  printExplain(): void {
    process.stdout.write(`${this.explain()}\n`);
  }

  /** The first `n` rows as an Arrow table (the query runs with LIMIT n). */
  head(n = 5): Promise<Table> {
    return this.limit(n).toArrow();
  }

  /**
   * Prints the first `n` rows as an aligned table, values as the database shows them (exact
   * DECIMAL and BIGINT, dates as 'YYYY-MM-DD').
   */
  async show(n = 20): Promise<void> {
    const table = await this.limit(n + 1).toArrow();
    process.stdout.write(`${formatTable(table, { maxRows: n, truncated: true })}\n`);
  }

  /** `options.signal` stops the run (statements are killed on their servers); `limits` bound each statement. */
  toArrow(options: RunControl = {}): Promise<Table> {
    return this.runtime.toArrow(this.plan, options);
  }

  stream(options: RunControl = {}): AsyncIterable<RecordBatch> {
    return this.runtime.stream(this.plan, options);
  }

  collect(options: RunControl = {}): Promise<Row[]> {
    return this.runtime.collect(this.plan, options);
  }

  /**
   * The plan as JSON, to send to a sluice server (`POST /v1/query {plan}`) or rebuild with
   * `db.fromPlan(json)`. Frames with JavaScript steps (a function filter, mapBatches) cannot travel.
   *
   * @example
   * const body = JSON.stringify({ plan: db.table('orders').filter(col('id').gt(lit(10))).toJSON() });
   */
  toJSON(): PlanJson {
    return planToJson(this.plan);
  }

  /**
   * Computes the frame and bulk-loads it into `table` with the loader's bulk writer, in one
   * transaction. `mode`: append (default), ignore, replace or upsert. The table is on the frame's
   * own connection unless `into` names another one (required when the frame reads from several).
   */
  async writeTo(
    table: string,
    options: { mode?: 'append' | 'ignore' | 'replace' | 'upsert'; into?: LoadTarget } = {},
  ): Promise<unknown> {
    const target = options.into ?? this.runtime.soleSource();
    if (!target || typeof (target as LoadTarget).load !== 'function') {
      throw new PlanError(
        'writeTo: this frame reads from several connections; say which one with { into: db }',
      );
    }
    return (target as LoadTarget).load(await this.toArrow(), table, { mode: options.mode });
  }

  async count(): Promise<number> {
    const [row] = await this.runtime.collect(
      Plans.aggregate(this.plan, [], [Exprs.alias(Exprs.aggregate('count'), 'count')]),
    );
    return Number(row?.count ?? 0);
  }

  /**
   * A projection whose expressions may hold window functions: each window becomes a column of a
   * Window node below, so local execution and SQL both see windows in one place.
   */
  private projectWithWindows(exprs: readonly Expr[]): LazyFrame {
    if (!exprs.some((expr) => someExpr(expr, (n) => n.kind === 'window'))) {
      return this.withSubqueries(exprs).next(Plans.project(this.plan, exprs));
    }
    const windows: Expr[] = [];
    const rewritten = exprs.map((expr) => {
      const inner = unalias(expr);
      if (inner.kind === 'window') {
        windows.push(Exprs.alias(inner, exprName(expr)!));
        return Exprs.column(exprName(expr)!) as Expr;
      }
      return mapExpr(expr, (node) => {
        if (node.kind !== 'window') return undefined;
        const name = `__window_${windows.length + 1}`;
        windows.push(Exprs.alias(node as WindowExpr, name));
        return Exprs.column(name);
      });
    });
    return this.withSubqueries(exprs).next(Plans.project(Plans.window(this.plan, windows), rewritten));
  }
}

/** `frame.groupBy(keys)`: waiting for its aggregates. */
export class GroupedFrame {
  constructor(
    private readonly frame: LazyFrame,
    private readonly keys: readonly Expr[],
  ) {}

  agg(...aggregates: (Column | readonly Column[])[]): LazyFrame {
    const list = aggregates.flat() as Column[];
    if (list.length === 0) throw new PlanError('agg() needs at least one aggregate');
    const exprs = list.map((column) => {
      if (!(column instanceof Column))
        throw new ConfigError('agg() takes aggregate expressions such as fn.sum("x")');
      if (!someExpr(column.node, (n) => n.kind === 'aggregate')) {
        throw new PlanError(
          `agg(): '${defaultName(column.node)}' is not an aggregate (use fn.sum, fn.count, ...)`,
        );
      }
      if (someExpr(column.node, (n) => n.kind === 'window')) {
        throw new PlanError('agg() cannot contain window functions');
      }
      return named(column.node);
    });
    return new LazyFrame(Plans.aggregate(this.frame.plan, this.keys, exprs), this.frame.runtime);
  }

  count(): LazyFrame {
    return this.agg(new Column(Exprs.alias(Exprs.aggregate('count'), 'count')));
  }
}

export type { SortKey };
