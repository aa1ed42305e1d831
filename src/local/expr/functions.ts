/**
 * The registry's scalar functions (src/functions/registry.ts) with the semantics of the SQL each
 * renders to on MariaDB: ROUND, FLOOR, SQRT (NULL for negatives), LN/LOG (NULL for <= 0),
 * GREATEST/LEAST (NULL if any argument is), CHAR_LENGTH, SUBSTRING, CONCAT (NULL if any argument
 * is), TRIM, REPLACE, YEAR/MONTH/DAYOFMONTH/HOUR, DATEDIFF, and dateTrunc/dateAdd as rendered.
 */

import { PlanError } from '../../base/errors.ts';
import { DATE_UNITS, type DateUnit } from '../../functions/registry.ts';
import { civilFromDays, daysFromCivil, formatDate } from '../../values/civil-date.ts';
import type { Collation } from '../collation.ts';
import { commonKeys } from '../compare.ts';
import { type DecimalValue, pow10n, rescale, roundToScale, unscaledBig } from '../decimal.ts';
import {
  addMicros,
  addMonths,
  type DateTimeParts,
  formatDateTime,
  parseDateTime,
  parseTime,
  weekday,
} from '../temporal.ts';
import { computed, fracOf, mergeTypes, type SqlType, scaleOf, T, type Value } from '../types.ts';
import { normalizeInt, roundDecimal, roundDouble, toDouble, toNumber, toText } from '../values.ts';
import { arithmeticKind, type Compiled, constant, convertValue, derived } from './compiled.ts';

type Builder = (args: readonly Compiled[], collation: Collation) => Compiled;

const unary = (type: SqlType, arg: Compiled, f: (value: Value) => Value): Compiled => {
  const { evaluate } = arg;
  return derived(type, [arg], (row) => {
    const value = evaluate(row);
    return value === null ? null : f(value);
  });
};

/** A DOUBLE function of one number; non-finite results (overflow, NaN) are NULL. */
const doubleFunction =
  (f: (x: number) => number | null): Builder =>
  ([arg]) =>
    unary(T.double, arg!, (value) => {
      const x = toDouble(value, arg!.type)!;
      const result = f(x);
      return result === null || !Number.isFinite(result) ? null : result;
    });

const abs: Builder = ([arg]) => {
  const kind = arithmeticKind(arg!.type);
  if (kind === 'null') return constant(T.null, null);
  const type = kind === 'double' ? T.double : computed(arg!.type);
  return unary(type, arg!, (value) => {
    const x = kind === 'double' ? toDouble(value, arg!.type)! : (value as number | bigint | string);
    // A DECIMAL held as exact text keeps its digits.
    if (typeof x === 'string') return x.startsWith('-') ? x.slice(1) : x;
    return typeof x === 'bigint' ? normalizeInt(x < 0n ? -x : x) : Math.abs(x);
  });
};

/** An exact number (integer or DECIMAL with `frac` digits) rounded half away from zero to `digits`. */
function roundExact(value: Value, frac: number, digits: number): Value {
  if (digits >= frac) return value;
  if (digits >= 0) return roundToScale(value as DecimalValue, frac, digits);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return roundDecimal(value, digits);
  // Negative digits: round to a multiple of 10^-digits on the unscaled integer.
  const units = rescale(unscaledBig(value as DecimalValue, frac), frac, digits);
  return normalizeInt(units * pow10n(-digits));
}

const round: Builder = ([arg, digitsArg]) => {
  const kind = arithmeticKind(arg!.type);
  if (kind === 'null' || digitsArg?.type.kind === 'null') return constant(T.null, null);
  const digitsOf = (row: number): number | null => {
    if (!digitsArg) return 0;
    const d = toDouble(digitsArg.evaluate(row), digitsArg.type);
    return d === null ? null : roundDecimal(d, 0);
  };
  const fixedDigits = !digitsArg || digitsArg.constant ? digitsOf(0) : undefined;
  let type: SqlType;
  if (kind === 'double') type = T.double;
  else if (kind === 'int') type = T.int;
  else
    type = T.decimal(
      fixedDigits === undefined || fixedDigits === null
        ? scaleOf(arg!.type)
        : Math.max(0, Math.min(fixedDigits, 38)),
    );
  const { evaluate } = arg!;
  const from = arg!.type;
  const frac = fracOf(from);
  return derived(type, digitsArg ? [arg!, digitsArg] : [arg!], (row) => {
    const value = evaluate(row);
    if (value === null) return null;
    const digits = fixedDigits === undefined ? digitsOf(row) : fixedDigits;
    if (digits === null) return null;
    if (kind === 'double') return roundDouble(toDouble(value, from)!, digits);
    return roundExact(value, frac, Math.max(digits, -MAX_ROUND_DIGITS));
  });
};

