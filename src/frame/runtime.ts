/**
 * Runs plans: binds tables to their columns, optimizes, sends each pushed query to its database,
 * runs the residual steps locally, and renders explain(). A frame's runtime knows every
 * connection its plan reads from; joining frames of two connections merges their runtimes.
 */
import { type RecordBatch, Table } from 'apache-arrow';
import { PlanError } from '../base/errors.ts';
import { didYouMean, userTables } from '../base/suggest.ts';
import { type Optimized, optimize } from '../optimizer/optimize.ts';
import type { PushedQuery } from '../optimizer/split.ts';
import type { LiteralValue } from '../plan/expr.ts';
import { type Field, type PlanNode, Plans, planLeaves, transformUp } from '../plan/nodes.ts';
import { renderPlan } from '../plan/render.ts';
import { outputFields } from '../plan/schema.ts';
import { compilePlan } from '../sql/compile-plan.ts';
import type { Dialect, StatementLimits } from '../sql/dialect.ts';
import type { LocalData } from './local-data.ts';
import { arrivalOrderMatters } from './partitioned-read.ts';
import { countLiterals, instanceOf, type PlanTemplate, swapLiterals } from './plan-template.ts';
import { arrowToRows } from './rows.ts';

/** How a run may be stopped (`signal`) and bounded by the database (`limits`, on every statement). */
export interface RunControl {
  readonly signal?: AbortSignal;
  readonly limits?: StatementLimits;
}

/** One connection as the runtime needs it (implemented by `Database`). */
export interface Source {
  readonly id: string;
  readonly dialect: Dialect;
  /** Where it is, for explain (no password). */
  readonly label: string;
  fieldsOf(table: string): readonly Field[] | undefined;
  tableNames(): string[];
  refresh(): Promise<void>;
  queryFields(sql: string, options?: RunControl): Promise<readonly Field[]>;
  /** The columns of SQL text `queryFields` has already learned, without asking the server. */
  knownQueryFields(sql: string): readonly Field[] | undefined;
  /** Runs one pushed statement and yields its rows as Arrow batches. */
  readArrow(sql: string, params: readonly unknown[], options: RunControl): AsyncIterable<RecordBatch>;
  /** Runs a pushed query, split over partitions when its table allows; defaults to `readArrow`. */
  readPushed?(query: PushedQuery, options: RunControl, inOrder?: boolean): AsyncIterable<RecordBatch>;
  /** How a pushed query was (or will be) read, for explain. */
  describeRead?(query: PushedQuery): string | undefined;
}

/** Residual execution, supplied by src/local (kept behind a function so the core stays small). */
export type LocalExecutor = (plan: PlanNode, inputs: ReadonlyMap<string, Table>) => Promise<Table>;

export class FrameRuntime {
  /** Optimized templates by their marker plan; null when optimizing changed a marker. */
  private readonly templates = new WeakMap<PlanNode, Optimized | null>();

  constructor(
    private readonly sources: ReadonlyMap<string, Source>,
    private readonly local: LocalExecutor,
    /** Rows on this side the plan may read (`cache()`, `db.fromArrow`), by their values id. */
    private readonly locals: ReadonlyMap<string, LocalData> = new Map(),
  ) {}

  /** The same runtime, also knowing `data`. */
  withLocal(data: LocalData): FrameRuntime {
    return new FrameRuntime(this.sources, this.local, new Map([...this.locals, [data.id, data]]));
  }

  private optimizerContext() {
    return {
      dialectOf: (id: string) => this.source(id).dialect,
      localKeys: (id: string, column: string) => this.locals.get(id)?.distinctKeys(column),
    };
  }

  /** The local data a plan reads, computed (cached frames run on first use, once). */
  private async localInputs(plan: PlanNode): Promise<Map<string, Table>> {
    const inputs = new Map<string, Table>();
    const used = planLeaves(plan).flatMap((leaf) =>
      leaf.kind === 'values' && this.locals.has(leaf.id) ? [this.locals.get(leaf.id)!] : [],
    );
    await Promise.all(used.map(async (data) => inputs.set(data.id, await data.materialize())));
    return inputs;
  }

  /** The one connection a frame reads from, if it reads from exactly one. */
  soleSource(): Source | undefined {
    return this.sources.size === 1 ? [...this.sources.values()][0] : undefined;
  }

  merge(other: FrameRuntime): FrameRuntime {
    if (other === this) return this;
    return new FrameRuntime(
      new Map([...this.sources, ...other.sources]),
      this.local,
      new Map([...this.locals, ...other.locals]),
    );
  }

  private source(id: string): Source {
    const source = this.sources.get(id);
    if (!source)
      throw new PlanError(`the plan reads from connection '${id}', which this frame does not know`);
    return source;
  }

