import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  arrowSchema,
  ColumnFlag,
  type ColumnMeta,
  MysqlType,
  planColumns,
} from '../../../src/reader/arrow-types.ts';
import { toRecordBatch } from '../../../src/reader/batch.ts';
import { type BatchBuffers, transferList } from '../../../src/reader/batch-buffers.ts';
import { binaryDecodable, type DecoderOptions, TextRowDecoder } from '../../../src/reader/decoder.ts';
import { decimalToString } from '../../../src/values/decimal.ts';
import { binaryRowPacket, column, rowPacket } from './wire-rows.ts';

const UTF8MB4 = 45;

/** Decodes rows (each a packet, fed inside a larger buffer to test offsets) into RecordBatches. */
function decode(
  columns: readonly ColumnMeta[],
  rows: readonly (readonly (string | Uint8Array | null)[])[],
  options: DecoderOptions & { decimalAs?: 'decimal' | 'float64' } = {},
): { batches: RecordBatch[]; decoded: BatchBuffers[] } {
  const decoded: BatchBuffers[] = [];
  const decoder = new TextRowDecoder(planColumns(columns, options), (batch) => decoded.push(batch), options);
  for (const row of rows) {
    const packet = rowPacket(row);
    const buffer = new Uint8Array(packet.length + 7);
    buffer.set(packet, 3);
    decoder.addRow(buffer, 3, 3 + packet.length);
  }
  decoder.flush();
  const schema = arrowSchema(columns, options);
  return { batches: decoded.map((batch) => toRecordBatch(schema, batch)), decoded };
}

/** The low edge of each of `integerColumns()` (the high one for the unsigned columns). */
const LOW_EDGES = [
  '-128',
  '255',
  '-32768',
  '65535',
  '-8388608',
  '-2147483648',
  '4294967295',
  '-9223372036854775808',
  '18446744073709551615',
];

/** One column of every integer width, signed and unsigned. */
function integerColumns(): ColumnMeta[] {
  const unsigned = { flags: ColumnFlag.UNSIGNED };
  return [
    column('i8', MysqlType.TINY),
    column('u8', MysqlType.TINY, unsigned),
    column('i16', MysqlType.SHORT),
    column('u16', MysqlType.SHORT, unsigned),
    column('i24', MysqlType.INT24),
    column('i32', MysqlType.LONG),
    column('u32', MysqlType.LONG, unsigned),
    column('i64', MysqlType.LONGLONG),
    column('u64', MysqlType.LONGLONG, unsigned),
  ];
}

function values(batch: RecordBatch, name: string): unknown[] {
  return [...batch.getChild(name)!].map((value) => value);
}

