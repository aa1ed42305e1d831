/**
 * `connect()`: one MySQL-wire database as a source of frames. It reads the catalog once so frames
 * know their columns before they run, and runs the statements the planner pushes to it.
 */
import { type RecordBatch, Table } from 'apache-arrow';
import { ConfigError, PlanError } from '../base/errors.ts';
import { rememberRecent } from '../base/recent.ts';
import { didYouMean, userTables } from '../base/suggest.ts';
import { type DbSession, openSession } from '../db/driver.ts';
import { type DbEndpoint, endpointUrl, parseDbUrl } from '../db/endpoint.ts';
import type { PushedQuery } from '../optimizer/split.ts';
import {
  type Field,
  type PlanNode,
  Plans,
  planLeaves,
  type ScanOptions,
  transformUp,
} from '../plan/nodes.ts';
import { planFromJson } from '../plan/serialize.ts';
import { RawConnectionPool } from '../reader/connection-pool.ts';
import { readArrow } from '../reader/read.ts';
import { type RowBytes, readRowBytes } from '../reader/read-rows.ts';
import { TableFactsCache } from '../reader/table-facts.ts';
import type { DialectName } from '../sql/dialect.ts';
import { dialectNamed } from '../sql/dialects/index.ts';
import { type LoadOptions, load } from '../writer/bulk-writer.ts';
import type { BulkWriteResult } from '../writer/rows.ts';
import { type Catalog, queryFields, readCatalog } from './catalog.ts';
import { LazyFrame } from './lazy-frame.ts';
import { fieldsOfArrow, LocalData } from './local-data.ts';
import {
  describePartitionedQuery,
  type OnePiece,
  onePieceRead,
  type PartitionedQuery,
  partitionableScan,
  planPartitionedQuery,
  readPartitioned,
} from './partitioned-read.ts';
import {
  instantiate,
  keptPlan,
  makeTemplate,
  markerParams,
  type PlanTemplate,
  templateKey,
} from './plan-template.ts';
import { FrameRuntime, type LocalExecutor, type RunControl, type Source } from './runtime.ts';
import { bindParams, type SqlParam } from './sql-text/params.ts';
import { sqlToPlan } from './sql-text/to-plan.ts';

export interface ConnectOptions {
  /** mysql://user:password@host:port/database */
  readonly url: string;
  readonly dialect?: DialectName;
  /**
   * Default for every table of this connection: true (default) runs each step where it is
   * estimated cheaper, 'always' pushes every step the database can run, false computes
   * everything locally.
   */
  readonly pushdown?: boolean | 'always';
  /** DECIMAL columns as exact Decimal128 (default) or as Float64. */
  readonly decimalAs?: 'decimal' | 'float64';
  /**
   * Connections kept open between reads in one piece (default 32): as many as the program runs
   * such reads at once (`sluice serve` keeps as many as it runs queries at once).
   */
  readonly idleConnections?: number;
}

export type TableOptions = Partial<ScanOptions>;

export interface SqlOptions extends TableOptions {
  /**
   * Values for the text's `?` placeholders. Text run again with other values is planned once
   * (see ./plan-template.ts): `db.sql('SELECT * FROM t WHERE id = ?', { params: [42] })`.
   */
  readonly params?: readonly SqlParam[];
  /**
   * Other connections by name: a table written `name.table` in the text is read from that
   * connection (the name wins over a schema of the same name), and the query is federated: each
   * connection runs its part, the rest (a join across them, say) runs locally.
   */
  readonly sources?: Readonly<Record<string, Database>>;
}

/** How long a plan made from SQL text is used before the text is planned again. */
const TEMPLATE_TTL_MS = 60_000;
const MAX_TEMPLATES = 500;

let connections = 0;

