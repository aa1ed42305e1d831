import { describe, expect, it } from 'vitest';
import {
  civilFromDays,
  daysFromCivil,
  formatDays,
  formatDuration,
  formatEpochMicrosBig,
} from '../../../src/values/civil-date.ts';
import {
  bigIntToWords,
  decimalToString,
  unscaledToText,
  wordsToBigInt,
} from '../../../src/values/decimal.ts';

describe('civil dates', () => {
  it('counts days from 1970-01-01 both ways, across leap rules', () => {
    for (const [y, m, d, days] of [
      [1970, 1, 1, 0],
      [1969, 12, 31, -1],
      [2000, 2, 29, 11016],
      [1900, 3, 1, -25508],
      [9999, 12, 31, 2932896],
      [1000, 1, 1, -354285],
    ] as const) {
      expect(daysFromCivil(y, m, d)).toBe(days);
      expect(civilFromDays(days)).toEqual([y, m, d]);
    }
    expect(formatDays(-354285)).toBe('1000-01-01');
  });

  it('prints timestamps and durations as MariaDB does', () => {
    expect(formatEpochMicrosBig(-1n)).toBe('1969-12-31 23:59:59.999999');
    expect(formatEpochMicrosBig(253402300799999999n)).toBe('9999-12-31 23:59:59.999999');
    expect(formatDuration(-1_000_000n)).toBe('-00:00:01');
    expect(formatDuration(3_020_399_000_000n)).toBe('838:59:59');
    expect(formatDuration(1_500_000n)).toBe('00:00:01.500000');
  });
});

describe('decimal words', () => {
  it('round-trips signed values through 32-bit words of Decimal128 and Decimal256', () => {
    for (const value of [0n, 1n, -1n, 2n ** 64n + 5n, -(10n ** 37n) + 1n, 10n ** 65n - 1n]) {
      const count = value > 2n ** 126n || value < -(2n ** 126n) ? 8 : 4;
      const words = new Uint32Array(count + 2);
      bigIntToWords(value, words, 1, count);
      expect(wordsToBigInt(words, 1, count)).toBe(value);
    }
  });

  it('prints unscaled integers at their scale, digit for digit', () => {
    expect(unscaledToText(-5n, 2)).toBe('-0.05');
    expect(unscaledToText(12345678901234567890123n, 3)).toBe('12345678901234567890.123');
    expect(unscaledToText(7n, 0)).toBe('7');
    const words = new Uint32Array(4);
    bigIntToWords(-123456789012345678901234567n, words, 0, 4);
    expect(decimalToString(words, 10)).toBe('-12345678901234567.8901234567');
  });
});
