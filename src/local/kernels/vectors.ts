/**
 * Numeric columns as kernels see them: a typed array of values and a validity bitmap (Arrow's
 * layout: bit i of the bitmap set when row i is not NULL; no bitmap when every row is valid).
 * NULL handling is bitmap work, not a branch per value. A vector is built from a batch column
 * once (the conversion is remembered per column array) and turned back into batch values once.
 *
 * Only INT and DOUBLE columns become vectors: DECIMAL stays on the exact path, and an integer
 * beyond 2^53 (a bigint) sends the whole expression back to the row-at-a-time evaluator.
 */
import {
  type ColumnSource,
  type LocalColumn,
  type NumbersAndValidity,
  nullValues,
  sourcedColumn,
  takeValues,
  type Values,
} from '../batch.ts';
import { plainDayNumber } from '../temporal.ts';
import type { SqlType, Value } from '../types.ts';

let enabled = true;

/** Runs `work` with the row path only (for tests and benchmarks comparing the two). */
export function withoutKernels<T>(work: () => T): T {
  const before = enabled;
  enabled = false;
  try {
    return work();
  } finally {
    enabled = before;
  }
}

export const kernelsEnabled = (): boolean => enabled;

export type NumericArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

export interface NumericVector {
  /**
   * 'date' (day numbers) and 'decimal' (DECIMAL values a double holds exactly, as the row path
   * holds them) are read by comparisons only, and never leave the kernels as a result column:
   * DECIMAL arithmetic and sums stay on the exact path.
   */
  readonly kind: 'int' | 'double' | 'date' | 'decimal';
  /** The type the row-at-a-time evaluator gives the same expression. */
  readonly type: SqlType;
  readonly values: Float64Array;
  /** Undefined: every row valid. */
  readonly valid: Uint8Array | undefined;
  readonly length: number;
}

/**
 * A constant operand (a literal, or a subtree without columns the row compiler folded): never
 * NULL here (a NULL constant is left to the row path). A 'date' holds its day number; a 'string'
 * its text in `text` (and NaN in `value`, which no numeric loop reads: strings only meet dates
 * and string columns).
 */
export interface NumericScalar {
  readonly kind: 'int' | 'double' | 'decimal' | 'date' | 'string';
  readonly value: number;
  readonly text?: string;
}

export const isValidAt = (valid: Uint8Array | undefined, row: number): boolean =>
  valid === undefined || (valid[row >> 3]! & (1 << (row & 7))) !== 0;

export function allValid(length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3).fill(0xff);
  return bits;
}

export const clearBit = (bits: Uint8Array, row: number): void => {
  bits[row >> 3]! &= ~(1 << (row & 7));
};

/** Rows valid in both: a byte-wise AND of the bitmaps. */
export function andValidity(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

const isTyped = (values: Values): values is NumericArray =>
  ArrayBuffer.isView(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array);

const converted = new WeakMap<object, { values: Float64Array; valid: Uint8Array | undefined } | null>();

/**
 * Remembers the vector form of a batch column its reader already has (a DATE column's day
 * numbers, read from Arrow beside their text), so the kernels do not convert the values back.
 */
export function rememberVector(values: Values, vector: Float64Array, valid: Uint8Array | undefined): void {
  converted.set(values as object, { values: vector, valid });
}

/** The column's values as a vector, or undefined when a value is not a plain number. */
export function vectorOfColumn(values: Values, type: SqlType, length: number): NumericVector | undefined {
  if (type.kind !== 'int' && type.kind !== 'double' && type.kind !== 'date' && type.kind !== 'decimal')
    return undefined;
  const kind = type.kind;
  if (values instanceof Float64Array && kind !== 'date')
    return { kind, type, values, valid: undefined, length };
  let cached = converted.get(values as object);
  if (cached === undefined) {
    cached = kind === 'date' ? convertDates(values, length) : convert(values, length);
    converted.set(values as object, cached);
  }
  return cached === null ? undefined : { kind, type, values: cached.values, valid: cached.valid, length };
}

/**
 * A batch column as a vector: read from its Arrow source when it has one (no value decoded),
 * else from its values.
 */
export function vectorOfLocalColumn(column: LocalColumn, length: number): NumericVector | undefined {
  const kind = column.type.kind;
  if (kind !== 'int' && kind !== 'double' && kind !== 'date' && kind !== 'decimal') return undefined;
  const numbers = column.source?.numbers();
  if (numbers) return { kind, type: column.type, values: numbers.values, valid: numbers.valid, length };
  return vectorOfColumn(column.values, column.type, length);
}

/** Every vector holds a Float64Array, so the kernels' loops see one array type (monomorphic, fast). */
function convert(
  values: Values,
  length: number,
): { values: Float64Array; valid: Uint8Array | undefined } | null {
  if (isTyped(values)) return { values: Float64Array.from(values), valid: undefined };
  const out = new Float64Array(length);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (typeof value === 'number') out[i] = value;
    else if (value === null || value === undefined) {
      valid ??= allValid(length);
      clearBit(valid, i);
    } else return null;
  }
  return { values: out, valid };
}

