/**
 * The in-memory form of a table during local execution: named columns of plain SQL values, each
 * with its static type. Columns are JS arrays, or typed arrays when they have no NULLs (a numeric
 * column read from Arrow without nulls is used as it is). Batches never change once built.
 */
import { PlanError } from '../errors.ts';
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

export function makeBatch(columns: readonly LocalColumn[], length: number): Batch {
  return Object.freeze({ columns: Object.freeze([...columns]), length });
}

export function findColumn(batch: Batch, name: string, where: string): LocalColumn {
  const column = batch.columns.find((c) => c.name === name);
  if (!column) {
    throw new PlanError(
      `${where}: no column '${name}'; available columns: ${batch.columns.map((c) => c.name).join(', ') || '(none)'}`,
      { column: name, available: batch.columns.map((c) => c.name) },
    );
  }
  return column;
}

/** The values at `rows`, in that order; an index of -1 gives NULL (the missing side of an outer join). */
export function takeValues(values: Values, rows: ArrayLike<number>): Value[] {
  const out = new Array<Value>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    out[i] = row < 0 ? null : values[row]!;
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

/** A column of one repeated value. */
export function constantValues(value: Value, length: number): Value[] {
  return new Array<Value>(length).fill(value);
}

/** 0, 1, ..., n - 1. */
export function rowRange(length: number): Uint32Array {
  const rows = new Uint32Array(length);
  for (let i = 0; i < length; i++) rows[i] = i;
  return rows;
}