export class Database implements Source, AsyncDisposable {
  readonly id: string;
  readonly label: string;
  readonly runtime: FrameRuntime;
  private catalog: Catalog = new Map();
  /** How each pushed query was last read, for explain. */
  private readonly reads = new Map<string, PartitionedQuery | OnePiece>();
  private closed = false;
  /** Plans of SQL text, by text and parameter shape, kept a minute at most (cleared by refresh()). */
  private readonly templates = new Map<string, { at: number; template: PlanTemplate | undefined }>();
  /** Connections for reads in one piece, kept open between reads so concurrent point lookups reuse them. */
  private readonly pool: RawConnectionPool;
  private readonly facts = new TableFactsCache();
  /**
   * Columns of SQL text the planner kept as written, learned when it first ran, so explain() and
   * joins on them work afterwards without another round trip (cleared by refresh()).
   */
  private readonly textFields = new Map<string, readonly Field[]>();
  /** Point statements of SQL text with parameters, by text and parameter shape (see pointStatement). */
  private readonly points = new Map<string, { at: number; point: PointStatement | undefined }>();

  constructor(
    readonly endpoint: DbEndpoint,
    readonly dialect: ReturnType<typeof dialectNamed>,
    private readonly session: DbSession,
    private readonly defaults: {
      pushdown: boolean | 'always';
      decimalAs?: 'decimal' | 'float64';
      idleConnections?: number;
    },
    private readonly local: LocalExecutor,
  ) {
    this.pool = new RawConnectionPool({ maxIdle: defaults.idleConnections ?? 32 });
    connections += 1;
    this.id = `db${connections}`;
    this.label = endpointUrl(endpoint);
    this.runtime = new FrameRuntime(new Map([[this.id, this]]), local);
  }

  /** A frame over a table of this database. */
  table(name: string, options: TableOptions = {}): LazyFrame {
    if (typeof name !== 'string' || name === '') throw new ConfigError('table() needs a table name');
    const scanOptions: ScanOptions = { pushdown: options.pushdown ?? this.defaults.pushdown, ...options };
    return new LazyFrame(Plans.scan(this.id, name, this.fieldsOf(name) ?? [], scanOptions), this.runtime);
  }

  /**
   * A frame over SQL text, planned like the DataFrame verbs (src/frame/sql-text/to-plan.ts) so it is
   * optimized, pushed down and composes with further verbs; text the planner does not translate
   * runs as written, as a derived table (explain shows why).
   */
  sql(text: string, options: SqlOptions = {}): LazyFrame {
    if (typeof text !== 'string' || text.trim() === '') throw new ConfigError('sql() needs SQL text');
    const { params = [], sources = {}, ...tableOptions } = options;
    const scanOptions: ScanOptions = {
      pushdown: tableOptions.pushdown ?? this.defaults.pushdown,
      ...tableOptions,
    };
    const qualified = (qualifier: string, table: string) => {
      const other = Object.hasOwn(sources, qualifier) ? sources[qualifier] : undefined;
      if (!other) return undefined;
      const fields = other.fieldsOf(table);
      if (!fields) {
        const known = userTables(other.tableNames());
        throw new PlanError(
          `no table '${table}' in source '${qualifier}' (${other.label})${didYouMean(table, known)}`,
          { table, source: qualifier, available: known },
          'TABLE_NOT_FOUND',
        );
      }
      return { source: other.id, fields };
    };
    const planText = (sql: string) =>
      sqlToPlan(sql, {
        source: this.id,
        fieldsOf: (table) => this.fieldsOf(table),
        options: scanOptions,
        qualified,
      });
    let runtime = this.runtime;
    for (const other of Object.values(sources)) runtime = runtime.merge(other.runtime);
    const named = Object.entries(sources).map(([name, other]) => [name, other.id]);
    const key = `${templateKey(text, params)}${JSON.stringify([scanOptions, named])}`;
    let cached = this.templates.get(key);
    if (!cached || performance.now() - cached.at > TEMPLATE_TTL_MS) {
      const template =
        params.length === 0 ? keptPlan(planText(text)) : this.makeTemplate(text, params, planText);
      cached = { at: performance.now(), template };
      rememberRecent(this.templates, key, cached, MAX_TEMPLATES);
    }
    const plan = cached.template ? instantiate(cached.template, params) : planText(bindParams(text, params));
    return new LazyFrame(plan, runtime);
  }

