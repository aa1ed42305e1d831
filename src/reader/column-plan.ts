/**
 * How each MySQL-wire result column is decoded, from the column definition the server sends with
 * every result set (type code, flags, length, decimals, character set): the same query always
 * maps to the same plan, whether it returns rows or not. `arrow-types.ts` turns plans into Arrow
 * types; this module stays free of apache-arrow so the worker threads need not load it.
 */

import { ConfigError } from '../base/errors.ts';
import { BINARY_CHARSET, ColumnFlag, type ColumnMeta, MysqlType } from '../db/column-meta.ts';

/**
 * How the decoder turns one column's text into Arrow values. A number rather than a string so the
 * decoder's hot loop switches on small integers.
 */
export const Kind = {
  Null: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  Uint8: 5,
  Uint16: 6,
  Uint32: 7,
  Uint64: 8,
  Float32: 9,
  Float64: 10,
  /** DECIMAL as Decimal128 / Decimal256 (exact). */
  Decimal: 11,
  /** DECIMAL as Float64 (the `decimalAs: 'float64'` opt-in). */
  DecimalFloat64: 12,
  /** Days since the epoch (Date32); zero dates become null. */
  Date: 13,
  /** Microseconds since the epoch; zero dates become null. */
  Timestamp: 14,
  /** TIME as a signed duration in microseconds (MySQL TIME spans -838:59:59 to 838:59:59). */
  Time: 15,
  /** YEAR as Int16; the zero year 0000 becomes null. */
  Year: 16,
  Utf8: 17,
  Binary: 18,
  /** BIT(1) as a boolean. */
  Bit1: 19,
  /** BIT(2..64) as Uint64 (the wire sends the bits big-endian). */
  Bits: 20,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface TypeOptions {
  /** DECIMAL as exact Decimal128 (default; Decimal256 beyond 38 digits) or as Float64. */
  readonly decimalAs?: 'decimal' | 'float64';
}

export const DECIMAL_AS = ['decimal', 'float64'] as const;

/** What the decoder needs for one column: the kind plus the parameters of its Arrow type. */
export interface ColumnPlan {
  readonly name: string;
  readonly kind: Kind;
  readonly nullable: boolean;
  /** DECIMAL digits in all and after the point. */
  readonly precision: number;
  readonly scale: number;
  /** Decimal storage: 128 or 256 bits. */
  readonly decimalBits: 128 | 256;
  /** Timestamps: 'UTC' for TIMESTAMP (the session time zone is +00:00), none for DATETIME. */
  readonly timezone: string | null;
}

/** Arrow Decimal128 holds 38 decimal digits; Decimal256 holds 76 (MariaDB's DECIMAL stops at 65). */
const DECIMAL128_DIGITS = 38;
const DECIMAL256_DIGITS = 76;

/** Maps one column definition to how it is decoded and which Arrow type holds it. */
export function planColumn(meta: ColumnMeta, options: TypeOptions = {}): ColumnPlan {
  const decimalAs = options.decimalAs ?? 'decimal';
  if (!DECIMAL_AS.includes(decimalAs)) {
    throw new ConfigError(`decimalAs is '${String(decimalAs)}'; valid values: ${DECIMAL_AS.join(', ')}`);
  }
  const unsigned = (meta.flags & ColumnFlag.UNSIGNED) !== 0;
  const notNull = (meta.flags & ColumnFlag.NOT_NULL) !== 0;
  const base = { name: meta.name, precision: 0, scale: 0, decimalBits: 128 as const, timezone: null };
  const plan = (kind: Kind, nullable = !notNull): ColumnPlan => ({ ...base, kind, nullable });
  switch (meta.columnType) {
    case MysqlType.TINY:
      return plan(unsigned ? Kind.Uint8 : Kind.Int8);
    case MysqlType.SHORT:
      return plan(unsigned ? Kind.Uint16 : Kind.Int16);
    case MysqlType.INT24:
    case MysqlType.LONG:
      return plan(unsigned ? Kind.Uint32 : Kind.Int32);
    case MysqlType.LONGLONG:
      return plan(unsigned ? Kind.Uint64 : Kind.Int64);
    case MysqlType.FLOAT:
      return plan(Kind.Float32);
    case MysqlType.DOUBLE:
      return plan(Kind.Float64);
    case MysqlType.DECIMAL:
    case MysqlType.NEWDECIMAL: {
      const scale = meta.decimals;
      // The length counts the digits, the point (when there are decimals) and the sign (when signed).
      const precision = Math.max(1, scale, meta.columnLength - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1));
      if (decimalAs === 'float64' || precision > DECIMAL256_DIGITS) {
        return { ...plan(Kind.DecimalFloat64), precision, scale };
      }
      return {
        ...plan(Kind.Decimal),
        precision,
        scale,
        decimalBits: precision > DECIMAL128_DIGITS ? 256 : 128,
      };
    }
    case MysqlType.DATE:
    case MysqlType.NEWDATE:
      // Zero dates ('0000-00-00', or a zero month or day) are null even in NOT NULL columns.
      return plan(Kind.Date, true);
    case MysqlType.DATETIME:
      return plan(Kind.Timestamp, true);
    case MysqlType.TIMESTAMP:
      return { ...plan(Kind.Timestamp, true), timezone: 'UTC' };
    case MysqlType.TIME:
      return plan(Kind.Time);
    case MysqlType.YEAR:
      return plan(Kind.Year, true);
    case MysqlType.BIT:
      return plan(meta.columnLength <= 1 ? Kind.Bit1 : Kind.Bits);
    case MysqlType.NULL:
      return plan(Kind.Null, true);
    case MysqlType.JSON:
      // MySQL 8 sends JSON with the binary collation, but the values are UTF-8 text.
      return plan(Kind.Utf8);
    case MysqlType.GEOMETRY:
    case MysqlType.VECTOR:
      return plan(Kind.Binary);
    case MysqlType.VARCHAR:
    case MysqlType.VAR_STRING:
    case MysqlType.STRING:
    case MysqlType.ENUM:
    case MysqlType.SET:
    case MysqlType.TINY_BLOB:
    case MysqlType.MEDIUM_BLOB:
    case MysqlType.LONG_BLOB:
    case MysqlType.BLOB: {
      const isText = meta.characterSet !== BINARY_CHARSET || meta.extendedType === 'json';
      return plan(isText ? Kind.Utf8 : Kind.Binary);
    }
    default:
      // A type this mapping does not know arrives as text; keeping its bytes loses nothing.
      return plan(Kind.Binary);
  }
}

/** Column plans for a result set, in column order. */
export function planColumns(metas: readonly ColumnMeta[], options: TypeOptions = {}): ColumnPlan[] {
  return metas.map((meta) => planColumn(meta, options));
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(MysqlType).map(([name, code]) => [code, name]),
);

/** A readable name for the column's wire type, e.g. `LONGLONG UNSIGNED`, `BLOB (json)`. */
export function mysqlTypeName(meta: ColumnMeta): string {
  let name = TYPE_NAMES[meta.columnType] ?? `TYPE_${meta.columnType}`;
  if (meta.flags & ColumnFlag.ENUM) name = 'ENUM';
  if (meta.flags & ColumnFlag.SET) name = 'SET';
  if (meta.flags & ColumnFlag.UNSIGNED && meta.columnType !== MysqlType.BIT) name += ' UNSIGNED';
  if (meta.extendedType) name += ` (${meta.extendedType})`;
  return name;
}
