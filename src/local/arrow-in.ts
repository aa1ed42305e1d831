/**
 * Arrow tables into batches. Each column is read from Arrow only as far as something reads it:
 * most of a local step's input rows are dropped by its first filter or join, so decoding every
 * value of every column into JS values up front (strings and dates into text) is work thrown
 * away.
 *
 * - kernels read the buffers themselves: numbers and DECIMALs as one Float64Array, DATEs as day
 *   numbers, strings as dictionary codes built from the UTF-8 bytes (kernels/string-codes.ts);
 * - taking rows (a filter's selection, a join's pairs) decodes those rows only;
 * - reading `values` decodes the whole column once (arrow-values.ts), sharing the dictionary's
 *   strings when the codes are already built.
 */
import {
  type Field as ArrowField,
  Data,
  type DataType,
  makeData,
  type Table,
  Type,
  Vector,
} from 'apache-arrow';
import type { Field } from '../plan/nodes.ts';
import { codesKept, keptCodes, keptIndex, keptKeySet } from './arrow-memo.ts';
import { daysOf, dayText, joinedFixedWidth, numbersOf, readVector, valueReader } from './arrow-values.ts';
import {
  type Batch,
  type BufferNumbers,
  type ColumnSource,
  type LocalColumn,
  makeBatch,
  type NumbersAndValidity,
  nullValues,
  type StringCodes,
  sourcedColumn,
  takeValues,
  type Values,
} from './batch.ts';
import { type ColumnIndex, type KeySet, keySetOf } from './kernels/column-index.ts';
import { stringCodesOf } from './kernels/string-codes.ts';
import { isValidAt, nullCountOf, rememberVector } from './kernels/vectors.ts';
import { type SqlType, T, typeFromSqlName, type Value } from './types.ts';

/** Above this share of the rows taken, decoding the whole column once is cheaper than row by row. */
const TAKE_ALL_SHARE = 1 / 3;
/** From this share of a string column's rows asked for, codes for every row are kept (arrow-memo.ts). */
const KEEP_CODES_SHARE = 1 / 8;
/** Above this share, reading a numeric column as one Float64Array is cheaper than row by row. */
const TAKE_NUMBERS_SHARE = 1 / 8;

/** Whole columns and single rows decoded from Arrow, for tests asserting what stays undecoded. */
export const decodeStats = { columns: 0, rows: 0 };

export class ArrowColumnSource implements ColumnSource {
  private readonly chunks: readonly Data[];
  private readonly starts: Float64Array;
  private readonly length: number;
  private decoded: Values | undefined;
  private numeric: NumbersAndValidity | null | undefined;
  private dictionary: StringCodes | null | undefined;
  private utf8: boolean | undefined;
  /** The chunks as one Data, once asked for (null: not a fixed-width type). */
  private joined: Data | null | undefined;

  /** The chunks as an Arrow Vector, made when Arrow's own decoding is asked for. */
  private whole: Vector | undefined;
  /** The chunks' Arrow type (as a Vector of them has it). */
  private readonly arrowType: DataType;

  constructor(
    /** A Vector, or its chunks (every chunk of `arrowType`): a Vector is made only if needed. */
    column: Vector | readonly Data[],
    private readonly type: SqlType,
  ) {
    if (Array.isArray(column)) {
      this.chunks = column;
      this.arrowType = this.chunks[0]!.type as DataType;
    } else {
      this.whole = column as Vector;
      this.chunks = this.whole.data as Data[];
      this.arrowType = this.whole.type as DataType;
    }
    this.starts = new Float64Array(this.chunks.length + 1);
    for (let c = 0; c < this.chunks.length; c++)
      this.starts[c + 1] = this.starts[c]! + this.chunks[c]!.length;
    this.length = this.starts[this.chunks.length]!;
  }

  private get vector(): Vector {
    this.whole ??= new Vector(this.chunks as Data[]);
    return this.whole;
  }

  private get isDate(): boolean {
    return this.type.kind === 'date' && this.arrowType.typeId === Type.Date;
  }

  get size(): number {
    return this.length;
  }

  /** Numbers already read, or cheap to read (day numbers are a copy of the Arrow buffer). */
  numbersAtHand(): NumbersAndValidity | undefined {
    return this.numeric !== undefined || this.isDate ? this.numbers() : undefined;
  }

  /** The codes when already built (undefined: not built, or not worth it). */
  codesAtHand(): StringCodes | undefined {
    if (this.dictionary === undefined && this.isUtf8) this.dictionary = codesKept(this.chunks);
    return this.dictionary ?? undefined;
  }

