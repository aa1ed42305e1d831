/**
 * CAST as the MariaDB dialect renders it (src/sql/dialect.ts): int and bigint are SIGNED
 * (decimals round half away from zero, doubles half to even, strings by their leading integer),
 * decimal is DECIMAL(38,10), string is CHAR, timestamp is DATETIME(6), boolean is
 * (CAST(x AS SIGNED) <> 0).
 */
import type { CastType, DecimalDigits } from '../../plan/expr.ts';
import { formatDate } from '../../values/civil-date.ts';
import { type DecimalValue, fromUnscaled, pow10n, rescale, unscaledBig } from '../decimal.ts';
import { formatDateTime, parseDateTime } from '../temporal.ts';
import { fracOf, type SqlType, T, type Value } from '../types.ts';
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

/** The largest unscaled value DECIMAL(precision, ·) holds: a CAST beyond it clamps, as the server does. */
function clamp(precision: number): (unscaled: bigint) => bigint {
  const max = pow10n(precision) - 1n;
  return (unscaled) => (unscaled > max ? max : unscaled < -max ? -max : unscaled);
}

function caster(to: CastType, from: SqlType, digits: DecimalDigits): (value: Value) => Value {
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
      const { scale } = digits;
      const inRange = clamp(digits.precision);
      if (from.kind === 'decimal' || from.kind === 'int') {
        const frac = fracOf(from);
        return (value) =>
          value === null
            ? null
            : fromUnscaled(inRange(rescale(unscaledBig(value as DecimalValue, frac), frac, scale)), scale);
      }
      return (value) => {
        if (value === null) return null;
        // A DOUBLE by the shortest digits that read back to it, a string by its leading number.
        const text =
          from.kind === 'double' ? formatDecimal(toDouble(value, from)!, 40) : toText(value, from)!;
        return fromUnscaled(inRange(rescale(unscaledBig(text, scale + 1), scale + 1, scale)), scale);
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

/** sluice's `cast('decimal')` without digits (the dialect's DECIMAL(38,10)). */
const DEFAULT_DECIMAL: DecimalDigits = { precision: 38, scale: 10 };

export function cast(operand: Compiled, to: CastType, digits: DecimalDigits = DEFAULT_DECIMAL): Compiled {
  const convert = caster(to, operand.type, digits);
  const { evaluate } = operand;
  const type = to === 'decimal' ? T.decimal(digits.scale) : CAST_RESULT[to];
  return derived(type, [operand], (row) => convert(evaluate(row)));
}
