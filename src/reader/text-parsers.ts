/**
 * Numbers, decimals, dates and times parsed from the ASCII digits of the text protocol by
 * arithmetic, written straight into a column builder's buffers: no string, number box or Date
 * per value. Each parser is exact for what the server sends (digit for digit for DECIMAL and
 * BIGINT, microseconds for DATETIME/TIME) and falls back to the engine's own parser only where
 * the fast arithmetic could round.
 */
import { SluiceError } from '../base/errors.ts';
import { daysFromCivil } from '../values/civil-date.ts';
import type { ColumnBuilder } from './column-builder.ts';

export const TWO_32 = 4294967296;
/** Integers up to this many digits are exact in a double. */
const SAFE_DIGITS = 15;
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];
/** Seconds beyond which seconds × 10^6 is no longer exact in a double (about year 2255). */
const SAFE_SECONDS = 9_000_000_000;

/**
 * A text-protocol value's length when its first byte is 0xfc, 0xfd or 0xfe (2, 3 or 8 more bytes
 * follow; below 0xfb the byte is the length, 0xfb is NULL). `lengthBytes` is how many bytes the
 * length took.
 */
export function longLength(buf: Uint8Array, pos: number): number {
  const first = buf[pos]!;
  if (first === 0xfc) return buf[pos + 1]! | (buf[pos + 2]! << 8);
  if (first === 0xfd) return buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16);
  const low = (buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16) | (buf[pos + 4]! << 24)) >>> 0;
  return low + (buf[pos + 5]! | (buf[pos + 6]! << 8)) * TWO_32;
}

export function lengthBytes(first: number): number {
  return first < 0xfb ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
}

/** Integers that fit in a double exactly (TINYINT … INT, YEAR). */
export function parseSmallInt(buf: Uint8Array, pos: number, end: number): number {
  let negative = false;
  if (buf[pos] === 0x2d) {
    negative = true;
    pos++;
  }
  let value = 0;
  for (let i = pos; i < end; i++) value = value * 10 + (buf[i]! - 0x30);
  return negative ? -value : value;
}

export function ascii(buf: Uint8Array, pos: number, end: number): string {
  let text = '';
  for (let i = pos; i < end; i++) text += String.fromCharCode(buf[i]!);
  return text;
}

/** Writes an integer-valued double (|v| < 2^53) as a little-endian two's complement 64-bit word pair. */
export function writeWords64(b: ColumnBuilder, row: number, value: number): void {
  b.u32[row * 2] = value >>> 0;
  b.u32[row * 2 + 1] = Math.floor(value / TWO_32);
}

export function writeInt64(b: ColumnBuilder, row: number, buf: Uint8Array, pos: number, end: number): void {
  const negative = buf[pos] === 0x2d;
  if (end - pos - (negative ? 1 : 0) <= SAFE_DIGITS) {
    writeWords64(b, row, parseSmallInt(buf, pos, end));
  } else {
    // 16 digits or more: rare (ids above 10^15, BIGINT UNSIGNED above 2^63); BigInt is exact.
    // The BigInt64Array stores the two's complement, so unsigned values above 2^63 land intact.
    b.i64[row] = BigInt.asIntN(64, BigInt(ascii(buf, pos, end)));
  }
}

/**
 * Parses a decimal as text into a double. The common case (at most 15 significant digits and a
 * power of ten up to 10^22) is exact arithmetic and correctly rounded (Clinger's fast path);
 * anything else goes through the engine's own parser.
 */
export function parseDouble(buf: Uint8Array, pos: number, end: number): number {
  let i = pos;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  } else if (buf[i] === 0x2b) {
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  let seenPoint = false;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 || c !== 0x30) digits++;
      mantissa = mantissa * 10 + (c - 0x30);
      if (seenPoint) exponent--;
    } else if (c === 0x2e && !seenPoint) {
      seenPoint = true;
    } else {
      break;
    }
  }
  if (i < end) {
    const c = buf[i]!;
    if (c !== 0x65 && c !== 0x45) return Number(ascii(buf, pos, end));
    i++;
    let expNegative = false;
    if (buf[i] === 0x2d) {
      expNegative = true;
      i++;
    } else if (buf[i] === 0x2b) {
      i++;
    }
    let e = 0;
    for (; i < end; i++) e = e * 10 + (buf[i]! - 0x30);
    exponent += expNegative ? -e : e;
  }
  if (digits > SAFE_DIGITS || exponent > 22 || exponent < -22) return Number(ascii(buf, pos, end));
  const value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
  return negative ? -value : value;
}

/** Decimal text to a scaled integer in 32-bit words (two's complement, little-endian). */
export function writeDecimal(b: ColumnBuilder, row: number, buf: Uint8Array, pos: number, end: number): void {
  let i = pos;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let fraction = -1;
  let digits = 0;
  let value = 0;
  for (let j = i; j < end; j++) {
    const c = buf[j]!;
    if (c === 0x2e) {
      fraction = 0;
    } else {
      digits++;
      if (fraction >= 0) fraction++;
      value = value * 10 + (c - 0x30);
    }
  }
  const missing = b.scale - Math.max(0, fraction);
  const words = b.words;
  const at = row * words;
  const u32 = b.u32;
  if (digits + missing <= SAFE_DIGITS && missing >= 0) {
    const scaled = (negative ? -value : value) * POW10[missing]!;
    u32[at] = scaled >>> 0;
    const hi = Math.floor(scaled / TWO_32);
    u32[at + 1] = hi;
    const fill = scaled < 0 ? 0xffffffff : 0;
    for (let w = 2; w < words; w++) u32[at + w] = fill;
    return;
  }
  writeLongDecimal(u32, at, words, buf, i, end, negative, missing);
}

