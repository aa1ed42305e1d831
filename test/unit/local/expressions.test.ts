import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../src/frame/column.ts';
import { evaluate, evaluateOne } from './helpers.ts';

// Expected values are MariaDB 10.11's answers for the same SQL (see test/integration/local-vs-mariadb.test.ts).

describe('operators follow MariaDB', () => {
  it.each<[string, Column, unknown]>([
    ['integer arithmetic', col('a').times(3).minus(1), 20],
    ['integer division is a decimal with 4 digits', lit(1).div(3), 0.3333],
    ['2/3 rounds', lit(2).div(3), 0.6667],
    ['division keeps its digits inside an expression', lit(1).div(3).times(3), 1],
    ['decimal division adds 4 digits to the dividend scale', lit(1.0).div(3), 0.3333],
    ['division by zero is NULL', col('a').div(0), null],
    ['modulo by zero is NULL', col('a').mod(0), null],
    ['modulo takes the dividend sign', lit(-7).mod(3), -1],
    ['decimal modulo', lit(7.5).mod(2), 1.5],
    ['exact decimal addition', lit(0.1).plus(0.2), 0.3],
    ['exact decimal comparison', lit(0.1).plus(0.2).eq(0.3), 1],
    ['double arithmetic', col('x').times(2), 5],
    ['string in arithmetic reads its leading number', lit('10').plus(1), 11],
    ['non-numeric string is 0', lit('abc').plus(1), 1],
    ['NULL propagates', col('n').plus(1), null],
    ['negate', col('a').negate(), -7],
    ['negate a string', lit('5').negate(), -5],
    ['big integers stay exact', lit(9007199254740993n).plus(1), 9007199254740994n],
    ['an integer number beyond 2^53 is an integer', lit(2 ** 60).minus(1), 2n ** 60n - 1n],
    [
      'big integers divided exactly keep every digit',
      lit(18446744073709551614n).div(2),
      9223372036854775807n,
    ],
  ])('%s', async (_name, column, expected) => {
    expect(await evaluateOne(column)).toEqual(expected);
  });

  it.each<[string, Column, unknown]>([
    ['numbers compare numerically', lit(10).lt(9), 0],
    ['strings compare as strings', lit('10').lt('9'), 1],
    ['number against string compares as numbers', lit(10).lt('9'), 0],
    ['string with a numeric prefix', lit('5x').eq(5), 1],
    ['case-insensitive equality', lit('a').eq('A'), 1],
    ['trailing spaces are ignored', lit('a').eq('a  '), 1],
    ['accents are ignored', lit('é').eq('e'), 1],
    ['case-insensitive order', lit('a').lt('B'), 1],
    ['date against string literal', col('d').eq('1995-03-15'), 1],
    ['date against datetime text', col('d').eq('1995-03-15 00:00:00'), 1],
    ['date against loose date text', col('d').eq('1995-3-15'), 1],
    ['date before', col('d').lt('1995-03-15 00:00:01'), 1],
    ['NULL compares to NULL', col('n').eq(null), null],
    ['not equal', col('a').ne(7), 0],
  ])('%s', async (_name, column, expected) => {
    expect(await evaluateOne(column)).toEqual(expected);
  });

  it('three-valued AND, OR, NOT', async () => {
    const t = lit(1);
    const f = lit(0);
    const u = col('n');
    expect(
      await evaluate({
        tAndU: t.and(u),
        fAndU: f.and(u),
        tOrU: t.or(u),
        fOrU: f.or(u),
        notU: u.not(),
        notTwo: lit(2).not(),
        notZero: f.not(),
        twoAndThree: lit(2).and(3),
        stringTruth: lit('abc').or(0),
      }),
    ).toEqual({
      tAndU: null,
      fAndU: 0,
      tOrU: 1,
      fOrU: null,
      notU: null,
      notTwo: 0,
      notZero: 1,
      twoAndThree: 1,
      stringTruth: 0,
    });
  });

  it('IS NULL, IN and NOT IN with NULLs, BETWEEN', async () => {
    expect(
      await evaluate({
        isNull: col('n').isNull(),
        isNotNull: col('a').isNotNull(),
        inHit: col('a').isIn(1, 7, 9),
        inMissWithNull: lit(2).isIn(1, null),
        notInMissWithNull: lit(2).notIn(1, null),
        inHitWithNull: lit(1).isIn(1, null),
        nullIn: col('n').isIn(1),
        emptyIn: col('a').isIn([]),
        emptyNotIn: col('a').notIn([]),
        stringIn: lit('A').isIn('a', 'b'),
        numberInStrings: lit('2').isIn(2, 3),
        inColumns: col('a').isIn(col('a'), 3),
        between: col('a').between(5, 8),
        notBetween: col('a').between(8, 10).not(),
        betweenNullHigh: lit(2).between(1, null),
        belowBetweenNullHigh: lit(0).between(1, null),
        dateBetween: col('d').between('1995-01-01', '1995-12-31'),
      }),
    ).toEqual({
      isNull: 1,
      isNotNull: 1,
      inHit: 1,
      inMissWithNull: null,
      notInMissWithNull: null,
      inHitWithNull: 1,
      nullIn: null,
      emptyIn: 0,
      emptyNotIn: 1,
      stringIn: 1,
      numberInStrings: 1,
      inColumns: 1,
      between: 1,
      notBetween: 1,
      betweenNullHigh: null,
      belowBetweenNullHigh: 0,
      dateBetween: 1,
    });
  });

  it('LIKE: % and _, backslash escapes, case- and accent-insensitive, NULLs', async () => {
    expect(
      await evaluate({
        suffix: col('s').like('%Widget'),
        caseless: lit('abc').like('A%'),
        escapedUnderscore: lit('a_c').like('a\\_c'),
        escapedMiss: lit('abc').like('a\\_c'),
        escapedPercent: lit('a%').like('a\\%'),
        accent: lit('ébc').like('e%'),
        whole: lit('abc').like('ab'),
        newline: lit('x\ny').like('x_y'),
        trailingSpace: lit('ab ').like('ab'),
        regexChars: lit('a.b(c)').like('a.b(_)'),
        notLike: col('s').like('%x%').not(),
        nullOperand: col('n').like('a'),
        nullPattern: lit('A').like(null),
        number: col('a').like('7'),
        emoji: lit('🦀b').like('_b'),
      }),
    ).toEqual({
      suffix: 1,
      caseless: 1,
      escapedUnderscore: 1,
      escapedMiss: 0,
      escapedPercent: 1,
      accent: 1,
      whole: 0,
      newline: 1,
      trailingSpace: 0,
      regexChars: 1,
      notLike: 1,
      nullOperand: null,
      nullPattern: null,
      number: 1,
      emoji: 1,
    });
  });

  it('CASE picks the first true branch and widens the result type', async () => {
    expect(
      await evaluate({
        when: fn.when(col('a').lt(0), 'neg').when(col('a').eq(0), 'zero').otherwise('pos'),
        noElse: fn.when(col('a').lt(0), 'neg'),
        nullCondition: fn.when(col('n').eq(1), 'x').otherwise('y'),
        mixed: fn.when(lit(0), 'a').otherwise(2),
        numbers: fn.when(lit(1), 1).otherwise(2.5),
      }),
    ).toEqual({ when: 'pos', noElse: null, nullCondition: 'y', mixed: '2', numbers: 1 });
  });

  it('COALESCE returns the first non-NULL in the common type', async () => {
    expect(
      await evaluate({
        text: fn.coalesce('n', lit('fallback')),
        number: fn.coalesce(lit(null), lit(1.5), lit(2)),
        mixed: fn.coalesce(lit(null), lit('x'), lit(2)),
        allNull: fn.coalesce('n', lit(null)),
      }),
    ).toEqual({ text: 'fallback', number: 1.5, mixed: 'x', allNull: null });
  });
});

