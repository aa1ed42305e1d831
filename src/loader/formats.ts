/**
 * Record payloads to rows: JSON (column ← path, a missing path takes the column's default),
 * CSV/TSV (csv-parse; `\N` is NULL), raw (the whole payload in one column). A payload that
 * cannot be decoded throws a RecordError naming what was wrong; the pipeline keeps the record.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import {
  isSafeNumber,
  LosslessNumber,
  parse as parseLossless,
  stringify as stringifyLossless,
} from 'lossless-json';
import { ConfigError } from '../base/errors.ts';
import type { TsvValue } from '../db/tsv.ts';
import { avroReader } from './avro.ts';
import type { Payload } from './record-error.ts';
import { RecordError } from './record-error.ts';

export { type Payload, RecordError } from './record-error.ts';

import type { FormatSpec, JsonColumn } from './spec.ts';

export interface Decoder {
  readonly columns: readonly string[];
  /** The rows in one payload (CSV payloads may hold several lines). Throws RecordError. */
  decode(payload: Payload): TsvValue[][];
}

export function createDecoder(format: FormatSpec): Decoder {
  switch (format.kind) {
    case 'json':
      return jsonDecoder(format.columns);
    case 'csv':
      return csvDecoder(format.columns, format.delimiter, format.quote, format.header);
    case 'avro': {
      const read = avroReader(format);
      const json = jsonDecoder(format.columns);
      return { columns: json.columns, decode: (payload) => json.decode(read(payload)) };
    }
    case 'raw':
      return {
        columns: [format.column],
        decode: (payload) => [
          [
            typeof payload === 'object' && !Buffer.isBuffer(payload)
              ? JSON.stringify(payload)
              : text(payload),
          ],
        ],
      };
  }
}

function text(payload: string | Buffer): string {
  return typeof payload === 'string' ? payload : payload.toString('utf8');
}

type PathStep = string | number;

/** `a.b[0].c`, `$.a.b`, `$["odd key"]`; `$` alone is the whole record. */
export function parseJsonPath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  const step =
    /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\])/;
  while (rest.length > 0) {
    const match = step.exec(rest);
    if (!match) throw new ConfigError(`JSON path '${path}' is not valid near '${rest}'`);
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(Number(match[2]));
    else if (match[3] !== undefined) steps.push(JSON.parse(`"${match[3]}"`) as string);
    else steps.push(JSON.parse(`"${match[4]!.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string);
    rest = rest.slice(match[0].length);
  }
  return steps;
}

const MISSING = Symbol('missing');

function jsonDecoder(columns: readonly JsonColumn[]): Decoder {
  const paths = columns.map((column) => parseJsonPath(column.path));
  return {
    columns: columns.map((column) => column.column),
    decode(payload) {
      const isText = typeof payload === 'string' || Buffer.isBuffer(payload);
      const { document, lossless } = isText
        ? parseJson(text(payload))
        : { document: payload, lossless: false };
      // Only a document lossless-json parsed holds LosslessNumbers, which JSON.stringify cannot write.
      const stringify = lossless ? (value: unknown) => stringifyLossless(value) ?? 'null' : JSON.stringify;
      const row: TsvValue[] = new Array(columns.length);
      for (let index = 0; index < columns.length; index++) {
        const steps = paths[index]!;
        if (steps.length === 0) {
          row[index] = stringify(document);
          continue;
        }
        const value = follow(document, steps);
        row[index] = value === MISSING ? (columns[index]!.default ?? null) : columnValue(value, stringify);
      }
      return [row];
    },
  };
}

/**
 * 16 digits or dots in a row: every number JSON.parse might round has that many (a double holds
 * any 15 significant digits). A false alarm (a long run in a string) only costs the slower parse.
 * Testing for it costs about 0.2-0.3 µs on a 100-byte event.
 */
const LONG_NUMBER = /[0-9.]{16}/;

/**
 * JSON text to a document. JSON.parse turns every number into a double, so 12345678901234567890
 * would load as 12345678901234567000; a payload with a long number is parsed by lossless-json
 * instead, which keeps each number a double cannot hold exactly as its text (a LosslessNumber).
 * A payload lossless-json refuses (it also refuses repeated keys) goes to JSON.parse, which has
 * the last word and words the error.
 */
function parseJson(source: string): { document: unknown; lossless: boolean } {
  if (LONG_NUMBER.test(source)) {
    try {
      return { document: parseLossless(source, null, exactNumber), lossless: true };
    } catch {
      // JSON.parse below decides.
    }
  }
  try {
    return { document: JSON.parse(source), lossless: false };
  } catch (error) {
    throw new RecordError('parse', `malformed JSON: ${(error as Error).message}`);
  }
}

function exactNumber(digits: string): number | LosslessNumber {
  return isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits);
}

function follow(document: unknown, steps: readonly PathStep[]): unknown {
  let current: unknown = document;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return MISSING;
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return MISSING;
      current = current[step];
    } else {
      if (Array.isArray(current) || !Object.hasOwn(current, step)) return MISSING;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}

/**
 * Scalars as they are, a number kept exact as its digits; objects and arrays as JSON text (for
 * JSON or text columns).
 */
function columnValue(value: unknown, stringify: (value: unknown) => string): TsvValue {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return value;
  }
  if (value instanceof LosslessNumber) return value.toString();
  return stringify(value);
}

function csvDecoder(columns: readonly string[], delimiter: string, quote: string, header: boolean): Decoder {
  return {
    columns,
    decode(payload) {
      if (typeof payload === 'object' && !Buffer.isBuffer(payload)) {
        throw new RecordError('parse', 'a CSV pipeline got an object; the transform must return text');
      }
      const source = text(payload);
      let records: string[][];
      try {
        records =
          plainLines(source, delimiter, quote) ??
          parseCsv(source, { delimiter, quote, relax_quotes: false, skip_empty_lines: true });
      } catch (error) {
        throw new RecordError('parse', `malformed CSV: ${(error as Error).message}`);
      }
      let order = columns.map((_, index) => index);
      if (header) {
        const names = records.shift() ?? [];
        order = columns.map((column) => names.indexOf(column));
        const missing = columns.filter((_, index) => order[index] === -1);
        if (missing.length > 0)
          throw new RecordError('parse', `CSV header lacks column(s) ${missing.join(', ')}`);
      }
      return records.map((fields, line) => {
        if (!header && fields.length !== columns.length) {
          throw new RecordError(
            'parse',
            `CSV line ${line + 1} has ${fields.length} field(s); expected ${columns.length} (${columns.join(', ')})`,
          );
        }
        return order.map((position) => {
          const field = fields[position];
          return field === undefined || field === '\\N' ? null : field;
        });
      });
    },
  };
}

/**
 * Lines without a quote character or a carriage return split the way csv-parse would split them
 * (fields at each delimiter, empty lines skipped), at a fraction of its cost per record (its
 * parser is set up anew for every call); anything else goes to csv-parse.
 */
function plainLines(source: string, delimiter: string, quote: string): string[][] | undefined {
  if (delimiter.length !== 1 || source.includes(quote) || source.includes('\r')) return undefined;
  const records: string[][] = [];
  for (const line of source.split('\n')) if (line !== '') records.push(line.split(delimiter));
  return records;
}
