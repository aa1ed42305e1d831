/**
 * The point answer's cells (made from text-protocol row bytes) against the Arrow path (the
 * reader's decoder, then the same encoder), byte for byte, on values the server can send that
 * the integration test's table does not hold: zero dates, YEAR 0000, ZEROFILL digits, floats
 * past 1e21, negative zero, DECIMAL text with fewer digits than its scale (the Arrow way).
 */
import { describe, expect, it } from 'vitest';
import { createEncoder, type FormatName } from '../../../src/http/formats.ts';
import { pointBody, rowCells } from '../../../src/http/point-answer.ts';
import {
  arrowSchema,
  ColumnFlag,
  type ColumnMeta,
  MysqlType,
  planColumns,
} from '../../../src/reader/arrow-types.ts';
import { emptyBatch, toRecordBatch } from '../../../src/reader/batch.ts';
import type { BatchBuffers } from '../../../src/reader/batch-buffers.ts';
import { TextRowDecoder } from '../../../src/reader/decoder.ts';
import { column, rowPacket } from '../reader/wire-rows.ts';

const UTF8MB4 = 45;

const packet = (values: readonly (string | null)[]) => Buffer.from(rowPacket(values));

/** The general path's body for these rows: decoded into one Arrow batch, then encoded. */
function generalBody(columns: readonly ColumnMeta[], rows: readonly Buffer[], format: FormatName): Buffer {
  let decoded: BatchBuffers | undefined;
  const decoder = new TextRowDecoder(planColumns(columns), (batch) => {
    decoded = batch;
  });
  for (const row of rows) decoder.addRow(row, 0, row.length);
  decoder.flush();
  const schema = arrowSchema(columns);
  const encoder = createEncoder(format, 'q');
  const batch = decoded ? toRecordBatch(schema, decoded) : emptyBatch(schema);
  const part = encoder.batch(batch);
  return Buffer.concat([part, encoder.end(undefined, rows.length)]);
}

const COLUMNS = [
  column('i', MysqlType.LONG, { flags: ColumnFlag.UNSIGNED }),
  column('z', MysqlType.LONG, { flags: 64 /* ZEROFILL */ }),
  column('big', MysqlType.LONGLONG),
  column('ubig', MysqlType.LONGLONG, { flags: ColumnFlag.UNSIGNED }),
  column('d', MysqlType.DOUBLE, { decimals: 31 }),
  column('f', MysqlType.FLOAT, { decimals: 31 }),
  column('dec', MysqlType.NEWDECIMAL, { columnLength: 14, decimals: 4 }),
  column('day', MysqlType.DATE),
  column('yr', MysqlType.YEAR),
  column('s', MysqlType.VAR_STRING, { characterSet: UTF8MB4 }),
  column('tiny', MysqlType.TINY),
  column('nothing', MysqlType.NULL),
];

const ROWS = [
  [
    '4294967295',
    '0000000042',
    '-9223372036854775808',
    '18446744073709551615',
    '1e21',
    '3.40282e38',
    '-0.0001',
    '0000-00-00',
    '0000',
    '',
    '-128',
    null,
  ],
  [
    '0',
    '0000000000',
    '000000000000000000042',
    '9007199254740993',
    '-0',
    '-1.17549e-38',
    '12345678.9999',
    '2024-02-29',
    '2155',
    '#"x",\n\u00e9\u{1f680}',
    '127',
    null,
  ],
  [
    '7',
    '0000000007',
    '9007199254740992',
    '0',
    '5e-324',
    '0.1',
    '0.0000',
    '9999-12-31',
    '1901',
    'z'.repeat(300),
    '0',
    null,
  ],
  [null, null, null, null, null, null, null, null, null, null, null, null],
];

describe('point answer cells', () => {
  it('equal the Arrow path byte for byte in every text format', () => {
    const rows = ROWS.map(packet);
    // The cells come from the row bytes, not from the Arrow path this compares with.
    expect(rowCells(planColumns(COLUMNS), rows, 'json')).toBeDefined();
    expect(rowCells(planColumns(COLUMNS), rows, 'csv')).toBeDefined();
    for (const format of ['json', 'ndjson', 'csv'] as const) {
      const point = pointBody({ columns: COLUMNS, rows }, format, 'q', 0, {});
      expect(point.body.toString('utf8'), format).toBe(generalBody(COLUMNS, rows, format).toString('utf8'));
    }
  });

  it('takes the Arrow path for DECIMAL text whose digits after the point are not its scale', () => {
    const columns = [column('dec', MysqlType.NEWDECIMAL, { columnLength: 14, decimals: 4 })];
    const rows = [packet(['1.5']), packet(['-2'])];
    expect(rowCells(planColumns(columns), rows, 'json')).toBeUndefined();
    for (const format of ['json', 'csv'] as const) {
      const point = pointBody({ columns, rows }, format, 'q', 0, {});
      expect(point.body.toString('utf8')).toBe(generalBody(columns, rows, format).toString('utf8'));
    }
    expect(pointBody({ columns, rows }, 'csv', 'q', 0, {}).body.toString()).toBe(
      'dec\r\n1.5000\r\n-2.0000\r\n',
    );
  });

  it('cuts at maxRows with the truncation marker and counts the bytes before it', () => {
    const rows = ROWS.slice(0, 3).map(packet);
    const cut = pointBody({ columns: COLUMNS, rows }, 'ndjson', 'q', 2, {});
    const lines = cut.body.toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toEqual({ truncated: { reason: 'maxRows', rows: 2, bytes: cut.bytes } });
    expect(cut.truncation?.rows).toBe(2);
  });
});
