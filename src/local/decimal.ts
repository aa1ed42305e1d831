/**
 * Exact DECIMAL arithmetic for local execution, on scaled integers, with MariaDB's rules for the
 * digits a result keeps.
 *
 * A DECIMAL value has two scales. Its *display* scale is what the server sends and shows (the
 * column type's scale: `s1 + 4` for a division, `s1 + s2` for a product, capped at 38). Its
 * *internal* digits (`frac`) are what the server computes with: the same as the display scale
 * except after a division, whose quotient the server keeps to a multiple of 9 digits, truncated
 * (strings/decimal.c `do_div_mod`), and rounds half away from zero only when the value is shown.
 * So `1/3*3` is 0.999999999, shown as 1.0000, and a SUM of divisions adds the long quotients.
 *
 * A value is held exactly at its `frac` digits: as the double nearest to it while the unscaled
 * integer is below 2^50 and `frac` is at most 22 (then `Math.round(value * 10^frac)` gives the
 * unscaled integer back without error: the double's error is under a quarter unit), else as its
 * exact decimal text ('12345678901234567.8901234567'), or as a bigint when it is a whole number
 * read that way. Arithmetic works on the unscaled integers: as doubles while every intermediate
 * stays below 2^53, as bigints beyond.
 */
import { unscaledToText } from '../values/decimal.ts';
import { formatDecimal, normalizeInt } from './values.ts';

/** Below this an unscaled integer travels as a double (see the header). */
export const SAFE_UNSCALED = 2 ** 50;
/** The largest `frac` a double-held value may have: 10^frac is exact up to 10^22. */
export const MAX_DOUBLE_FRAC = 22;
/** DECIMAL_MAX_SCALE: the server never shows more digits after the point. */
export const MAX_SCALE = 38;
/** div_precision_increment at its default. */
export const DIV_PRECISION_INCREMENT = 4;

export const POW10: readonly number[] = Array.from({ length: MAX_DOUBLE_FRAC + 1 }, (_, i) => 10 ** i);
const POW10_BIG: bigint[] = [];
export function pow10n(n: number): bigint {
  let power = POW10_BIG[n];
  if (power === undefined) {
    power = 10n ** BigInt(n);
    if (n < 200) POW10_BIG[n] = power;
  }
  return power;
}

export type DecimalValue = number | bigint | string;

const ceil9 = (digits: number) => Math.ceil(digits / 9) * 9;

/** The internal digits of a quotient of values with `fracA` and `fracB` digits (do_div_mod). */
export function divisionFrac(fracA: number, fracB: number): number {
  const a = ceil9(fracA);
  const b = ceil9(fracB);
  const increment = Math.max(0, DIV_PRECISION_INCREMENT - (a - fracA) - (b - fracB));
  return ceil9(a + b + increment);
}

/** The unscaled integer of a double-held value as a double, or NaN when it is not held that way. */
export function unscaledNumber(value: number, frac: number): number {
  if (frac > MAX_DOUBLE_FRAC) return Number.NaN;
  const unscaled = Math.round(value * POW10[frac]!);
  return unscaled < SAFE_UNSCALED && unscaled > -SAFE_UNSCALED ? unscaled : Number.NaN;
}

const DECIMAL_TEXT = /^\s*([+-]?)(\d*)(?:\.(\d*))?/;

/** The exact unscaled integer of a value at `frac` digits (digits beyond `frac` are cut). */
export function unscaledBig(value: DecimalValue, frac: number): bigint {
  if (typeof value === 'bigint') return value * pow10n(frac);
  if (typeof value === 'number') {
    const fast = unscaledNumber(value, frac);
    if (!Number.isNaN(fast)) return BigInt(fast);
    if (Number.isInteger(value)) return BigInt(value) * pow10n(frac);
    return unscaledBig(formatDecimal(value, frac), frac);
  }
  const match = DECIMAL_TEXT.exec(value);
  const digits = `${match?.[2] ?? ''}${(match?.[3] ?? '').padEnd(frac, '0').slice(0, frac)}`;
  const unscaled = BigInt(digits === '' ? '0' : digits);
  return match?.[1] === '-' ? -unscaled : unscaled;
}

