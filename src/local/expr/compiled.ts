/**
 * A compiled expression: its static type and a function from a row number of the batch it was
 * compiled against to the value. Constant subtrees are evaluated once, at compile time.
 */
import { type Batch, nullValues, type Values } from '../batch.ts';
import type { Collation } from '../collation.ts';
import type { SqlType, Value } from '../types.ts';
import { roundDecimal, toDouble, toNumber, toText } from '../values.ts';

export interface Compiled {
  readonly type: SqlType;
  readonly evaluate: (row: number) => Value;
  /** True when the value does not depend on the row. */
  readonly constant: boolean;
  /** A column read as it is: its values, so evaluating every row needs no copy. */
  readonly values?: Values;
}

export interface Scope {
  readonly batch: Batch;
  readonly collation: Collation;
  /** The verb being evaluated, for error messages ('filter', 'select', ...). */
  readonly where: string;
}

export function constant(type: SqlType, value: Value): Compiled {
  return { type, evaluate: () => value, constant: true };
}

/** A compiled node from its children: folded to a constant when every child is one. */
export function derived(
  type: SqlType,
  children: readonly Compiled[],
  evaluate: (row: number) => Value,
): Compiled {
  if (children.every((child) => child.constant)) return constant(type, evaluate(0));
  return { type, evaluate, constant: false };
}

/**
 * The expression's value for every row of a batch of `length` rows, rounded as the database shows
 * it. Numbers go into a Float64Array until a value is not a number (a NULL, a bigint), so numeric
 * columns without NULLs are never boxed.
 */
export function evaluateAll(compiled: Compiled, length: number): Values {
  if (compiled.values && compiled.values.length === length) return compiled.values;
  const { evaluate, type } = compiled;
  let start = 0;
  let out: Value[];
  if (type.kind === 'int' || type.kind === 'decimal' || type.kind === 'double') {
    const numbers = new Float64Array(length);
    for (; start < length; start++) {
      const value = evaluate(start);
      if (typeof value !== 'number') break;
      numbers[start] = value;
    }
    if (start === length) return presentValues(type, numbers);
    out = nullValues(length);
    for (let row = 0; row < start; row++) out[row] = numbers[row]!;
  } else {
    out = nullValues(length);
  }
  for (let row = start; row < length; row++) out[row] = evaluate(row);
  return presentValues(type, out);
}

type MutableValues = { [index: number]: Value; readonly length: number };

/**
 * Values rounded to the digits the database shows for their type: a DECIMAL to its scale (1/3 is
 * 0.3333), a DOUBLE whose scale MariaDB fixes (STDDEV of an integer column) to that scale.
 */
export function presentValues<V extends MutableValues | Float64Array>(type: SqlType, values: V): V {
  const scale = type.scale;
  if (scale === undefined) return values;
  // DECIMAL values keep their internal digits (a quotient's 9 or 18), as the server's do until
  // it sends them: they are rounded to the scale when they leave as Arrow (arrow-out.ts).
  if (type.kind === 'decimal') return values;
  if (type.kind !== 'double') return values;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'number') values[i] = roundDecimal(value, scale);
  }
  return values;
}

/** A value of type `from` as a value of type `to` (a CASE branch, a COALESCE argument, a UNION side). */
export function convertValue(value: Value, from: SqlType, to: SqlType): Value {
  if (value === null || from.kind === to.kind) return value;
  switch (to.kind) {
    case 'string':
      return toText(value, from);
    case 'double':
      return toDouble(value, from);
    case 'decimal': {
      const number = toNumber(value, from);
      return number === null || typeof number === 'bigint' ? number : Number(number);
    }
    case 'int':
      return toNumber(value, from);
    case 'datetime':
      return from.kind === 'date' ? `${value as string} 00:00:00` : value;
    case 'binary':
      return typeof value === 'string' ? new TextEncoder().encode(value) : value;
    default:
      return value;
  }
}

/** The kind arithmetic sees: strings and dates are read as DOUBLEs. */
export function arithmeticKind(type: SqlType): 'null' | 'int' | 'decimal' | 'double' {
  return type.kind === 'null' || type.kind === 'int' || type.kind === 'decimal' ? type.kind : 'double';
}
