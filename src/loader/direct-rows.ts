/**
 * Record payloads straight to LOAD DATA text, without building values: a JSON record's mapped
 * fields and a CSV/TSV record's lines are found in the payload's bytes and copied into the
 * output as they are. Most of a decode thread's time went to building what this skips (a string
 * per payload, JSON.parse's objects, a value per field, a string per row, and their garbage).
 *
 * A record is read here only when its text is what the general decoder (formats.ts) would write
 * for it, byte for byte; anything else (escapes in a mapped string, numbers JavaScript would
 * print differently, repeated keys, objects in a mapped column, quotes, malformed input, …)
 * answers -1 and goes through the general decoder, which also words the errors of bad records.
 */
import { isUtf8 } from 'node:buffer';
import { type TsvValue, tsvField } from '../db/tsv.ts';
import type { TsvOutput } from '../db/tsv-output.ts';
import { parseJsonPath } from './formats.ts';
import type { FormatSpec, JsonColumn } from './spec.ts';

export interface DirectRows {
  /** Reads a payload: the number of rows it holds, or -1 when the general decoder must read it. */
  read(bytes: Buffer, from: number, to: number): number;
  /** The value of column `column` of row `row` of the payload just read (to route the row). */
  value(row: number, column: number): TsvValue;
  /** Appends row `row` of the payload just read as one LOAD DATA line. */
  write(row: number, out: TsvOutput): void;
}

/** A reader for the format, or undefined when its records always need the general decoder. */
export function directRows(format: FormatSpec): DirectRows | undefined {
  if (format.kind === 'json') return jsonRows(format.columns);
  if (format.kind === 'csv' && !format.header) return delimitedRows(format.columns.length, format);
  return undefined;
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const PLUS = 0x2b;
const UPPER_N = 0x4e;

const MISSING = 0;
const TEXT = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;

/** Deeper documents go to the general decoder (JSON.parse has its own limit). */
const MAX_DEPTH = 64;

/** A key of the mapped paths: the columns it ends, or the keys below it; `seen` finds repeats. */
interface PathNode {
  readonly key: Uint8Array;
  readonly columns: number[];
  readonly children: PathNode[];
  seen: number;
}

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === NEWLINE || byte === TAB || byte === RETURN;
}

const encoder = new TextEncoder();

/**
 * JSON whose every column path is a chain of object keys (`$.user.name`); a path through an
 * array index, or the whole record (`$`), leaves the format to the general decoder.
 */
function jsonRows(columns: readonly JsonColumn[]): DirectRows | undefined {
  const root: PathNode = { key: new Uint8Array(), columns: [], children: [], seen: 0 };
  for (let column = 0; column < columns.length; column++) {
    const steps = parseJsonPath(columns[column]!.path);
    if (steps.length === 0 || steps.some((step) => typeof step !== 'string')) return undefined;
    let node = root;
    for (const step of steps as string[]) {
      const key = encoder.encode(step);
      let child = node.children.find((entry) => Buffer.compare(entry.key, key) === 0);
      if (!child) {
        child = { key, columns: [], children: [], seen: 0 };
        node.children.push(child);
      }
      node = child;
    }
    node.columns.push(column);
  }
  // A key that is both a column and a parent of others would need the object as JSON text.
  const mixed = (node: PathNode): boolean =>
    (node.columns.length > 0 && node.children.length > 0) || node.children.some(mixed);
  if (mixed(root)) return undefined;
  return new JsonRows(
    columns.map((column) => encoder.encode(tsvField(column.default ?? null))),
    columns.map((column) => column.default ?? null),
    root,
  );
}

class JsonRows implements DirectRows {
  private bytes: Buffer = Buffer.alloc(0);
  private readonly kinds: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  /** Stamps PathNode.seen: one value per payload read. */
  private reading = 0;
  private escaped = false;
  private nonAscii = false;

  constructor(
    private readonly defaults: readonly Uint8Array[],
    private readonly defaultValues: readonly TsvValue[],
    private readonly root: PathNode,
  ) {
    this.kinds = new Uint8Array(defaults.length);
    this.starts = new Int32Array(defaults.length);
    this.ends = new Int32Array(defaults.length);
  }

  read(bytes: Buffer, from: number, to: number): number {
    this.bytes = bytes;
    this.kinds.fill(MISSING);
    this.nonAscii = false;
    this.reading++;
    let at = this.space(from, to);
    if (at >= to || bytes[at] !== OPEN_OBJECT) return -1;
    at = this.object(at, to, this.root, 0);
    if (at < 0 || this.space(at, to) !== to) return -1;
    // Invalid UTF-8 becomes U+FFFD in the general decoder's text.
    if (this.nonAscii && !isUtf8(bytes.subarray(from, to))) return -1;
    return 1;
  }

