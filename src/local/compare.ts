/**
 * How two SQL values compare, chosen once from their static types as MariaDB chooses it: numbers
 * numerically, strings by the collation, a date against a string as dates, a number against a
 * string as DOUBLEs. Each side gets a key function; keys compare with `<` and `>`.
 */
import type { LocalColumn, StringCodes } from './batch.ts';
import { type Collation, collationKey } from './collation.ts';
import { type DecimalValue, MAX_DOUBLE_FRAC, POW10, unscaledBig } from './decimal.ts';
import { canonicalDateTime, timeMicros } from './temporal.ts';
import { fracOf, isNumeric, type SqlType, type Value } from './types.ts';
import { toDouble, toText } from './values.ts';

export type Key = string | number | bigint;
/** A value's comparison key; null for NULL. */
export type KeyFn = (value: Value) => Key | null;

const latin1 = (bytes: Uint8Array): string => {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
};
const utf8 = new TextEncoder();

/** A TIME as microseconds (hours may exceed 24 or be negative); text that is no time as itself. */
function timeKey(type: SqlType): KeyFn {
  return (value) => {
    if (value === null) return null;
    const text = toText(value, type)!;
    return timeMicros(text) ?? text;
  };
}

type Mode = 'number' | 'double' | 'string' | 'datetime' | 'time' | 'binary';

const MAX_SAFE = 2 ** 53;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A key for exact numbers (integers, DECIMAL) compared at `frac` digits: the unscaled integer,
 * a double while it is below 2^53 (one multiplication for a double-held value), a bigint beyond,
 * so DECIMAL(65,30) values that differ in the 30th digit never tie and equal values always do
 * (number and bigint keys compare exactly with `<`; one value always gets the same key).
 */
export function exactKey(frac: number): KeyFn {
  if (frac === 0) {
    return (value) => {
      if (typeof value === 'number' || value === null) return value === 0 ? 0 : value;
      if (typeof value === 'bigint')
        return value <= MAX_SAFE_BIG && value >= -MAX_SAFE_BIG ? Number(value) : value;
      return bigKey(unscaledBig(value as DecimalValue, 0));
    };
  }
  const factor = frac <= MAX_DOUBLE_FRAC ? POW10[frac]! : Number.NaN;
  return (value) => {
    if (value === null) return null;
    if (typeof value === 'number') {
      const scaled = value * factor;
      // A double-held value times 10^frac is within a quarter unit of its unscaled integer.
      if (scaled < MAX_SAFE && scaled > -MAX_SAFE) {
        const unscaled = Math.round(scaled);
        return unscaled === 0 ? 0 : unscaled;
      }
    }
    return bigKey(unscaledBig(value as DecimalValue, frac));
  };
}

const bigKey = (unscaled: bigint): Key =>
  unscaled <= MAX_SAFE_BIG && unscaled >= -MAX_SAFE_BIG ? Number(unscaled) : unscaled;

/** The digits exact numbers of these types compare at, or undefined when one is a DOUBLE. */
function exactFrac(types: readonly SqlType[]): number | undefined {
  let frac = 0;
  for (const type of types) {
    if (type.kind === 'double') return undefined;
    if (type.kind === 'int' || type.kind === 'decimal') frac = Math.max(frac, fracOf(type));
  }
  return frac;
}

function modeFor(a: SqlType, b: SqlType): Mode {
  const kinds = new Set([a.kind, b.kind]);
  kinds.delete('null');
  if ([...kinds].every((kind) => kind === 'int' || kind === 'decimal' || kind === 'double')) return 'number';
  if (kinds.has('binary')) return 'binary';
  const temporal = kinds.has('date') || kinds.has('datetime') || kinds.has('time');
  if (temporal && (isNumeric(a) || isNumeric(b))) return 'double';
  if (kinds.has('time') && !kinds.has('date') && !kinds.has('datetime')) return 'time';
  if (temporal) return 'datetime';
  if (kinds.has('string') && (isNumeric(a) || isNumeric(b))) return 'double';
  return 'string';
}

/** `frac`: the digits exact numbers compare at (undefined when a DOUBLE makes it a DOUBLE comparison). */
function keyFor(mode: Mode, type: SqlType, collation: Collation, frac?: number): KeyFn {
  switch (mode) {
    case 'number':
      if (frac !== undefined && type.kind !== 'null') return exactKey(frac);
      // Against a DOUBLE the server compares as DOUBLE.
      return (value) => (typeof value === 'string' ? Number(value) : (value as number | bigint | null));
    case 'double':
      return (value) => toDouble(value, type);
    case 'string': {
      const fold = collationKey(collation);
      return (value) => {
        const text = toText(value, type);
        return text === null ? null : fold(text);
      };
    }
    case 'datetime':
      // A string that is no date compares as the text it is.
      return (value) => {
        if (value === null) return null;
        const text = toText(value, type)!;
        return canonicalDateTime(text) ?? text;
      };
    case 'time':
      return timeKey(type);
    case 'binary':
      return (value) => {
        if (value === null) return null;
        if (value instanceof Uint8Array) return latin1(value);
        return latin1(utf8.encode(toText(value, type)!));
      };
  }
}

