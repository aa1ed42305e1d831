/**
 * Reading Arrow values back as exact JS values where `vector.get()` is lossy or raw: decimals
 * (apache-arrow returns their 32-bit words) and 64-bit integers.
 */

/** A decimal's words (little-endian two's complement, as `Vector.get` returns them) as exact text. */
export function decimalToString(words: Uint32Array, scale: number): string {
  let value = 0n;
  for (let index = words.length - 1; index >= 0; index--) value = (value << 32n) | BigInt(words[index]!);
  value = BigInt.asIntN(words.length * 32, value);
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}