/** A value from its unscaled integer at `frac` digits, held as the header says. */
export function fromUnscaled(unscaled: bigint, frac: number): DecimalValue {
  if (frac <= MAX_DOUBLE_FRAC && unscaled < 1125899906842624n && unscaled > -1125899906842624n) {
    return frac === 0 ? Number(unscaled) : Number(unscaled) / POW10[frac]!;
  }
  const factor = pow10n(frac);
  if (unscaled % factor === 0n) return normalizeInt(unscaled / factor);
  return unscaledToText(unscaled, frac);
}

/** fromUnscaled for an unscaled integer held in a double (exact: below 2^53). */
export function fromUnscaledNumber(unscaled: number, frac: number): DecimalValue {
  if (frac <= MAX_DOUBLE_FRAC && unscaled < SAFE_UNSCALED && unscaled > -SAFE_UNSCALED) {
    return frac === 0 ? unscaled : unscaled / POW10[frac]!;
  }
  return fromUnscaled(BigInt(unscaled), frac);
}

/** numerator / denominator, rounded half away from zero. */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice < (denominator < 0n ? -denominator : denominator)) return quotient;
  return numerator < 0n !== denominator < 0n ? quotient - 1n : quotient + 1n;
}

/** An unscaled integer at `from` digits moved to `to` digits, rounding half away from zero. */
export function rescale(unscaled: bigint, from: number, to: number): bigint {
  if (to >= from) return unscaled * pow10n(to - from);
  return divideRounded(unscaled, pow10n(from - to));
}

/** A value with `frac` internal digits as shown with `scale` digits (rounded half away from zero). */
export function roundToScale(value: DecimalValue, frac: number, scale: number): DecimalValue {
  if (frac <= scale) return value;
  if (typeof value === 'number') {
    const unscaled = unscaledNumber(value, frac);
    if (!Number.isNaN(unscaled)) {
      const factor = POW10[frac - scale]!;
      const magnitude = Math.abs(unscaled);
      const kept = Math.floor(magnitude / factor);
      // Both are exact: integers below 2^50.
      const rest = magnitude - kept * factor;
      const rounded = rest * 2 >= factor ? kept + 1 : kept;
      return fromUnscaledNumber(unscaled < 0 ? -rounded : rounded, scale);
    }
  }
  return fromUnscaled(rescale(unscaledBig(value, frac), frac, scale), scale);
}

/** The exact text of a value at `scale` digits, from `frac` internal digits. */
export function decimalText(value: DecimalValue, frac: number, scale: number): string {
  return unscaledToText(rescale(unscaledBig(value, frac), frac, scale), scale);
}

/** Compares two values held at `frac` digits exactly: -1, 0 or 1. */
export function compareDecimals(a: DecimalValue, b: DecimalValue, frac: number): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const x = unscaledBig(a, frac);
  const y = unscaledBig(b, frac);
  return x < y ? -1 : x > y ? 1 : 0;
}

export type DecimalOp = '+' | '-' | '*' | '/' | '%';

/**
 * `op` on two values held at `fracA` and `fracB` digits, giving a value at `frac` digits (the
 * internal digits of the result's type: max for + - %, the sum for *, divisionFrac for /).
 * Division and modulo by zero are NULL.
 */