/** DATE values ('YYYY-MM-DD') as day numbers; null when one is not such text. */
function convertDates(
  values: Values,
  length: number,
): { values: Float64Array; valid: Uint8Array | undefined } | null {
  const out = new Float64Array(length);
  let valid: Uint8Array | undefined;
  let lastText: unknown;
  let lastDay = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      // Neighbouring rows often share a day (and its shared text, see arrow-in.ts).
      if (value !== lastText) {
        const day = plainDayNumber(value);
        if (day === undefined) return null;
        lastText = value;
        lastDay = day;
      }
      out[i] = lastDay;
    } else if (value === null || value === undefined) {
      valid ??= allValid(length);
      clearBit(valid, i);
    } else return null;
  }
  return { values: out, valid };
}

/**
 * The vector as batch values: a Float64Array when no row is NULL (as the row evaluator gives
 * numbers), else an array with nulls (remembered, so a later kernel reads it back without work).
 */
export function valuesOfVector(vector: NumericVector): Values {
  const { values, valid, length } = vector;
  let anyNull = false;
  if (valid !== undefined) {
    for (let i = 0; i < valid.length && !anyNull; i++) if (valid[i] !== 0xff) anyNull = true;
    if (anyNull) {
      anyNull = false;
      for (let i = 0; i < length; i++) if (!isValidAt(valid, i)) anyNull = true;
    }
  }
  if (!anyNull) return values;
  const out: Value[] = nullValues(length);
  for (let i = 0; i < length; i++) if (isValidAt(valid, i)) out[i] = values[i]!;
  converted.set(out, { values, valid });
  return out;
}

/** Whether some row of the bitmap is NULL. */
/** Cleared bits among the first `length` of a bitmap: the NULLs (bytes of eight valid rows skipped whole). */
export function nullCountOf(valid: Uint8Array | undefined, length: number): number {
  if (valid === undefined) return 0;
  let nulls = 0;
  const full = length >> 3;
  for (let b = 0; b < full; b++) {
    let byte = valid[b]!;
    if (byte === 0xff) continue;
    byte = ~byte & 0xff;
    while (byte !== 0) {
      byte &= byte - 1;
      nulls++;
    }
  }
  for (let i = full << 3; i < length; i++) if (!isValidAt(valid, i)) nulls++;
  return nulls;
}

function anyNull(valid: Uint8Array | undefined, length: number): boolean {
  if (valid === undefined) return false;
  const full = length >> 3;
  for (let i = 0; i < full; i++) if (valid[i] !== 0xff) return true;
  for (let i = full << 3; i < length; i++) if (!isValidAt(valid, i)) return true;
  return false;
}

/**
 * A kernel's INT or DOUBLE result as a column source: kernels and the Arrow writer read its
 * numbers and bitmap; the values with nulls the row path reads (a million boxed numbers, most of
 * a window step's time in GC) are built only if a row-at-a-time step asks.
 */
class VectorSource implements ColumnSource {
  private decoded: Values | undefined;

  constructor(private readonly vector: NumericVector) {}

  values(): Values {
    this.decoded ??= valuesOfVector(this.vector);
    return this.decoded;
  }

  take(rows: ArrayLike<number>): Values {
    return takeValues(this.values(), rows);
  }

  select(rows: ArrayLike<number>): ColumnSource {
    const { values, valid, kind, type } = this.vector;
    const out = new Float64Array(rows.length);
    const outValid = allValid(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row < 0 || !isValidAt(valid, row)) clearBit(outValid, i);
      else out[i] = values[row]!;
    }
    return new VectorSource({ kind, type, values: out, valid: outValid, length: rows.length });
  }

  numbers(): NumbersAndValidity {
    return { values: this.vector.values, valid: this.vector.valid };
  }

  codes(): undefined {
    return undefined;
  }
}

/** An INT or DOUBLE vector as a batch column: its Float64Array without NULLs, else a VectorSource. */
export function columnOfVector(name: string, vector: NumericVector): LocalColumn {
  const { values, valid, length, type } = vector;
  if (!anyNull(valid, length)) return { name, type, values };
  return sourcedColumn(name, type, new VectorSource(vector));
}
