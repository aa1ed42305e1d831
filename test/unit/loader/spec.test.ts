import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/base/errors.ts';
import { formatColumns, parsePipelineSpec } from '../../../src/loader/spec.ts';

const minimal = {
  name: 'orders',
  source: { brokers: ['127.0.0.1:9092'], topics: ['orders'] },
  format: { kind: 'json', columns: [{ column: 'id', path: '$.id' }] },
  target: { url: 'mysql://root@127.0.0.1:3306/shop', table: 'orders' },
};

function problems(input: unknown): string {
  try {
    parsePipelineSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the spec was accepted');
}

describe('pipeline spec', () => {
  it('fills in every default and freezes the result', () => {
    const spec = parsePipelineSpec(minimal);
    expect(spec.source).toEqual({
      brokers: ['127.0.0.1:9092'],
      topics: ['orders'],
      startFrom: 'earliest',
      groupId: 'sluice-orders',
      sessionTimeoutMs: 30_000,
    });
    expect(spec.target.mode).toBe('append');
    expect(spec.target.via).toBe('leaves');
    expect(spec.batch).toEqual({
      maxRows: 100_000,
      maxBytes: 16 * 1024 * 1024,
      maxIntervalMs: 200,
      parallelWrites: 2,
      history: 1000,
    });
    // Decode threads are chosen by the machine at start, not stored with the spec.
    expect(spec.batch).not.toHaveProperty('decodeThreads');
    expect(spec.errors).toEqual({ policy: 'skip', maxPerBatch: 0 });
    expect(Object.isFrozen(spec.source.brokers)).toBe(true);
    // The caller's object is not changed.
    expect(minimal.source).not.toHaveProperty('groupId');
  });

  it('turns tsv into csv with a tab and keeps explicit offsets', () => {
    const spec = parsePipelineSpec({
      ...minimal,
      source: { ...minimal.source, startFrom: { orders: { '0': 5, '3': 0 } } },
      format: { kind: 'tsv', columns: ['id', 'name'] },
    });
    expect(spec.format).toEqual({
      kind: 'csv',
      columns: ['id', 'name'],
      delimiter: '\t',
      quote: '"',
      header: false,
    });
    expect(spec.source.startFrom).toEqual({ orders: { '0': 5, '3': 0 } });
    expect(formatColumns(spec.format)).toEqual(['id', 'name']);
  });

  it('lists every problem at once, naming where it is', () => {
    const message = problems({
      name: 'bad name!',
      source: { brokers: ['no-port'], topics: [], extra: 1 },
      format: { kind: 'json', columns: [{ column: 'id; DROP', path: '$.id' }] },
      target: { url: 'http://x', table: 'orders', mode: 'merge' },
      batch: { maxRows: 0 },
    });
    for (const part of [
      '/name',
      '/source/brokers/0',
      '/source/topics',
      "unknown field 'extra'",
      '/format/columns/0/column',
      '/target/url',
      '/target/mode: must be one of append, ignore, replace, upsert',
      '/batch/maxRows',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('needs exactly one target server kind, and known update columns', () => {
    expect(problems({ ...minimal, target: { table: 'orders' } })).toContain('exactly one of url');
    expect(
      problems({
        ...minimal,
        target: { ...minimal.target, mode: 'upsert', updateColumns: ['missing'] },
      }),
    ).toContain("'missing' is not a loaded column");
    expect(problems({ ...minimal, target: { ...minimal.target, updateColumns: ['id'] } })).toContain(
      'only used with mode upsert',
    );
  });

  it('takes SET expressions and a WHERE filter, but never a second statement or a comment', () => {
    const spec = parsePipelineSpec({
      ...minimal,
      target: {
        ...minimal.target,
        mode: 'upsert',
        set: { total: 'qty * 2' },
        where: 'qty > 0',
        updateColumns: ['total'],
      },
    });
    expect(spec.target.set).toEqual({ total: 'qty * 2' });
    const message = problems({
      ...minimal,
      target: { ...minimal.target, set: { a: '1; DROP TABLE t' }, where: 'x -- y' },
    });
    expect(message).toContain('/target/set/a: one SQL expression');
    expect(message).toContain('/target/where: one SQL condition');
    expect(problems({ ...minimal, target: { ...minimal.target, set: { 'b c': '1' } } })).toContain(
      '/target/set',
    );
  });

  it('checks the fields of each format and transform kind', () => {
    expect(problems({ ...minimal, format: { kind: 'raw' } })).toContain(
      "must have required property 'column'",
    );
    expect(problems({ ...minimal, format: { kind: 'csv', columns: ['a'], delimiter: '::' } })).toContain(
      '/format/delimiter',
    );
    expect(problems({ ...minimal, transform: { kind: 'program' } })).toContain("required property 'command'");
    expect(problems({ ...minimal, transform: { kind: 'js', module: 'x.mjs', per: 'row' } })).toContain(
      '/transform/per',
    );
    const spec = parsePipelineSpec({ ...minimal, transform: { kind: 'program', command: 'python3' } });
    expect(spec.transform).toEqual({ kind: 'program', command: 'python3', args: [], timeoutMs: 60_000 });
  });
});