  select(rows: ArrayLike<number>): ColumnSource {
    return new SelectedRows(this, rowNumbers(rows));
  }

  arrowData(): Data | undefined {
    if (this.chunks.length === 1 && this.chunks[0]!.offset === 0) return this.chunks[0];
    if (this.joined === undefined)
      this.joined = this.dataAtHand() ?? joinedFixedWidth(this.arrowType, this.chunks, this.length) ?? null;
    return this.joined ?? undefined;
  }

  /** The chunks as one Data from what a kernel or a row step already joined (no copy), if anything. */
  private dataAtHand(): Data | undefined {
    const type = this.arrowType;
    const { length } = this;
    const double = type.typeId === Type.Float && (type as unknown as { precision: number }).precision === 2;
    if (double && this.numeric) {
      const { values, valid } = this.numeric;
      const nullCount = nullCountOf(valid, length);
      return makeData({
        type,
        length,
        nullCount,
        nullBitmap: nullCount > 0 ? valid : undefined,
        data: values,
      } as never);
    }
    const decoded = this.decoded;
    const Kind = this.chunks[0]?.values?.constructor;
    if (
      ArrayBuffer.isView(decoded) &&
      decoded.constructor === Kind &&
      this.chunks.every((data) => data.nullCount === 0)
    ) {
      return makeData({ type, length, nullCount: 0, data: decoded } as never);
    }
    return undefined;
  }

  values(): Values {
    if (this.decoded === undefined) {
      const codes = this.dictionary ?? undefined;
      const numbers = this.numeric ?? undefined;
      if (codes) this.decoded = fromCodes(codes);
      else if (numbers && !this.isDate && numbers.valid === undefined) this.decoded = numbers.values;
      else this.decoded = readVector(this.vector);
      decodeStats.columns++;
    }
    return this.decoded;
  }

  numbers(): NumbersAndValidity | undefined {
    if (this.numeric === undefined) {
      const kind = this.type.kind;
      if (this.isDate) {
        this.numeric = daysOf(
          this.chunks,
          this.length,
          (this.arrowType as unknown as { unit: number }).unit !== 0,
        );
      } else if (kind === 'int' || kind === 'double' || kind === 'decimal') {
        this.numeric = numbersOf(this.arrowType, this.chunks, this.length) ?? null;
      } else {
        this.numeric = null;
      }
    }
    return this.numeric ?? undefined;
  }

  bufferNumbers(): BufferNumbers | undefined {
    const data = this.chunks.length === 1 ? this.chunks[0]! : undefined;
    if (data?.offset !== 0 || this.numeric) return undefined;
    const type = this.arrowType as unknown as {
      typeId: Type;
      bitWidth: number;
      precision: number;
      unit: number;
    };
    const kind = this.type.kind;
    const plain =
      (kind === 'int' && type.typeId === Type.Int && type.bitWidth <= 32) ||
      (kind === 'double' && type.typeId === Type.Float && type.precision === 2) ||
      (kind === 'date' && type.typeId === Type.Date && type.unit === 0);
    if (!plain) return undefined;
    return {
      values: (data.values as BufferNumbers['values']).subarray(0, data.length),
      valid: data.nullCount > 0 ? data.nullBitmap : undefined,
    };
  }

  codes(): StringCodes | undefined {
    if (this.dictionary === undefined) {
      this.dictionary = this.isUtf8 ? (keptCodes(this.chunks, true, () => this.allCodes()) ?? null) : null;
    }
    return this.dictionary ?? undefined;
  }

  keySet(): KeySet | undefined {
    if (this.type.kind !== 'int') return undefined;
    return keptKeySet(this.chunks, () => {
      const numbers = this.numbers();
      return numbers && keySetOf(numbers.values, numbers.valid, this.length);
    });
  }

  keyIndex(): ColumnIndex | undefined {
    return this.type.kind === 'int' ? keptIndex(this.chunks, () => this.numbers()) : undefined;
  }

  private allCodes(): StringCodes | undefined {
    return stringCodesOf(this.chunks, this.length);
  }

  /**
   * The codes of the rows at `rows` (-1: NULL) only: from the column's kept codes (arrow-memo.ts,
   * made on the second ask for a share of its rows), else built from those rows' bytes.
   */
  codesAt(rows: ArrayLike<number>): StringCodes | undefined {
    if (!this.isUtf8 || this.dictionary === null) return undefined;
    // Rows that are a small share of the column use kept codes but never make them: coding
    // every row would cost more than the few rows' codes save in later plans.
    const all =
      this.dictionary ??
      (rows.length < this.length * KEEP_CODES_SHARE
        ? codesKept(this.chunks)
        : keptCodes(this.chunks, false, () => this.allCodes()));
    if (!all) return stringCodesOf(this.chunks, this.length, rows);
    this.dictionary = all;
    return { codes: composeRows(all.codes, rows), dictionary: all.dictionary };
  }

