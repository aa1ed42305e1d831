/**
 * The body of a point read (a few rows by key) in one piece, written from the rows' text-protocol
 * bytes: for NDJSON, JSON and CSV each value's text is made straight from the server's text with
 * the same parsers and formatters the Arrow path uses (`reader/text-parsers.ts`,
 * `http/text-columns.ts`), and the same encoder frames it, so the body is byte for byte the one
 * the general path writes. A column kind without a rule here (timestamps, times, binary, bits),
 * DECIMAL text whose digits after the point are not the column's scale, and the Arrow format go
 * through the reader's decoder into one Arrow batch, as the general path does.
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { rememberRecent } from '../base/recent.ts';
import type { ColumnMeta } from '../db/column-meta.ts';
import { arrowSchema } from '../reader/arrow-types.ts';
import { emptyBatch, toRecordBatch } from '../reader/batch.ts';
import type { BatchBuffers } from '../reader/batch-buffers.ts';
import { type ColumnPlan, Kind, planColumns, type TypeOptions } from '../reader/column-plan.ts';
import { TextRowDecoder } from '../reader/decoder.ts';
import type { RowBytes } from '../reader/read-rows.ts';
import {
  lengthBytes,
  longLength,
  parseDate,
  parseDouble,
  parseSmallInt,
  ZERO_DATE,
} from '../reader/text-parsers.ts';
import { formatDays } from '../values/civil-date.ts';
import { unscaledToText } from '../values/decimal.ts';
import {
  type ColumnInfo,
  columnInfo,
  createEncoder,
  createTextEncoder,
  type FormatName,
  type Truncation,
} from './formats.ts';
import { csvText, type TextFormat } from './text-columns.ts';

/** What a result's columns decode to, kept per column description (a point query repeats it). */
interface ColumnsShape {
  readonly plans: readonly ColumnPlan[];
  readonly schema: Schema;
  readonly info: readonly ColumnInfo[];
  /** Each column's cell rule, undefined when some column has none (the Arrow way then). */
  readonly rules: readonly CellRuleOf[] | undefined;
}

const SHAPES_KEPT = 256;
const shapes = new Map<string, ColumnsShape>();

function shapeOf(columns: readonly ColumnMeta[], options: TypeOptions): ColumnsShape {
  let key = options.decimalAs ?? 'decimal';
  for (const c of columns)
    key += `\u0001${c.name}\u0000${c.table}\u0000${c.columnType}\u0000${c.flags}\u0000${c.columnLength}\u0000${c.decimals}\u0000${c.characterSet}\u0000${c.extendedType ?? ''}`;
  let shape = shapes.get(key);
  if (!shape) {
    const schema = arrowSchema(columns, options);
    const plans = planColumns(columns, options);
    shape = { plans, schema, info: columnInfo(schema), rules: cellRules(plans) };
    rememberRecent(shapes, key, shape, SHAPES_KEPT);
  }
  return shape;
}

/** How a value's text is written (as in text-columns.ts): a JSON number, plain text, or escaped text. */
type CellKind = 'number' | 'plain' | 'text';

/** The value's text as the Arrow path writes it, null for SQL NULL, undefined when this module has no rule. */
type CellRule = (buf: Buffer, pos: number, end: number, format: TextFormat) => string | null | undefined;

function int64Text(buf: Buffer, pos: number, end: number, unsigned: boolean): string {
  const negative = buf[pos] === 0x2d;
  if (end - pos - (negative ? 1 : 0) <= 15) return String(parseSmallInt(buf, pos, end));
  const value = BigInt(buf.toString('latin1', pos, end));
  return (unsigned ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value)).toString();
}

function floatText(value: number, format: TextFormat): string {
  if (format === 'csv') return String(value);
  return Number.isFinite(value) ? JSON.stringify(value) : 'null';
}

/** DECIMAL text with exactly `scale` digits after the point, as unscaledToText writes it. */
function decimalText(buf: Buffer, pos: number, end: number, scale: number): string | undefined {
  const text = buf.toString('latin1', pos, end);
  const point = text.indexOf('.');
  const fraction = point < 0 ? 0 : text.length - point - 1;
  if (fraction !== scale) return undefined;
  const digits = point < 0 ? text : text.slice(0, point) + text.slice(point + 1);
  if (!/^-?\d+$/.test(digits)) return undefined;
  const value = BigInt(digits);
  return unscaledToText(value, scale);
}

interface CellRuleOf {
  readonly kind: CellKind;
  readonly text: CellRule;
}

function cellRules(plans: readonly ColumnPlan[]): CellRuleOf[] | undefined {
  const rules = plans.map(ruleFor);
  return rules.some((rule) => rule === undefined) ? undefined : (rules as CellRuleOf[]);
}

