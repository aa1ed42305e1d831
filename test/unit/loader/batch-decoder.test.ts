/**
 * Batches decoded on worker threads give exactly what the main thread gives: the same LOAD DATA
 * text, the same row → record map, the same failures, split over leaves the same way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tsvLine } from '../../../src/db/tsv.ts';
import {
  BatchDecoder,
  MIN_WORKER_RECORDS,
  packValues,
  type RoutedBatch,
} from '../../../src/loader/batch-decoder.ts';
import { createDecoder } from '../../../src/loader/formats.ts';
import { hashRouter } from '../../../src/loader/hash-router.ts';
import type { SourceRecord } from '../../../src/loader/record.ts';
import { type FormatSpec, parsePipelineSpec } from '../../../src/loader/spec.ts';
import { isEncoded } from '../../../src/writer/rows.ts';

function format(input: unknown): FormatSpec {
  return parsePipelineSpec({
    name: 'p',
    source: { brokers: ['h:1'], topics: ['t'] },
    format: input,
    target: { url: 'mysql://root@h:1/d', table: 't' },
  }).format;
}

const opened: BatchDecoder[] = [];
afterAll(async () => {
  await Promise.all(opened.map((decoder) => decoder.close()));
});

function decoders(spec: FormatSpec, leaves = 0) {
  const router = leaves > 0 ? hashRouter('id', 0, [1, 0, 2].slice(0, leaves)) : undefined;
  const options = { format: spec, decoder: createDecoder(spec), transformer: undefined, router };
  const servers = Math.max(1, leaves);
  const threads = new BatchDecoder({ ...options, servers, threads: 2 });
  const here = new BatchDecoder({ ...options, servers, threads: 0 });
  opened.push(threads, here);
  return { threads, here };
}

function records(values: readonly (string | null)[]): SourceRecord[] {
  return values.map((value, offset) => ({
    offset: 1000 + offset,
    key: null,
    value: value === null ? null : Buffer.from(value),
    timestamp: '0',
  }));
}

/** Each server's rows as LOAD DATA text and the record of each row. */
async function text(batch: RoutedBatch) {
  return Promise.all(
    batch.servers.map(async ({ rows, rowRecord }) => ({
      tsv: isEncoded(rows)
        ? Buffer.concat([...rows.tsv].map((chunk) => Buffer.from(chunk))).toString('utf8')
        : rows.map((row) => tsvLine(row)).join(''),
      values: isEncoded(rows) ? await rows.values() : rows,
      rowRecord: Array.from(rowRecord),
    })),
  );
}

const awkward = ['tab\there', 'new\nline', 'back\\slash', 'nul\u0000', 'ünïcödé 🚀', '', 'carriage\r'];

function jsonBatch(count: number): (string | null)[] {
  return Array.from({ length: count }, (_, index) => {
    if (index % 97 === 5) return '{"id": 1, "name": '; // malformed
    if (index % 101 === 7) return null; // tombstone
    const name = awkward[index % awkward.length]!;
    const extra = index % 3 === 0 ? ', "tags": ["a", {"b": 2}]' : '';
    return JSON.stringify({ id: index - 300, name, amount: index / 8 }).replace(/}$/, `${extra}}`);
  });
}