/** Rounding to more than this many digits before the point gives 0 for every exact number. */
const MAX_ROUND_DIGITS = 90;

/** FLOOR or CEIL of an exact number, on its unscaled integer (DECIMAL text keeps every digit). */
function floorOrCeilExact(value: Value, frac: number, up: boolean): Value {
  if (typeof value === 'number') return up ? Math.ceil(value) : Math.floor(value);
  const unscaled = unscaledBig(value as DecimalValue, frac);
  const factor = pow10n(frac);
  let whole = unscaled / factor;
  const rest = unscaled - whole * factor;
  if (up && rest > 0n) whole += 1n;
  if (!up && rest < 0n) whole -= 1n;
  return normalizeInt(whole);
}

const floorOrCeil =
  (up: boolean): Builder =>
  ([arg]) => {
    const kind = arithmeticKind(arg!.type);
    if (kind === 'null') return constant(T.null, null);
    const type = kind === 'double' ? T.double : T.int;
    const frac = fracOf(arg!.type);
    const f = up ? Math.ceil : Math.floor;
    return unary(type, arg!, (value) =>
      kind === 'double' ? f(toDouble(value, arg!.type)!) : floorOrCeilExact(value, frac, up),
    );
  };

const log: Builder = (args) => {
  if (args.length === 1) return doubleFunction((x) => (x <= 0 ? null : Math.log(x)))(args, 'binary');
  const [base, arg] = args as [Compiled, Compiled];
  return derived(T.double, [base, arg], (row) => {
    const b = toDouble(base.evaluate(row), base.type);
    const x = toDouble(arg.evaluate(row), arg.type);
    if (b === null || x === null || b <= 0 || b === 1 || x <= 0) return null;
    return Math.log(x) / Math.log(b);
  });
};

const pow: Builder = ([base, exponent]) =>
  derived(T.double, [base!, exponent!], (row) => {
    const b = toDouble(base!.evaluate(row), base!.type);
    const e = toDouble(exponent!.evaluate(row), exponent!.type);
    if (b === null || e === null) return null;
    const result = b ** e;
    return Number.isFinite(result) ? result : null;
  });

/** GREATEST / LEAST: NULL when any argument is NULL, compared in one mode for all arguments. */
const extreme =
  (pickGreater: boolean): Builder =>
  (args, collation) => {
    if (args.some((arg) => arg.type.kind === 'null')) return constant(T.null, null);
    const keys = commonKeys(
      args.map((arg) => arg.type),
      collation,
    );
    const type = args.map((arg) => arg.type).reduce(mergeTypes);
    return derived(computed(type), args, (row) => {
      let best: Value = null;
      let bestKey: string | number | bigint | null = null;
      let bestIndex = 0;
      for (let i = 0; i < args.length; i++) {
        const value = args[i]!.evaluate(row);
        if (value === null) return null;
        const key = keys[i]!(value)!;
        if (bestKey === null || (pickGreater ? key > bestKey : key < bestKey)) {
          best = value;
          bestKey = key;
          bestIndex = i;
        }
      }
      return convertValue(best, args[bestIndex]!.type, type);
    });
  };

