/**
 * `key-range`: ranges of a numeric or date column (ConnectorX / Spark JDBC style). `auto` uses a
 * single-column numeric or date primary key of a table big enough to be worth splitting;
 * `{ column, lower?, upper?, count }` picks the column. The first and last ranges are open-ended
 * and NULLs go to the first one, so the bounds set the stride and never drop rows.
 */

import { ConfigError } from '../../base/errors.ts';
import type { DbSession } from '../../db/driver.ts';
import type { DbEndpoint } from '../../db/endpoint.ts';
import { quoteIdentifier } from '../../sql/identifiers.ts';
import {
  type KeyRange,
  type KeyRangePartitioning,
  type KeyValue,
  type PartitionPlan,
  type SqlWithParams,
  tableReference,
} from './scan.ts';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const NUMBER_TYPES = new Set(['decimal', 'numeric', 'float', 'double', 'real']);
const DATETIME_TYPES = new Set(['datetime', 'timestamp']);

export type KeyKind = 'integer' | 'number' | 'date' | 'datetime';

function keyKind(dataType: string): KeyKind | undefined {
  const type = dataType.toLowerCase();
  if (INTEGER_TYPES.has(type)) return 'integer';
  if (NUMBER_TYPES.has(type)) return 'number';
  if (type === 'date') return 'date';
  if (DATETIME_TYPES.has(type)) return 'datetime';
  return undefined;
}

async function columnTypes(session: DbSession, schema: string, table: string): Promise<Map<string, string>> {
  const rows = await session.query<{ COLUMN_NAME: string; DATA_TYPE: string }>(
    'SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [schema, table],
  );
  return new Map(rows.map((row) => [row.COLUMN_NAME, row.DATA_TYPE]));
}

export async function primaryKeyColumn(
  session: DbSession,
  schema: string,
  table: string,
): Promise<string | undefined> {
  const rows = await session.query<{ COLUMN_NAME: string; DATA_TYPE: string }>(
    'SELECT k.COLUMN_NAME, c.DATA_TYPE FROM information_schema.KEY_COLUMN_USAGE k ' +
      'JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME ' +
      "WHERE k.TABLE_SCHEMA = ? AND k.TABLE_NAME = ? AND k.CONSTRAINT_NAME = 'PRIMARY' ORDER BY k.ORDINAL_POSITION",
    [schema, table],
  );
  if (rows.length !== 1) return undefined;
  return keyKind(rows[0]!.DATA_TYPE) ? rows[0]!.COLUMN_NAME : undefined;
}

export async function keyRangePlan(
  session: DbSession,
  endpoint: DbEndpoint,
  schema: string,
  table: string,
  partitioning: KeyRangePartitioning,
  parallelism: number,
  why: 'requested' | 'primary key',
): Promise<PartitionPlan> {
  const types = await columnTypes(session, schema, table);
  const dataType = types.get(partitioning.column);
  if (dataType === undefined) {
    throw new ConfigError(
      `partitioning column '${partitioning.column}' is not a column of '${table}'; columns: ${[...types.keys()].join(', ')}`,
    );
  }
  const kind = keyKind(dataType);
  if (!kind) {
    throw new ConfigError(
      `partitioning column '${partitioning.column}' is ${dataType}; key ranges need a numeric or date column`,
    );
  }
  let lower = partitioning.lower;
  let upper = partitioning.upper;
  if (lower === undefined || upper === undefined) {
    const column = quoteIdentifier(partitioning.column);
    const [row] = await session.query<{ lo: unknown; hi: unknown }>(
      `SELECT MIN(${column}) AS lo, MAX(${column}) AS hi FROM ${tableReference(schema, table)}`,
    );
    lower ??= row?.lo as KeyValue | undefined;
    upper ??= row?.hi as KeyValue | undefined;
  }
  const from = tableReference(schema, table);
  const ranges =
    lower === undefined || lower === null || upper === undefined || upper === null
      ? [{ column: partitioning.column, includeNulls: true }]
      : keyRanges(partitioning.column, kind, lower, upper, partitioning.count);
  const scans = ranges.map((range, index) => ({
    label: `range ${index + 1}/${ranges.length}`,
    endpoint,
    from,
    ...(range.lower === undefined && range.upper === undefined ? {} : { where: rangeCondition(range) }),
    range,
  }));
  const source = why === 'requested' ? 'requested' : 'on the primary key';
  return {
    table: { schema, name: table },
    parallelism,
    strategy: 'key-range',
    reason:
      ranges.length === 1
        ? `key range ${source} on ${partitioning.column}: one range (the column has one value or none)`
        : `${ranges.length} key ranges ${source} on ${partitioning.column} (${dataType}) between ${String(lower)} and ${String(upper)}`,
    scans,
  };
}

