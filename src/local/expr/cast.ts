/**
 * CAST as the MariaDB dialect renders it (src/sql/dialect.ts): int and bigint are SIGNED
 * (decimals round half away from zero, doubles half to even, strings by their leading integer),
 * decimal is DECIMAL(38,10), string is CHAR, timestamp is DATETIME(6), boolean is
 * (CAST(x AS SIGNED) <> 0).
 */
import type { CastType } from '../../plan/expr.ts';
import { formatDate } from '../../values/civil-date.ts';
import { type DecimalValue, fromUnscaled, rescale, unscaledBig } from '../decimal.ts';
import { formatDateTime, parseDateTime } from '../temporal.ts';
import { fracOf, type SqlType, scaleOf, T, type Value } from '../types.ts';
import { formatDecimal, toDouble, toSigned, toText } from '../values.ts';
import { type Compiled, derived } from './compiled.ts';

const CAST_RESULT: Record<CastType, SqlType> = {
  int: T.int,
  bigint: T.int,
  double: T.double,
  decimal: T.decimal(10),
  string: T.string,
  date: T.date,
  timestamp: T.datetime,
  boolean: T.int,
};

function temporalParts(value: Value, from: SqlType) {
  if (value === null) return null;
  if (typeof value === 'number' || typeof value === 'bigint') {
    return Number.isInteger(Number(value)) ? parseDateTime(value) : null;
  }
  const text = toText(value, from);
  return text === null ? null : parseDateTime(text);
}

function caster(to: CastType, from: SqlType): (value: Value) => Value {
  switch (to) {
    case 'int':
    case 'bigint':
      if (from.kind === 'decimal') {
        // Half away from zero, on every digit of exact text too.
        const frac = fracOf(from);
        return (value) =>
          value === null ? null : fromUnscaled(rescale(unscaledBig(value as DecimalValue, frac), frac, 0), 0);
      }
      return (value) => toSigned(value, from);
    case 'boolean':
      return (value) => {
        const signed = toSigned(value, from);
        // biome-ignore lint/suspicious/noDoubleEquals: 0 and 0n are both zero.
        return signed === null ? null : signed == 0 ? 0 : 1;
      };
    case 'double':
      return (value) => toDouble(value, from);
    case 'decimal': {
      const scale = scaleOf(CAST_RESULT.decimal);
      if (from.kind === 'decimal' || from.kind === 'int') {
        const frac = fracOf(from);
        return (value) =>
          value === null
            ? null
            : fromUnscaled(rescale(unscaledBig(value as DecimalValue, frac), frac, scale), scale);
      }
      return (value) => {
        if (value === null) return null;
        // A DOUBLE by the shortest digits that read back to it, a string by its leading number.
        const text =
          from.kind === 'double' ? formatDecimal(toDouble(value, from)!, 40) : toText(value, from)!;
        return fromUnscaled(rescale(unscaledBig(text, scale + 1), scale + 1, scale), scale);
      };
    }
    case 'string':
      return (value) => toText(value, from);
    case 'date':
      return (value) => {
        const parts = temporalParts(value, from);
        return parts ? formatDate(parts.year, parts.month, parts.day) : null;
      };
    case 'timestamp':
      return (value) => {
        const parts = temporalParts(value, from);
        return parts ? formatDateTime(parts) : null;
      };
  }
}

export function cast(operand: Compiled, to: CastType): Compiled {
  const convert = caster(to, operand.type);
  const { evaluate } = operand;
  return derived(CAST_RESULT[to], [operand], (row) => convert(evaluate(row)));
}
