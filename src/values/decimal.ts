/**
 * DECIMAL values between Arrow's storage and exact text. Arrow keeps a decimal as its unscaled
 * integer in 32-bit words (little-endian, two's complement; 4 words for Decimal128, 8 for
 * Decimal256); `Vector.get` hands those words back. Going through bigint keeps every digit:
 * DECIMAL(65,30) does not fit a double, and its text is what the database would print.
 */

/** The signed integer held in `count` words starting at `offset`. */
export function wordsToBigInt(words: ArrayLike<number>, offset = 0, count = words.length - offset): bigint {
  let value = 0n;
  for (let index = offset + count - 1; index >= offset; index--)
    value = (value << 32n) | BigInt(words[index]!);
  return BigInt.asIntN(count * 32, value);
}

/** Writes `value` into `count` words starting at `offset` (two's complement, low word first). */
export function bigIntToWords(value: bigint, words: Uint32Array, offset: number, count: number): void {
  let rest = BigInt.asUintN(count * 32, value);
  for (let k = 0; k < count; k++) {
    words[offset + k] = Number(rest & 0xffffffffn);
    rest >>= 32n;
  }
}

/** An unscaled integer as decimal text with `scale` digits after the point ('-0.05' for -5, 2). */
export function unscaledToText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** A decimal's words (as `Vector.get` returns them) as exact text. */
export function decimalToString(words: Uint32Array, scale: number): string {
  return unscaledToText(wordsToBigInt(words), scale);
}
