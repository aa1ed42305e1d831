/**
 * The NDJSON, JSON and CSV encoders write from Arrow buffers column by column; what they write
 * must be what the row objects of `collect()` say, value for value (every digit of 64-bit
 * integers and DECIMALs), including NULLs and sliced batches.
 */
import {
  Field as ArrowField,
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  DurationMicrosecond,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Uint64,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowToRows } from '../../../src/frame/rows.ts';
import { createEncoder } from '../../../src/http/formats.ts';
import { bigIntToWords } from '../../../src/values/decimal.ts';

const ROWS = 7;
const isNull = (i: number) => i % 3 === 2;

function validity(length: number): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(8);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (isNull(i)) nullCount++;
    else nullBitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { nullBitmap, nullCount };
}

/** A fixed-width column straight from its values buffer, every third value NULL. */
function fixed(type: DataType, data: ArrayBufferView & { length: number }, length = ROWS) {
  return makeData({ type, length, ...validity(length), data } as never) as Data;
}

function decimalColumn(values: bigint[]) {
  const words = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    bigIntToWords(v, words, i * 4, 4);
  });
  return fixed(new Decimal(2, 38, 128), words);
}

function sample(): Table {
  const pick = <T>(values: T[]) => values.map((v, i) => (isNull(i) ? null : v));
  const varying = new Table({
    s: vectorFromArray(
      pick(['plain', 'a,b', 'say "hi"', '#not a control line', 'line\nbreak', 'ünï€ode', '']),
      new Utf8(),
    ),
    b: vectorFromArray(pick([true, false, true, false, true, false, true]), new Bool()),
    bin: vectorFromArray(
      pick([0, 1, 2, 3, 4, 5, 6].map((n) => Uint8Array.from({ length: n }, (_, k) => 250 + k))),
      new Binary(),
    ),
  });
  const columns: [string, Data][] = [
    ['i', fixed(new Int32(), Int32Array.of(1, -2, 3, 2147483647, -2147483648, 0, 5))],
    [
      'big',
      fixed(
        new Int64(),
        BigInt64Array.of(9223372036854775807n, -9223372036854775808n, 1n, 2n ** 53n + 1n, 0n, -1n, 42n),
      ),
    ],
    ['ubig', fixed(new Uint64(), BigUint64Array.of(18446744073709551615n, 0n, 1n, 2n, 3n, 4n, 5n))],
    [
      'f',
      fixed(new Float64(), Float64Array.of(1.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 0.1, -3.25)),
    ],
    ['d', fixed(new DateDay(), Int32Array.of(0, 18262, -1, 2932896, 1, 2, 3))],
    [
      't',
      fixed(
        new TimestampMicrosecond(),
        BigInt64Array.of(0n, 1_600_000_000_123_456n, -1n, 253402300799999999n, 5n, -62135596800000000n, 7n),
      ),
    ],
    [
      'dur',
      fixed(
        new DurationMicrosecond(),
        BigInt64Array.of(0n, -1n, 3_600_000_001n, 838n * 3_600_000_000n, 5n, 6n, 7n),
      ),
    ],
    [
      'dec',
      decimalColumn([
        99999999999999999999999999999999999999n,
        -99999999999999999999999999999999999999n,
        1n,
        -5n,
        0n,
        123456n,
        -100n,
      ]),
    ],
    ...varying.schema.fields.map((f, c): [string, Data] => [f.name, varying.batches[0]!.data.children[c]!]),
  ];
  const fields = columns.map(([name, data]) => new ArrowField(name, data.type, true));
  const data = makeData({
    type: new Struct(fields),
    length: ROWS,
    nullCount: 0,
    children: columns.map(([, d]) => d),
  });
  return new Table([new RecordBatch(new Schema(fields), data)]);
}

/** What the encoders wrote before they went columnar: collect()'s row objects, value by value. */
function jsonValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value) ?? 'null';
}
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Uint8Array ? Buffer.from(value).toString('base64') : String(value);
  return /[",\r\n]/.test(text) || text.startsWith('#') ? `"${text.replaceAll('"', '""')}"` : text;
}

const decode = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('text encoders from Arrow columns', () => {
  const table = sample();
  const batch = table.batches[0]!;
  // A slice (offset 2) checks buffers that start inside their arrays, bit offsets included.
  for (const [label, piece] of [
    ['whole batch', batch],
    ['sliced batch', batch.slice(2, 6)],
  ] as const) {
    const rows = arrowToRows(new Table([piece]));
    const names = piece.schema.fields.map((f) => f.name);

    it(`NDJSON equals collect() row by row (${label})`, () => {
      const expected = rows
        .map((row) => `{${names.map((n) => `${JSON.stringify(n)}:${jsonValue(row[n])}`).join(',')}}\n`)
        .join('');
      expect(decode(createEncoder('ndjson', 'q').batch(piece))).toBe(expected);
    });

    it(`CSV equals collect() row by row (${label})`, () => {
      const expected = `${names.join(',')}\r\n${rows.map((row) => `${names.map((n) => csvField(row[n])).join(',')}\r\n`).join('')}`;
      expect(decode(createEncoder('csv', 'q').batch(piece))).toBe(expected);
    });

    it(`JSON equals collect() row by row (${label})`, () => {
      const encoder = createEncoder('json', 'q');
      const text =
        decode(encoder.batch(piece)) + decode(encoder.batch(piece)) + decode(encoder.end(undefined, 0));
      const columns = piece.schema.fields.map((f) => ({
        name: f.name,
        type: String(f.type),
        nullable: f.nullable,
      }));
      const rowText = rows.map(
        (row) => `{${names.map((n) => `${JSON.stringify(n)}:${jsonValue(row[n])}`).join(',')}}`,
      );
      const body = [...rowText, ...rowText].map((r, i) => `${i === 0 ? '' : ','}\n${r}`).join('');
      expect(text).toBe(
        `{"query_id":"q","columns":${JSON.stringify(columns)},"rows":[${body}\n],"row_count":0}\n`,
      );
    });
  }

  it('keeps every digit of 64-bit integers and DECIMALs', () => {
    const text = decode(createEncoder('ndjson', 'q').batch(batch));
    expect(text).toContain('"big":9223372036854775807');
    expect(text).toContain('"big":-9223372036854775808');
    expect(text).toContain('"ubig":18446744073709551615');
    expect(text).toContain('"dec":"999999999999999999999999999999999999.99"');
    expect(text).toContain('"dec":"-999999999999999999999999999999999999.99"');
    expect(text).toContain('"dec":"-0.05"');
  });
});
