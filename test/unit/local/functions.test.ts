import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../src/frame/column.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, evaluateOne, run, source } from './helpers.ts';

// Expected values are MariaDB 10.11's answers for the SQL each function renders to.

describe('math functions', () => {
  it.each<[string, Column, unknown]>([
    ['abs of an integer', fn.abs(lit(-3)), 3],
    ['abs of a decimal', fn.abs(lit(-2.5)), 2.5],
    ['abs of NULL', fn.abs('n'), null],
    ['round a decimal half away from zero', fn.round(lit(2.5)), 3],
    ['round a negative decimal', fn.round(lit(-2.5)), -3],
    ['round a decimal to digits', fn.round(lit(2.345), 2), 2.35],
    ['round 1.005 as the decimal it is', fn.round(lit(1.005), 2), 1.01],
    ['round a double half to even', fn.round('x'), 2],
    ['round a double 3.5', fn.round(lit(3.5).cast('double')), 4],
    ['round a double above the half', fn.round(lit(2.345).cast('double'), 2), 2.35],
    ['round a double below the half', fn.round(lit(1.005).cast('double'), 2), 1],
    ['round to tens', fn.round(lit(15), -1), 20],
    ['round to hundreds', fn.round(lit(1234.5678), -2), 1200],
    ['round with NULL digits', fn.round(lit(2.5), null), null],
    ['floor of a decimal', fn.floor(lit(-2.5)), -3],
    ['ceil of a decimal', fn.ceil(lit(-2.5)), -2],
    ['floor of a double', fn.floor('x'), 2],
    ['sqrt', fn.sqrt(lit(4)), 2],
    ['sqrt of a negative is NULL', fn.sqrt(lit(-1)), null],
    ['ln of 0 is NULL', fn.ln(lit(0)), null],
    ['ln of a negative is NULL', fn.ln(lit(-1)), null],
    ['log of 0 is NULL', fn.log(lit(0)), null],
    ['log base 2', fn.log(lit(2), lit(8)), 3],
    ['log base 1 is NULL', fn.log(lit(1), lit(8)), null],
    ['log of a negative base is NULL', fn.log(lit(-2), lit(8)), null],
    ['log base 2 of 0 is NULL', fn.log(lit(2), lit(0)), null],
    ['exp', fn.exp(lit(1)), Math.E],
    ['pow', fn.pow(lit(2), lit(3)), 8],
    ['pow negative exponent', fn.pow(lit(2), lit(-1)), 0.5],
    ['greatest of numbers', fn.greatest(lit(1), lit(2.5)), 2.5],
    ['greatest with NULL is NULL', fn.greatest(lit(1), lit(2.5), lit(null)), null],
    ['greatest of strings by collation', fn.greatest(lit('a'), lit('B')), 'B'],
    ['least of strings by collation', fn.least(lit('b'), lit('A'), lit('c')), 'A'],
    ['greatest of numeric strings compares strings', fn.greatest(lit('3'), lit('10')), '3'],
    ['greatest of numbers', fn.greatest(lit(3), lit(10)), 10],
    ['least of a date and text', fn.least('d', lit('1994-05-05')), '1994-05-05'],
  ])('%s', async (_name, column, expected) => {
    const value = await evaluateOne(column);
    if (typeof expected === 'number' && !Number.isInteger(expected)) expect(value).toBeCloseTo(expected, 12);
    else expect(value).toEqual(expected);
  });
});

describe('string functions', () => {
  it.each<[string, Column, unknown]>([
    ['lower', fn.lower(lit('ÀB')), 'àb'],
    ['upper', fn.upper('s'), 'BRASS WIDGET'],
    ['upper keeps ß', fn.upper(lit('straße')), 'STRAßE'],
    ['upper of a number', fn.upper(col('x')), '2.5'],
    ['length counts characters', fn.length(lit('🦀ab')), 3],
    ['length of accented text', fn.length(lit('héllo')), 5],
    ['length of a decimal', fn.length(lit(12.5)), 4],
    ['substr from 2', fn.substr('s', 2), 'rass Widget'],
    ['substr negative start', fn.substr(lit('hello'), -3, 2), 'll'],
    ['substr at 0 is empty', fn.substr(lit('hello'), 0, 2), ''],
    ['substr negative length is empty', fn.substr(lit('hello'), 2, -1), ''],
    ['substr beyond the end', fn.substr(lit('hello'), 10), ''],
    ['substr of characters', fn.substr(lit('héllo'), 2, 2), 'él'],
    ['substr of emoji', fn.substr(lit('a🦀b'), 2, 1), '🦀'],
    ['substr rounds the position', fn.substr(lit('hello'), 1.5, 2), 'el'],
    ['concat', fn.concat(lit('a'), lit(1), lit(2.5), col('x')), 'a12.52.5'],
    ['concat with NULL is NULL', fn.concat(lit('a'), col('n')), null],
    ['concat of a date', fn.concat('d', lit('!')), '1995-03-15!'],
    ['trim spaces only', fn.trim(lit('  a b  ')), 'a b'],
    ['trim leaves tabs', fn.trim(lit('\tab ')), '\tab'],
    ['replace is case-sensitive', fn.replace(lit('aAa'), lit('a'), lit('x')), 'xAx'],
    ['replace of empty', fn.replace(lit('abc'), lit(''), lit('x')), 'abc'],
    ['replace with NULL', fn.replace(lit('abc'), lit('a'), lit(null)), null],
  ])('%s', async (_name, column, expected) => {
    expect(await evaluateOne(column)).toEqual(expected);
  });

  it('binary strings: CHAR_LENGTH counts bytes, UPPER leaves them', async () => {
    const { Binary } = await import('apache-arrow');
    const table = arrowTable({ b: [new Binary(), [new Uint8Array([0xff, 0x61, 0xc3]), null]] });
    const { node, inputs } = source('b', table);
    const plan = Plans.project(
      node,
      [fn.length('b').as('n'), fn.upper('b').as('u')].map((c) => c.node),
    );
    expect(await run(plan, inputs)).toEqual([
      { n: 3, u: new Uint8Array([0xff, 0x61, 0xc3]) },
      { n: null, u: null },
    ]);
  });

  it.each<[string, Column, unknown]>([['trim of nothing to trim', fn.trim(lit('x')), 'x']])(
    '%s',
    async (_name, column, expected) => {
      expect(await evaluateOne(column)).toEqual(expected);
    },
  );
});