/** The SQL condition of one range, the column quoted and the bounds as parameters. */
export function rangeCondition(range: KeyRange): SqlWithParams {
  const column = quoteIdentifier(range.column);
  const parts: string[] = [];
  const params: KeyValue[] = [];
  if (range.lower !== undefined) {
    parts.push(`${column} >= ?`);
    params.push(range.lower);
  }
  if (range.upper !== undefined) {
    parts.push(`${column} < ?`);
    params.push(range.upper);
  }
  let sql = parts.join(' AND ') || 'TRUE';
  if (range.includeNulls) sql = `(${sql} OR ${column} IS NULL)`;
  return { sql, params };
}

/**
 * Splits [lower, upper] into `count` ranges of equal width; the first is open below (and takes
 * the NULLs), the last open above, so every row falls in exactly one range whatever the bounds.
 * Ranges that would be empty because the span is too narrow are merged away.
 */
export function keyRanges(
  column: string,
  kind: KeyKind,
  lower: KeyValue | Date,
  upper: KeyValue | Date,
  count: number,
): KeyRange[] {
  const boundaries = innerBoundaries(kind, lower, upper, count);
  const ranges: KeyRange[] = [];
  for (let index = 0; index <= boundaries.length; index++) {
    ranges.push({
      column,
      ...(index > 0 ? { lower: boundaries[index - 1] } : {}),
      ...(index < boundaries.length ? { upper: boundaries[index] } : {}),
      includeNulls: index === 0,
    });
  }
  return ranges;
}

/** The count - 1 split points strictly between lower and upper, increasing, without repeats. */
function innerBoundaries(
  kind: KeyKind,
  lower: KeyValue | Date,
  upper: KeyValue | Date,
  count: number,
): KeyValue[] {
  const points: KeyValue[] = [];
  if (kind === 'integer') {
    const lo = BigInt(toInteger(lower));
    const hi = BigInt(toInteger(upper));
    const span = hi - lo;
    let previous = lo;
    for (let i = 1; i < count; i++) {
      const point = lo + (span * BigInt(i)) / BigInt(count);
      if (point > previous && point <= hi) points.push(point);
      if (point > previous) previous = point;
    }
    // Integers the driver can send as plain numbers stay numbers.
    return points.map((point) => (BigInt(Number(point)) === point ? Number(point) : point));
  }
  const [lo, hi] = [toNumber(kind, lower), toNumber(kind, upper)];
  let previous = lo;
  for (let i = 1; i < count; i++) {
    const raw = lo + ((hi - lo) * i) / count;
    const point = kind === 'number' ? raw : Math.floor(raw);
    if (point > previous && point <= hi) {
      points.push(kind === 'number' ? point : formatKey(kind, point));
      previous = point;
    }
  }
  return points;
}

function toInteger(value: KeyValue | Date): string | bigint | number {
  if (value instanceof Date) throw new ConfigError('an integer key range needs integer bounds, not dates');
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.floor(value);
  return value;
}

const MS_PER_DAY = 86_400_000;

/** Dates as days, datetimes as seconds (UTC arithmetic on the wall-clock text), numbers as numbers. */
function toNumber(kind: KeyKind, value: KeyValue | Date): number {
  if (kind === 'number') return Number(value);
  const ms =
    value instanceof Date
      ? value.getTime()
      : (() => {
          const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?/.exec(String(value));
          if (!match) throw new ConfigError(`'${String(value)}' is not a date for a key range`);
          const [, y, mo, d, h, mi, s] = match.map((part) => Number(part ?? 0));
          return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
        })();
  return kind === 'date' ? Math.floor(ms / MS_PER_DAY) : Math.floor(ms / 1000);
}

function formatKey(kind: KeyKind, point: number): string {
  const iso = new Date(kind === 'date' ? point * MS_PER_DAY : point * 1000).toISOString();
  return kind === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
