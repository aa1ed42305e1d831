/**
 * Rows that live on this side as Arrow tables: a frame's `cache()` (computed once, on first use,
 * then reused by every frame built on it) and tables the program hands in (`db.fromArrow`).
 * In a plan they are `values` leaves; the runtime supplies their tables to local execution, and
 * offers the keys of a small one to the optimizer so a join can filter the database side by them.
 */
import { type DataType, type Table, Type } from 'apache-arrow';
import type { LiteralValue } from '../plan/expr.ts';
import type { Field } from '../plan/nodes.ts';

/** A local side with at most this many distinct keys sends them to the database as a filter. */
export const MAX_PUSHED_KEYS = 1000;
/** Tables above this many rows are not scanned for their keys (the filter would be too long anyway). */
const MAX_KEY_SCAN_ROWS = 200_000;

let counter = 0;

export class LocalData {
  readonly id: string;
  private table: Table | undefined;
  private pending: Promise<Table> | undefined;
  private materializedMs: number | undefined;
  private readonly keys = new Map<string, readonly LiteralValue[] | null>();

  constructor(
    readonly origin: 'cache' | 'arrow',
    source: Table | (() => Promise<Table>),
    /** For explain: how the rows are computed (the cached frame's own explain). */
    readonly describe: () => string,
  ) {
    counter += 1;
    this.id = `${origin}${counter}`;
    if (typeof source === 'function') this.compute = source;
    else this.table = source;
  }

  private readonly compute: (() => Promise<Table>) | undefined;

  /** The table, computing it on first use (concurrent first uses share one computation). */
  materialize(): Promise<Table> {
    if (this.table) return Promise.resolve(this.table);
    if (!this.pending) {
      const started = performance.now();
      this.pending = this.compute!().then(
        (table) => {
          this.table = table;
          this.materializedMs = performance.now() - started;
          return table;
        },
        (error: unknown) => {
          this.pending = undefined;
          throw error;
        },
      );
    }
    return this.pending;
  }

  get materialized(): Table | undefined {
    return this.table;
  }

  /** Distinct non-NULL values of `column`, when the table is here, small, and the column a key type. */
  distinctKeys(column: string): readonly LiteralValue[] | undefined {
    const table = this.table;
    if (!table || table.numRows > MAX_KEY_SCAN_ROWS) return undefined;
    if (this.keys.has(column)) return this.keys.get(column) ?? undefined;
    const vector = table.getChild(column);
    let result: LiteralValue[] | null = null;
    if (vector && isKeyType(vector.type)) {
      const seen = new Set<LiteralValue>();
      for (let i = 0; i < vector.length && seen.size <= MAX_PUSHED_KEYS; i++) {
        const value = vector.get(i) as LiteralValue | undefined;
        if (value !== null && value !== undefined) seen.add(value);
      }
      if (seen.size <= MAX_PUSHED_KEYS) result = [...seen];
    }
    this.keys.set(column, result);
    return result ?? undefined;
  }

  /** One line for explain. */
  summary(): string {
    const table = this.table;
    const what = this.origin === 'cache' ? 'cached frame' : 'Arrow table from the program';
    if (!table) return `${this.id}: ${what}, not materialized yet: the first action computes it once`;
    const bytes = table.batches.reduce(
      (sum, batch) => sum + batch.data.children.reduce((s, child) => s + byteLength(child), 0),
      0,
    );
    const when =
      this.materializedMs === undefined
        ? ''
        : `, computed once in ${(this.materializedMs / 1000).toFixed(2)} s`;
    return `${this.id}: ${what}, ${table.numRows} rows × ${table.numCols} columns, ${(bytes / 1048576).toFixed(1)} MiB of Arrow in memory${when}; the steps above it run locally`;
  }
}

function isKeyType(type: DataType): boolean {
  return type.typeId === Type.Int || type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8;
}

function byteLength(data: {
  values?: { byteLength: number };
  nullBitmap?: { byteLength: number };
  valueOffsets?: { byteLength: number };
  children: readonly unknown[];
}): number {
  let total =
    (data.values?.byteLength ?? 0) +
    (data.nullBitmap?.byteLength ?? 0) +
    (data.valueOffsets?.byteLength ?? 0);
  for (const child of data.children) total += byteLength(child as typeof data);
  return total;
}

/** The SQL type name of an Arrow type, as far as local execution uses it (a hint for the column). */
export function sqlTypeNameOf(type: DataType): string | undefined {
  const t = type as unknown as { bitWidth?: number; isSigned?: boolean; scale?: number; precision?: number };
  switch (type.typeId) {
    case Type.Int: {
      const base =
        t.bitWidth === 64 ? 'bigint' : t.bitWidth === 8 ? 'tinyint' : t.bitWidth === 16 ? 'smallint' : 'int';
      return t.isSigned === false ? `${base} unsigned` : base;
    }
    case Type.Float:
      return t.precision === 1 ? 'float' : 'double';
    case Type.Decimal:
      return `decimal(${t.precision},${t.scale})`;
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'varchar';
    case Type.Bool:
      return 'tinyint';
    default:
      return undefined;
  }
}

/** The fields of a `values` leaf for an Arrow table. */
export function fieldsOfArrow(table: Table): Field[] {
  return table.schema.fields.map((field) => {
    const sqlType = sqlTypeNameOf(field.type);
    return sqlType === undefined ? { name: field.name } : { name: field.name, sqlType };
  });
}