describe('date functions', () => {
  it.each<[string, Column, unknown]>([
    ['year of a date', fn.year('d'), 1995],
    ['month of a date', fn.month('d'), 3],
    ['day of datetime text', fn.day(lit('2020-03-05 10:00:00')), 5],
    ['hour of datetime text', fn.hour(lit('2020-03-05 10:11:12')), 10],
    ['hour of a date', fn.hour('d'), 0],
    ['hour of a time', fn.hour(lit('10:11:12')), 10],
    ['year of text that is no date', fn.year(lit('abc')), null],
    ['day of an invalid date', fn.day(lit('2020-02-30')), null],
    ['year of a number', fn.year(lit(20200105)), 2020],
    ['dateDiff ignores the time', fn.dateDiff(lit('2020-03-05'), lit('2020-02-27 23:59:59')), 7],
    ['dateDiff negative', fn.dateDiff(lit('2020-01-01'), lit('2020-03-05')), -64],
    ['dateDiff of text that is no date', fn.dateDiff(lit('x'), lit('2020-01-01')), null],
    ['dateDiff against a column', fn.dateDiff(lit('1995-03-20'), col('d')), 5],
    ['dateTrunc year', fn.dateTrunc('year', lit('2020-05-17')), '2020-01-01'],
    ['dateTrunc quarter', fn.dateTrunc('quarter', lit('2020-05-17')), '2020-04-01'],
    ['dateTrunc week starts on Monday', fn.dateTrunc('week', lit('2020-05-17 10:00:00')), '2020-05-11'],
    ['dateTrunc month', fn.dateTrunc('month', lit('2020-05-17 10:11:12')), '2020-05-01'],
    ['dateTrunc day', fn.dateTrunc('day', lit('2020-05-17 10:11:12')), '2020-05-17'],
    ['dateTrunc hour', fn.dateTrunc('hour', lit('2020-05-17 10:11:12.5')), '2020-05-17 10:00:00'],
    ['dateTrunc minute', fn.dateTrunc('minute', lit('2020-05-17 10:11:12')), '2020-05-17 10:11:00'],
    ['dateTrunc second of a date', fn.dateTrunc('second', 'd'), '1995-03-15 00:00:00'],
    ['dateAdd a month clamps the day', fn.dateAdd(lit('2020-01-31'), 1, 'month'), '2020-02-29'],
    [
      'dateAdd a year from Feb 29',
      fn.dateAdd(fn.dateTrunc('day', lit('2020-02-29')), 1, 'year'),
      '2021-02-28',
    ],
    ['dateAdd a week', fn.dateAdd('d', 1, 'week'), '1995-03-22'],
    ['dateAdd days to a date', fn.dateAdd('d', -15, 'day'), '1995-02-28'],
    ['dateAdd an hour to a date gives a datetime', fn.dateAdd('d', 1, 'hour'), '1995-03-15 01:00:00'],
    ['dateAdd an hour to date text', fn.dateAdd(lit('2020-01-31'), 1, 'hour'), '2020-01-31 01:00:00'],
    ['dateAdd to datetime text', fn.dateAdd(lit('2020-01-31 10:00:00'), -1, 'day'), '2020-01-30 10:00:00'],
    ['dateAdd a quarter', fn.dateAdd('d', 1, 'quarter'), '1995-06-15'],
    ['dateAdd rounds the amount', fn.dateAdd('d', 1.5, 'day'), '1995-03-17'],
    ['dateAdd NULL amount', fn.dateAdd('d', col('n'), 'day'), null],
    ['dateAdd to text that is no date', fn.dateAdd(lit('abc'), 1, 'day'), null],
  ])('%s', async (_name, column, expected) => {
    expect(await evaluateOne(column)).toEqual(expected);
  });
});
