/**
 * The in-memory form of a table during local execution: named columns of plain SQL values, each
 * with its static type. Columns are JS arrays, or typed arrays when they have no NULLs (a numeric
 * column read from Arrow without nulls is used as it is). Batches never change once built.
 */
import { PlanError } from '../base/errors.ts';
import { didYouMean } from '../base/suggest.ts';
import type { SqlType, Value } from './types.ts';

export type Values = ArrayLike<Value>;

export interface LocalColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly values: Values;
}

export interface Batch {
  readonly columns: readonly LocalColumn[];
  readonly length: number;
}

/** A numeric column's values as doubles and its validity (Arrow's bitmap; undefined: no NULLs). */
export interface NumberColumn {
  readonly values: Float64Array;
  readonly valid: Uint8Array | undefined;
}

const numberColumns = new WeakMap<LocalColumn, () => NumberColumn>();

/**
 * A column whose values are built when something first asks for them: a column read from Arrow
 * that no step uses is never decoded. With `numbers` (INT or DOUBLE numbers with NULLs as a
 * bitmap), the kernels read those (numbersOf) and the array of values with nulls the row path
 * reads is built only if it asks (a million boxed numbers are most of a window step's time in GC).
 */
export function lazyColumn(
  name: string,
  type: SqlType,
  toValues: () => Values,
  numbers?: NumberColumn | (() => NumberColumn),
): LocalColumn {
  let values: Values | undefined;
  const column: LocalColumn = {
    name,
    type,
    get values() {
      values ??= toValues();
      return values;
    },
  };
  if (typeof numbers === 'function') {
    let read: NumberColumn | undefined;
    numberColumns.set(column, () => {
      read ??= numbers();
      return read;
    });
  } else if (numbers) numberColumns.set(column, () => numbers);
  return column;
}

/** The numbers a column was built from (lazyNumberColumn), without building its values. */
export const numbersOf = (column: LocalColumn): NumberColumn | undefined => numberColumns.get(column)?.();

/** The column under another name; a lazy column stays lazy. */
export function renamed(column: LocalColumn, name: string): LocalColumn {
  if (column.name === name) return column;
  return lazyColumn(name, column.type, () => column.values, numberColumns.get(column));
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
    batch.columns.map((column) => ({ ...column, values: takeValues(column.values, rows) })),
    rows.length,
  );
}

export function sliceRows(batch: Batch, start: number, end: number): Batch {
  const from = Math.max(0, Math.min(start, batch.length));
  const to = Math.max(from, Math.min(end, batch.length));
  if (from === 0 && to === batch.length) return batch;
  return makeBatch(
    batch.columns.map((column) => ({
      ...column,
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