  private makeTemplate(
    text: string,
    params: readonly SqlParam[],
    planText: (sql: string) => PlanNode,
  ): PlanTemplate | undefined {
    const { values, markers } = markerParams(params);
    bindParams(text, params); // the placeholder count is checked against the caller's params
    try {
      return makeTemplate(planText(bindParams(text, values)), markers);
    } catch {
      // The text with markers does not plan (a marker where only some values fit): no template.
      return undefined;
    }
  }

  /**
   * SQL text with parameters as one statement this connection answers whole with at most a few
   * rows (its filter fixes a unique key, or a small LIMIT ends it), or undefined when it is not
   * one: the statement of `sluice serve`'s point reads, made once per text and parameter shape.
   * Each parameter has its place in the statement's own parameters, so a call only fills them
   * in (`pointParams`); the statement is checked against the one the general path compiles for
   * these values.
   */
  async pointStatement(text: string, params: readonly SqlParam[]): Promise<PointStatement | undefined> {
    const key = templateKey(text, params);
    const known = this.points.get(key);
    if (known && performance.now() - known.at <= TEMPLATE_TTL_MS) return known.point;
    let point: PointStatement | undefined;
    try {
      point = await this.makePointStatement(text, params);
    } catch {
      point = undefined; // the general path reports what is wrong with the text
    }
    rememberRecent(this.points, key, { at: performance.now(), point }, MAX_TEMPLATES);
    return point;
  }

  private async makePointStatement(
    text: string,
    params: readonly SqlParam[],
  ): Promise<PointStatement | undefined> {
    const { values, markers } = markerParams(params);
    const pushed = async (bound: readonly SqlParam[]) => {
      const frame = this.sql(text, { params: bound });
      // Only tables: text kept as written would be run (to learn its columns) just to plan it.
      if (!planLeaves(frame.plan).every((leaf) => leaf.kind === 'scan')) return undefined;
      const query = await this.runtime.soleQuery(frame.plan);
      return query?.source === this.id ? query : undefined;
    };
    const query = await pushed(values);
    if (!query) return undefined;
    const read = await onePieceRead(query, this.endpoint, this.facts);
    if (read?.expectedRows === undefined || read.expectedRows > POINT_ROWS) return undefined;
    const { sql } = query.compiled;
    const slots: PointSlot[] = query.compiled.params.map((value) => {
      const at = markers.findIndex((marker) => marker !== undefined && marker === value);
      return at >= 0 ? { param: at } : { value };
    });
    // Every marker travels as a parameter of its own, never inside the text.
    for (let i = 0; i < markers.length; i++) {
      const marker = markers[i];
      if (marker === undefined) continue;
      if (!slots.some((slot) => 'param' in slot && slot.param === i)) return undefined;
      if (sql.includes(typeof marker === 'string' ? marker : String(Math.abs(marker as number))))
        return undefined;
    }
    const point: PointStatement = { sql, slots, expectedRows: read.expectedRows };
    const general = await pushed(params);
    const filled = pointParams(point, params);
    const same =
      general?.compiled.sql === sql &&
      general.compiled.params.length === filled.length &&
      general.compiled.params.every((value, i) => value === filled[i]);
    return same ? point : undefined;
  }

  /**
   * Runs a point statement with this call's values and returns its rows as the server sent them
   * (see `pointStatement`); `limits` and `signal` as for any read.
   */
  readPoint(point: PointStatement, params: readonly SqlParam[], options: RunControl = {}): Promise<RowBytes> {
    return readRowBytes(this.endpoint, this.limited(point.sql, options), pointParams(point, params), {
      pool: this.pool,
      signal: options.signal,
      maxRows: point.expectedRows,
    });
  }

