import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/base/errors.ts';
import { createDecoder, parseJsonPath, type RecordError } from '../../../src/loader/formats.ts';
import { parsePipelineSpec } from '../../../src/loader/spec.ts';

function decoder(format: unknown) {
  const spec = parsePipelineSpec({
    name: 'p',
    source: { brokers: ['h:1'], topics: ['t'] },
    format,
    target: { url: 'mysql://root@h:1/d', table: 't' },
  });
  return createDecoder(spec.format);
}

describe('JSON paths', () => {
  it('reads dots, indexes and quoted keys', () => {
    expect(parseJsonPath('$.a.b[2].c')).toEqual(['a', 'b', 2, 'c']);
    expect(parseJsonPath('a.b')).toEqual(['a', 'b']);
    expect(parseJsonPath(`$["odd key"]['it''s']`.replace("''", "\\'"))).toEqual(['odd key', "it's"]);
    expect(parseJsonPath('$')).toEqual([]);
    // A bad path is the spec's fault, found when the pipeline starts, not a bad record.
    expect(() => parseJsonPath('$.a..b')).toThrow(ConfigError);
  });
});

describe('the JSON format', () => {
  const json = decoder({
    kind: 'json',
    columns: [
      { column: 'id', path: '$.id' },
      { column: 'name', path: '$.user.name', default: 'anonymous' },
      { column: 'first_tag', path: '$.tags[0]' },
      { column: 'meta', path: '$.meta' },
      { column: 'flag', path: '$.flag' },
      { column: 'doc', path: '$' },
    ],
  });

  it('maps paths to columns; missing paths take the default or NULL, explicit nulls stay NULL', () => {
    const text = '{"id":7,"user":{"name":null},"meta":{"a":[1,2]},"flag":true}';
    expect(json.decode(text)).toEqual([[7, null, null, '{"a":[1,2]}', true, text]]);
    expect(json.decode(Buffer.from('{"id":8,"tags":["x"]}'))).toEqual([
      [8, 'anonymous', 'x', null, null, '{"id":8,"tags":["x"]}'],
    ]);
  });

  it('keeps numbers a double cannot hold exactly as their digits, and the others as numbers', () => {
    const text =
      '{"id":12345678901234567890,"user":{"name":"n"},"tags":[1.0000000000000001],' +
      '"meta":{"big":-9007199254740993,"small":0.5},"flag":123456789.123456789}';
    expect(json.decode(text)).toEqual([
      [
        '12345678901234567890',
        'n',
        '1.0000000000000001',
        '{"big":-9007199254740993,"small":0.5}',
        '123456789.123456789',
        text,
      ],
    ]);
    // 16 digits that a double holds, and long digit runs inside strings, stay as before.
    expect(
      json.decode('{"id":1234567890123456,"user":{"name":"12345678901234567890"}}')[0]!.slice(0, 2),
    ).toEqual([1234567890123456, '12345678901234567890']);
    // A repeated key: JSON.parse's rule (the last one wins), as without long numbers.
    expect(json.decode('{"id":1,"id":98765432109876543210}')[0]![0]).toBe(98765432109876543000);
    expect(() => json.decode('{"id":98765432109876543210,')).toThrow(/malformed JSON/);
  });

  it('takes objects a transform returned without parsing them again', () => {
    expect(json.decode({ id: 1, user: { name: 'a' } })).toEqual([
      [1, 'a', null, null, null, '{"id":1,"user":{"name":"a"}}'],
    ]);
  });

  it('rejects malformed JSON as a parse error', () => {
    expect(() => json.decode('{"id": 1,')).toThrow(/malformed JSON/);
    try {
      json.decode('nope');
    } catch (error) {
      expect((error as RecordError).stage).toBe('parse');
    }
  });
});

describe('the CSV and TSV formats', () => {
  it('splits quoted fields, keeps \\N as NULL, and checks the field count', () => {
    const csv = decoder({ kind: 'csv', columns: ['a', 'b', 'c'] });
    expect(csv.decode('1,"x, ""quoted""",\\N')).toEqual([['1', 'x, "quoted"', null]]);
    expect(csv.decode('1,2,3\n4,5,6\n')).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
    expect(() => csv.decode('1,2')).toThrow(/has 2 field\(s\); expected 3/);
    expect(() => csv.decode('1,"open')).toThrow(/malformed CSV/);
  });

  it('reads tab-separated records and headers that name the columns', () => {
    expect(decoder({ kind: 'tsv', columns: ['a', 'b'] }).decode('x\ty')).toEqual([['x', 'y']]);
    const headed = decoder({ kind: 'csv', columns: ['a', 'b'], header: true });
    expect(headed.decode('b,a\n2,1\n4,3')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(() => headed.decode('a,z\n1,2')).toThrow(/header lacks column\(s\) b/);
  });

  it('splits lines without quotes as csv-parse does (the fast path), and the rest by csv-parse', () => {
    const tsv = decoder({ kind: 'tsv', columns: ['a', 'b', 'c'] });
    const samples = [
      'x\ty\tz',
      '\n\nx\t\ty \n\n 1\t2\t\\N\n',
      '\t\t',
      'a,b\tc;d\te',
      'x\ty\tz\r\n1\t2\t3',
      'x\t"y\t1"\tz',
    ];
    for (const sample of samples) {
      const expected = parseCsv(sample, { delimiter: '\t', quote: '"', skip_empty_lines: true }).map(
        (fields: string[]) => fields.map((field) => (field === '\\N' ? null : field)),
      );
      expect(tsv.decode(sample)).toEqual(expected);
    }
    expect(() => tsv.decode('1\t2')).toThrow(/has 2 field\(s\); expected 3/);
  });
});

describe('the raw format', () => {
  it('puts the whole payload in one column', () => {
    expect(decoder({ kind: 'raw', column: 'line' }).decode(Buffer.from('any\tthing'))).toEqual([
      ['any\tthing'],
    ]);
  });
});
