/**
 * Arrow types for MySQL-wire result columns: every column plan (`column-plan.ts`) maps to one
 * Arrow type, and a result set's column definitions map to one Arrow schema.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  DurationMicrosecond,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  Null,
  Schema,
  TimestampMicrosecond,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow';
import type { ColumnMeta } from '../db/column-meta.ts';
import { type ColumnPlan, Kind, mysqlTypeName, planColumn, type TypeOptions } from './column-plan.ts';

export { BINARY_CHARSET, ColumnFlag, type ColumnMeta, MysqlType } from '../db/column-meta.ts';
export {
  type ColumnPlan,
  DECIMAL_AS,
  Kind,
  mysqlTypeName,
  planColumn,
  planColumns,
  type TypeOptions,
} from './column-plan.ts';

/** The Arrow type that holds a column of this plan. */
export function arrowType(plan: ColumnPlan): DataType {
  switch (plan.kind) {
    case Kind.Null:
      return new Null();
    case Kind.Int8:
      return new Int8();
    case Kind.Int16:
    case Kind.Year:
      return new Int16();
    case Kind.Int32:
      return new Int32();
    case Kind.Int64:
      return new Int64();
    case Kind.Uint8:
      return new Uint8();
    case Kind.Uint16:
      return new Uint16();
    case Kind.Uint32:
      return new Uint32();
    case Kind.Uint64:
    case Kind.Bits:
      return new Uint64();
    case Kind.Float32:
      return new Float32();
    case Kind.Float64:
    case Kind.DecimalFloat64:
      return new Float64();
    case Kind.Decimal:
      return new Decimal(plan.scale, plan.precision, plan.decimalBits);
    case Kind.Date:
      return new DateDay();
    case Kind.Timestamp:
      return new TimestampMicrosecond(plan.timezone);
    case Kind.Time:
      return new DurationMicrosecond();
    case Kind.Utf8:
      return new Utf8();
    case Kind.Binary:
      return new Binary();
    case Kind.Bit1:
      return new Bool();
  }
}

/**
 * The Arrow schema of a result set. Each field keeps the MySQL type in its metadata
 * (`mysql.type`, plus `mysql.unsigned` and `mysql.table` when they apply) so that tools
 * downstream can tell TEXT from JSON or DATETIME from TIMESTAMP.
 */
export function arrowSchema(metas: readonly ColumnMeta[], options: TypeOptions = {}): Schema {
  const fields = metas.map((meta) => {
    const plan = planColumn(meta, options);
    const metadata = new Map<string, string>([['mysql.type', mysqlTypeName(meta)]]);
    if (meta.table !== '') metadata.set('mysql.table', meta.table);
    return new Field(plan.name, arrowType(plan), plan.nullable, metadata);
  });
  return new Schema(fields);
}
