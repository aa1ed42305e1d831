/**
 * A result column as the server describes it on the wire (the column definition packet), and the
 * protocol's type codes and flags. Plain data, so the driver can hand it to the reader and the
 * reader can plan its decoding without either importing the other.
 */

/** One result column as the server describes it (its column definition packet), as plain data. */
export interface ColumnMeta {
  readonly name: string;
  /** The table (alias) the column comes from; empty for expressions. */
  readonly table: string;
  /** MYSQL_TYPE_* code. */
  readonly columnType: number;
  /** Column flags (NOT_NULL, UNSIGNED, BINARY, ENUM, SET, …). */
  readonly flags: number;
  /** Display length in characters times the character set's bytes per character. */
  readonly columnLength: number;
  /** Digits after the point (DECIMAL, fractional seconds); 31 means "not fixed" for FLOAT/DOUBLE. */
  readonly decimals: number;
  /** Collation id of the values on the wire; 63 is `binary`. */
  readonly characterSet: number;
  /** MariaDB extended metadata: the real type ('uuid', 'point', …) or format ('json'), if sent. */
  readonly extendedType?: string;
}

/** MYSQL_TYPE_* codes (include/mysql_com.h). */
export const MysqlType = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  VECTOR: 0xf2,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;

export const ColumnFlag = {
  NOT_NULL: 1,
  UNSIGNED: 32,
  BINARY: 128,
  ENUM: 256,
  SET: 2048,
} as const;

/** The `binary` collation: values are bytes, not text. */
export const BINARY_CHARSET = 63;