  value(_row: number, column: number): TsvValue {
    const start = this.starts[column]!;
    const end = this.ends[column]!;
    switch (this.kinds[column]) {
      case TEXT:
        return this.bytes.toString('utf8', start, end);
      case NUMBER:
        return Number(this.bytes.toString('latin1', start, end));
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NULL:
        return null;
      default:
        return this.defaultValues[column];
    }
  }

  write(_row: number, out: TsvOutput): void {
    const { kinds, starts, ends, bytes, defaults } = this;
    let size = kinds.length;
    for (let column = 0; column < kinds.length; column++) {
      const kind = kinds[column];
      if (kind === TEXT || kind === NUMBER) size += ends[column]! - starts[column]!;
      else if (kind === MISSING) size += defaults[column]!.length;
      else size += 2;
    }
    const chunk = out.reserve(size);
    let at = out.position;
    for (let column = 0; column < kinds.length; column++) {
      if (column > 0) chunk[at++] = TAB;
      switch (kinds[column]) {
        case TEXT:
        case NUMBER:
          for (let index = starts[column]!, end = ends[column]!; index < end; index++)
            chunk[at++] = bytes[index]!;
          break;
        case TRUE:
          chunk[at++] = 0x31;
          break;
        case FALSE:
          chunk[at++] = ZERO;
          break;
        case NULL:
          chunk[at++] = BACKSLASH;
          chunk[at++] = UPPER_N;
          break;
        default:
          chunk.set(defaults[column]!, at);
          at += defaults[column]!.length;
      }
    }
    chunk[at++] = NEWLINE;
    out.advance(at);
  }

  private space(at: number, to: number): number {
    while (at < to && isSpace(this.bytes[at]!)) at++;
    return at;
  }

  /** `{…}` from `at`; the position after it, or -1. `node`: the mapped keys at this level. */
  private object(at: number, to: number, node: PathNode | undefined, depth: number): number {
    if (depth > MAX_DEPTH) return -1;
    const bytes = this.bytes;
    at = this.space(at + 1, to);
    if (at < to && bytes[at] === CLOSE_OBJECT) return at + 1;
    for (;;) {
      if (at >= to || bytes[at] !== QUOTE) return -1;
      const keyEnd = this.string(at, to);
      if (keyEnd < 0) return -1;
      let child: PathNode | undefined;
      if (node) {
        // A mapped key written with escapes could still be the same key: not read here.
        if (this.escaped) return -1;
        child = this.child(node, at + 1, keyEnd);
        if (child) {
          // A repeated key: JSON.parse keeps the last one.
          if (child.seen === this.reading) return -1;
          child.seen = this.reading;
        }
      }
      at = this.space(keyEnd + 1, to);
      if (at >= to || bytes[at] !== COLON) return -1;
      at = this.space(at + 1, to);
      at = this.element(at, to, child, depth);
      if (at < 0) return -1;
      at = this.space(at, to);
      if (at >= to) return -1;
      if (bytes[at] === CLOSE_OBJECT) return at + 1;
      if (bytes[at] !== COMMA) return -1;
      at = this.space(at + 1, to);
    }
  }

  private child(node: PathNode, from: number, to: number): PathNode | undefined {
    const bytes = this.bytes;
    const length = to - from;
    outer: for (const child of node.children) {
      const key = child.key;
      if (key.length !== length) continue;
      for (let index = 0; index < length; index++) if (key[index] !== bytes[from + index]) continue outer;
      return child;
    }
    return undefined;
  }

  /** A value from `at`, stored for `target`'s columns if it has any: the position after it, or -1. */
  private element(at: number, to: number, target: PathNode | undefined, depth: number): number {
    if (at >= to) return -1;
    const bytes = this.bytes;
    const byte = bytes[at]!;
    const columns = target && target.columns.length > 0 ? target.columns : undefined;
    if (byte === QUOTE) {
      const end = this.string(at, to);
      if (end < 0 || (columns && this.escaped)) return -1;
      if (columns) this.store(columns, TEXT, at + 1, end);
      return end + 1;
    }
    if (byte === OPEN_OBJECT) {
      if (columns) return -1;
      return this.object(at, to, target, depth + 1);
    }
    if (byte === OPEN_ARRAY) {
      if (columns) return -1;
      return this.array(at, to, depth + 1);
    }
    if (byte === MINUS || isDigit(byte)) {
      const end = this.number(at, to);
      if (end < 0) return -1;
      if (columns) {
        if (!printsAsWritten(bytes, at, end)) return -1;
        this.store(columns, NUMBER, at, end);
      }
      return end;
    }
    const literal = this.literal(at, to);
    if (literal < 0) return -1;
    if (columns) this.store(columns, literal, 0, 0);
    return at + (literal === FALSE ? 5 : 4);
  }