/** The exact path for decimals beyond 15 digits: base-2^16 limbs, then two's complement. */
function writeLongDecimal(
  u32: Uint32Array,
  at: number,
  words: number,
  buf: Uint8Array,
  start: number,
  end: number,
  negative: boolean,
  missing: number,
): void {
  if (missing < 0)
    throw new SluiceError(
      'WIRE_INVALID',
      `decimal '${ascii(buf, start, end)}' has more digits than its scale`,
    );
  const limbs = new Uint32Array(words * 2);
  const multiply = (factor: number, add: number) => {
    let carry = add;
    for (let l = 0; l < limbs.length; l++) {
      const v = limbs[l]! * factor + carry;
      limbs[l] = v % 65536;
      carry = Math.floor(v / 65536);
    }
  };
  for (let j = start; j < end; j++) {
    const c = buf[j]!;
    if (c !== 0x2e) multiply(10, c - 0x30);
  }
  for (let m = 0; m < missing; m++) multiply(10, 0);
  if (negative) {
    let carry = 1;
    for (let l = 0; l < limbs.length; l++) {
      const v = (~limbs[l]! & 0xffff) + carry;
      limbs[l] = v & 0xffff;
      carry = v >>> 16;
    }
  }
  for (let w = 0; w < words; w++) u32[at + w] = (limbs[2 * w]! | (limbs[2 * w + 1]! << 16)) >>> 0;
}

/** Returned by parseDate for '0000-00-00' and other dates with a zero month or day. */
export const ZERO_DATE = -2147483648;

function digits2(buf: Uint8Array, at: number): number {
  return (buf[at]! - 0x30) * 10 + (buf[at + 1]! - 0x30);
}

function digits4(buf: Uint8Array, at: number): number {
  return digits2(buf, at) * 100 + digits2(buf, at + 2);
}

/** 'YYYY-MM-DD' to days since the epoch, or ZERO_DATE. */
export function parseDate(buf: Uint8Array, pos: number): number {
  const month = digits2(buf, pos + 5);
  const day = digits2(buf, pos + 8);
  if (month === 0 || day === 0) return ZERO_DATE;
  const year = digits4(buf, pos);
  const index = (year - TABLE_FIRST_YEAR) * 12 + month - 1;
  // Most dates fall in the table of month starts; the arithmetic covers the rest.
  if (index >= 0 && index < MONTH_STARTS.length && month <= 12) return MONTH_STARTS[index]! + day - 1;
  return daysFromCivil(year, month, day);
}

/** Days since the epoch of the first of each month, 1900-01 to 2199-12. */
const TABLE_FIRST_YEAR = 1900;
const MONTH_STARTS = Int32Array.from({ length: 300 * 12 }, (_, index) =>
  daysFromCivil(TABLE_FIRST_YEAR + Math.floor(index / 12), (index % 12) + 1, 1),
);

/** 'YYYY-MM-DD HH:MM:SS[.ffffff]' to microseconds since the epoch; false for zero dates. */
export function writeTimestamp(
  b: ColumnBuilder,
  row: number,
  buf: Uint8Array,
  pos: number,
  end: number,
): boolean {
  const days = parseDate(buf, pos);
  if (days === ZERO_DATE) return false;
  const seconds =
    days * 86400 + digits2(buf, pos + 11) * 3600 + digits2(buf, pos + 14) * 60 + digits2(buf, pos + 17);
  const micros = fractionMicros(buf, pos + 19, end);
  if (seconds < SAFE_SECONDS && seconds > -SAFE_SECONDS) {
    writeWords64(b, row, seconds * 1_000_000 + micros);
  } else {
    b.i64[row] = BigInt(seconds) * 1_000_000n + BigInt(micros);
  }
  return true;
}

/** '.ffffff' (1 to 6 digits, or nothing) at `at` as microseconds. */
export function fractionMicros(buf: Uint8Array, at: number, end: number): number {
  if (at >= end || buf[at] !== 0x2e) return 0;
  let micros = 0;
  let digits = 0;
  for (let i = at + 1; i < end && digits < 6; i++, digits++) micros = micros * 10 + (buf[i]! - 0x30);
  return micros * POW10[6 - digits]!;
}

/** '[-]H…H:MM:SS[.ffffff]' to signed microseconds. */
export function parseTime(buf: Uint8Array, pos: number, end: number): number {
  let i = pos;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let hours = 0;
  for (; i < end && buf[i] !== 0x3a; i++) hours = hours * 10 + (buf[i]! - 0x30);
  const minutes = digits2(buf, i + 1);
  const seconds = digits2(buf, i + 4);
  const micros = (hours * 3600 + minutes * 60 + seconds) * 1_000_000 + fractionMicros(buf, i + 6, end);
  return negative ? -micros : micros;
}
