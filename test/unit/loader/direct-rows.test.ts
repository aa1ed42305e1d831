/**
 * The direct reader (payload bytes copied into LOAD DATA text) writes exactly what the format's
 * decoder and tsvLine write, byte for byte, for every record it takes; every record it declines
 * goes through the decoder, so a batch's text, failures and row → record map are the decoder's.
 */
import { describe, expect, it } from 'vitest';
import { tsvLine } from '../../../src/db/tsv.ts';
import { TsvOutput } from '../../../src/db/tsv-output.ts';
import { packValues } from '../../../src/loader/batch-decoder.ts';
import { directRows } from '../../../src/loader/direct-rows.ts';
import { encodeBatch } from '../../../src/loader/encode-batch.ts';
import { createDecoder, RecordError } from '../../../src/loader/formats.ts';
import { hashRouter } from '../../../src/loader/hash-router.ts';
import { type FormatSpec, parsePipelineSpec } from '../../../src/loader/spec.ts';
import { Random } from '../../../src/ml/random.ts';

function format(input: unknown): FormatSpec {
  return parsePipelineSpec({
    name: 'p',
    source: { brokers: ['h:1'], topics: ['t'] },
    format: input,
    target: { url: 'mysql://root@h:1/d', table: 't' },
  }).format;
}

const json = format({
  kind: 'json',
  columns: [
    { column: 'id', path: '$.id' },
    { column: 'user_name', path: '$.user.name' },
    { column: 'kind', path: 'kind' },
    { column: 'amount', path: '$.amount', default: 0 },
    { column: 'ok', path: '$["o k"]', default: 'none' },
    { column: 'deep', path: '$.a.b.c' },
  ],
});

/** The decoder's text for one payload, or its error. */
const decoders = new Map<FormatSpec, ReturnType<typeof createDecoder>>();
const readers = new Map<FormatSpec, ReturnType<typeof directRows>>();

function expected(spec: FormatSpec, payload: Buffer): { text: string } | { error: string } {
  if (!decoders.has(spec)) decoders.set(spec, createDecoder(spec));
  try {
    return {
      text: decoders
        .get(spec)!
        .decode(payload)
        .map((row) => tsvLine(row))
        .join(''),
    };
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    return { error: error.message };
  }
}

/** What the direct reader writes for one payload, or undefined when it declines it. */
function direct(spec: FormatSpec, payload: Buffer): string | undefined {
  if (!readers.has(spec)) readers.set(spec, directRows(spec));
  const reader = readers.get(spec)!;
  const framed = Buffer.concat([Buffer.from('\x01\x02'), payload, Buffer.from('\x03')]);
  const rows = reader.read(framed, 2, 2 + payload.length);
  if (rows < 0) return undefined;
  const out = new TsvOutput();
  for (let row = 0; row < rows; row++) reader.write(row, out);
  return Buffer.concat(out.finish()).toString('utf8');
}

const NUMBERS = [
  '0',
  '-0',
  '7',
  '-12',
  '12345.67',
  '0.5',
  '-0.25',
  '1.50',
  '1e5',
  '1E-3',
  '2.5e+3',
  '0.000001',
  '0.0000001',
  '0.0000015',
  '123456789012345',
  '1234567890123456',
  '12345678901234567890',
  '0.123456789012345',
  '0.1234567890123456',
  '1000000000000000000000',
  '00',
  '01',
  '1.',
  '.5',
  '-',
  '9007199254740993',
  '3.14159265358979',
  '100',
  '-100.001',
];
const STRINGS = [
  '"plain"',
  '""',
  '"tab\\there"',
  '"quote\\"d"',
  '"back\\\\slash"',
  '"\\u00e9t\\u00e9"',
  '"ünï 🚀"',
  '"\\ud83d\\ude80"',
  '"bad \\x escape"',
  '"raw\ttab"',
  '"unterminated',
  '"slash\\/"',
  '"\\u12"',
];
const OTHERS = [
  'true',
  'false',
  'null',
  'nul',
  'tru',
  '[]',
  '[1, "x", {"a": [null]}]',
  '{}',
  '{"name": "x"}',
  '[1,]',
];

/** Seeded JSON-ish payloads around the mapped paths: valid, odd and broken. */
function jsonPayloads(count: number): Buffer[] {
  const random = new Random(20261205);
  const any = () => random.pick([...NUMBERS, ...STRINGS, ...OTHERS]);
  const space = () => random.pick(['', '', ' ', '\n ', '\t', '\r\n']);
  const payloads: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const members: string[] = [];
    const keys = ['"id"', '"user"', '"kind"', '"amount"', '"o k"', '"a"', '"other"', '"i\\u0064"', '"ïd"'];
    for (let member = random.int(0, 7); member > 0; member--) {
      const key = random.pick(keys);
      let value = any();
      if (key === '"user"' && random.int(0, 3) > 0)
        value = `{${space()}"name"${space()}:${space()}${any()}${random.int(0, 5) === 0 ? `, "name": ${any()}` : ''}}`;
      if (key === '"a"' && random.int(0, 2) > 0) value = `{"b": {"c": ${any()}, "d": [${any()}]}}`;
      members.push(`${space()}${key}${space()}:${space()}${value}${space()}`);
    }
    let text = `${space()}{${members.join(',')}}${space()}`;
    const mutation = random.int(0, 20);
    if (mutation === 0) text = text.slice(0, random.int(0, text.length));
    if (mutation === 1) text = `[${text}]`;
    if (mutation === 2) text = `\ufeff${text}`;
    if (mutation === 3) text += ' x';
    let bytes = Buffer.from(text);
    if (mutation === 4)
      bytes = Buffer.concat([
        bytes.subarray(0, bytes.length - 2),
        Buffer.from([0xc3]),
        bytes.subarray(bytes.length - 2),
      ]);
    if (mutation === 5 && text.includes('"plain"'))
      bytes = Buffer.from(text.replace('"plain"', '"pl\xffain"'), 'latin1');
    payloads.push(bytes);
  }
  return payloads;
}

