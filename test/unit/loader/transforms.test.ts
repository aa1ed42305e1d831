import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecoder } from '../../../src/loader/formats.ts';
import { processRecords } from '../../../src/loader/processor.ts';
import type { SourceRecord } from '../../../src/loader/record.ts';
import { parsePipelineSpec, type TransformSpec } from '../../../src/loader/spec.ts';
import {
  createTransformer,
  frameRecords,
  splitLines,
  type Transformer,
} from '../../../src/loader/transforms.ts';

const fixtures = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'transforms');
const open: Transformer[] = [];
afterAll(async () => {
  await Promise.all(open.map((transformer) => transformer.close()));
});

function transformer(spec: unknown): Transformer {
  const parsed = parsePipelineSpec({
    name: 'p',
    source: { brokers: ['h:1'], topics: ['t'] },
    format: { kind: 'raw', column: 'x' },
    target: { url: 'mysql://root@h:1/d', table: 't' },
    transform: spec,
  });
  const created = createTransformer(parsed.transform as TransformSpec, fixtures);
  open.push(created);
  return created;
}

function records(values: (string | null)[]): SourceRecord[] {
  return values.map((value, offset) => ({
    offset: 100 + offset,
    key: Buffer.from(`k${offset}`),
    value: value === null ? null : Buffer.from(value),
    timestamp: '0',
  }));
}

describe('SingleStore framing', () => {
  it('writes each record as an 8-byte little-endian length and the payload', () => {
    const framed = frameRecords(records(['ab', '', 'é']));
    expect(framed.toString('hex')).toBe(
      `${'0200000000000000'}6162${'0000000000000000'}${'0200000000000000'}c3a9`,
    );
  });

  it('reads rows back as lines, with or without a final newline, CRLF or LF', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\r\nb')).toEqual(['a', 'b']);
    expect(splitLines('')).toEqual([]);
  });
});

describe('an external program transform', () => {
  const decoder = createDecoder({
    kind: 'csv',
    columns: ['id', 'name'],
    delimiter: ',',
    quote: '"',
    header: false,
  });

  it('gets the framed records on stdin and its lines become rows', async () => {
    const program = transformer({ kind: 'program', command: './frames_to_csv.py' });
    const batch = await processRecords(
      't',
      0,
      records(['{"id":1,"name":"ada"}', '{"id":2,"name":"grace"}']),
      decoder,
      program,
    );
    expect(batch.rows).toEqual([
      ['1', 'ADA'],
      ['2', 'GRACE'],
    ]);
    expect(batch.failures).toEqual([]);
  });

  it('keeps every record of a batch as failed when the program fails, with its exit code and stderr', async () => {
    const program = transformer({ kind: 'program', command: './frames_to_csv.py' });
    const batch = await processRecords('t', 0, records(['{"id":1,"name":"a"}', 'fail']), decoder, program);
    expect(batch.rows).toEqual([]);
    expect(batch.failures.map((failure) => [failure.record, failure.stage])).toEqual([
      [0, 'transform'],
      [1, 'transform'],
    ]);
    expect(batch.failures[0]!.error).toMatch(/exited with code 3: asked to fail/);
  });

  it('says when the program cannot be started', async () => {
    const program = transformer({ kind: 'program', command: './no-such-program' });
    const batch = await processRecords('t', 0, records(['x']), decoder, program);
    expect(batch.failures[0]!.error).toMatch(/cannot run transform/);
  });
});

describe('a JS module transform on worker threads', () => {
  const json = createDecoder({
    kind: 'json',
    columns: [
      { column: 'id', path: '$.id' },
      { column: 'source', path: '$.source' },
    ],
  });

  it('runs per record: outputs, filtered records and per-record failures', async () => {
    const js = transformer({ kind: 'js', module: 'enrich.mjs', threads: 2 });
    const batch = await processRecords(
      'orders',
      3,
      records(['{"id":1}', '{"skip":true}', '{"boom":true}', '{"items":[7,8]}', '{"id":"x"']),
      json,
      js,
    );
    expect(batch.rows).toEqual([
      [1, 'orders/3'],
      [7, 'orders'],
      [8, 'orders'],
    ]);
    expect(batch.rowRecord).toEqual([0, 3, 3]);
    expect(batch.filtered).toBe(1);
    expect(batch.failures.map((failure) => [failure.record, failure.stage, failure.error])).toEqual([
      [2, 'transform', 'boom at offset 102'],
      [4, 'transform', expect.stringMatching(/JSON/)],
    ]);
  });

  it('runs per batch with one answer per record', async () => {
    const js = transformer({ kind: 'js', module: 'batch.mjs', per: 'batch' });
    const raw = createDecoder({ kind: 'raw', column: 'line' });
    const batch = await processRecords('t', 0, records(['a', 'b']), raw, js);
    expect(batch.rows).toEqual([['100,0,A'], ['101,1,B']]);
  });
});
