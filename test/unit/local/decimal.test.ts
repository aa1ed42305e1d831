import { Decimal, makeData, makeVector, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../src/frame/column.ts';
import { arrowToRows } from '../../../src/frame/rows.ts';
import { DEFAULT_COLLATION } from '../../../src/local/collation.ts';
import { comparisonKeys, exactKey } from '../../../src/local/compare.ts';
import { divisionFrac } from '../../../src/local/decimal.ts';
import { executeLocal } from '../../../src/local/execute.ts';
import { arithmeticType } from '../../../src/local/expr/operators.ts';
import { aggregateType } from '../../../src/local/ops/accumulate.ts';
import { staticType } from '../../../src/local/static-type.ts';
import { T } from '../../../src/local/types.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { source } from './helpers.ts';

// Every expected text is MariaDB 10.11's answer to the same SQL (SELECT 1/3*3, ...), digit for digit.

/** One column of DECIMAL(scale) values (unscaled integers), as a pushed-down read gives them. */
function decimalTable(scale: number, unscaled: readonly bigint[], bits: 128 | 256 = 128): Table {
  const stride = bits / 32;
  const words = new Uint32Array(unscaled.length * stride);
  unscaled.forEach((value, i) => {
    let rest = BigInt.asUintN(bits, value);
    for (let k = 0; k < stride; k++) {
      words[i * stride + k] = Number(rest & 0xffffffffn);
      rest >>= 32n;
    }
  });
  const type = new Decimal(scale, bits === 128 ? 38 : 65, bits);
  return new Table({ b: makeVector(makeData({ type, length: unscaled.length, nullCount: 0, data: words })) });
}

/** The values of `columns` over the table, as collect() gives them (DECIMAL as exact text). */
async function texts(table: Table, columns: Record<string, Column>, aggregate = false) {
  const { node, inputs } = source('t', table);
  const exprs = Object.entries(columns).map(([name, column]) => column.as(name).node);
  const plan = aggregate ? Plans.aggregate(node, [], exprs) : Plans.project(node, exprs);
  return arrowToRows(await executeLocal(plan, inputs));
}

const one = decimalTable(0, [1n]);

describe('exact DECIMAL arithmetic', () => {
  it.each<[string, Column, string]>([
    ['a quotient keeps 9 digits inside an expression: 1/3*3', lit(1).div(3).times(3), '1.0000'],
    ['1/3', lit(1).div(3), '0.3333'],
    ['a literal keeps its scale: 100.00*5/3', lit.decimal('100.00').times(5).div(3), '166.666667'],
    ['1.5/7', lit.decimal('1.5').div(7), '0.21429'],
    ['1.5/2/2', lit.decimal('1.5').div(2).div(2), '0.375000000'],
    ['(1/7)*(1/7)', lit(1).div(7).times(lit(1).div(7)), '0.02040816'],
    ['2/3*1.5', lit(2).div(3).times(lit.decimal('1.5')), '1.00000'],
    [
      'quotients truncate toward zero: -1/3*10^15',
      lit(-1)
        .div(3)
        .times(10 ** 15),
      '-333333333000000.0000',
    ],
    [
      '5/-3*10^15',
      lit(5)
        .div(-3)
        .times(10 ** 15),
      '-1666666666000000.0000',
    ],
    [
      '18 digits for scales 1 and 1: 1.5/0.7*10^23',
      lit
        .decimal('1.5')
        .div(lit.decimal('0.7'))
        .times(10n ** 23n),
      '214285714285714285700000.00000',
    ],
    [
      '18 digits for a scale of 10: 1.2345678901/7*10^30',
      lit
        .decimal('1.2345678901')
        .div(7)
        .times(10n ** 30n),
      '176366841442857142000000000000.00000000000000',
    ],
    [
      'a product shows 38 digits, rounded half up',
      lit.decimal('0.12345678901234567890123456789').times(lit.decimal('0.12345678901234567890123456789')),
      '0.01524157875323883675049535156253619879',
    ],
    [
      'and keeps all 58 inside an expression',
      lit
        .decimal('0.12345678901234567890123456789')
        .times(lit.decimal('0.12345678901234567890123456789'))
        .times(10n ** 20n),
      '1524157875323883675.04953515625361987875019051998750190521',
    ],
    ['0.1 + 0.2', lit.decimal('0.1').plus(lit.decimal('0.2')), '0.3'],
    ['decimal modulo', lit.decimal('7.50').mod(lit.decimal('2.2')), '0.90'],
    ['-7.5 % 2 takes the dividend sign', lit.decimal('-7.5').mod(2), '-1.5'],
    [
      'CAST AS DECIMAL rounds half away from zero',
      lit.decimal('-2.00000000005').cast('decimal'),
      '-2.0000000001',
    ],
    [
      'CAST AS SIGNED of exact text rounds too',
      lit.decimal('12345678901234567890.5').cast('bigint'),
      '12345678901234567891',
    ],
  ])('%s', async (_name, column, expected) => {
    const [row] = await texts(one, { v: column });
    expect(String(row!.v)).toBe(expected);
  });

  it('types results as the server does', () => {
    const d = (scale: number) => T.decimal(scale);
    expect(arithmeticType('*', d(2), d(2))).toEqual(T.decimal(4));
    expect(arithmeticType('*', d(29), d(29))).toEqual(T.decimal(38, 58));
    expect(arithmeticType('/', T.int, T.int)).toEqual(T.decimal(4, 9));
    expect(arithmeticType('/', d(6), d(4))).toEqual(T.decimal(10, 18));
    expect(arithmeticType('+', d(2), T.decimal(6, 9))).toEqual(T.decimal(6, 9));
    expect(divisionFrac(1, 0)).toBe(9);
    expect(divisionFrac(0, 8)).toBe(18);
    expect(aggregateType('avg', d(2))).toEqual(T.decimal(6, 9));
    expect(aggregateType('sum', d(2))).toEqual(d(2));
  });
});

describe('exact DECIMAL aggregates', () => {
  it('sums and averages as the server does, quotients included', async () => {
    // b DECIMAL(10,2) = 1.25, 2.35
    const table = decimalTable(2, [125n, 235n]);
    const [row] = await texts(
      table,
      {
        sum: fn.sum('b'),
        avg: fn.avg('b'),
        cube: fn.sum(col('b').times(col('b')).times(col('b'))),
        thirds: fn.sum(col('b').div(3)),
        sevenths: fn.avg(col('b').div(7)).times(10n ** 21n),
        max: fn.max(col('b').div(7)).times(10n ** 24n),
        ratio: lit
          .decimal('100.00')
          .times(fn.sum('b'))
          .div(fn.sum(col('b').times(2))),
      },
      true,
    );
    expect(row).toEqual({
      sum: '3.60',
      avg: '1.800000',
      cube: '14.931000',
      thirds: '1.200000',
      sevenths: '257142856500000000000.0000000000',
      max: '335714285000000000000000.000000',
      ratio: '50.00000000',
    });
  });

  it('keeps every digit of DECIMAL(65,30) sums in any row order', async () => {
    const big = 12345678901234567890123456789012345123456789012345678901234567890n;
    const values = [
      big,
      -1n,
      big / 7n,
      -(big / 3n),
      999999999999999999999999999999999999999999999999999999999999999n,
    ];
    const exact = values.reduce((a, b) => a + b, 0n);
    const text = (u: bigint) => {
      const digits = (u < 0n ? -u : u).toString().padStart(31, '0');
      return `${u < 0n ? '-' : ''}${digits.slice(0, -30)}.${digits.slice(-30)}`;
    };
    for (const order of [values, [...values].reverse()]) {
      const [row] = await texts(
        decimalTable(30, order, 256),
        { s: fn.sum('b'), mn: fn.min('b'), mx: fn.max('b') },
        true,
      );
      expect(row!.s).toBe(text(exact));
      expect(row!.mn).toBe(text(-(big / 3n)));
      expect(row!.mx).toBe(text(big));
    }
  });

  it('sums a million cents exactly, whatever a double would do', async () => {
    const unscaled = Array.from(
      { length: 1_000_000 },
      (_, i) => BigInt(((i * 7919) % 10_000_000) - 3_000_000) * 1_000_001n,
    );
    const exact = unscaled.reduce((a, b) => a + b, 0n);
    const [row] = await texts(decimalTable(6, unscaled), { s: fn.sum('b') }, true);
    const digits = (exact < 0n ? -exact : exact).toString().padStart(7, '0');
    expect(row!.s).toBe(`${exact < 0n ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`);
  });
});

describe('exact keys for comparing, sorting, grouping and joining', () => {
  it('DECIMAL(65,30) values that differ in the 30th digit order and never tie', () => {
    const key = exactKey(30);
    const values = [
      '12345678901234567890123.000000000000000000000000000002',
      '-12345678901234567890123.000000000000000000000000000001',
      '12345678901234567890123.000000000000000000000000000001',
      '0.100000000000000000000000000001',
      0.1,
      '0.099999999999999999999999999999',
    ];
    const sorted = [...values].sort((a, b) => {
      const x = key(a)!;
      const y = key(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
    expect(sorted).toEqual([values[1], values[5], values[4], values[3], values[2], values[0]]);
  });

  it('one value has one key whatever form holds it', () => {
    const key = exactKey(30);
    expect(key(1.5)).toBe(key('1.500000000000000000000000000000'));
    expect(key(9007199254740992)).toBe(key(9007199254740992n));
    expect(exactKey(0)(9007199254740993n)).toBe(9007199254740993n);
    expect(exactKey(2)(-0)).toBe(0);
  });

  it('an INT against a DECIMAL compares at the DECIMAL digits, exactly beyond 2^53', () => {
    const [intKey, decimalKey] = comparisonKeys(T.int, T.decimal(2), DEFAULT_COLLATION);
    expect(intKey(3)).toBe(decimalKey(3));
    expect(intKey(3)! > decimalKey(2.99)!).toBe(true);
    expect(intKey(9007199254740993n)! > decimalKey('9007199254740992.99')!).toBe(true);
  });
});

describe('static types before any row is read', () => {
  it('a quotient of a DECIMAL(38,10) column shows 14 digits and carries 18', () => {
    const scan = Plans.scan('db', 'nums', [{ name: 'c', sqlType: 'decimal(38,10)' }], { pushdown: true });
    expect(staticType(col('c').div(7).node, scan)).toEqual(T.decimal(14, 18));
    expect(staticType(col('c').times(col('c')).node, scan)).toEqual(T.decimal(20));
    expect(
      staticType(col('c').div(7).node, Plans.scan('db', 'nums', [{ name: 'c' }], { pushdown: true })),
    ).toBe(undefined);
  });
});
