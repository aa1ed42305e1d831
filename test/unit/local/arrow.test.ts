import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  DateMillisecond,
  Decimal,
  Dictionary,
  Float32,
  Float64,
  Int8,
  Int32,
  Int64,
  makeData,
  makeVector,
  Null,
  Table,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  Type,
  Uint64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, fn, lit } from '../../../src/frame/column.ts';
import { batchFromArrow } from '../../../src/local/arrow-in.ts';
import { executeLocal } from '../../../src/local/execute.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, rowsOf, source } from './helpers.ts';

/** A Decimal128 value's words from its unscaled integer. */
function decimalWords(unscaled: bigint): Uint32Array {
  const words = new Uint32Array(4);
  let rest = BigInt.asUintN(128, unscaled);
  for (let k = 0; k < 4; k++) {
    words[k] = Number(rest & 0xffffffffn);
    rest >>= 32n;
  }
  return words;
}

describe('Arrow input becomes plain SQL values', () => {
  it('reads every common type', () => {
    const table = arrowTable({
      i8: [new Int8(), [1, -2, null]],
      i64: [new Int64(), [5n, 2n ** 60n, null]],
      u64: [new Uint64(), [2n ** 64n - 1n, 0n, null]],
      f32: [new Float32(), [1.5, null, -0.25]],
      dec: [new Decimal(2, 15, 128), [decimalWords(12345n), decimalWords(-5n), null]],
      bigdec: [new Decimal(2, 38, 128), [decimalWords(-(10n ** 20n)), decimalWords(1n), null]],
      day: [new DateDay(), [new Date(Date.UTC(2020, 0, 5)), null, new Date(Date.UTC(1969, 11, 31))]],
      ms: [new DateMillisecond(), [new Date(Date.UTC(2000, 1, 29)), null, null]],
      ts: [new TimestampMicrosecond(), [Date.UTC(2020, 0, 5, 10, 11, 12, 500), Date.UTC(2020, 0, 5), null]],
      tsms: [new TimestampMillisecond(), [Date.UTC(1999, 11, 31, 23, 59, 59), null, null]],
      time: [new TimeMicrosecond(), [37_872_500_000n, null, 0n]],
      text: [new Utf8(), ['plain', 'ünïcödé 🦀', null]],
      bin: [new Binary(), [new Uint8Array([1, 2]), null, new Uint8Array([])]],
      flag: [new Bool(), [true, false, null]],
      dict: [new Dictionary(new Utf8(), new Int32()), ['x', 'y', 'x']],
    });
    expect(rowsOf(table)).toEqual([
      {
        i8: 1,
        i64: 5,
        u64: 2n ** 64n - 1n,
        f32: 1.5,
        dec: 123.45,
        bigdec: -(10n ** 18n),
        day: '2020-01-05',
        ms: '2000-02-29',
        ts: '2020-01-05 10:11:12.500000',
        tsms: '1999-12-31 23:59:59',
        time: '10:31:12.500000',
        text: 'plain',
        bin: new Uint8Array([1, 2]),
        flag: 1,
        dict: 'x',
      },
      {
        i8: -2,
        i64: 2n ** 60n,
        u64: 0,
        f32: null,
        dec: -0.05,
        bigdec: 0.01,
        day: null,
        ms: null,
        ts: '2020-01-05 00:00:00',
        tsms: null,
        time: null,
        text: 'ünïcödé 🦀',
        bin: null,
        flag: 0,
        dict: 'y',
      },
      {
        i8: null,
        i64: null,
        u64: null,
        f32: -0.25,
        dec: null,
        bigdec: null,
        day: '1969-12-31',
        ms: null,
        ts: null,
        tsms: null,
        time: '00:00:00',
        text: null,
        bin: new Uint8Array([]),
        flag: null,
        dict: 'x',
      },
    ]);
  });

  it('reads columns split over several record batches, and sliced vectors', () => {
    const first = arrowTable({ n: [new Int32(), [1, null]], s: [new Utf8(), ['a', 'b']] });
    const second = arrowTable({ n: [new Int32(), [3]], s: [new Utf8(), [null]] });
    const table = first.concat(second);
    expect(rowsOf(table)).toEqual([
      { n: 1, s: 'a' },
      { n: null, s: 'b' },
      { n: 3, s: null },
    ]);
    expect(rowsOf(table.slice(1, 3))).toEqual([
      { n: null, s: 'b' },
      { n: 3, s: null },
    ]);
    const mixed = arrowTable({
      flag: [new Bool(), [true, false, null, true]],
      dec: [new Decimal(2, 15, 128), [decimalWords(1n), decimalWords(2n), null, decimalWords(4n)]],
      big: [new Int64(), [1n, 2n, 3n, null]],
      f: [new Float64(), [1, 2, 3, 4]],
    });
    expect(rowsOf(mixed.slice(1, 4))).toEqual([
      { flag: 0, dec: 0.02, big: 2, f: 2 },
      { flag: null, dec: null, big: 3, f: 3 },
      { flag: 1, dec: 0.04, big: null, f: 4 },
    ]);
  });

  it('uses a numeric column without NULLs as its typed array, without copying', () => {
    const values = new Float64Array([1, 2, 3]);
    const table = new Table({ x: makeVector(values) });
    const batch = batchFromArrow(table);
    expect(batch.columns[0]!.values).toBeInstanceOf(Float64Array);
    expect(Array.from(batch.columns[0]!.values as Float64Array)).toEqual([1, 2, 3]);
  });

  it('takes decimal semantics from the plan for a DECIMAL read as float64', async () => {
    const table = arrowTable({ price: [new Float64(), [0.1, 0.2]] });
    const { node, inputs } = source('t', table, [{ name: 'price', sqlType: 'decimal(15,2)' }]);
    const plan = Plans.aggregate(
      node,
      [],
      [fn.sum('price').as('total'), fn.avg('price').as('mean')].map((c) => c.node),
    );
    // Exact decimal sum 0.30 (not 0.30000000000000004) and AVG with scale 2 + 4.
    expect(rowsOf(await executeLocal(plan, inputs))).toEqual([{ total: 0.3, mean: 0.15 }]);
  });
});