  private get isUtf8(): boolean {
    this.utf8 ??= this.type.kind === 'string' && this.chunks.every((data) => data.typeId === Type.Utf8);
    return this.utf8;
  }

  take(rows: ArrayLike<number>): Values {
    if (this.decoded !== undefined) return takeValues(this.decoded, rows);
    if (this.dictionary) return fromCodes(this.dictionary, rows);
    if (this.isDate) return takeDays(this.numbers()!, rows);
    if (this.numeric) return takeNumbers(this.numeric, rows);
    const kind = this.type.kind;
    // Plain numbers in one Arrow buffer: picked from it, nothing converted.
    const buffer = kind === 'int' || kind === 'double' ? this.bufferNumbers() : undefined;
    if (buffer) return takeBuffer(buffer, rows);
    if (
      (kind === 'int' || kind === 'double' || kind === 'decimal') &&
      rows.length > this.length * TAKE_NUMBERS_SHARE
    ) {
      const numbers = this.numbers();
      if (numbers) return takeNumbers(numbers, rows);
    }
    const read = valueReader(this.arrowType);
    if (!read || rows.length > this.length * TAKE_ALL_SHARE) return takeValues(this.values(), rows);
    const out: Value[] = new Array<Value>(rows.length).fill(null);
    decodeStats.rows += rows.length;
    const { chunks, starts } = this;
    let chunk = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row < 0) continue;
      if (row < starts[chunk]! || row >= starts[chunk + 1]!) chunk = chunkOf(starts, row);
      const data = chunks[chunk]!;
      const at = row - starts[chunk]!;
      if (isValidInChunk(data, at)) out[i] = read(data, at);
    }
    return out;
  }
}

/**
 * Rows of an Arrow column picked by a filter or a join and not decoded yet: a later filter or
 * join picks from them again, and only the rows that reach something reading values are decoded.
 */
class SelectedRows implements ColumnSource {
  private decoded: Values | undefined;
  private numeric: NumbersAndValidity | null | undefined;
  private dictionary: StringCodes | null | undefined;
  /** The rows these were picked from, when those have codes (or inherit them), and which of them. */
  private inherited: { readonly from: SelectedRows; readonly rows: ArrayLike<number> } | undefined;

  constructor(
    private readonly base: ArrowColumnSource,
    /** Rows of `base`; -1 is NULL (the missing side of an outer join). */
    private readonly rows: Int32Array,
  ) {}

  values(): Values {
    // Codes at hand give each distinct string once, decoded already.
    this.decoded ??= this.dictionary ? fromCodes(this.dictionary) : this.base.take(this.rows);
    return this.decoded;
  }

  take(rows: ArrayLike<number>): Values {
    return this.decoded ? takeValues(this.decoded, rows) : this.base.take(composeShared(this.rows, rows));
  }

  select(rows: ArrayLike<number>): ColumnSource {
    const selected = new SelectedRows(this.base, composeShared(this.rows, rows));
    // Codes built for these rows (a filter's string test) carry over to the rows picked from
    // them, composed when something asks for them.
    if (this.dictionary || this.inherited) selected.inherited = { from: this, rows };
    return selected;
  }

  numbers(): NumbersAndValidity | undefined {
    if (this.numeric === undefined) {
      const all =
        this.rows.length > this.base.size * TAKE_NUMBERS_SHARE
          ? this.base.numbers()
          : this.base.numbersAtHand();
      this.numeric = all ? gatherNumbers(all, this.rows) : null;
    }
    return this.numeric ?? undefined;
  }

  codes(): StringCodes | undefined {
    // The whole column's codes when kept (one composition), else those of the rows these were picked from.
    const all = this.dictionary === undefined ? this.base.codesAtHand() : undefined;
    if (all) this.dictionary = { codes: composeShared(all.codes, this.rows), dictionary: all.dictionary };
    const inherited = this.dictionary === undefined ? this.inherited?.from.codes() : undefined;
    if (inherited) {
      this.dictionary = {
        codes: composeShared(inherited.codes, this.inherited!.rows),
        dictionary: inherited.dictionary,
      };
    }
    // Rows of a column without codes yet: the codes of those rows alone.
    if (this.dictionary === undefined) this.dictionary = this.base.codesAt(this.rows) ?? null;
    return this.dictionary ?? undefined;
  }
}