  private store(columns: readonly number[], kind: number, start: number, end: number): void {
    for (const column of columns) {
      this.kinds[column] = kind;
      this.starts[column] = start;
      this.ends[column] = end;
    }
  }

  private literal(at: number, to: number): number {
    const bytes = this.bytes;
    const is = (text: string) => {
      if (at + text.length > to) return false;
      for (let index = 0; index < text.length; index++)
        if (bytes[at + index] !== text.charCodeAt(index)) return false;
      return true;
    };
    if (is('true')) return TRUE;
    if (is('false')) return FALSE;
    if (is('null')) return NULL;
    return -1;
  }

  private array(at: number, to: number, depth: number): number {
    if (depth > MAX_DEPTH) return -1;
    const bytes = this.bytes;
    at = this.space(at + 1, to);
    if (at < to && bytes[at] === CLOSE_ARRAY) return at + 1;
    for (;;) {
      at = this.element(at, to, undefined, depth);
      if (at < 0) return -1;
      at = this.space(at, to);
      if (at >= to) return -1;
      if (bytes[at] === CLOSE_ARRAY) return at + 1;
      if (bytes[at] !== COMMA) return -1;
      at = this.space(at + 1, to);
    }
  }

  /** The closing quote of the string opening at `at`, or -1; sets `escaped`. */
  private string(at: number, to: number): number {
    const bytes = this.bytes;
    this.escaped = false;
    for (let index = at + 1; index < to; index++) {
      const byte = bytes[index]!;
      if (byte === QUOTE) return index;
      if (byte < SPACE) return -1;
      if (byte >= 0x80) this.nonAscii = true;
      else if (byte === BACKSLASH) {
        this.escaped = true;
        const next = bytes[index + 1];
        if (next === 0x75) {
          for (let digit = index + 2; digit < index + 6; digit++) if (!isHex(bytes[digit])) return -1;
          index += 5;
        } else if (isEscape(next)) index++;
        else return -1;
      }
    }
    return -1;
  }

  /** A JSON number from `at`: the position after it, or -1. */
  private number(at: number, to: number): number {
    const bytes = this.bytes;
    if (bytes[at] === MINUS) at++;
    if (at >= to || !isDigit(bytes[at]!)) return -1;
    if (bytes[at] === ZERO) at++;
    else while (at < to && isDigit(bytes[at]!)) at++;
    if (at < to && bytes[at] === DOT) {
      at++;
      if (at >= to || !isDigit(bytes[at]!)) return -1;
      while (at < to && isDigit(bytes[at]!)) at++;
    }
    if (at < to && (bytes[at] === LOWER_E || bytes[at] === UPPER_E)) {
      at++;
      if (at < to && (bytes[at] === PLUS || bytes[at] === MINUS)) at++;
      if (at >= to || !isDigit(bytes[at]!)) return -1;
      while (at < to && isDigit(bytes[at]!)) at++;
    }
    return at;
  }
}

/** `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` (`\u` apart). */
function isEscape(byte: number | undefined): boolean {
  return (
    byte === QUOTE ||
    byte === BACKSLASH ||
    byte === 0x2f ||
    byte === 0x62 ||
    byte === 0x66 ||
    byte === 0x6e ||
    byte === 0x72 ||
    byte === 0x74
  );
}

function isHex(byte: number | undefined): boolean {
  return (
    byte !== undefined && (isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66))
  );
}

/**
 * Whether JavaScript prints the number (a valid JSON number) the way it is written, so its text
 * is what the general decoder would write: no exponent, at most 15 significant digits (every
 * such decimal is its double's shortest form), no trailing zero after the point, not -0, and
 * not below 1e-6 (which JavaScript prints with an exponent).
 */