describe('results leave as Arrow with sensible types', () => {
  it('gives computed columns Arrow types from their SQL types', async () => {
    const table = arrowTable({
      a: [new Int32(), [1, 2]],
      d: [new DateDay(), [new Date(Date.UTC(2020, 0, 5)), null]],
    });
    const { node, inputs } = source('t', table);
    const plan = Plans.project(
      node,
      [
        col('a').plus(1).as('int'),
        col('a').div(2).as('decimal'),
        col('a').cast('double').as('double'),
        fn.concat('a', lit('x')).as('text'),
        fn.dateAdd('d', 1, 'day').as('date'),
        fn.dateAdd('d', 1, 'hour').as('datetime'),
        col('a').gt(1).as('flag'),
        lit(null).as('nothing'),
      ].map((c) => c.node),
    );
    const result = await executeLocal(plan, inputs);
    const types = Object.fromEntries(result.schema.fields.map((field) => [field.name, String(field.type)]));
    expect(types).toEqual({
      int: 'Int64',
      decimal: 'Decimal[38e+4]',
      double: 'Float64',
      text: 'Utf8',
      date: 'Date32<DAY>',
      datetime: 'Timestamp<MICROSECOND>',
      flag: 'Int64',
      nothing: 'Null',
    });
    expect(rowsOf(result)).toEqual([
      {
        int: 2,
        decimal: 0.5,
        double: 1,
        text: '1x',
        date: '2020-01-06',
        datetime: '2020-01-05 01:00:00',
        flag: 0,
        nothing: null,
      },
      { int: 3, decimal: 1, double: 2, text: '2x', date: null, datetime: null, flag: 1, nothing: null },
    ]);
  });

  it('keeps the Arrow type of a column passed through', async () => {
    const table = arrowTable({
      small: [new Int8(), [1, null]],
      price: [new Decimal(2, 15, 128), [decimalWords(199n), decimalWords(-1n)]],
      at: [new TimestampMillisecond(), [Date.UTC(2020, 0, 1), null]],
      flag: [new Bool(), [true, null]],
      f: [new Float32(), [0.5, 1]],
    });
    const { node, inputs } = source('t', table);
    const plan = Plans.filter(node, lit(1).eq(1).node);
    const result = await executeLocal(plan, inputs);
    expect(result.schema.fields.map((field) => String(field.type))).toEqual([
      'Int8',
      'Decimal[15e+2]',
      'Timestamp<MILLISECOND>',
      'Bool',
      'Float32',
    ]);
    expect(rowsOf(result)).toEqual(rowsOf(table));
    expect(result.getChild('price')!.type.typeId).toBe(Type.Decimal);
  });

  it('passes BIGINTs below 2^53 and nullable doubles through exactly, in several record batches', async () => {
    const big = [
      0n,
      -1n,
      1n,
      -(2n ** 40n) - 5n,
      2n ** 53n - 1n,
      -(2n ** 53n) + 1n,
      4294967296n,
      -4294967296n,
    ];
    const first = arrowTable({
      big: [new Int64(), big.slice(0, 5)],
      x: [new Float64(), [1.5, null, -0, 1e308, null]],
    });
    const second = arrowTable({ big: [new Int64(), big.slice(5)], x: [new Float64(), [null, 2, 3]] });
    const table = first.concat(second);
    const { node, inputs } = source('t', table);
    const result = await executeLocal(Plans.filter(node, lit(1).eq(1).node), inputs);
    expect([...result.getChild('big')!]).toEqual(big);
    expect([...result.getChild('x')!]).toEqual([1.5, null, -0, 1e308, null, null, 2, 3]);
    expect(Object.is(result.getChild('x')!.get(2), -0)).toBe(true);
    expect(result.getChild('x')!.nullCount).toBe(3);
  });

  it('types an all-NULL column from the plan field hint', async () => {
    const table = new Table({ a: vectorFromArray([null, null], new Null()) });
    const { node, inputs } = source('t', table, [{ name: 'a', sqlType: 'date' }]);
    const result = await executeLocal(Plans.project(node, [col('a').node]), inputs);
    expect(String(result.schema.fields[0]!.type)).toBe('Date32<DAY>');
    expect(rowsOf(result)).toEqual([{ a: null }, { a: null }]);
  });

  it('writes huge unsigned integers as UInt64 and big signed ones exactly', async () => {
    const table = arrowTable({ u: [new Uint64(), [2n ** 64n - 1n]], i: [new Int64(), [2n ** 62n]] });
    const { node, inputs } = source('t', table);
    const plan = Plans.project(
      node,
      [col('u').plus(0).as('u2'), col('i').times(2).as('i2')].map((c) => c.node),
    );
    const result = await executeLocal(plan, inputs);
    expect(String(result.schema.fields[0]!.type)).toBe('Uint64');
    expect(rowsOf(result)).toEqual([{ u2: 2n ** 64n - 1n, i2: 2n ** 63n }]);
  });

  it('reads and writes TIME as the reader gives it (a Duration), and far timestamps exactly', async () => {
    const { DurationMicrosecond } = await import('apache-arrow');
    const int64 = (type: DataType, values: bigint[]) =>
      makeVector(
        makeData({
          type,
          length: 4,
          nullCount: 1,
          nullBitmap: new Uint8Array([0b0111]),
          data: BigInt64Array.from(values),
        } as never),
      );
    const table = new Table({
      tm: int64(new DurationMicrosecond(), [3_020_399_000_000n, -1_000_000n, 1n, 0n]),
      at: int64(new TimestampMicrosecond(), [253_402_300_799_999_999n, -30_610_224_000_000_000n, 0n, 0n]),
    });
    const { node, inputs } = source('t', table, [
      { name: 'tm', sqlType: 'time' },
      { name: 'at', sqlType: 'datetime(6)' },
    ]);
    const plan = Plans.project(
      node,
      [col('tm'), col('at'), col('tm').lt('00:00:00').as('negative'), fn.year('at').as('y')].map(
        (c) => c.node,
      ),
    );
    const result = await executeLocal(plan, inputs);
    expect(result.schema.fields.slice(0, 2).map((field) => String(field.type))).toEqual([
      'Duration<MICROSECOND>',
      'Timestamp<MICROSECOND>',
    ]);
    expect(rowsOf(result)).toEqual([
      { tm: '838:59:59', at: '9999-12-31 23:59:59.999999', negative: 0, y: 9999 },
      { tm: '-00:00:01', at: '1000-01-01 00:00:00', negative: 1, y: 1000 },
      { tm: '00:00:00.000001', at: '1970-01-01 00:00:00', negative: 0, y: 1970 },
      { tm: null, at: null, negative: null, y: null },
    ]);
    // The values written back are the values read, to the microsecond.
    expect(Array.from(result.getChild('at')!.data[0]!.values as BigInt64Array).slice(0, 2)).toEqual([
      253_402_300_799_999_999n,
      -30_610_224_000_000_000n,
    ]);
  });

  it('writes integers beyond 64 bits as DECIMAL, as the server types SUM of BIGINT UNSIGNED', async () => {
    const table = arrowTable({ u: [new Uint64(), [2n ** 64n - 1n, 2n ** 64n - 1n]] });
    const { node, inputs } = source('t', table);
    const plan = Plans.aggregate(
      node,
      [],
      [fn.sum('u').as('s'), col('u').div(2).as('half')].map((c) => c.node),
    );
    const result = await executeLocal(Plans.project(plan, [col('s').node]), inputs);
    expect(String(result.schema.fields[0]!.type)).toBe('Decimal[38e0]');
    const words = result.getChild('s')!.data[0]!.values as Uint32Array;
    let unscaled = 0n;
    for (let k = 3; k >= 0; k--) unscaled = (unscaled << 32n) | BigInt(words[k]!);
    expect(unscaled).toBe(2n * (2n ** 64n - 1n));
  });
});