describe('CAST follows the MariaDB dialect', () => {
  it.each<[string, Column, unknown]>([
    ['decimal to int rounds half away from zero', lit(2.5).cast('int'), 3],
    ['negative decimal to int', lit(-2.5).cast('int'), -3],
    ['decimal 2.6 to int', lit(2.6).cast('bigint'), 3],
    ['double to int rounds half to even', col('x').cast('int'), 2],
    ['double 3.5 to int', lit(3.5).cast('double').cast('int'), 4],
    ['string to int takes the leading integer', lit('2.7').cast('int'), 2],
    ['negative string to int', lit('-2.7').cast('int'), -2],
    ['exponent string to int', lit('1e3').cast('int'), 1],
    ['non-numeric string to int', lit('abc').cast('int'), 0],
    ['date to int', col('d').cast('int'), 19950315],
    ['string to double', lit('3.9e0').cast('double'), 3.9],
    ['double to decimal', col('x').cast('decimal'), 2.5],
    ['int to string', col('a').cast('string'), '7'],
    ['decimal to string keeps its digits', lit(12.5).cast('string'), '12.5'],
    ['double to string', lit(1).cast('double').div(3).cast('string'), '0.3333333333333333'],
    ['date text to date', lit('2020-1-5').cast('date'), '2020-01-05'],
    ['compact text to date', lit('20200105').cast('date'), '2020-01-05'],
    ['datetime text to date', lit('2020-01-05 10:11:12').cast('date'), '2020-01-05'],
    ['invalid date', lit('abc').cast('date'), null],
    ['date to timestamp', col('d').cast('timestamp'), '1995-03-15 00:00:00'],
    [
      'text to timestamp keeps fractions',
      lit('2020-01-05 10:00:00.5').cast('timestamp'),
      '2020-01-05 10:00:00.500000',
    ],
    ['to boolean', col('a').cast('boolean'), 1],
    ['0.4 to boolean', lit(0.4).cast('boolean'), 0],
    ['NULL to boolean', col('n').cast('boolean'), null],
  ])('%s', async (_name, column, expected) => {
    expect(await evaluateOne(column)).toEqual(expected);
  });
});
