/**
 * Conversions between SQL values as MariaDB does them: strings read as numbers by their leading
 * numeric prefix ('5x' is 5, 'abc' is 0), numbers printed as MariaDB prints them, decimal
 * rounding half away from zero, DOUBLE rounding half to even.
 */
import { unscaledToText } from '../values/decimal.ts';
import { parseDateTime, temporalNumber } from './temporal.ts';
import type { SqlType, Value } from './types.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** A bigint as a number when that is exact, so integers are numbers wherever they can be. */
export function normalizeInt(value: bigint): number | bigint {
  return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value;
}

const LEADING_NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const LEADING_INT = /^\s*[+-]?\d+/;

/** A string as a DOUBLE, by its leading numeric prefix ('1.5abc' is 1.5, 'abc' is 0). */
export function parseLeadingNumber(text: string): number {
  const match = LEADING_NUMBER.exec(text);
  return match ? Number(match[0]) : 0;
}

/** A string as CAST(... AS SIGNED) reads it: the leading integer ('2.7' is 2, '1e3' is 1). */
export function parseLeadingInt(text: string): number | bigint {
  const match = LEADING_INT.exec(text);
  if (!match) return 0;
  const number = Number(match[0]);
  return Number.isSafeInteger(number) ? number : normalizeInt(BigInt(match[0].trim()));
}

const utf8 = new TextDecoder();

/** A value in a numeric context (arithmetic, numeric comparison); null stays null. */
export function toNumber(value: Value, type: SqlType): number | bigint | null {
  if (value === null) return null;
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'string') {
    if (type.kind === 'date' || type.kind === 'datetime') {
      const parts = parseDateTime(value);
      return parts ? temporalNumber(parts, type.kind === 'datetime') : 0;
    }
    if (type.kind === 'time') return parseLeadingNumber(value.replaceAll(':', ''));
    return parseLeadingNumber(value);
  }
  return parseLeadingNumber(utf8.decode(value));
}

/** A value in a DOUBLE context. */
export function toDouble(value: Value, type: SqlType): number | null {
  const number = toNumber(value, type);
  return number === null ? null : Number(number);
}

/** A value in a string context (CONCAT, LIKE, CAST AS CHAR), printed as MariaDB prints it. */
export function toText(value: Value, type: SqlType): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (type.kind === 'decimal') return formatDecimal(value, type.scale ?? 0);
    if (type.kind === 'int') return String(value);
    if (type.kind === 'double' && type.scale !== undefined) return formatDecimal(value, type.scale);
    return Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : formatDouble(value);
  }
  return utf8.decode(value);
}

/** A DECIMAL value with exactly `scale` digits after the point ('2.50'). */
export function formatDecimal(value: number, scale: number): string {
  const rounded = roundDecimal(value, scale);
  if (!Number.isFinite(rounded)) return String(rounded);
  if (Math.abs(rounded) >= 2 ** 53) {
    // No fraction is left at this size: the double's exact integer.
    const whole = BigInt(rounded);
    return scale > 0 ? `${whole}.${'0'.repeat(scale)}` : String(whole);
  }
  // The shortest digits of the double are the decimal it stands for (99999999.99, not the
  // binary value 99999999.98999999463558197...), then cut or padded to the scale.
  const [whole = '0', fraction = ''] = positional(Math.abs(rounded)).split('.');
  let unscaled = BigInt(whole + fraction.slice(0, Math.max(scale, 0)).padEnd(Math.max(scale, 0), '0'));
  if (fraction.length > scale && fraction.charCodeAt(scale) >= 53) unscaled += 1n;
  const text = unscaledToText(unscaled, Math.max(scale, 0));
  return rounded < 0 && unscaled !== 0n ? `-${text}` : text;
}