describe('a computed INT column of numbers leaves as BIGINT words', () => {
  it('integers below 2^53, both signs, across the 32-bit word boundary, digit for digit', async () => {
    const high = [0, 0, -1, 1, -2, 2097151, -2097152, 28, -1, 1];
    const low = [0, 1, -1, 0, -5, 2147483647, 1, 2147483647, -2147483648, -1];
    const { node, inputs } = source('t', arrowTable({ a: [new Int32(), high], b: [new Int32(), low] }));
    // a * 2^32 + b over INT columns: an INT column of numbers from the fused loop.
    const plan = Plans.project(node, [col('a').times(lit(4294967296)).plus(col('b')).as('i').node]);
    const table = await executeLocal(plan, inputs);
    expect(String(table.schema.fields[0]!.type)).toBe('Int64');
    expect(Array.from(table.getChild('i')!.toArray() as BigInt64Array, String)).toEqual(
      high.map((a, k) => (BigInt(a) * 4294967296n + BigInt(low[k]!)).toString()),
    );
  });
});

describe('a column read from Arrow and passed through unchanged', () => {
  it('leaves as the Arrow data it came in (never decoded), beside computed columns', async () => {
    const table = arrowTable({ x: [new Float64(), [1, null, 3]], s: [new Utf8(), ['a', null, 'c']] });
    const { node, inputs } = source('t', table);
    const plan = Plans.project(node, [col('s').node, col('x').plus(lit(1)).as('y').node, col('x').node]);
    const out = await executeLocal(plan, inputs);
    expect(out.getChild('s')!.data[0]).toBe(table.getChild('s')!.data[0]);
    expect(out.getChild('x')!.data[0]).toBe(table.getChild('x')!.data[0]);
    expect(rowsOf(out)).toEqual([
      { s: 'a', y: 2, x: 1 },
      { s: null, y: null, x: null },
      { s: 'c', y: 4, x: 3 },
    ]);
  });

  it('a filtered column is rebuilt with only its rows', async () => {
    const table = arrowTable({ s: [new Utf8(), ['a', null, 'c']], k: [new Int32(), [1, 2, 3]] });
    const { node, inputs } = source('t', table);
    const out = await executeLocal(Plans.filter(node, col('k').gt(lit(1)).node), inputs);
    expect(out.getChild('s')!.data[0]).not.toBe(table.getChild('s')!.data[0]);
    expect(rowsOf(out)).toEqual([
      { s: null, k: 2 },
      { s: 'c', k: 3 },
    ]);
  });
});