/** Key functions for the left and right operands of a comparison between these types. */
export function comparisonKeys(a: SqlType, b: SqlType, collation: Collation): [KeyFn, KeyFn] {
  const mode = modeFor(a, b);
  const frac = exactFrac([a, b]);
  return [keyFor(mode, a, collation, frac), keyFor(mode, b, collation, frac)];
}

/** Key functions for several operands compared with each other (GREATEST, BETWEEN, IN). */
export function commonKeys(types: readonly SqlType[], collation: Collation): KeyFn[] {
  let mode: Mode | undefined;
  for (let i = 0; i < types.length; i++) {
    for (let j = i + 1; j < types.length; j++) {
      const pair = modeFor(types[i]!, types[j]!);
      mode = mode === undefined || mode === pair ? pair : widerMode(mode, pair);
    }
  }
  const chosen = mode ?? 'number';
  const frac = exactFrac(types);
  return types.map((type) => keyFor(chosen, type, collation, frac));
}

const MODE_ORDER: readonly Mode[] = ['number', 'time', 'datetime', 'double', 'string', 'binary'];
const widerMode = (a: Mode, b: Mode): Mode => (MODE_ORDER.indexOf(a) > MODE_ORDER.indexOf(b) ? a : b);

/**
 * A key for grouping, DISTINCT and hashing: equal keys for values the database takes as equal
 * within one column of this type ('a' and 'A  ' under general_ci, 1 and 1.0).
 */
export function groupKey(type: SqlType, collation: Collation): KeyFn {
  switch (type.kind) {
    case 'int':
    case 'decimal':
      return exactKey(fracOf(type));
    case 'double':
      return (value) => (value === 0 ? 0 : (value as number | bigint | null));
    case 'string': {
      const fold = collationKey(collation);
      return (value) => (value === null ? null : fold(value as string));
    }
    case 'binary':
      return (value) => (value === null ? null : latin1(value as Uint8Array));
    case 'null':
      return () => null;
    default:
      return (value) => (value === null ? null : (toText(value, type) as string));
  }
}

/** A key for ORDER BY within one column of this type: collation order for strings, time by its length. */
export function orderKey(type: SqlType, collation: Collation): KeyFn {
  return type.kind === 'time' ? timeKey(type) : groupKey(type, collation);
}

/**
 * A column's keys: an INT column held as a typed array (no NULLs, no bigints) is its own keys
 * (exactKey gives a number its value), so it is used as it is; otherwise keysOf.
 */
export function keyColumn(values: ArrayLike<Value>, type: SqlType, key: KeyFn): ArrayLike<Key | null> {
  if (
    type.kind === 'int' &&
    ArrayBuffer.isView(values) &&
    !(values instanceof BigInt64Array) &&
    !(values instanceof BigUint64Array)
  )
    return values as ArrayLike<number>;
  return keysOf(values, key);
}

/**
 * A column's keys, from its dictionary codes when it is a string column that has them (read
 * from Arrow): the key of each distinct string once, not of every row's decoded text. The same
 * keys, as the dictionary holds the strings the rows decode to.
 */
export function keysOfColumn(column: LocalColumn, length: number, key: KeyFn): ArrayLike<Key | null> {
  const codes = column.type.kind === 'string' ? column.source?.codes() : undefined;
  if (!codes) return keyColumn(column.values, column.type, key);
  return perRowCode(
    codes,
    codes.dictionary.map((text) => key(text)),
    length,
  );
}

/** Each row's entry of `byCode` (one per dictionary code), NULL for a NULL row. */
export function perRowCode<T>(codes: StringCodes, byCode: ArrayLike<T>, length: number): (T | null)[] {
  const out = new Array<T | null>(length).fill(null);
  const ids = codes.codes;
  for (let i = 0; i < length; i++) {
    const code = ids[i]!;
    if (code >= 0) out[i] = byCode[code]!;
  }
  return out;
}

/** A column of keys. */
export function keysOf(values: ArrayLike<Value>, key: KeyFn): (Key | null)[] {
  const out = new Array<Key | null>(values.length).fill(null);
  for (let i = 0; i < values.length; i++) out[i] = key(values[i]!);
  return out;
}

/**
 * A key for ORDER BY: as orderKey, except that an ENUM sorts by its position in the definition
 * (MariaDB sorts ENUM values by their index; an invalid '' value has index 0).
 */
export function sortKey(type: SqlType, collation: Collation): KeyFn {
  const values = type.enumValues;
  if (!values) return orderKey(type, collation);
  const index = new Map(values.map((value, position) => [value, position + 1]));
  const fold = collationKey(collation);
  const folded = new Map(values.map((value, position) => [fold(value), position + 1]));
  return (value) => {
    if (value === null) return null;
    const text = toText(value, type)!;
    return index.get(text) ?? folded.get(fold(text)) ?? 0;
  };
}