describe('text row decoder', () => {
  it('decodes integers at the edges of every width, signed and unsigned', () => {
    const columns = [...integerColumns()];
    const { batches } = decode(columns, [
      [...LOW_EDGES],
      ['127', '0', '32767', '0', '8388607', '2147483647', '0', '9223372036854775807', '9223372036854775808'],
      ['0', '1', '-1', '1', '-1', '-1', '1', '-1', '9007199254740993'],
      ['5', '6', '7', '8', '9', '10', '11', '-123456789012345', '123456789012345'],
    ]);
    const [batch] = batches;
    expect(values(batch!, 'i8')).toEqual([-128, 127, 0, 5]);
    expect(values(batch!, 'u8')).toEqual([255, 0, 1, 6]);
    expect(values(batch!, 'i16')).toEqual([-32768, 32767, -1, 7]);
    expect(values(batch!, 'u16')).toEqual([65535, 0, 1, 8]);
    expect(values(batch!, 'i24')).toEqual([-8388608, 8388607, -1, 9]);
    expect(values(batch!, 'i32')).toEqual([-2147483648, 2147483647, -1, 10]);
    expect(values(batch!, 'u32')).toEqual([4294967295, 0, 1, 11]);
    expect(values(batch!, 'i64')).toEqual([
      -9223372036854775808n,
      9223372036854775807n,
      -1n,
      -123456789012345n,
    ]);
    expect(values(batch!, 'u64')).toEqual([
      18446744073709551615n,
      9223372036854775808n,
      9007199254740993n,
      123456789012345n,
    ]);
  });

  it('decodes DECIMAL exactly, including 38 digits, negatives and Decimal256', () => {
    const columns = [
      column('d', MysqlType.NEWDECIMAL, { columnLength: 40, decimals: 10 }),
      column('small', MysqlType.NEWDECIMAL, { columnLength: 17, decimals: 2 }),
      column('wide', MysqlType.NEWDECIMAL, { columnLength: 67, decimals: 10 }),
    ];
    const rows = [
      [
        '-1234567890123456789012345678.0123456789',
        '12345.67',
        '-1234567890123456789012345678901234567890123456789012345.0123456789',
      ],
      ['9999999999999999999999999999.9999999999', '-0.05', '0.0000000001'],
      ['0.0000000000', '0.00', '-1.0000000000'],
      [
        '-0.0000000001',
        '-9999999999999.99',
        '99999999999999999999999999999999999999999999999999999999.9999999999',
      ],
    ];
    const { batches } = decode(columns, rows);
    const batch = batches[0]!;
    const text = (name: string, scale: number) =>
      [...batch.getChild(name)!].map((value) => decimalToString(value as Uint32Array, scale));
    expect(text('d', 10)).toEqual(rows.map((row) => row[0]));
    expect(text('small', 2)).toEqual(rows.map((row) => row[1]));
    expect(text('wide', 10)).toEqual(rows.map((row) => row[2]));
  });

  it('decodes DECIMAL as Float64 when asked', () => {
    const columns = [column('d', MysqlType.NEWDECIMAL, { columnLength: 17, decimals: 2 })];
    const { batches } = decode(columns, [['12345.67'], ['-0.05'], ['12345678901234567890.12']], {
      decimalAs: 'float64',
    });
    expect(values(batches[0]!, 'd')).toEqual([12345.67, -0.05, Number('12345678901234567890.12')]);
  });

  it('parses floats exactly like the JS parser, on the fast path and off it', () => {
    const texts = [
      '0',
      '-0',
      '3.14159',
      '0.1',
      '-2.5e-7',
      '1.7976931348623157e308',
      '2.2250738585072014e-308',
      '123456789012345678',
      '1e22',
      '1e23',
      '0.30000000000000004',
      '5e-324',
    ];
    const { batches } = decode(
      [column('f64', MysqlType.DOUBLE, { decimals: 31 }), column('f32', MysqlType.FLOAT, { decimals: 31 })],
      texts.map((text) => [text, text]),
    );
    expect(values(batches[0]!, 'f64')).toEqual(texts.map(Number));
    expect(values(batches[0]!, 'f32')).toEqual(texts.map((text) => Math.fround(Number(text))));
  });

  it('decodes dates, datetimes and timestamps by arithmetic; zero dates are null', () => {
    const columns = [
      column('d', MysqlType.DATE),
      column('dt', MysqlType.DATETIME, { decimals: 6 }),
      column('ts', MysqlType.TIMESTAMP, { decimals: 3 }),
    ];
    const dates = [
      '2024-02-29',
      '1970-01-01',
      '1969-12-31',
      '0001-01-01',
      '9999-12-31',
      '0000-00-00',
      '2021-00-10',
      '2021-05-00',
    ];
    const times = [
      '2024-02-29 12:34:56.123456',
      '1970-01-01 00:00:00',
      '1969-12-31 23:59:59.5',
      '0001-01-01 00:00:00',
      '9999-12-31 23:59:59.999999',
      '0000-00-00 00:00:00',
      '2021-00-10 00:00:00',
      '2021-05-00 10:00:00.000000',
    ];
    const { batches } = decode(
      columns,
      dates.map((date, index) => [date, times[index]!, times[index]!]),
    );
    const batch = batches[0]!;
    const day = (text: string) => Date.parse(`${text}T00:00:00Z`) / 86_400_000;
    const micros = (text: string) => {
      const [date, time] = text.split(' ');
      const [clock, fraction = ''] = time!.split('.');
      return BigInt(Date.parse(`${date}T${clock}Z`)) * 1000n + BigInt(fraction.padEnd(6, '0'));
    };
    const dateDays = batch.getChild('d')!.data[0]!.values as Int32Array;
    const validDates = dates.slice(0, 5);
    expect([...dateDays.subarray(0, 5)]).toEqual(validDates.map(day));
    expect(values(batch, 'd').slice(5)).toEqual([null, null, null]);
    for (const name of ['dt', 'ts']) {
      const raw = batch.getChild(name)!.data[0]!.values as BigInt64Array;
      expect([...raw.subarray(0, 5)]).toEqual(times.slice(0, 5).map(micros));
      expect(values(batch, name).slice(5)).toEqual([null, null, null]);
      expect(batch.getChild(name)!.nullCount).toBe(3);
    }
  });

  it('decodes TIME as signed microseconds, YEAR as Int16 with 0000 as null', () => {
    const { batches } = decode(
      [column('t', MysqlType.TIME, { decimals: 6 }), column('y', MysqlType.YEAR)],
      [
        ['-838:59:59.000000', '1901'],
        ['838:59:59', '2155'],
        ['00:00:00', '0000'],
        ['-00:00:01.5', '2024'],
        ['12:30:00.25', null],
      ],
    );
    expect(values(batches[0]!, 't')).toEqual([-3020399000000n, 3020399000000n, 0n, -1500000n, 45000250000n]);
    expect(values(batches[0]!, 'y')).toEqual([1901, 2155, null, 2024, null]);
  });

  it('copies UTF-8 text and bytes as they are, and tells the empty string from NULL', () => {
    const long = 'x'.repeat(70_000);
    const text = ['', 'héllo 😀', null, 'a\u0000b', long, '𝄞 four-byte 🦀'];
    const bytes = [
      Uint8Array.of(0, 255, 1),
      Uint8Array.of(),
      null,
      Uint8Array.of(0xca, 0xfe),
      Uint8Array.of(7),
      null,
    ];
    const { batches } = decode(
      [column('s', MysqlType.VAR_STRING, { characterSet: UTF8MB4 }), column('b', MysqlType.BLOB)],
      text.map((value, index) => [value, bytes[index]!]),
    );
    expect(values(batches[0]!, 's')).toEqual(text);
    expect(values(batches[0]!, 'b')).toEqual(bytes);
    expect(batches[0]!.getChild('s')!.nullCount).toBe(1);
  });

  it('decodes BIT columns and the NULL type', () => {
    const { batches } = decode(
      [
        column('flag', MysqlType.BIT, { columnLength: 1 }),
        column('bits', MysqlType.BIT, { columnLength: 64 }),
        column('n', MysqlType.NULL),
      ],
      [
        [Uint8Array.of(1), Uint8Array.of(0x01, 0x55), null],
        [Uint8Array.of(0), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), null],
        [null, null, null],
      ],
    );
    expect(values(batches[0]!, 'flag')).toEqual([true, false, null]);
    expect(values(batches[0]!, 'bits')).toEqual([0x155n, 18446744073709551615n, null]);
    expect(values(batches[0]!, 'n')).toEqual([null, null, null]);
  });

  it('bounds batches by rows and by bytes', () => {
    const columns = [
      column('id', MysqlType.LONG),
      column('s', MysqlType.VAR_STRING, { characterSet: UTF8MB4 }),
    ];
    const rows = Array.from({ length: 1000 }, (_, index) => [String(index), 'y'.repeat(100)]);
    const byRows = decode(columns, rows, { batchRows: 64 });
    expect(byRows.batches.map((batch) => batch.numRows)).toEqual([...Array(15).fill(64), 40]);
    const byBytes = decode(columns, rows, { batchBytes: 10_000 });
    expect(byBytes.batches.length).toBeGreaterThan(10);
    for (const batch of byBytes.decoded) expect(batch.bytes).toBeLessThan(10_000 + 200);
    const ids = byBytes.batches.flatMap((batch) => values(batch, 'id'));
    expect(ids).toEqual(rows.map((_, index) => index));
  });

  it('skips rows already delivered by an earlier attempt', () => {
    const rows = Array.from({ length: 10 }, (_, index) => [String(index)]);
    const { batches } = decode([column('id', MysqlType.LONG)], rows, { skipRows: 4 });
    expect(values(batches[0]!, 'id')).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('allocates transferable buffers of its own, never from the Buffer pool', () => {
    const { decoded } = decode(
      [column('id', MysqlType.LONG), column('s', MysqlType.VAR_STRING, { characterSet: UTF8MB4 })],
      [
        ['1', 'a'],
        ['2', null],
      ],
    );
    const buffers = transferList(decoded[0]!);
    expect(buffers.length).toBeGreaterThanOrEqual(3);
    const pool = Buffer.from('pooled').buffer;
    for (const buffer of buffers) {
      expect(buffer).not.toBe(pool);
      // Transferring detaches it: a pooled buffer would make this throw or corrupt other Buffers.
      structuredClone(buffer, { transfer: [buffer] });
      expect(buffer.byteLength).toBe(0);
    }
  });

  it('builds RecordBatches over the decoded buffers without copying them', () => {
    const { decoded, batches } = decode([column('id', MysqlType.LONG)], [['1'], ['2']]);
    const values = decoded[0]!.columns[0]!.values!;
    expect(batches[0]!.getChild('id')!.data[0]!.values.buffer).toBe(values.buffer);
  });

  it('fails on a packet that ends inside a value', () => {
    const decoder = new TextRowDecoder(planColumns([column('s', MysqlType.VAR_STRING)]), () => undefined);
    expect(() => decoder.addRow(Uint8Array.of(5, 0x61, 0x62), 0, 3)).toThrow(/ends inside column 0 \(s\)/);
  });
});

describe('binary row decoder', () => {
  /** The same rows through the text and the binary protocol's decoders: the same Arrow buffers. */
  function both(columns: readonly ColumnMeta[], rows: readonly (readonly (string | null)[])[]) {
    const plans = planColumns(columns);
    expect(binaryDecodable(columns, plans)).toBe(true);
    const decoded: BatchBuffers[] = [];
    const decoder = new TextRowDecoder(plans, (batch) => decoded.push(batch));
    for (const row of rows) {
      const packet = binaryRowPacket(columns, row);
      const buffer = new Uint8Array(packet.length + 5);
      buffer.set(packet, 2);
      decoder.addBinaryRow(buffer, 2, 2 + packet.length);
    }
    decoder.flush();
    const schema = arrowSchema(columns);
    const [binary] = decoded.map((batch) => toRecordBatch(schema, batch));
    const [text] = decode(columns, rows).batches;
    for (const field of schema.fields) {
      expect(values(binary!, field.name), field.name).toEqual(values(text!, field.name));
    }
    return binary!;
  }

  it('reads integers, DOUBLEs, DECIMALs, YEAR and strings as the text decoder does, NULLs in any column', () => {
    const columns = [
      ...integerColumns(),
      column('f64', MysqlType.DOUBLE, { decimals: 31 }),
      column('dec', MysqlType.NEWDECIMAL, { columnLength: 40, decimals: 10 }),
      column('y', MysqlType.YEAR),
      column('s', MysqlType.VAR_STRING, { characterSet: UTF8MB4 }),
    ];
    const rows: (string | null)[][] = [
      [...LOW_EDGES, '-0', '-1234567890123456789012345678.0123456789', '1901', '😀 four bytes'],
      [
        '127',
        '0',
        '32767',
        '0',
        '8388607',
        '2147483647',
        '0',
        '9223372036854775807',
        '9223372036854775808',
        '1.7976931348623157e308',
        '0.0000000001',
        '0',
        'x'.repeat(300),
      ],
      [null, '1', null, '1', '-1', null, '1', null, '9007199254740993', '5e-324', null, '2155', null],
      ['0', null, '0', null, null, '0', null, '-1', null, null, '0', null, ''],
    ];
    const batch = both(columns, rows);
    expect(values(batch, 'y')).toEqual([1901, null, 2155, null]);
    expect(Object.is(values(batch, 'f64')[0], -0)).toBe(true);
  });

  it('leaves dates, times, FLOAT, BIT and DOUBLEs with fixed decimals to the text protocol', () => {
    const plansOf = (meta: ColumnMeta) => binaryDecodable([meta], planColumns([meta]));
    for (const type of [
      MysqlType.DATE,
      MysqlType.DATETIME,
      MysqlType.TIMESTAMP,
      MysqlType.TIME,
      MysqlType.FLOAT,
      MysqlType.BIT,
      MysqlType.GEOMETRY,
    ]) {
      expect(plansOf(column('c', type)), String(type)).toBe(false);
    }
    expect(plansOf(column('sd', MysqlType.DOUBLE, { decimals: 4 }))).toBe(false);
    expect(plansOf(column('d', MysqlType.DOUBLE, { decimals: 31 }))).toBe(true);
    expect(binaryDecodable([], [])).toBe(false);
  });
});
