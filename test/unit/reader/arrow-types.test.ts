import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/base/errors.ts';
import {
  arrowSchema,
  BINARY_CHARSET,
  ColumnFlag,
  type ColumnMeta,
  MysqlType,
  mysqlTypeName,
  planColumn,
} from '../../../src/reader/arrow-types.ts';

const UTF8MB4 = 45;

function meta(columnType: number, overrides: Partial<ColumnMeta> = {}): ColumnMeta {
  return {
    name: 'c',
    table: 't',
    columnType,
    flags: 0,
    columnLength: 11,
    decimals: 0,
    characterSet: BINARY_CHARSET,
    ...overrides,
  };
}

/** The Arrow type of one column, as text. */
function arrow(column: ColumnMeta, options = {}): string {
  return String(arrowSchema([column], options).fields[0]!.type);
}

const unsigned = { flags: ColumnFlag.UNSIGNED };

describe('Arrow types for MySQL columns', () => {
  it('maps integers to the signed or unsigned type of their width', () => {
    expect(arrow(meta(MysqlType.TINY))).toBe('Int8');
    expect(arrow(meta(MysqlType.TINY, unsigned))).toBe('Uint8');
    expect(arrow(meta(MysqlType.SHORT))).toBe('Int16');
    expect(arrow(meta(MysqlType.SHORT, unsigned))).toBe('Uint16');
    expect(arrow(meta(MysqlType.INT24))).toBe('Int32');
    expect(arrow(meta(MysqlType.INT24, unsigned))).toBe('Uint32');
    expect(arrow(meta(MysqlType.LONG))).toBe('Int32');
    expect(arrow(meta(MysqlType.LONG, unsigned))).toBe('Uint32');
    expect(arrow(meta(MysqlType.LONGLONG))).toBe('Int64');
    expect(arrow(meta(MysqlType.LONGLONG, unsigned))).toBe('Uint64');
  });

  it('maps DECIMAL exactly, with precision from the length and the scale from decimals', () => {
    // DECIMAL(38,10): 38 digits + point + sign.
    expect(arrow(meta(MysqlType.NEWDECIMAL, { columnLength: 40, decimals: 10 }))).toBe('Decimal[38e+10]');
    // DECIMAL(10,2) UNSIGNED: no sign position.
    expect(arrow(meta(MysqlType.NEWDECIMAL, { columnLength: 11, decimals: 2, ...unsigned }))).toBe(
      'Decimal[10e+2]',
    );
    // DECIMAL(5,0): no point.
    expect(arrow(meta(MysqlType.NEWDECIMAL, { columnLength: 6, decimals: 0 }))).toBe('Decimal[5e0]');
    const wide = planColumn(meta(MysqlType.NEWDECIMAL, { columnLength: 67, decimals: 10 }));
    expect(wide).toMatchObject({ precision: 65, scale: 10, decimalBits: 256 });
    expect(planColumn(meta(MysqlType.NEWDECIMAL, { columnLength: 40, decimals: 10 })).decimalBits).toBe(128);
  });

  it("maps DECIMAL to Float64 with decimalAs: 'float64', and rejects other values", () => {
    expect(
      arrow(meta(MysqlType.NEWDECIMAL, { columnLength: 40, decimals: 10 }), { decimalAs: 'float64' }),
    ).toBe('Float64');
    expect(() => planColumn(meta(MysqlType.NEWDECIMAL), { decimalAs: 'text' as 'float64' })).toThrow(
      /decimalAs is 'text'; valid values: decimal, float64/,
    );
  });

  it('maps floats, dates, times and years', () => {
    expect(arrow(meta(MysqlType.FLOAT, { decimals: 31 }))).toBe('Float32');
    expect(arrow(meta(MysqlType.DOUBLE, { decimals: 31 }))).toBe('Float64');
    expect(arrow(meta(MysqlType.DATE))).toBe('Date32<DAY>');
    expect(arrow(meta(MysqlType.NEWDATE))).toBe('Date32<DAY>');
    expect(arrow(meta(MysqlType.DATETIME, { decimals: 6 }))).toBe('Timestamp<MICROSECOND>');
    expect(arrow(meta(MysqlType.TIMESTAMP, { decimals: 3 }))).toBe('Timestamp<MICROSECOND, UTC>');
    expect(arrow(meta(MysqlType.TIME))).toBe('Duration<MICROSECOND>');
    expect(arrow(meta(MysqlType.YEAR, unsigned))).toBe('Int16');
  });

  it('tells text from bytes by the character set, and keeps JSON, ENUM and SET as text', () => {
    expect(arrow(meta(MysqlType.VAR_STRING, { characterSet: UTF8MB4 }))).toBe('Utf8');
    expect(arrow(meta(MysqlType.STRING, { characterSet: UTF8MB4 }))).toBe('Utf8');
    expect(arrow(meta(MysqlType.BLOB, { characterSet: UTF8MB4 }))).toBe('Utf8');
    expect(arrow(meta(MysqlType.VAR_STRING))).toBe('Binary');
    expect(arrow(meta(MysqlType.STRING))).toBe('Binary');
    expect(arrow(meta(MysqlType.BLOB))).toBe('Binary');
    expect(arrow(meta(MysqlType.LONG_BLOB, { characterSet: UTF8MB4, extendedType: 'json' }))).toBe('Utf8');
    // MySQL 8 sends its JSON type with the binary character set.
    expect(arrow(meta(MysqlType.JSON))).toBe('Utf8');
    expect(arrow(meta(MysqlType.STRING, { characterSet: UTF8MB4, flags: ColumnFlag.ENUM }))).toBe('Utf8');
    expect(arrow(meta(MysqlType.STRING, { characterSet: UTF8MB4, flags: ColumnFlag.SET }))).toBe('Utf8');
    expect(arrow(meta(MysqlType.GEOMETRY))).toBe('Binary');
  });

  it('maps BIT(1) to Bool, wider BITs to Uint64, and the NULL type to Null', () => {
    expect(arrow(meta(MysqlType.BIT, { columnLength: 1, ...unsigned }))).toBe('Bool');
    expect(arrow(meta(MysqlType.BIT, { columnLength: 9, ...unsigned }))).toBe('Uint64');
    expect(arrow(meta(MysqlType.NULL))).toBe('Null');
  });

  it('keeps NOT NULL, except for dates, where zero dates become null', () => {
    const notNull = { flags: ColumnFlag.NOT_NULL };
    expect(arrowSchema([meta(MysqlType.LONG, notNull)]).fields[0]!.nullable).toBe(false);
    expect(arrowSchema([meta(MysqlType.LONG)]).fields[0]!.nullable).toBe(true);
    expect(arrowSchema([meta(MysqlType.DATE, notNull)]).fields[0]!.nullable).toBe(true);
    expect(arrowSchema([meta(MysqlType.DATETIME, notNull)]).fields[0]!.nullable).toBe(true);
  });

  it('records the MySQL type and source table in the field metadata', () => {
    const field = arrowSchema([meta(MysqlType.LONGLONG, { ...unsigned, name: 'id', table: 'orders' })])
      .fields[0]!;
    expect(field.name).toBe('id');
    expect(field.metadata.get('mysql.type')).toBe('LONGLONG UNSIGNED');
    expect(field.metadata.get('mysql.table')).toBe('orders');
    expect(mysqlTypeName(meta(MysqlType.STRING, { flags: ColumnFlag.ENUM }))).toBe('ENUM');
    expect(mysqlTypeName(meta(MysqlType.LONG_BLOB, { extendedType: 'json' }))).toBe('LONG_BLOB (json)');
  });

  it('keeps the bytes of a type it does not know', () => {
    expect(arrow(meta(0x42))).toBe('Binary');
  });

  it('raises configuration errors as SluiceErrors', () => {
    expect(() => planColumn(meta(MysqlType.NEWDECIMAL), { decimalAs: 'x' as 'float64' })).toThrow(
      SluiceError,
    );
  });
});