describe('decoding on worker threads', () => {
  const json = format({
    kind: 'json',
    columns: [
      { column: 'id', path: '$.id' },
      { column: 'name', path: '$.name' },
      { column: 'amount', path: '$.amount' },
      { column: 'tags', path: '$.tags', default: 'none' },
    ],
  });

  it('gives the main thread’s rows, text and failures for a JSON batch', async () => {
    const { threads, here } = decoders(json);
    const batch = records(jsonBatch(MIN_WORKER_RECORDS * 3));
    const [onWorker, onMain] = await Promise.all([threads.decode('t', 0, batch), here.decode('t', 0, batch)]);
    expect(onWorker.servers.every((server) => isEncoded(server.rows))).toBe(true);
    expect(onMain.servers.every((server) => !isEncoded(server.rows))).toBe(true);
    expect(await text(onWorker)).toEqual(await text(onMain));
    expect(onWorker.failures).toEqual(onMain.failures);
    expect(onWorker.failures.map((failure) => failure.record)).toContain(5);
    expect(onWorker.failures.find((failure) => failure.record === 7)?.error).toMatch(/tombstone/);
    const [server] = await text(onWorker);
    expect(server!.tsv).toContain('tab\\there\t');
    expect(server!.tsv).toContain('new\\nline\t');
    expect(server!.tsv).toContain('ünïcödé 🚀');
    expect(server!.tsv).toContain('\t["a",{"b":2}]\n');
  });

  it('splits rows over leaves exactly as the main thread does', async () => {
    const { threads, here } = decoders(json, 3);
    const batch = records(jsonBatch(MIN_WORKER_RECORDS * 2));
    const [onWorker, onMain] = await Promise.all([threads.decode('t', 3, batch), here.decode('t', 3, batch)]);
    const split = await text(onWorker);
    expect(split).toEqual(await text(onMain));
    expect(split.map((server) => server.rowRecord.length).every((count) => count > 100)).toBe(true);
    const router = hashRouter('id', 0, [1, 0, 2]);
    split.forEach((server, leaf) => {
      for (const row of server.values) expect(router.leafOf(row)).toBe(leaf);
    });
  });

  it('gives the main thread’s rows for CSV and raw payloads', async () => {
    const csv = format({ kind: 'csv', columns: ['a', 'b'] });
    const raw = format({ kind: 'raw', column: 'doc' });
    const lines = Array.from({ length: MIN_WORKER_RECORDS + 10 }, (_, index) =>
      index % 50 === 3
        ? 'only-one-field'
        : `${index},"quoted, ${awkward[index % awkward.length]}"\n${index},x`,
    );
    for (const spec of [csv, raw]) {
      const { threads, here } = decoders(spec);
      const batch = records(lines);
      const [onWorker, onMain] = await Promise.all([
        threads.decode('t', 0, batch),
        here.decode('t', 0, batch),
      ]);
      expect(isEncoded(onWorker.servers[0]!.rows)).toBe(true);
      expect(await text(onWorker)).toEqual(await text(onMain));
      expect(onWorker.failures).toEqual(onMain.failures);
    }
  });

  it('decodes small batches on the main thread, where a hand-off would cost more', async () => {
    const { threads } = decoders(json);
    const batch = await threads.decode('t', 0, records(jsonBatch(MIN_WORKER_RECORDS - 1)));
    expect(isEncoded(batch.servers[0]!.rows)).toBe(false);
  });
});

describe('packValues', () => {
  it('copies runs of values that lie in one memory at once, and finds every value again', () => {
    // Like a fetch response: each value preceded by a record header, in one buffer.
    const response = Buffer.alloc(20_000, 0x2a);
    const views: (Buffer | null)[] = [];
    let at = 0;
    for (let index = 0; index < 50; index++) {
      at += 12; // a record header
      const value = Buffer.from(`{"id":${index},"pad":"${'x'.repeat(index)}"}`);
      value.copy(response, at);
      views.push(response.subarray(at, at + value.length));
      at += value.length;
      if (index === 20) views.push(null);
      if (index === 30) at += 8000; // past the gap that is copied along
    }
    const elsewhere = Buffer.from('{"id":"other memory"}');
    const list = [...views, elsewhere, views[3]!];
    const packed = packValues(list.map((value, offset) => ({ offset, key: null, value, timestamp: '0' })));
    list.forEach((value, index) => {
      if (value === null) {
        expect(packed.lengths[index]).toBe(-1);
        return;
      }
      const start = packed.starts[index]!;
      const got = Buffer.from(packed.payloads.subarray(start, start + packed.lengths[index]!));
      expect(got.equals(value)).toBe(true);
    });
    // Headers between values come along; the 8,000-byte hole does not.
    expect(packed.payloads.length).toBeLessThan(at - 8000 + 200);
  });
});