function ruleFor(plan: ColumnPlan): CellRuleOf | undefined {
  switch (plan.kind) {
    case Kind.Null:
      return { kind: 'number', text: () => null };
    case Kind.Int8:
    case Kind.Int16:
    case Kind.Int32:
    case Kind.Uint8:
    case Kind.Uint16:
    case Kind.Uint32:
      return { kind: 'number', text: (buf, pos, end) => String(parseSmallInt(buf, pos, end)) };
    case Kind.Year:
      return {
        kind: 'number',
        text: (buf, pos, end) => {
          const year = parseSmallInt(buf, pos, end);
          return year === 0 ? null : String(year);
        },
      };
    case Kind.Int64:
    case Kind.Uint64: {
      const unsigned = plan.kind === Kind.Uint64;
      return { kind: 'number', text: (buf, pos, end) => int64Text(buf, pos, end, unsigned) };
    }
    case Kind.Float32:
      return {
        kind: 'number',
        text: (buf, pos, end, format) => floatText(Math.fround(parseDouble(buf, pos, end)), format),
      };
    case Kind.Float64:
    case Kind.DecimalFloat64:
      return {
        kind: 'number',
        text: (buf, pos, end, format) => floatText(parseDouble(buf, pos, end), format),
      };
    case Kind.Decimal:
      return { kind: 'plain', text: (buf, pos, end) => decimalText(buf, pos, end, plan.scale) };
    case Kind.Date:
      return {
        kind: 'plain',
        text: (buf, pos) => {
          const days = parseDate(buf, pos);
          return days === ZERO_DATE ? null : formatDays(days);
        },
      };
    case Kind.Utf8:
      return { kind: 'text', text: (buf, pos, end) => buf.toString('utf8', pos, end) };
    case Kind.Bit1:
      return { kind: 'number', text: (buf, pos) => (buf[pos] !== 0 ? '1' : '0') };
    default:
      return undefined;
  }
}

/** Each column's cells from the row bytes, or undefined when some value needs the Arrow path. */
export function rowCells(
  plans: readonly ColumnPlan[],
  rows: readonly Buffer[],
  format: TextFormat,
): string[][] | undefined {
  const rules = cellRules(plans);
  return rules && cellsByRules(rules, rows, format);
}

function cellsByRules(
  rules: readonly CellRuleOf[],
  rows: readonly Buffer[],
  format: TextFormat,
): string[][] | undefined {
  const cells = rules.map(() => new Array<string>(rows.length));
  const none = format === 'json' ? 'null' : '';
  for (let r = 0; r < rows.length; r++) {
    const buf = rows[r]!;
    let pos = 0;
    for (let c = 0; c < rules.length; c++) {
      // Length-encoded string (see reader/decoder.ts): 0xfb is NULL.
      let len = buf[pos]!;
      if (len === 0xfb) {
        cells[c]![r] = none;
        pos += 1;
        continue;
      }
      if (len < 0xfb) pos += 1;
      else {
        const header = lengthBytes(len);
        len = longLength(buf, pos);
        pos += header;
      }
      const { kind, text } = rules[c]!;
      const value = text(buf, pos, pos + len, format);
      if (value === undefined) return undefined;
      pos += len;
      if (value === null) cells[c]![r] = none;
      else if (kind === 'number') cells[c]![r] = value;
      else if (format === 'json') cells[c]![r] = kind === 'plain' ? `"${value}"` : JSON.stringify(value);
      else cells[c]![r] = kind === 'plain' ? value : csvText(value);
    }
  }
  return cells;
}

/** The rows decoded into one Arrow batch, as the reader decodes them. */
function rowBatch(shape: ColumnsShape, rows: readonly Buffer[]): RecordBatch {
  let decoded: BatchBuffers | undefined;
  const decoder = new TextRowDecoder(
    shape.plans,
    (batch) => {
      decoded = batch;
    },
    { expectedRows: Math.max(1, rows.length) },
  );
  for (const row of rows) decoder.addRow(row, 0, row.byteLength);
  decoder.flush();
  return decoded ? toRecordBatch(shape.schema, decoded) : emptyBatch(shape.schema);
}

export interface PointBody {
  readonly body: Buffer;
  readonly contentType: string;
  /** Rows and bytes of the rows part (before the end marker), as the general path counts them. */
  readonly rows: number;
  readonly bytes: number;
  readonly truncation?: Truncation;
}

/**
 * The whole body of a point answer in `format`, cut at `maxRows` (0: no cap) with the truncation
 * marker the general path writes. A byte cap never cuts a whole-answer body: the general path
 * always sends its first piece, which holds every row of an answer this small.
 */
export function pointBody(
  result: RowBytes,
  format: FormatName,
  queryId: string,
  maxRows: number,
  options: TypeOptions,
): PointBody {
  const shape = shapeOf(result.columns, options);
  const rows = maxRows > 0 && result.rows.length > maxRows ? result.rows.slice(0, maxRows) : result.rows;
  let encoded: { contentType: string; part: Uint8Array; end: (t: Truncation | undefined) => Uint8Array };
  const cells =
    format === 'arrow' || !shape.rules
      ? undefined
      : cellsByRules(shape.rules, rows, format === 'csv' ? 'csv' : 'json');
  if (cells && format !== 'arrow') {
    const encoder = createTextEncoder(format, queryId);
    const part = encoder.cells({ columns: shape.info, cells, rows: rows.length });
    encoded = { contentType: encoder.contentType, part, end: (t) => encoder.end(t, rows.length) };
  } else {
    const encoder = createEncoder(format, queryId);
    const part = encoder.batch(rowBatch(shape, rows));
    encoded = { contentType: encoder.contentType, part, end: (t) => encoder.end(t, rows.length) };
  }
  const bytes = encoded.part.byteLength;
  const truncation: Truncation | undefined =
    rows.length < result.rows.length ? { reason: 'maxRows', rows: rows.length, bytes } : undefined;
  const end = encoded.end(truncation);
  const body =
    end.byteLength === 0
      ? Buffer.from(encoded.part.buffer, encoded.part.byteOffset, encoded.part.byteLength)
      : Buffer.concat([encoded.part, end]);
  return { body, contentType: encoded.contentType, rows: rows.length, bytes, truncation };
}