  /** How this connection types DECIMAL columns (for code that decodes its rows itself). */
  get decimalAs(): 'decimal' | 'float64' {
    return this.defaults.decimalAs ?? 'decimal';
  }

  /**
   * A frame from a plan in its JSON form (`LazyFrame.toJSON()`), every table read from this
   * connection with this connection's column types. Malformed JSON is a PlanError naming where.
   * `sources` binds the plan's own source ids (`Scan … source=db2`) to other connections, for a
   * plan over several of them; a source id it does not name reads from this connection.
   */
  fromPlan(json: unknown, options: { sources?: Readonly<Record<string, Database>> } = {}): LazyFrame {
    const byId = new Map<string, Database>([[this.id, this]]);
    const ids = new Map<string, string>();
    let runtime = this.runtime;
    for (const [planSource, db] of Object.entries(options.sources ?? {})) {
      ids.set(planSource, db.id);
      byId.set(db.id, db);
      runtime = runtime.merge(db.runtime);
    }
    const plan = transformUp(planFromJson(json, { source: this.id, sources: ids }), (node): PlanNode => {
      if (node.kind !== 'scan') return node;
      const db = byId.get(node.source)!;
      return Plans.scan(node.source, node.table, db.fieldsOf(node.table) ?? [], node.options);
    });
    return new LazyFrame(plan, runtime);
  }

  /**
   * Rows the program already holds, as a frame of this connection's runtime: joinable with its
   * tables (when the Arrow side is small, its join keys go to the database as an IN filter, as
   * parameters) and run on locally by every verb.
   */
  fromArrow(table: Table): LazyFrame {
    if (!(table instanceof Table)) throw new ConfigError('fromArrow() takes an Apache Arrow Table');
    const data = new LocalData('arrow', table, () => 'an Arrow table given by the program');
    return new LazyFrame(Plans.values(data.id, fieldsOfArrow(table), 'arrow'), this.runtime.withLocal(data));
  }

  fieldsOf(table: string): readonly Field[] | undefined {
    return this.catalog.get(table);
  }

  tableNames(): string[] {
    return [...this.catalog.keys()];
  }

  /** Reads the catalog again (tables created after connect). */
  async refresh(): Promise<void> {
    this.facts.clear();
    this.templates.clear();
    this.points.clear();
    this.textFields.clear();
    this.catalog = await readCatalog(this.session);
  }

  async queryFields(sql: string, options: RunControl = {}): Promise<readonly Field[]> {
    const known = this.textFields.get(sql);
    if (known) return known;
    const fields = await queryFields(this.session, sql, this.catalog, (probe) =>
      this.limited(probe, options),
    );
    rememberRecent(this.textFields, sql, fields, TEXT_FIELDS_KEPT);
    return fields;
  }

  knownQueryFields(sql: string): readonly Field[] | undefined {
    return this.textFields.get(sql);
  }

  /**
   * A pushed query, read in parallel over the table's partitions when it can be split; `inOrder`:
   * its rows in the order one scan gives (see `arrivalOrderMatters`).
   */
  async *readPushed(
    query: PushedQuery,
    options: RunControl = {},
    inOrder = false,
  ): AsyncIterable<RecordBatch> {
    const planned = await planPartitionedQuery(query, this.endpoint, this.facts);
    const partitioned = inOrder && !('reason' in planned) ? { ...planned, inOrder } : planned;
    const key = readKey(query);
    // Only the latest reads are kept for explain(): a server runs a point query with a new value
    // each time, and every value is a key of its own.
    rememberRecent(this.reads, key, partitioned, READS_KEPT);
    if ('reason' in partitioned) {
      yield* this.readWhole(query.compiled.sql, query.compiled.params, options, partitioned.expectedRows);
      return;
    }
    const tasks = partitioned.tasks.map((task) => ({ ...task, sql: this.limited(task.sql, options) }));
    yield* readPartitioned({ ...partitioned, tasks }, this.local, {
      signal: options.signal,
      decimalAs: this.defaults.decimalAs,
    });
  }

