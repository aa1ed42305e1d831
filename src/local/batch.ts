/**
 * The in-memory form of a table during local execution: named columns of plain SQL values, each
 * with its static type. Columns are JS arrays, or typed arrays when they have no NULLs (a numeric
 * column read from Arrow without nulls is used as it is). Batches never change once built.
 */

import type { Data } from 'apache-arrow';
import { PlanError } from '../base/errors.ts';
import { didYouMean } from '../base/suggest.ts';
import type { ColumnIndex, KeySet } from './kernels/column-index.ts';
import type { SqlType, Value } from './types.ts';

export type Values = ArrayLike<Value>;

export interface LocalColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly values: Values;
  /**
   * Where the values come from when they are decoded on first read (a column read from Arrow):
   * kernels read its buffers directly, and taking rows decodes only the rows taken.
   */
  readonly source?: ColumnSource;
}

/** Numbers and their validity bitmap (bit set: not NULL; undefined: every row valid). */
export interface NumbersAndValidity {
  readonly values: Float64Array;
  readonly valid: Uint8Array | undefined;
}

/** Numbers in the Arrow buffer's own typed array, and its validity bitmap (undefined: no NULL). */
export interface BufferNumbers {
  readonly values:
    | Int8Array
    | Int16Array
    | Int32Array
    | Uint8Array
    | Uint16Array
    | Uint32Array
    | Float64Array;
  readonly valid: Uint8Array | undefined;
}

/**
 * A string column as dictionary codes: row i holds `dictionary[codes[i]]`, code -1 is NULL. Each
 * distinct string is decoded once, so a test of the text is decided once per code.
 */
export interface StringCodes {
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export interface ColumnSource {
  /** Every value, decoded once. */
  values(): Values;
  /** The values at `rows` (an index of -1 gives NULL), decoding only those rows. */
  take(rows: ArrayLike<number>): Values;
  /** The rows at `rows` (-1: NULL) as a source of their own, nothing decoded yet. */
  select(rows: ArrayLike<number>): ColumnSource;
  /** The column as numbers (a DATE as day numbers) without decoding values; undefined when it is not one. */
  numbers(): NumbersAndValidity | undefined;
  /** A string column as dictionary codes; undefined when it is not one or has too many distinct values. */
  codes(): StringCodes | undefined;
  /**
   * numbers() as the Arrow buffer holds them, when it holds them as plain numbers (one chunk of
   * 8 to 32-bit integers, doubles or day numbers): a loop reads them without a copy. Undefined
   * otherwise.
   */
  bufferNumbers?(): BufferNumbers | undefined;
  /**
   * Every row as the one Arrow data it was read from, when it is that (one chunk, every row, in
   * order): a column that passes through unchanged leaves as it came, never decoded.
   */
  arrowData?(): Data | undefined;
  /**
   * The column's index (kernels/column-index.ts): a whole integer column read from Arrow, once
   * steps have asked for its index twice; undefined otherwise.
   */
  keyIndex?(): ColumnIndex | undefined;
  /**
   * The distinct values of a whole integer column read from Arrow as a key set (kept with its
   * data); undefined otherwise.
   */
  keySet?(): KeySet | undefined;
}

/** A column whose values are decoded from `source` when first read. */
export function sourcedColumn(name: string, type: SqlType, source: ColumnSource): LocalColumn {
  return Object.freeze(new SourcedColumn(name, type, source));
}

/** One class (its getter on the prototype): every such column has one shape, cheap to make and read. */
class SourcedColumn implements LocalColumn {
  constructor(
    readonly name: string,
    readonly type: SqlType,
    readonly source: ColumnSource,
  ) {}

  get values(): Values {
    return this.source.values();
  }
}

/** The column under another name (a column still to be decoded stays so). */
export function renameColumn(column: LocalColumn, name: string): LocalColumn {
  return column.source
    ? sourcedColumn(name, column.type, column.source)
    : { name, type: column.type, values: column.values };
}

/**
 * The column's values at `rows`, in that order (-1: NULL), as takeValues gives them; a column
 * still to be decoded stays so (only the rows something reads are decoded).
 */
export function takeColumn(column: LocalColumn, rows: ArrayLike<number>): LocalColumn {
  if (column.source) return sourcedColumn(column.name, column.type, column.source.select(rows));
  return { name: column.name, type: column.type, values: takeValues(column.values, rows) };
}

export interface Batch {
  readonly columns: readonly LocalColumn[];
  readonly length: number;
}

export function makeBatch(columns: readonly LocalColumn[], length: number): Batch {
  return Object.freeze({ columns: Object.freeze([...columns]), length });
}

export function findColumn(batch: Batch, name: string, where: string): LocalColumn {
  const column = batch.columns.find((c) => c.name === name);
  if (!column) {
    // Internal columns (aggregate and window results being combined) start with NUL.
    const available = batch.columns.map((c) => c.name).filter((n) => !n.startsWith('\u0000'));
    throw new PlanError(
      `${where}: no column '${name}'${didYouMean(name, available)}; available columns: ${available.join(', ') || '(none)'}`,
      {
        column: name,
        available,
      },
    );
  }
  return column;
}

/**
 * A column of NULLs to fill in. (`new Array(n)` alone gives V8's slow dictionary elements for
 * large n; filling makes it a fast packed array.)
 */
export function nullValues(length: number): Value[] {
  return new Array<Value>(length).fill(null);
}

type NumericArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;
type NumericArrayConstructor = new (length: number) => NumericArray;

const isNumericArray = (values: Values): values is NumericArray =>
  ArrayBuffer.isView(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array);

/**
 * The values at `rows`, in that order; an index of -1 gives NULL (the missing side of an outer
 * join). A typed array stays a typed array of its kind when no NULL is asked for.
 */
export function takeValues(values: Values, rows: ArrayLike<number>): Values {
  const length = rows.length;
  if (isNumericArray(values)) {
    let complete = true;
    for (let i = 0; i < length && complete; i++) complete = rows[i]! >= 0;
    if (complete) {
      const out = new (values.constructor as NumericArrayConstructor)(length);
      for (let i = 0; i < length; i++) out[i] = values[rows[i]!]!;
      return out;
    }
  }
  const out = nullValues(length);
  for (let i = 0; i < length; i++) {
    const row = rows[i]!;
    if (row >= 0) out[i] = values[row]!;
  }
  return out;
}

export function takeRows(batch: Batch, rows: ArrayLike<number>): Batch {
  return makeBatch(
    batch.columns.map((column) => takeColumn(column, rows)),
    rows.length,
  );
}

export function sliceRows(batch: Batch, start: number, end: number): Batch {
  const from = Math.max(0, Math.min(start, batch.length));
  const to = Math.max(from, Math.min(end, batch.length));
  if (from === 0 && to === batch.length) return batch;
  return makeBatch(
    batch.columns.map((column) => ({
      name: column.name,
      type: column.type,
      values: Array.prototype.slice.call(column.values, from, to),
    })),
    to - from,
  );
}

/** 0, 1, ..., n - 1. */
export function rowRange(length: number): Uint32Array {
  const rows = new Uint32Array(length);
  for (let i = 0; i < length; i++) rows[i] = i;
  return rows;
}