/**
 * Row numbers as an Int32Array, the same one for every column picked at the same rows: a
 * Uint32Array of row numbers (all below 2^31) read as one without a copy.
 */
function rowNumbers(rows: ArrayLike<number>): Int32Array {
  if (rows instanceof Int32Array) return rows;
  let out = converted.get(rows);
  if (!out) {
    out =
      rows instanceof Uint32Array
        ? new Int32Array(rows.buffer, rows.byteOffset, rows.length)
        : Int32Array.from(rows);
    converted.set(rows, out);
  }
  return out;
}

const converted = new WeakMap<ArrayLike<number>, Int32Array>();

/**
 * The latest compositions made: the columns of a batch picked from the same rows and picked
 * again at the same rows (each column of a join's side, one after another) share one. Row arrays
 * are never written once made, so a composition stays right.
 */
const recent: { outer: Int32Array; inner: ArrayLike<number>; out: Int32Array }[] = [];
const RECENT = 4;

/** composeRows, made once for columns picked alike one after another. */
function composeShared(outer: Int32Array, inner: ArrayLike<number>): Int32Array {
  for (const made of recent) if (made.outer === outer && made.inner === inner) return made.out;
  const out = composeRows(outer, inner);
  if (recent.length === RECENT) recent.pop();
  recent.unshift({ outer, inner, out });
  return out;
}

/** `outer` picked at `inner` (-1 stays -1): row numbers through a selection, or codes at rows. */
function composeRows(outer: Int32Array, inner: ArrayLike<number>): Int32Array {
  const out = new Int32Array(inner.length);
  for (let i = 0; i < inner.length; i++) {
    const row = inner[i]!;
    out[i] = row < 0 ? -1 : outer[row]!;
  }
  return out;
}

function gatherNumbers(numbers: NumbersAndValidity, rows: Int32Array): NumbersAndValidity {
  const { values, valid } = numbers;
  const length = rows.length;
  const out = new Float64Array(length);
  let outValid: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    const row = rows[i]!;
    // The bit test inline: this loop runs per row of a join's output.
    if (row >= 0 && (valid === undefined || (valid[row >> 3]! & (1 << (row & 7))) !== 0))
      out[i] = values[row]!;
    else {
      outValid ??= new Uint8Array((length + 7) >> 3).fill(0xff);
      outValid[i >> 3]! &= ~(1 << (i & 7));
    }
  }
  return { values: out, valid: outValid };
}

/** The chunk holding `row`: the last start at or below it. */
function chunkOf(starts: Float64Array, row: number): number {
  let low = 0;
  let high = starts.length - 2;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= row) low = middle;
    else high = middle - 1;
  }
  return low;
}

function isValidInChunk(data: Data, index: number): boolean {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true;
  const bit = data.offset + index;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

/** The strings at `rows` (every row when undefined), each distinct one shared. */
function fromCodes(codes: StringCodes, rows?: ArrayLike<number>): Values {
  const { codes: ids, dictionary } = codes;
  const length = rows ? rows.length : ids.length;
  const out: Value[] = new Array<Value>(length).fill(null);
  for (let i = 0; i < length; i++) {
    const row = rows ? rows[i]! : i;
    if (row < 0) continue;
    const code = ids[row]!;
    if (code >= 0) out[i] = dictionary[code]!;
  }
  return out;
}

/** Numbers at `rows`: a Float64Array when none is NULL (as readVector gives a column without NULLs). */
function takeNumbers(numbers: NumbersAndValidity, rows: ArrayLike<number>): Values {
  const { values, valid } = numbers;
  if (valid === undefined) return takeValues(values, rows);
  const out: Value[] = new Array<Value>(rows.length).fill(null);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row >= 0 && isValidAt(valid, row)) out[i] = values[row]!;
  }
  return out;
}

/** Numbers of one Arrow buffer at `rows` (-1: NULL): a Float64Array when none is NULL, as takeNumbers gives. */
function takeBuffer(buffer: BufferNumbers, rows: ArrayLike<number>): Values {
  const { values, valid } = buffer;
  const length = rows.length;
  let complete = valid === undefined;
  for (let i = 0; i < length && complete; i++) complete = rows[i]! >= 0;
  if (complete) {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = values[rows[i]!]!;
    return out;
  }
  const out: Value[] = new Array<Value>(length).fill(null);
  for (let i = 0; i < length; i++) {
    const row = rows[i]!;
    if (row >= 0 && (valid === undefined || (valid[row >> 3]! & (1 << (row & 7))) !== 0))
      out[i] = values[row]!;
  }
  return out;
}