const coalesce: Builder = (args) => {
  const type = computed(args.map((arg) => arg.type).reduce(mergeTypes));
  return derived(type, args, (row) => {
    for (const arg of args) {
      const value = arg.evaluate(row);
      if (value !== null) return convertValue(value, arg.type, type);
    }
    return null;
  });
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point.
const ASCII = /^[\u0000-\u007f]*$/;

/** Case mapping one character at a time, so a string keeps its length ('ß' stays 'ß' in UPPER). */
function mapCase(text: string, upper: boolean): string {
  if (ASCII.test(text)) return upper ? text.toUpperCase() : text.toLowerCase();
  let out = '';
  for (const char of text) {
    const mapped = upper ? char.toUpperCase() : char.toLowerCase();
    if (Array.from(mapped).length === 1) out += mapped;
    else out += upper ? char : Array.from(mapped)[0]!;
  }
  return out;
}

/** UPPER / LOWER; a binary string has no case and comes back as it is. */
const caseFunction =
  (upper: boolean): Builder =>
  ([arg]) =>
    arg!.type.kind === 'binary'
      ? unary(T.binary, arg!, (value) => value)
      : unary(T.string, arg!, (value) => mapCase(toText(value, arg!.type)!, upper));

const stringFunction =
  (f: (text: string) => Value): Builder =>
  ([arg]) =>
    unary(T.string, arg!, (value) => f(toText(value, arg!.type)!));

const charLength = (text: string): number => {
  if (ASCII.test(text)) return text.length;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
};

/** SUBSTRING(s, pos[, len]) on characters: 1-based, negative pos counts from the end, pos 0 is ''. */
const substr: Builder = (args) => {
  const [text, position, length] = args as [Compiled, Compiled, Compiled | undefined];
  const integer = (compiled: Compiled, row: number): number | null => {
    const n = toDouble(compiled.evaluate(row), compiled.type);
    return n === null ? null : roundDecimal(n, 0);
  };
  return derived(T.string, args, (row) => {
    const value = text.evaluate(row);
    if (value === null) return null;
    const pos = integer(position, row);
    if (pos === null) return null;
    const len = length ? integer(length, row) : Number.POSITIVE_INFINITY;
    if (len === null) return null;
    const s = toText(value, text.type)!;
    const ascii = ASCII.test(s);
    const chars: ArrayLike<string> = ascii ? s : Array.from(s);
    const n = chars.length;
    if (pos === 0 || len <= 0 || pos > n || -pos > n) return '';
    const start = pos > 0 ? pos - 1 : n + pos;
    const end = Math.min(n, start + len);
    return ascii ? s.slice(start, end) : (chars as string[]).slice(start, end).join('');
  });
};

const concat: Builder = (args) =>
  derived(T.string, args, (row) => {
    let out = '';
    for (const arg of args) {
      const value = arg.evaluate(row);
      if (value === null) return null;
      out += toText(value, arg.type);
    }
    return out;
  });

const replace: Builder = (args) => {
  const [text, from, to] = args as [Compiled, Compiled, Compiled];
  return derived(T.string, args, (row) => {
    const s = toText(text.evaluate(row), text.type);
    const f = toText(from.evaluate(row), from.type);
    const t = toText(to.evaluate(row), to.type);
    if (s === null || f === null || t === null) return null;
    return f === '' ? s : s.replaceAll(f, t);
  });
};

/** A date or datetime argument's parts; NULL for NULL and for text that is no date. */
function partsReader(arg: Compiled): (row: number) => DateTimeParts | null {
  const { evaluate, type } = arg;
  return (row) => {
    const value = evaluate(row);
    if (value === null) return null;
    if (typeof value === 'number' || typeof value === 'bigint') return parseDateTime(value);
    return parseDateTime(toText(value, type)!);
  };
}

const datePart =
  (pick: (parts: DateTimeParts) => number): Builder =>
  ([arg]) => {
    const read = partsReader(arg!);
    return derived(T.int, [arg!], (row) => {
      const parts = read(row);
      return parts === null ? null : pick(parts);
    });
  };

const hour: Builder = ([arg]) => {
  const read = partsReader(arg!);
  const { evaluate, type } = arg!;
  return derived(T.int, [arg!], (row) => {
    const parts = read(row);
    if (parts) return parts.hour;
    // HOUR of a TIME value ('10:11:12').
    const value = evaluate(row);
    if (value === null) return null;
    const time = parseTime(toText(value, type)!);
    return time === null ? null : time.hour;
  });
};

const dateDiff: Builder = ([end, start]) => {
  const readEnd = partsReader(end!);
  const readStart = partsReader(start!);
  return derived(T.int, [end!, start!], (row) => {
    const a = readEnd(row);
    if (a === null) return null;
    const b = readStart(row);
    if (b === null) return null;
    return daysFromCivil(a.year, a.month, a.day) - daysFromCivil(b.year, b.month, b.day);
  });
};

function unitOf(arg: Compiled | undefined, name: string): DateUnit {
  const value = arg?.constant ? arg.evaluate(0) : undefined;
  const unit = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (unit === undefined || !(DATE_UNITS as readonly string[]).includes(unit)) {
    throw new PlanError(`${name}: the unit must be one of ${DATE_UNITS.join(', ')}`);
  }
  return unit as DateUnit;
}

const DATE_RESULT_UNITS: ReadonlySet<DateUnit> = new Set(['year', 'quarter', 'month', 'week', 'day']);

/** dateTrunc(unit, v): a DATE for year..day, a DATETIME for hour..second (see dateTruncSql). */
const dateTrunc: Builder = ([unitArg, arg]) => {
  const unit = unitOf(unitArg, 'dateTrunc');
  const read = partsReader(arg!);
  const type = DATE_RESULT_UNITS.has(unit) ? T.date : T.datetime;
  return derived(type, [arg!], (row) => {
    const p = read(row);
    if (p === null) return null;
    switch (unit) {
      case 'year':
        return formatDate(p.year, 1, 1);
      case 'quarter':
        return formatDate(p.year, Math.floor((p.month - 1) / 3) * 3 + 1, 1);
      case 'month':
        return formatDate(p.year, p.month, 1);
      case 'week': {
        const days = daysFromCivil(p.year, p.month, p.day);
        const [y, m, d] = civilFromDays(days - weekday(days));
        return formatDate(y, m, d);
      }
      case 'day':
        return formatDate(p.year, p.month, p.day);
      case 'hour':
        return formatDateTime({ ...p, minute: 0, second: 0, micro: 0 });
      case 'minute':
        return formatDateTime({ ...p, second: 0, micro: 0 });
      case 'second':
        return formatDateTime({ ...p, micro: 0 });
    }
  });
};

const MICROS: Partial<Record<DateUnit, number>> = {
  day: 86_400_000_000,
  week: 7 * 86_400_000_000,
  hour: 3_600_000_000,
  minute: 60_000_000,
  second: 1_000_000,
};
const MONTHS: Partial<Record<DateUnit, number>> = { year: 12, quarter: 3, month: 1 };

/**
 * dateAdd(v, n, unit) = v + INTERVAL n unit: a DATE stays a DATE for day-or-longer units, a
 * string stays a string (printed without time when it had none and the unit is a day or longer).
 */
const dateAdd: Builder = ([arg, amountArg, unitArg]) => {
  const unit = unitOf(unitArg, 'dateAdd');
  const read = partsReader(arg!);
  const dateUnit = DATE_RESULT_UNITS.has(unit);
  const fromKind = arg!.type.kind;
  const type =
    fromKind === 'date' ? (dateUnit ? T.date : T.datetime) : fromKind === 'datetime' ? T.datetime : T.string;
  return derived(type, [arg!, amountArg!], (row) => {
    const parts = read(row);
    if (parts === null) return null;
    const amountValue = toNumber(amountArg!.evaluate(row), amountArg!.type);
    if (amountValue === null) return null;
    const amount = roundDecimal(Number(amountValue), 0);
    const months = MONTHS[unit];
    const moved =
      months !== undefined ? addMonths(parts, amount * months) : addMicros(parts, amount * MICROS[unit]!);
    if (moved === null) return null;
    const asDate = type.kind === 'date' || (type.kind === 'string' && dateUnit && !parts.hasTime);
    return asDate ? formatDate(moved.year, moved.month, moved.day) : formatDateTime(moved);
  });
};

const BUILDERS: Record<string, Builder> = {
  abs,
  round,
  floor: floorOrCeil(false),
  ceil: floorOrCeil(true),
  sqrt: doubleFunction((x) => (x < 0 ? null : Math.sqrt(x))),
  ln: doubleFunction((x) => (x <= 0 ? null : Math.log(x))),
  log,
  exp: doubleFunction(Math.exp),
  pow,
  greatest: extreme(true),
  least: extreme(false),
  coalesce,
  lower: caseFunction(false),
  upper: caseFunction(true),
  // CHAR_LENGTH of a binary string counts bytes.
  length: ([arg]) =>
    unary(T.int, arg!, (value) =>
      value instanceof Uint8Array ? value.length : charLength(toText(value, arg!.type)!),
    ),
  substr,
  concat,
  trim: stringFunction((text) => text.replace(/^ +| +$/g, '')),
  replace,
  year: datePart((p) => p.year),
  month: datePart((p) => p.month),
  day: datePart((p) => p.day),
  hour,
  dateDiff,
  dateTrunc,
  dateAdd,
};

export function callFunction(name: string, args: readonly Compiled[], collation: Collation): Compiled {
  const builder = BUILDERS[name];
  if (!builder) {
    throw new PlanError(
      `local execution has no function '${name}'; known functions: ${Object.keys(BUILDERS).sort().join(', ')}`,
    );
  }
  return builder(args, collation);
}