function printsAsWritten(bytes: Uint8Array, from: number, to: number): boolean {
  let at = from;
  if (bytes[at] === MINUS) at++;
  const wholeIsZero = bytes[at] === ZERO;
  let significant = 0;
  if (wholeIsZero) at++;
  else
    while (at < to && isDigit(bytes[at]!)) {
      at++;
      significant++;
    }
  if (at === to) return significant <= 15 && !(wholeIsZero && bytes[from] === MINUS);
  if (bytes[at] !== DOT) return false; // an exponent
  at++;
  const fractionStart = at;
  while (at < to && isDigit(bytes[at]!)) at++;
  if (at !== to || bytes[to - 1] === ZERO) return false;
  if (wholeIsZero) {
    let zeros = fractionStart;
    while (bytes[zeros] === ZERO) zeros++;
    if (zeros - fractionStart > 5) return false;
    significant += to - zeros;
  } else significant += to - fractionStart;
  return significant <= 15;
}

/**
 * CSV/TSV records (no header) whose lines hold no quote, carriage return or NUL, no backslash
 * except a whole `\N` field (NULL in both), no tab when the delimiter is not one, and as many
 * fields as there are columns: each line is copied with its delimiters turned into tabs.
 */
function delimitedRows(
  columns: number,
  format: { readonly delimiter: string; readonly quote: string },
): DirectRows | undefined {
  if (format.delimiter.length !== 1 || format.delimiter.charCodeAt(0) >= 0x80) return undefined;
  if (format.quote.charCodeAt(0) >= 0x80) return undefined;
  return new DelimitedRows(columns, format.delimiter.charCodeAt(0), format.quote.charCodeAt(0));
}

class DelimitedRows implements DirectRows {
  private bytes: Buffer = Buffer.alloc(0);
  private lineStarts = new Int32Array(16);
  private lineEnds = new Int32Array(16);

  constructor(
    private readonly columns: number,
    private readonly delimiter: number,
    private readonly quote: number,
  ) {}

  read(bytes: Buffer, from: number, to: number): number {
    this.bytes = bytes;
    const { delimiter, quote, columns } = this;
    let rows = 0;
    let nonAscii = false;
    let lineStart = from;
    let fields = 1;
    let fieldStart = from;
    for (let at = from; at <= to; at++) {
      const byte = at < to ? bytes[at]! : NEWLINE;
      if (byte === NEWLINE) {
        if (at > lineStart) {
          if (fields !== columns) return -1;
          if (rows === this.lineStarts.length) this.grow();
          this.lineStarts[rows] = lineStart;
          this.lineEnds[rows] = at;
          rows++;
        }
        lineStart = at + 1;
        fieldStart = at + 1;
        fields = 1;
      } else if (byte === delimiter) {
        fields++;
        fieldStart = at + 1;
      } else if (byte === BACKSLASH) {
        // Only a whole `\N` field: NULL here and in LOAD DATA.
        const end = at + 2;
        const next = end < to ? bytes[end] : NEWLINE;
        if (at !== fieldStart || bytes[at + 1] !== UPPER_N || (next !== delimiter && next !== NEWLINE))
          return -1;
        at++;
      } else if (byte === quote || byte === RETURN || byte === 0 || byte === TAB) return -1;
      else if (byte >= 0x80) nonAscii = true;
    }
    if (nonAscii && !isUtf8(bytes.subarray(from, to))) return -1;
    return rows;
  }

  value(row: number, column: number): TsvValue {
    const bytes = this.bytes;
    let start = this.lineStarts[row]!;
    const end = this.lineEnds[row]!;
    for (let field = 0; field < column; field++) {
      while (bytes[start] !== this.delimiter) start++;
      start++;
    }
    let stop = start;
    while (stop < end && bytes[stop] !== this.delimiter) stop++;
    const text = bytes.toString('utf8', start, stop);
    return text === '\\N' ? null : text;
  }

  write(row: number, out: TsvOutput): void {
    const start = this.lineStarts[row]!;
    const end = this.lineEnds[row]!;
    const chunk = out.reserve(end - start + 1);
    let at = out.position;
    const { bytes, delimiter } = this;
    for (let index = start; index < end; index++) {
      const byte = bytes[index]!;
      chunk[at++] = byte === delimiter ? TAB : byte;
    }
    chunk[at++] = NEWLINE;
    out.advance(at);
  }

  private grow(): void {
    const starts = new Int32Array(this.lineStarts.length * 2);
    const ends = new Int32Array(this.lineEnds.length * 2);
    starts.set(this.lineStarts);
    ends.set(this.lineEnds);
    this.lineStarts = starts;
    this.lineEnds = ends;
  }
}
