/**
 * The static SQL types of local execution. Every column and every compiled expression has one,
 * so the evaluator picks MariaDB's rule (numeric or string comparison, decimal scale, date
 * arithmetic) once per expression instead of once per value.
 */
import type { DataType } from 'apache-arrow';

export type SqlKind =
  | 'null'
  | 'int'
  | 'decimal'
  | 'double'
  | 'string'
  | 'date'
  | 'datetime'
  | 'time'
  | 'binary';

export interface SqlType {
  readonly kind: SqlKind;
  /**
   * decimal: digits after the point (MariaDB's result scale). double: the digits MariaDB's text
   * protocol shows, when it fixes them (STDDEV of an exact column shows scale + 4).
   */
  readonly scale?: number;
  /**
   * decimal: the digits values carry when that is more than `scale` (after a division, as MariaDB
   * keeps quotients to a multiple of 9 digits); they are rounded to `scale` only when the column
   * is materialized. See decimal.ts.
   */
  readonly frac?: number;
  /** The Arrow type the column arrived with, so a column passed through leaves with its own type. */
  readonly arrow?: DataType;
  /** An ENUM column's values in definition order: ORDER BY sorts by this order, not by the text. */
  readonly enumValues?: readonly string[];
}

/**
 * A SQL value in local execution. NULL is `null`; integers are numbers (bigint beyond 2^53);
 * DECIMAL and DOUBLE are numbers; dates are 'YYYY-MM-DD', datetimes 'YYYY-MM-DD HH:MM:SS[.ffffff]',
 * times 'HH:MM:SS[.ffffff]'; binary strings are Uint8Array. MariaDB has no booleans: 1 and 0.
 */
export type Value = null | number | bigint | string | Uint8Array;

export const T = {
  null: Object.freeze({ kind: 'null' }) as SqlType,
  int: Object.freeze({ kind: 'int' }) as SqlType,
  double: Object.freeze({ kind: 'double' }) as SqlType,
  string: Object.freeze({ kind: 'string' }) as SqlType,
  date: Object.freeze({ kind: 'date' }) as SqlType,
  datetime: Object.freeze({ kind: 'datetime' }) as SqlType,
  time: Object.freeze({ kind: 'time' }) as SqlType,
  binary: Object.freeze({ kind: 'binary' }) as SqlType,
  decimal: (scale: number, frac = scale): SqlType =>
    Object.freeze(frac > scale ? { kind: 'decimal', scale, frac } : { kind: 'decimal', scale }),
};

export const isNumeric = (type: SqlType): boolean =>
  type.kind === 'int' || type.kind === 'decimal' || type.kind === 'double';
export const isExactNumeric = (type: SqlType): boolean => type.kind === 'int' || type.kind === 'decimal';

/** Digits after the point of an exact numeric type (0 for integers). */
export const scaleOf = (type: SqlType): number => (type.kind === 'decimal' ? (type.scale ?? 0) : 0);

/** The digits an exact numeric type's values carry (its scale, or more after a division). */
export const fracOf = (type: SqlType): number =>
  type.kind === 'decimal' ? Math.max(type.frac ?? 0, type.scale ?? 0) : 0;

/** The same type without the Arrow type it arrived with (a computed value has its own). */
export function computed(type: SqlType): SqlType {
  if (type.arrow === undefined) return type;
  const { arrow: _arrow, ...rest } = type;
  return Object.freeze(rest);
}

/**
 * The type of a result that may come from either of two types (CASE branches, COALESCE, UNION),
 * following MariaDB's type aggregation: numbers widen, dates widen to datetimes, anything mixed
 * with a string becomes a string.
 */
export function mergeTypes(a: SqlType, b: SqlType): SqlType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === b.kind) {
    if (a.kind === 'decimal') {
      return T.decimal(Math.max(a.scale ?? 0, b.scale ?? 0), Math.max(fracOf(a), fracOf(b)));
    }
    // Same kind: keep the Arrow type only when both sides arrived with the same one.
    if (a.arrow && b.arrow && String(a.arrow) === String(b.arrow)) return a;
    return computed(a.kind === 'double' ? T.double : a);
  }
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'double' || b.kind === 'double') return T.double;
    return T.decimal(Math.max(scaleOf(a), scaleOf(b)), Math.max(fracOf(a), fracOf(b)));
  }
  if ((a.kind === 'date' && b.kind === 'datetime') || (a.kind === 'datetime' && b.kind === 'date')) {
    return T.datetime;
  }
  if (a.kind === 'binary' || b.kind === 'binary') return T.binary;
  return T.string;
}

/**
 * The type a MySQL column type name (as information_schema spells it: `decimal(15,2)`,
 * `int unsigned`, `datetime(6)`) stands for, or undefined when the name is not one we know.
 */
export function typeFromSqlName(sqlType: string | undefined): SqlType | undefined {
  if (sqlType === undefined) return undefined;
  const name = sqlType.trim().toLowerCase();
  const base = /^[a-z]+/.exec(name)?.[0] ?? '';
  switch (base) {
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'integer':
    case 'bigint':
    case 'year':
    case 'bit':
    case 'bool':
    case 'boolean':
      return T.int;
    case 'decimal':
    case 'numeric':
    case 'dec':
    case 'fixed': {
      const scale = /\(\s*\d+\s*,\s*(\d+)\s*\)/.exec(name)?.[1];
      return T.decimal(scale === undefined ? 0 : Number(scale));
    }
    case 'float':
    case 'double':
    case 'real':
      return T.double;
    case 'date':
      return T.date;
    case 'datetime':
    case 'timestamp':
      return T.datetime;
    case 'time':
      return T.time;
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return T.binary;
    case 'enum': {
      const values = [...name.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1]!.replaceAll("''", "'"));
      return Object.freeze({ kind: 'string', enumValues: Object.freeze(values) });
    }
    case 'char':
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'set':
    case 'json':
      return T.string;
    default:
      return undefined;
  }
}
