/**
 * `readSql(url, sql, { partitionOn, partitionNum })`: one call from SQL text to an Arrow table,
 * ConnectorX's `read_sql` for JavaScript. Without `partitionOn` the statement runs as written on
 * one connection. With it, the query is split as ConnectorX splits it: MIN and MAX of the column
 * over the query, `partitionNum` ranges of equal width between them, and each range read as
 * `SELECT * FROM (<sql>) AS t WHERE col >= ? AND col < ?` on the reader threads, in parallel.
 * The first range is open below and takes the NULLs, the last open above, so every row of the
 * query is read exactly once.
 */
import { type RecordBatch, Table, Type } from 'apache-arrow';
import { ConfigError } from '../base/errors.ts';
import { withSession } from '../db/driver.ts';
import { type DbEndpoint, parseDbUrl } from '../db/endpoint.ts';
import { quoteIdentifier } from '../sql/identifiers.ts';
import type { TypeOptions } from './column-plan.ts';
import { type ParallelReadOptions, type ReadTask, readParallel } from './parallel.ts';
import { type KeyKind, keyRanges, rangeCondition } from './partitioning/key-range.ts';
import type { KeyValue } from './partitioning/scan.ts';
import { readArrow, readSchema } from './read.ts';

export interface ReadSqlOptions extends TypeOptions {
  /** Values for the `?` placeholders of `sql`. */
  readonly params?: readonly unknown[];
  /** A numeric, date or datetime column of the result to split the query on. */
  readonly partitionOn?: string;
  /** How many ranges (default: 4 with `partitionOn`). */
  readonly partitionNum?: number;
  /** Bounds of the ranges instead of the query's MIN and MAX (ConnectorX's `partition_range`). */
  readonly partitionRange?: readonly [KeyValue, KeyValue];
  /** Ranges read at once (default: the reader's). */
  readonly parallelism?: number;
  readonly signal?: AbortSignal;
}

/** A planned readSql: the statements that will run, for explain and progress. */
export interface SqlReadPlan {
  readonly endpoint: DbEndpoint;
  readonly tasks: readonly ReadTask[];
  /** How the query was split, or why it was not. */
  readonly description: string;
}

/** Runs `sql` and returns its whole result as one Arrow table. */
export async function readSql(
  url: string | DbEndpoint,
  sql: string,
  options: ReadSqlOptions = {},
): Promise<Table> {
  const batches: RecordBatch[] = [];
  for await (const batch of streamSql(url, sql, options)) batches.push(batch);
  return new Table(batches);
}

/** `readSql` as a stream of RecordBatches, for results larger than memory. */
export async function* streamSql(
  url: string | DbEndpoint,
  sql: string,
  options: ReadSqlOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const plan = await planSqlRead(url, sql, options);
  if (plan.tasks.length === 1 && options.partitionOn === undefined) {
    const task = plan.tasks[0]!;
    yield* readArrow(plan.endpoint, task.sql, task.params, {
      signal: options.signal,
      decimalAs: options.decimalAs,
    });
    return;
  }
  const readOptions: ParallelReadOptions = {
    signal: options.signal,
    decimalAs: options.decimalAs,
    ...(options.parallelism ? { parallelism: options.parallelism } : {}),
  };
  yield* readParallel(plan.tasks, readOptions);
}

/** The statements `readSql` runs: one, or one per key range of `partitionOn`. */
export async function planSqlRead(
  url: string | DbEndpoint,
  sql: string,
  options: ReadSqlOptions = {},
): Promise<SqlReadPlan> {
  const endpoint = typeof url === 'string' ? parseDbUrl(url) : url;
  const text = stripTerminator(sql);
  if (text === '') throw new ConfigError('readSql needs SQL text');
  const params = options.params ?? [];
  const column = options.partitionOn;
  if (column === undefined) {
    if (options.partitionNum !== undefined) {
      throw new ConfigError('partitionNum needs partitionOn: the column whose values split the query');
    }
    return {
      endpoint,
      tasks: [{ label: 'query', endpoint, sql: text, params }],
      description: 'one statement',
    };
  }
  const count = options.partitionNum ?? 4;
  if (!Number.isInteger(count) || count < 1) {
    throw new ConfigError(`partitionNum must be a positive integer, not ${String(options.partitionNum)}`);
  }
  const derived = `(${text}) AS sluice_query`;
  const quoted = quoteIdentifier(column);
  const kind = await partitionKind(endpoint, `SELECT * FROM ${derived}`, column, options);
  let [lower, upper] = options.partitionRange ?? [undefined, undefined];
  if (lower === undefined || upper === undefined) {
    const bounds = await withSession(endpoint, (session) =>
      session.query<{ lo: KeyValue | null; hi: KeyValue | null }>(
        `SELECT MIN(${quoted}) AS lo, MAX(${quoted}) AS hi FROM ${derived}`,
        params,
      ),
    );
    lower ??= bounds[0]?.lo ?? undefined;
    upper ??= bounds[0]?.hi ?? undefined;
  }
  const ranges =
    lower === undefined || upper === undefined
      ? [{ column, includeNulls: true }]
      : keyRanges(column, kind, lower, upper, count);
  const tasks = ranges.map((range, index) => {
    const where = range.lower === undefined && range.upper === undefined ? undefined : rangeCondition(range);
    return {
      label: `range ${index + 1}/${ranges.length}`,
      endpoint,
      sql: where ? `SELECT * FROM ${derived} WHERE ${where.sql}` : `SELECT * FROM ${derived}`,
      params: [...params, ...(where?.params ?? [])],
    };
  });
  const description =
    tasks.length === 1
      ? `one range on ${column} (the query has one value of it or none)`
      : `${tasks.length} ranges on ${column} between ${String(lower)} and ${String(upper)}`;
  return { endpoint, tasks, description };
}

/** The kind of key range the column allows, from the type the server gives it in the result. */
async function partitionKind(
  endpoint: DbEndpoint,
  sql: string,
  column: string,
  options: TypeOptions,
): Promise<KeyKind> {
  const schema = await readSchema(endpoint, sql, options);
  const field = schema.fields.find((candidate) => candidate.name === column);
  if (!field) {
    throw new ConfigError(
      `partitionOn: '${column}' is not a column of the query's result; columns: ${schema.fields.map((f) => f.name).join(', ')}`,
    );
  }
  switch (field.type.typeId) {
    case Type.Int:
      return 'integer';
    case Type.Float:
    case Type.Decimal:
      return 'number';
    case Type.Date:
      return 'date';
    case Type.Timestamp:
      return 'datetime';
    default:
      throw new ConfigError(
        `partitionOn: '${column}' is ${String(field.type)}; ranges need a numeric, date or datetime column`,
      );
  }
}

/** A trailing `;` (as typed in a shell) would end the derived table early. */
function stripTerminator(sql: string): string {
  return sql
    .trim()
    .replace(/;+\s*$/, '')
    .trim();
}