export function decimalArithmetic(
  op: DecimalOp,
  fracA: number,
  fracB: number,
  frac: number,
): (x: DecimalValue, y: DecimalValue) => DecimalValue | null {
  const exact = exactOperation(op, fracA, fracB, frac);
  if (frac > MAX_DOUBLE_FRAC || fracA > MAX_DOUBLE_FRAC || fracB > MAX_DOUBLE_FRAC) {
    return (x, y) => exact(unscaledBig(x, fracA), unscaledBig(y, fracB));
  }
  const fa = POW10[fracA]!;
  const fb = POW10[fracB]!;
  const limit = 2 ** 53;
  const slow = (x: DecimalValue, y: DecimalValue) => exact(unscaledBig(x, fracA), unscaledBig(y, fracB));
  switch (op) {
    case '+':
    case '-': {
      const ma = POW10[frac - fracA]!;
      const mb = POW10[frac - fracB]!;
      const sign = op === '+' ? 1 : -1;
      return (x, y) => {
        if (typeof x === 'number' && typeof y === 'number') {
          const ux = Math.round(x * fa) * ma;
          const uy = Math.round(y * fb) * mb * sign;
          const r = ux + uy;
          if (
            ux < limit &&
            ux > -limit &&
            uy < limit &&
            uy > -limit &&
            r < SAFE_UNSCALED &&
            r > -SAFE_UNSCALED
          ) {
            return frac === 0 ? r : r / POW10[frac]!;
          }
        }
        return slow(x, y);
      };
    }
    case '*':
      return (x, y) => {
        if (typeof x === 'number' && typeof y === 'number') {
          const r = Math.round(x * fa) * Math.round(y * fb);
          if (r < SAFE_UNSCALED && r > -SAFE_UNSCALED) return frac === 0 ? r : r / POW10[frac]!;
        }
        return slow(x, y);
      };
    case '/': {
      const shift = frac - fracA + fracB;
      const m = shift >= 0 && shift <= MAX_DOUBLE_FRAC ? POW10[shift]! : Number.NaN;
      return (x, y) => {
        if (typeof x === 'number' && typeof y === 'number') {
          const numerator = Math.round(x * fa) * m;
          const denominator = Math.round(y * fb);
          if (denominator === 0) return null;
          if (numerator < limit && numerator > -limit && denominator < limit && denominator > -limit) {
            let q = Math.trunc(numerator / denominator);
            // The double quotient may have rounded up to the next integer: the remainder says.
            const product = q * denominator;
            if (product < limit && product > -limit) {
              const remainder = numerator - product;
              if (remainder !== 0 && remainder < 0 !== numerator < 0)
                q += numerator < 0 === denominator < 0 ? -1 : 1;
              if (q < SAFE_UNSCALED && q > -SAFE_UNSCALED) return frac === 0 ? q : q / POW10[frac]!;
            }
          }
        }
        return slow(x, y);
      };
    }
    case '%':
      return slow;
  }
}

function exactOperation(
  op: DecimalOp,
  fracA: number,
  fracB: number,
  frac: number,
): (x: bigint, y: bigint) => DecimalValue | null {
  switch (op) {
    case '+':
      return (x, y) => fromUnscaled(x * pow10n(frac - fracA) + y * pow10n(frac - fracB), frac);
    case '-':
      return (x, y) => fromUnscaled(x * pow10n(frac - fracA) - y * pow10n(frac - fracB), frac);
    case '*':
      return (x, y) => fromUnscaled(rescale(x * y, fracA + fracB, frac), frac);
    case '/':
      // Truncated, as the server's long division stops at `frac` digits.
      return (x, y) => {
        if (y === 0n) return null;
        const shift = frac - fracA + fracB;
        return fromUnscaled(shift >= 0 ? (x * pow10n(shift)) / y : x / (y * pow10n(-shift)), frac);
      };
    case '%':
      // The sign of the dividend, as C's fmod and the server's do_div_mod.
      return (x, y) => {
        if (y === 0n) return null;
        const common = Math.max(fracA, fracB);
        return fromUnscaled(
          rescale((x * pow10n(common - fracA)) % (y * pow10n(common - fracB)), common, frac),
          frac,
        );
      };
  }
}