/** DATE texts at `rows`, their day numbers remembered for the kernels. */
function takeDays(days: NumbersAndValidity, rows: ArrayLike<number>): Values {
  const out: Value[] = new Array<Value>(rows.length).fill(null);
  const taken = new Float64Array(rows.length);
  let valid: Uint8Array | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row >= 0 && isValidAt(days.valid, row)) {
      const day = days.values[row]!;
      taken[i] = day;
      out[i] = dayText(day);
    } else {
      valid ??= new Uint8Array((rows.length + 7) >> 3).fill(0xff);
      valid[i >> 3]! &= ~(1 << (i & 7));
    }
  }
  rememberVector(out, taken, valid);
  return out;
}

/** The SQL type of an Arrow type (the Arrow type kept, so an untouched column leaves as it came). */
export function sqlTypeOfArrow(type: DataType): SqlType {
  const withArrow = (base: SqlType): SqlType => Object.freeze({ ...base, arrow: type });
  switch (type.typeId) {
    case Type.Null:
      return withArrow(T.null);
    case Type.Int:
    case Type.Bool:
      return withArrow(T.int);
    case Type.Float:
      return withArrow(T.double);
    case Type.Decimal:
      return withArrow(T.decimal((type as unknown as { scale: number }).scale));
    case Type.Date:
      return withArrow(T.date);
    case Type.Timestamp:
      return withArrow(T.datetime);
    case Type.Time:
    case Type.Duration:
      // MariaDB's TIME reaches Arrow as a Duration (it may be negative or exceed 24 hours).
      return withArrow(T.time);
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
    case Type.BinaryView:
      return withArrow(T.binary);
    case Type.Dictionary:
      return withArrow(sqlTypeOfArrow((type as unknown as { dictionary: DataType }).dictionary));
    default:
      return withArrow(T.string);
  }
}

/**
 * Column types made, by Arrow type and the plan's SQL type name: the same buffers under new
 * Table objects keep their DataType objects, and a plan names the same types each run. Types
 * are frozen, so sharing one is safe.
 */
const columnTypes = new WeakMap<DataType, Map<string | undefined, SqlType>>();

function columnType(field: ArrowField, hint: Field | undefined): SqlType {
  let byName = columnTypes.get(field.type);
  if (!byName) {
    byName = new Map();
    columnTypes.set(field.type, byName);
  }
  let type = byName.get(hint?.sqlType);
  if (!type) {
    type = Object.freeze(typeOfColumn(field, hint));
    byName.set(hint?.sqlType, type);
  }
  return type;
}

/** The column's type: the Arrow type's, refined by the plan's SQL type name where that says more. */
function typeOfColumn(field: ArrowField, hint: Field | undefined): SqlType {
  const fromArrow = sqlTypeOfArrow(field.type);
  const named = typeFromSqlName(hint?.sqlType);
  if (!named) return fromArrow;
  // A DECIMAL read as float64 keeps its decimal semantics; a date read as text is still a date.
  if (fromArrow.kind === 'double' && named.kind === 'decimal') return { ...named, arrow: field.type };
  if (
    fromArrow.kind === 'string' &&
    (named.kind === 'date' || named.kind === 'datetime' || named.kind === 'time')
  ) {
    return { ...named, arrow: field.type };
  }
  if (fromArrow.kind === 'string' && named.enumValues) return { ...fromArrow, enumValues: named.enumValues };
  return fromArrow;
}

/** An Arrow table as a batch; `fields` (the plan's, by name) refine the column types. */
export function batchFromArrow(table: Table, fields: readonly Field[] = []): Batch {
  const columns: LocalColumn[] = table.schema.fields.map((field, index) => {
    const hint = fields.find((f) => f.name === field.name);
    if (field.type.typeId === Type.Null) {
      const type = typeFromSqlName(hint?.sqlType) ?? T.null;
      return { name: field.name, type, values: nullValues(table.numRows) };
    }
    const type = columnType(field, hint);
    // The column's chunks straight from the record batches (a Vector is made only if needed).
    const chunks = table.batches.map((batch) => batch.data.children[index]);
    const column =
      chunks.length > 0 && chunks.every((data) => data instanceof Data)
        ? (chunks as Data[])
        : table.getChildAt(index)!;
    return sourcedColumn(field.name, type, new ArrowColumnSource(column, type));
  });
  return makeBatch(columns, table.numRows);
}
