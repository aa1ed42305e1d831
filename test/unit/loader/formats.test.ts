import { describe, expect, it } from 'vitest';
import { createDecoder, parseJsonPath, RecordError } from '../../../src/loader/formats.ts';
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
    expect(() => parseJsonPath('$.a..b')).toThrow(RecordError);
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
});

describe('the raw format', () => {
  it('puts the whole payload in one column', () => {
    expect(decoder({ kind: 'raw', column: 'line' }).decode(Buffer.from('any\tthing'))).toEqual([
      ['any\tthing'],
    ]);
  });
});