/** The shortest digits of a non-negative double in positional notation (never an exponent). */
function positional(value: number): string {
  if (value === 0) return '0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return digits + '0'.repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/**
 * A DOUBLE as MariaDB prints it: the shortest digits that read back to the same value, in
 * positional notation unless the exponent is 15 or more ('1e15', '1.2345678901234568e17').
 */
export function formatDouble(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  if (Number(exponentText) >= 15) return `${mantissa}e${Number(exponentText)}`;
  return value < 0 ? `-${positional(-value)}` : positional(value);
}

const POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Rounds a value meant as an exact decimal to `scale` digits, half away from zero, as MariaDB's
 * DECIMAL arithmetic does. The double's binary noise is ignored: 1.005 (stored as 1.00499999...)
 * is taken to be the decimal 1.005 and rounds to 1.01.
 */
export function roundDecimal(value: number, scale: number): number {
  if (!Number.isFinite(value)) return value;
  if (scale < 0) {
    const factor = 10 ** -scale;
    return roundDecimal(value / factor, 0) * factor;
  }
  if (scale > 22) return value;
  const factor = POWERS[scale]!;
  const magnitude = Math.abs(value) * factor;
  if (magnitude >= 2 ** 52) return value;
  const floor = Math.floor(magnitude);
  const fraction = magnitude - floor;
  // A fraction within the product's rounding error of one half is a half: round away from zero.
  const rounded = fraction >= 0.5 - magnitude * 4e-16 - 1e-12 ? floor + 1 : floor;
  const result = rounded / factor;
  return value < 0 ? -result : result;
}

/** Round half to even, as the C library's rint(). */
export function rint(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * ROUND(double, digits) as MariaDB computes it: the exact binary value rounded to `digits`,
 * an exact half going to the even neighbour (ROUND(2.5e0) is 2, ROUND(2.345e0, 2) is 2.35
 * because 2.345e0 is slightly above 2.345).
 */
export function roundDouble(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  if (digits <= 0) {
    const factor = 10 ** -digits;
    return rint(value / factor) * factor;
  }
  if (digits > 30) return value;
  const exact = value.toFixed(Math.min(100, digits + 30));
  const cut = exact.indexOf('.') + 1 + digits;
  const next = exact.charCodeAt(cut) - 48;
  const rest = exact.slice(cut + 1);
  const kept = Number(exact.slice(0, cut));
  const unit = 1 / POWERS[Math.min(digits, 22)]!;
  const away = next > 5 || (next === 5 && /[1-9]/.test(rest));
  let roundUp = away;
  if (next === 5 && !away) {
    // An exact half: to the even neighbour.
    const lastDigit = exact.charCodeAt(cut - 1) - 48;
    roundUp = lastDigit % 2 === 1;
  }
  if (!roundUp) return kept;
  return Number((value < 0 ? kept - unit : kept + unit).toFixed(digits));
}

/** A value as a condition: 1 (true), 0 (false) or null (unknown), as WHERE and AND read it. */
export function truth(value: Value, type: SqlType): 0 | 1 | null {
  if (value === null) return null;
  if (typeof value === 'number') return value !== 0 ? 1 : 0;
  if (typeof value === 'bigint') return value !== 0n ? 1 : 0;
  if (type.kind === 'date' || type.kind === 'datetime') return 1;
  const number = toNumber(value, type);
  return number !== null && Number(number) !== 0 ? 1 : 0;
}

/** MariaDB's SIGNED conversion: decimals round half away from zero, doubles half to even. */
export function toSigned(value: Value, type: SqlType): number | bigint | null {
  if (value === null) return null;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    if (type.kind === 'double') return clampInt(rint(value));
    return clampInt(roundDecimal(value, 0));
  }
  if (typeof value === 'string') {
    if (type.kind === 'date' || type.kind === 'datetime') {
      const parts = parseDateTime(value);
      return parts ? Math.round(temporalNumber(parts, type.kind === 'datetime')) : 0;
    }
    return parseLeadingInt(value);
  }
  return parseLeadingInt(utf8.decode(value));
}

function clampInt(value: number): number | bigint {
  return Number.isSafeInteger(value) ? value : normalizeInt(BigInt(value));
}
