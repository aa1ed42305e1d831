import {
  Bool,
  DateDay,
  Decimal,
  Float32,
  Float64,
  Int8,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  tableFromArrays,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowEncodedRows, arrowRows } from '../../../src/writer/arrow-rows.ts';
import { insertSql } from '../../../src/writer/bulk-writer.ts';
import { tsvChunks } from '../../../src/writer/rows.ts';

describe('the bulk writer', () => {
  it('builds one INSERT per mode, identifiers quoted, rows as one expanded parameter', () => {
    expect(insertSql('t`x', ['a', 'b'], 'append')).toBe('INSERT INTO `t``x` (`a`, `b`) VALUES ?');
    expect(insertSql('t', ['a'], 'ignore')).toBe('INSERT INTO `t` (`a`) VALUES ?');
    expect(insertSql('t', ['a'], 'replace')).toBe('REPLACE INTO `t` (`a`) VALUES ?');
    expect(insertSql('t', ['id', 'q'], 'upsert', ['q'])).toBe(
      'INSERT INTO `t` (`id`, `q`) VALUES ? ON DUPLICATE KEY UPDATE `q` = VALUES(`q`)',
    );
  });

  it('streams rows as TSV in chunks, escaping text and writing NULL as \\N', () => {
    const rows = Array.from({ length: 30_000 }, (_, index) => [index, `a\tb\n${index}`, null, true]);
    const chunks = [...tsvChunks(rows)];
    expect(chunks.length).toBeGreaterThan(1);
    const text = chunks.join('');
    expect(text.split('\n')).toHaveLength(30_001);
    expect(text.startsWith('0\ta\\tb\\n0\t\\N\t1\n')).toBe(true);
  });
});

describe('Arrow rows', () => {
  it('turns Arrow values into what the server reads: dates, timestamps, decimals, bigints, dictionary strings', () => {
    const decimal = makeVector(
      makeData({
        type: new Decimal(2, 12, 128),
        length: 2,
        data: new Uint32Array([12345, 0, 0, 0, 0xffffff85, 0xffffffff, 0xffffffff, 0xffffffff]),
      }),
    );
    const table = new Table({
      day: vectorFromArray([new Date(Date.UTC(2024, 0, 2)), null], new DateDay()),
      at: vectorFromArray([new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), null], new TimestampMillisecond()),
      big: vectorFromArray([12345678901234567n, -1n], new Int64()),
      price: decimal,
      ratio: vectorFromArray([1.5, null], new Float64()),
      text: vectorFromArray(['x', 'y'], new Utf8()),
    });
    expect(arrowRows(table)).toEqual([
      ['2024-01-02', '2024-01-02 03:04:05.678000', 12345678901234567n, '123.45', 1.5, 'x'],
      [null, null, -1n, '-1.23', null, 'y'],
    ]);
    expect(arrowRows(tableFromArrays({ s: ['a', 'b'] }))).toEqual([['a'], ['b']]);
  });

  it('keeps every microsecond of a µs timestamp, before 1970 too (Arrow JS reads them as ms doubles)', () => {
    const micros = new BigInt64Array([1_709_210_096_123_456n, -1n, 253_402_300_799_999_999n]);
    const at = makeVector(
      makeData({ type: new TimestampMicrosecond(), length: 3, nullCount: 0, data: micros }),
    );
    expect(arrowRows(new Table({ at })).map((row) => row[0])).toEqual([
      '2024-02-29 12:34:56.123456',
      '1969-12-31 23:59:59.999999',
      '9999-12-31 23:59:59.999999',
    ]);
  });
});

describe('Arrow rows as LOAD DATA text', () => {
  const text = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]).toString('utf8');

  it('writes exactly the text of the row values, from the buffers of every numeric width, NULLs included', async () => {
    const table = new Table({
      i8: vectorFromArray([-128, null, 127], new Int8()),
      u32: vectorFromArray([4294967295, 0, null], new Uint32()),
      i64: vectorFromArray([-9223372036854775808n, null, 9223372036854775807n], new Int64()),
      u64: vectorFromArray([18446744073709551615n, 1n, null], new Uint64()),
      f32: vectorFromArray([0.1, null, -3.5], new Float32()),
      f64: vectorFromArray([-0, 1.7976931348623157e308, null], new Float64()),
      f64b: vectorFromArray([5e-324, Number.NaN, 0.30000000000000004], new Float64()),
      flag: vectorFromArray([true, false, null], new Bool()),
      text: vectorFromArray(['tab\there', null, 'ünï\ncode\\'], new Utf8()),
      day: vectorFromArray(
        [new Date(Date.UTC(2024, 0, 2)), null, new Date(Date.UTC(1969, 11, 31))],
        new DateDay(),
      ),
    });
    const encoded = arrowEncodedRows(table);
    expect(encoded.count).toBe(3);
    expect(text(encoded.tsv)).toBe([...tsvChunks(arrowRows(table))].join(''));
    expect(text(encoded.tsv).split('\n')[0]).toBe(
      '-128\t4294967295\t-9223372036854775808\t18446744073709551615\t0.10000000149011612\t0\t5e-324\t1\ttab\\there\t2024-01-02',
    );
    expect(await encoded.values()).toEqual(arrowRows(table));
  });

  it('reads sliced and several-batch tables at their offsets, and cuts long text into chunks', () => {
    const ids = Int32Array.from({ length: 40_000 }, (_, i) => i - 20_000);
    const scores = Float64Array.from({ length: 40_000 }, (_, i) => i / 7);
    const whole = tableFromArrays({ id: ids, score: scores });
    const withNulls = new Table({
      id: vectorFromArray([1, null, 3, null, 5, 6, null, 8, 9, 10], new Int8()),
      ratio: vectorFromArray([0.5, 1, null, 2, null, 3, 4, 5, null, 6], new Float64()),
    });
    const sliced = withNulls.slice(3, 9);
    const batches = new Table([
      new RecordBatch({ id: vectorFromArray([1, 2], new Int8()).data[0]! }),
      new RecordBatch({ id: vectorFromArray([null, 4], new Int8()).data[0]! }),
    ]);
    for (const table of [whole, sliced, batches, whole.slice(12_345, 30_001)]) {
      const encoded = arrowEncodedRows(table);
      expect(text(encoded.tsv)).toBe([...tsvChunks(arrowRows(table))].join(''));
    }
    expect(text(arrowEncodedRows(sliced).tsv)).toBe('\\N\t2\n5\t\\N\n6\t3\n\\N\t4\n8\t5\n9\t\\N\n');
    expect([...arrowEncodedRows(whole).tsv].length).toBeGreaterThan(1);
  });
});