  /**
   * Fills in each table's columns from the catalog, and the columns of SQL text kept as written
   * once a run has learned them; missing tables are listed with the known ones.
   */
  private bindSync(plan: PlanNode): { plan: PlanNode; missing: { source: Source; table: string }[] } {
    const missing: { source: Source; table: string }[] = [];
    const bound = transformUp(plan, (node) => {
      if (node.kind === 'sqlText' && node.fields.length === 0) {
        const fields = this.source(node.source).knownQueryFields(node.sql);
        return fields ? Plans.sqlText(node.source, node.sql, fields, node.options, node.reason) : node;
      }
      if (node.kind !== 'scan' || node.fields.length > 0) return node;
      const source = this.source(node.source);
      const fields = source.fieldsOf(node.table);
      if (!fields) {
        missing.push({ source, table: node.table });
        return node;
      }
      return Plans.scan(node.source, node.table, fields, node.options);
    });
    return { plan: bound, missing };
  }

  private missingTableError(missing: { source: Source; table: string }[]): PlanError {
    const { source, table } = missing[0]!;
    const known = userTables(source.tableNames());
    return new PlanError(
      `no table '${table}' in ${source.label}${didYouMean(table, known)}; tables: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      { table, available: known },
      'TABLE_NOT_FOUND',
    );
  }

  private planSync(plan: PlanNode): Optimized {
    const { plan: bound, missing } = this.bindSync(plan);
    if (missing.length > 0) throw this.missingTableError(missing);
    outputFields(bound); // checks every column reference, naming the missing ones
    return optimize(bound, this.optimizerContext());
  }

  /**
   * The optimized plan; for a plan made from a template (SQL text with `?` parameters), the
   * template's optimized plan with this call's values swapped in (see ./plan-template.ts).
   */
  private async plan(plan: PlanNode, options: RunControl = {}): Promise<Optimized> {
    const instance = instanceOf(plan);
    if (instance) {
      const { template, swap } = instance;
      let optimized = this.templates.get(template.plan);
      if (optimized === undefined) {
        optimized = optimizedTemplate(await this.planFresh(template.plan, options), template);
        this.templates.set(template.plan, optimized);
      }
      if (optimized) return swap.size === 0 ? optimized : swapOptimized(optimized, swap);
    }
    return this.planFresh(plan, options);
  }

  private async planFresh(plan: PlanNode, options: RunControl): Promise<Optimized> {
    let { plan: bound, missing } = this.bindSync(plan);
    if (missing.length > 0) {
      // A table made after connect: read the catalog again, once.
      await Promise.all([...new Set(missing.map((m) => m.source))].map((source) => source.refresh()));
      ({ plan: bound, missing } = this.bindSync(plan));
      if (missing.length > 0) throw this.missingTableError(missing);
    }
    const sqlTexts: { source: string; sql: string }[] = [];
    transformUp(bound, (node) => {
      if (node.kind === 'sqlText' && node.fields.length === 0) sqlTexts.push(node);
      return node;
    });
    if (sqlTexts.length > 0) {
      const fields = new Map<string, readonly Field[]>();
      for (const node of sqlTexts)
        fields.set(node.sql, await this.source(node.source).queryFields(node.sql, options));
      bound = transformUp(bound, (node) =>
        node.kind === 'sqlText' && node.fields.length === 0
          ? Plans.sqlText(node.source, node.sql, fields.get(node.sql)!, node.options, node.reason)
          : node,
      );
    }
    outputFields(bound);
    return optimize(bound, this.optimizerContext());
  }

  private read(query: PushedQuery, options: RunControl, inOrder = false): AsyncIterable<RecordBatch> {
    const source = this.source(query.source);
    return source.readPushed
      ? source.readPushed(query, options, inOrder)
      : source.readArrow(query.compiled.sql, query.compiled.params, options);
  }

  /**
   * The one pushed query a plan comes down to when nothing runs locally after it (the statement
   * of a point read), with the connection that runs it.
   */
  async soleQuery(plan: PlanNode): Promise<PushedQuery | undefined> {
    const { split } = await this.plan(plan);
    if (split.residual.kind !== 'values' || split.queries.length !== 1) return undefined;
    const query = split.queries[0]!;
    return split.residual.id === query.id ? query : undefined;
  }

  /**
   * The optimized plan a run of `plan` uses: made again for every plan, except those of
   * repeated SQL text (`db.sql`), whose optimized plan is kept (see ./plan-template.ts).
   */
  optimized(plan: PlanNode, options: RunControl = {}): Promise<Optimized> {
    return this.plan(plan, options);
  }

  explain(plan: PlanNode): string {
    return renderExplain(this.planSync(plan), (id) => this.source(id), this.locals);
  }

  async toArrow(plan: PlanNode, options: RunControl = {}): Promise<Table> {
    // Local data first: the optimizer may filter the database side by a small local side's keys.
    const inputs = await this.localInputs(plan);
    const { split } = await this.plan(plan, options);
    // Only pushed reads arrive in an order (partition by partition); local data has one order.
    const inOrder =
      split.queries.length > 0 && split.residual.kind !== 'values' && arrivalOrderMatters(split.residual);
    await Promise.all(
      split.queries.map(async (query) => {
        const batches: RecordBatch[] = [];
        for await (const batch of this.read(query, options, inOrder)) {
          batches.push(batch);
        }
        inputs.set(query.id, new Table(batches));
      }),
    );
    if (split.residual.kind === 'values') return inputs.get(split.residual.id)!;
    return this.local(split.residual, inputs);
  }

  async *stream(plan: PlanNode, options: RunControl = {}): AsyncGenerator<RecordBatch> {
    const { split } = await this.plan(plan, options);
    if (split.residual.kind === 'values' && split.queries.length === 1) {
      const query = split.queries[0]!;
      yield* this.read(query, options);
      return;
    }
    const table = await this.toArrow(plan, options);
    yield* table.batches;
  }

  async collect(plan: PlanNode, options: RunControl = {}): Promise<Record<string, unknown>[]> {
    return arrowToRows(await this.toArrow(plan, options));
  }
}

/** A template's optimized plan, if every marker came through optimization as it was. */
function optimizedTemplate(optimized: Optimized, template: PlanTemplate): Optimized | null {
  const markers = new Set(template.markers.filter((m): m is LiteralValue => m !== undefined));
  if (markers.size === 0) return optimized;
  const seen = new Map<LiteralValue, number>();
  for (const part of [optimized.split.residual, ...optimized.split.queries.map((q) => q.subtree)])
    for (const [marker, count] of countLiterals(part, markers))
      seen.set(marker, (seen.get(marker) ?? 0) + count);
  return [...markers].every((marker) => (seen.get(marker) ?? 0) > 0) ? optimized : null;
}

/** The optimized template with this call's values: the pushed SQL is compiled again, nothing else runs. */
function swapOptimized(optimized: Optimized, swap: ReadonlyMap<LiteralValue, LiteralValue>): Optimized {
  const { split } = optimized;
  return {
    logical: swapLiterals(optimized.logical, swap),
    optimized: swapLiterals(optimized.optimized, swap),
    trace: optimized.trace,
    split: {
      residual: swapLiterals(split.residual, swap),
      localReasons: split.localReasons,
      windows: split.windows,
      queries: split.queries.map((query) => {
        const subtree = swapLiterals(query.subtree, swap);
        return { ...query, subtree, compiled: compilePlan(subtree, { dialect: query.dialect }) };
      }),
    },
  };
}

export function renderExplain(
  optimized: Optimized,
  source: (id: string) => Source,
  locals: ReadonlyMap<string, LocalData> = new Map(),
): string {
  const { split } = optimized;
  const lines = [
    '== Logical plan ==',
    renderPlan(optimized.logical),
    '',
    '== Optimized plan ==',
    renderPlan(optimized.optimized),
    '',
  ];
  lines.push(`== Pushed SQL (${split.queries.length} statement${split.queries.length === 1 ? '' : 's'}) ==`);
  for (const query of split.queries) {
    const where = source(query.source);
    lines.push(`${query.id} on ${where.id} (${query.dialect.name}, ${where.label}):`);
    lines.push(`  ${query.compiled.sql}`);
    lines.push(
      `  params: ${JSON.stringify(query.compiled.params, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
    );
    const read = where.describeRead?.(query);
    if (read) lines.push(read);
  }
  const used = [
    ...new Set(planLeaves(split.residual).flatMap((leaf) => (leaf.kind === 'values' ? [leaf.id] : []))),
  ].flatMap((id) => (locals.has(id) ? [locals.get(id)!] : []));
  if (used.length > 0) {
    lines.push('', '== Local data ==');
    for (const data of used) {
      lines.push(data.summary());
      if (data.origin === 'cache') {
        lines.push('  computed by:');
        for (const line of data.describe().split('\n')) lines.push(`    ${line}`);
      }
    }
  }
  if (split.windows.length > 0) {
    lines.push('', '== Where windows run ==');
    for (const line of split.windows) lines.push(line);
  }
  lines.push('', '== Local steps ==');
  if (split.residual.kind === 'values' && split.queries.length === 1) {
    lines.push('none: the database computes the whole result');
  } else {
    lines.push(renderPlan(split.residual));
    if (split.localReasons.length > 0) {
      lines.push('why local:');
      for (const reason of [...new Set(split.localReasons)]) lines.push(`  ${reason}`);
    }
  }
  return lines.join('\n');
}
