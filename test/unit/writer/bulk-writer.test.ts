import {
  DateDay,
  Decimal,
  Float64,
  Int64,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  tableFromArrays,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowRows } from '../../../src/writer/arrow-rows.ts';
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