describe('direct JSON rows', () => {
  it('writes the decoder’s text for every record it takes, and takes the plain ones', () => {
    let taken = 0;
    const wrong: string[] = [];
    for (const payload of jsonPayloads(20_000)) {
      const got = direct(json, payload);
      if (got === undefined) continue;
      taken++;
      const want = expected(json, payload);
      if (!('text' in want) || got !== want.text) wrong.push(`${payload.toString('latin1')} → ${got}`);
    }
    expect(wrong).toEqual([]);
    expect(taken).toBeGreaterThan(2000);
    const event = Buffer.from(
      '{"id":17,"user":{"name":"user-9"},"kind":"view","amount":12345.67,"ts":1700000000119}',
    );
    expect(direct(json, event)).toBe('17\tuser-9\tview\t12345.67\tnone\t\\N\n');
  });

  it('leaves formats it cannot copy to the decoder', () => {
    expect(directRows(format({ kind: 'json', columns: [{ column: 'doc', path: '$' }] }))).toBeUndefined();
    expect(directRows(format({ kind: 'json', columns: [{ column: 'x', path: '$.a[0]' }] }))).toBeUndefined();
    const parentAndChild = format({
      kind: 'json',
      columns: [
        { column: 'a', path: '$.a' },
        { column: 'b', path: '$.a.b' },
      ],
    });
    expect(directRows(parentAndChild)).toBeUndefined();
    expect(directRows(format({ kind: 'csv', columns: ['a'], header: true }))).toBeUndefined();
  });
});

describe('direct CSV/TSV rows', () => {
  const tsv = format({ kind: 'tsv', columns: ['a', 'b', 'c'] });
  const csv = format({ kind: 'csv', columns: ['a', 'b', 'c'] });
  const lines = [
    '1\tx\ty',
    '1\tx\ty\n2\t\\N\tz\n',
    '\n1\tx\ty\n\n',
    '1\tx',
    '1\tx\ty\tw',
    '1\t"q"\ty',
    '1\tx\\y\tz',
    '1\t\\N\\N\tz',
    '1\t\\Nx\tz',
    '1\tx\ty\r\n',
    'ü\t🚀\t',
    '\t\t',
    '',
    '1,2,3',
    '1,"2",3',
    '1,2\t,3',
    '1,\\N,3',
    '1,2,3\n4,5,6',
    'a,b',
    '1,,',
    '1\u0000,2,3',
  ];
  for (const [name, spec] of [
    ['TSV', tsv],
    ['CSV', csv],
  ] as const) {
    it(`writes the decoder’s text for every ${name} record it takes`, () => {
      let taken = 0;
      for (const line of lines) {
        const payload = Buffer.from(line);
        const got = direct(spec, payload);
        if (got === undefined) continue;
        taken++;
        const want = expected(spec, payload);
        expect({ line, got }).toEqual({ line, got: 'text' in want ? want.text : `error: ${want.error}` });
      }
      expect(taken).toBeGreaterThan(4);
    });
  }
  it('declines invalid UTF-8, which the decoder turns into U+FFFD', () => {
    expect(direct(tsv, Buffer.from([0x61, 0x09, 0xff, 0x09, 0x62]))).toBeUndefined();
  });
});

describe('encodeBatch', () => {
  it('mixes direct and decoded records in record order, failures and routing included', () => {
    const payloads = jsonPayloads(3000);
    const values = payloads.map((payload, index) => (index % 211 === 9 ? null : payload));
    const records = values.map((value, offset) => ({ offset, key: null, value, timestamp: '0' }));
    const router = hashRouter('id', 0, [1, 0, 2]);
    const answer = encodeBatch({
      format: json,
      routing: { shardKey: 'id', keyIndex: 0, leafOfPartition: [1, 0, 2] },
      servers: 3,
      ...packValues(records),
    });
    const decoder = createDecoder(json);
    const want = [0, 1, 2].map(() => ({ text: '', records: [] as number[] }));
    const failures: number[] = [];
    values.forEach((value, record) => {
      if (value === null) {
        failures.push(record);
        return;
      }
      try {
        for (const row of decoder.decode(value)) {
          const server = router.leafOf(row);
          want[server]!.text += tsvLine(row);
          want[server]!.records.push(record);
        }
      } catch {
        failures.push(record);
      }
    });
    expect(answer.failures.map((failure) => failure.record)).toEqual(failures);
    expect(
      answer.servers.map((server) => ({
        text: Buffer.concat(server.tsv).toString('utf8'),
        records: Array.from(server.rowRecord),
      })),
    ).toEqual(want);
    expect(answer.servers.map((server) => server.count)).toEqual(want.map((server) => server.records.length));
  });
});