  /** The statement with the run's limits, in this database's words. */
  private limited(sql: string, options: RunControl): string {
    return options.limits && this.dialect.limitStatement
      ? this.dialect.limitStatement(sql, options.limits)
      : sql;
  }

  /** How the last run of this query was read (partitions are discovered when a read starts). */
  describeRead(query: PushedQuery): string | undefined {
    const read = this.reads.get(readKey(query));
    if (!partitionableScan(query)) return undefined;
    if (!read) return '  read: partitions are discovered when the read starts (run it, then explain again)';
    if ('reason' in read) return `  read in one piece: ${read.reason}`;
    return describePartitionedQuery(read);
  }

  /**
   * Bulk-loads an Arrow table into `table` (LOAD DATA LOCAL INFILE, or multi-row INSERT where the
   * mode needs it) in one transaction: the loader's bulk writer.
   */
  load(data: Table, table: string, options: LoadOptions = {}): Promise<BulkWriteResult> {
    return load(this.endpoint, data, table, options);
  }

  /** One statement read straight into Arrow batches (no row objects), streamed as decoded. */
  readArrow(sql: string, params: readonly unknown[], options: RunControl = {}): AsyncIterable<RecordBatch> {
    return this.readWhole(sql, params, options);
  }

  /** One statement on this thread, over a pooled connection. */
  private readWhole(
    sql: string,
    params: readonly unknown[],
    options: RunControl,
    expectedRows?: number,
  ): AsyncIterable<RecordBatch> {
    return readArrow(this.endpoint, this.limited(sql, options), params, {
      signal: options.signal,
      decimalAs: this.defaults.decimalAs,
      pool: this.pool,
      expectedRows,
    });
  }

  /**
   * Closes the connection. Optional for a script: an idle connection does not keep the process
   * alive, and the reader threads stop when idle.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.session.close(), this.pool.close()]);
  }

  /** `await using db = await connect(url)` closes the connection at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Rows a point statement may return at most: an answer this small is written in one piece. */
const POINT_ROWS = 1024;

/** Where each parameter of a point statement comes from: a caller's value, or a constant. */
export type PointSlot = { readonly param: number } | { readonly value: unknown };

export interface PointStatement {
  readonly sql: string;
  readonly slots: readonly PointSlot[];
  /** Rows it returns at most. */
  readonly expectedRows: number;
}

function pointParams(point: PointStatement, params: readonly SqlParam[]): unknown[] {
  return point.slots.map((slot) => ('param' in slot ? params[slot.param] : slot.value));
}

/** How many reads' partitioning explain() can describe (the most recent ones). */
const READS_KEPT = 256;
/** How many texts kept as written have their columns remembered (the most recent ones). */
const TEXT_FIELDS_KEPT = 256;

/** A pushed query and the read options of its tables: the same SQL may be read two ways. */
const readKey = (query: PushedQuery) =>
  JSON.stringify(
    [
      query.compiled.sql,
      query.compiled.params,
      planLeaves(query.subtree).map((leaf) => ('options' in leaf ? leaf.options : null)),
    ],
    (_k, v) => (typeof v === 'bigint' ? `${v}n` : v),
  );

export async function connectWith(options: ConnectOptions | string, local: LocalExecutor): Promise<Database> {
  const resolved = typeof options === 'string' ? { url: options } : options;
  const endpoint = parseDbUrl(resolved.url);
  const dialect = dialectNamed(resolved.dialect ?? 'mariadb');
  const session = await openSession(endpoint);
  const db = new Database(
    endpoint,
    dialect,
    session,
    {
      pushdown: resolved.pushdown ?? true,
      decimalAs: resolved.decimalAs,
      ...(resolved.idleConnections === undefined ? {} : { idleConnections: resolved.idleConnections }),
    },
    local,
  );
  try {
    await db.refresh();
  } catch (error) {
    await session.close();
    throw error;
  }
  return db;
}
