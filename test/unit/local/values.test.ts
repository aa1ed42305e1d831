import { describe, expect, it } from 'vitest';
import { collationKey, foldCharacters } from '../../../src/local/collation.ts';
import { addMonths, canonicalDateTime, parseDateTime } from '../../../src/local/temporal.ts';
import { T } from '../../../src/local/types.ts';
import {
  formatDecimal,
  formatDouble,
  parseLeadingInt,
  parseLeadingNumber,
  rint,
  roundDecimal,
  roundDouble,
  toText,
} from '../../../src/local/values.ts';
import { civilFromDays, daysFromCivil, formatEpochMicros } from '../../../src/values/civil-date.ts';

describe('numbers as MariaDB rounds and prints them', () => {
  it('rounds decimals half away from zero, ignoring binary noise', () => {
    expect(roundDecimal(1.005, 2)).toBe(1.01);
    expect(roundDecimal(-1.005, 2)).toBe(-1.01);
    expect(roundDecimal(2.345, 2)).toBe(2.35);
    expect(roundDecimal(0.1 + 0.2, 1)).toBe(0.3);
    expect(roundDecimal(2 / 3, 4)).toBe(0.6667);
    expect(roundDecimal(2.5, 0)).toBe(3);
    expect(roundDecimal(1234.5678, -2)).toBe(1200);
    expect(roundDecimal(0.4999, 0)).toBe(0);
  });

  it('rounds doubles on their exact binary value, halves to even', () => {
    expect(roundDouble(2.5, 0)).toBe(2);
    expect(roundDouble(3.5, 0)).toBe(4);
    expect(roundDouble(-2.5, 0)).toBe(-2);
    expect(roundDouble(0.125, 2)).toBe(0.12);
    expect(roundDouble(0.375, 2)).toBe(0.38);
    expect(roundDouble(2.345, 2)).toBe(2.35);
    expect(roundDouble(1.005, 2)).toBe(1);
    expect(roundDouble(-2.345, 2)).toBe(-2.35);
    expect(rint(0.5)).toBe(0);
    expect(rint(1.5)).toBe(2);
  });

  it('prints doubles with the shortest digits, exponents from 1e15', () => {
    expect(formatDouble(1e14)).toBe('100000000000000');
    expect(formatDouble(1e15)).toBe('1e15');
    expect(formatDouble(1.2345678901234568e17)).toBe('1.2345678901234568e17');
    expect(formatDouble(1e-5)).toBe('0.00001');
    expect(formatDouble(-1.5e-7)).toBe('-0.00000015');
    expect(formatDouble(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(toText(100, T.double)).toBe('100');
  });

  it('prints decimals with their scale', () => {
    expect(formatDecimal(2.5, 2)).toBe('2.50');
    expect(formatDecimal(-0.001, 2)).toBe('0.00');
    expect(toText(1 / 3, T.decimal(4, 9))).toBe('0.3333');
  });

  it('reads strings as numbers by their leading prefix', () => {
    expect(parseLeadingNumber(' 1.5abc')).toBe(1.5);
    expect(parseLeadingNumber('1e1')).toBe(10);
    expect(parseLeadingNumber('abc')).toBe(0);
    expect(parseLeadingNumber('.5')).toBe(0.5);
    expect(parseLeadingInt('-2.7')).toBe(-2);
    expect(parseLeadingInt('99999999999999999999')).toBe(99999999999999999999n);
  });
});

describe('utf8mb4_general_ci', () => {
  it('folds case and accents, character by character', () => {
    const key = collationKey('utf8mb4_general_ci');
    expect(key('abc')).toBe(key('ABC'));
    expect(key('é')).toBe(key('E'));
    expect(key('ß')).toBe(key('s'));
    expect(key('ß')).not.toBe(key('ss'));
    expect(key('a  ')).toBe(key('a'));
    expect(key('😀')).toBe(key('🦀'));
    expect(key('a') < key('B')).toBe(true);
    expect(foldCharacters('ab ')).toBe('AB ');
  });

  it('binary compares as written', () => {
    const key = collationKey('binary');
    expect(key('a')).not.toBe(key('A'));
  });
});

describe('dates', () => {
  it('day numbers round-trip', () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [2000, 2, 29],
      [1969, 12, 31],
      [1, 1, 1],
      [9999, 12, 31],
    ] as const) {
      expect(civilFromDays(daysFromCivil(y, m, d))).toEqual([y, m, d]);
    }
    expect(daysFromCivil(2020, 1, 5)).toBe(18266);
  });

  it('reads dates as MariaDB does', () => {
    expect(parseDateTime('2020-1-5')).toMatchObject({ year: 2020, month: 1, day: 5, hasTime: false });
    expect(parseDateTime('2020-02-30')).toBeNull();
    expect(parseDateTime('20200105101112')).toMatchObject({
      hour: 10,
      minute: 11,
      second: 12,
      hasTime: true,
    });
    expect(parseDateTime('2020-01-05T10:11:12.5')).toMatchObject({ micro: 500000 });
    expect(parseDateTime(20200105)).toMatchObject({ year: 2020, day: 5 });
    expect(canonicalDateTime('2020-01-05')).toBe(canonicalDateTime('2020-01-05 00:00:00'));
    expect(formatEpochMicros(-1)).toBe('1969-12-31 23:59:59.999999');
  });

  it('adds months clamping to the month end', () => {
    const parts = parseDateTime('2020-01-31')!;
    expect(addMonths(parts, 1)).toMatchObject({ year: 2020, month: 2, day: 29 });
    expect(addMonths(parts, -2)).toMatchObject({ year: 2019, month: 11, day: 30 });
  });
});
