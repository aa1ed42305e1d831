import {
  Field,
  Float64,
  Int32,
  Int64,
  type RecordBatch,
  Schema,
  Table,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  arrowSchema,
  ColumnFlag,
  type ColumnMeta,
  MysqlType,
  planColumns,
} from '../../../src/reader/arrow-types.ts';
import { toRecordBatch } from '../../../src/reader/batch.ts';
import type { BatchBuffers } from '../../../src/reader/batch-buffers.ts';
import { TextRowDecoder } from '../../../src/reader/decoder.ts';
import { RowGatherer } from '../../../src/reader/gather.ts';
import { concatBatches, limitBatches, type MergeKey, mergeSorted } from '../../../src/reader/merge.ts';

const schema = new Schema([
  new Field('k', new Int32(), true),
  new Field('big', new Int64(), true),
  new Field('s', new Utf8(), true),
  new Field('x', new Float64(), true),
]);

type Row = { k: number | null; big: bigint | null; s: string | null; x: number | null };

function batchOf(rows: readonly Row[]): RecordBatch {
  const columns = {
    k: vectorFromArray(
      rows.map((row) => row.k),
      new Int32(),
    ),
    big: vectorFromArray(
      rows.map((row) => row.big),
      new Int64(),
    ),
    s: vectorFromArray(
      rows.map((row) => row.s),
      new Utf8(),
    ),
    x: vectorFromArray(
      rows.map((row) => row.x),
      new Float64(),
    ),
  };
  return new Table(schema, columns as never).batches[0] ?? new Table(schema).batches[0]!;
}

/** Batches of `size` rows, as an async stream that records whether it was stopped early. */
function stream(
  rows: readonly Row[],
  size: number,
): AsyncIterable<RecordBatch> & { returned: boolean; pulled: number } {
  const state = { returned: false, pulled: 0 };
  return Object.assign(state, {
    async *[Symbol.asyncIterator]() {
      try {
        for (let start = 0; start < rows.length; start += size) {
          state.pulled++;
          yield batchOf(rows.slice(start, start + size));
        }
      } finally {
        state.returned = true;
      }
    },
  });
}

async function collect(source: AsyncIterable<RecordBatch>): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of source) {
    for (const row of batch) rows.push(row!.toJSON() as Row);
  }
  return rows;
}

/** The reference order: sort all rows with the same rules the merge promises. */
function sortRows(rows: readonly Row[], keys: readonly MergeKey[]): Row[] {
  return [...rows].sort((a, b) => {
    for (const key of keys) {
      const x = a[key.column as keyof Row];
      const y = b[key.column as keyof Row];
      const nullsFirst = (key.nulls ?? (key.descending ? 'last' : 'first')) === 'first';
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null ? -1 : 1) * (nullsFirst ? 1 : -1);
      }
      const order = x < y ? -1 : x > y ? 1 : 0;
      if (order !== 0) return key.descending ? -order : order;
    }
    return 0;
  });
}

function randomRows(count: number, seed: number): Row[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const words = ['apple', 'Apple', 'banana', 'é', '😀', '', 'zeta', 'a'];
  return Array.from({ length: count }, () => ({
    k: next() < 0.1 ? null : Math.floor(next() * 50) - 25,
    big: next() < 0.1 ? null : BigInt(Math.floor(next() * 2 ** 20) - 2 ** 19) * 2n ** 40n,
    s: next() < 0.1 ? null : words[Math.floor(next() * words.length)]!,
    x: next() < 0.1 ? null : Math.round(next() * 1000) / 10,
  }));
}

describe('k-way merge of sorted streams', () => {
  const cases: MergeKey[][] = [
    [{ column: 'k' }],
    [{ column: 'k', descending: true }],
    [{ column: 'k', nulls: 'last' }],
    [{ column: 'big' }, { column: 'k', descending: true, nulls: 'first' }],
    [{ column: 's' }, { column: 'x', descending: true }],
    [
      { column: 'x', nulls: 'last' },
      { column: 's', descending: true },
    ],
  ];
  for (const keys of cases) {
    it(`merges by ${keys.map((key) => `${key.column} ${key.descending ? 'desc' : 'asc'} nulls ${key.nulls ?? 'default'}`).join(', ')}`, async () => {
      const parts = [randomRows(300, 1), randomRows(50, 2), randomRows(0, 3), randomRows(517, 4)];
      const fullKeys = [...keys, { column: 'k' }, { column: 'big' }, { column: 's' }, { column: 'x' }];
      const sorted = parts.map((rows) => sortRows(rows, fullKeys));
      const merged = await collect(
        mergeSorted(
          sorted.map((rows, index) => stream(rows, 7 + index * 13)),
          fullKeys,
          { batchRows: 100 },
        ),
      );
      expect(merged).toEqual(sortRows(sorted.flat(), fullKeys));
    });
  }

  it('keeps ties in stream order and yields batches of the asked size', async () => {
    const a = Array.from({ length: 5 }, () => ({ k: 1, big: 1n, s: 'a', x: 1 }));
    const b = Array.from({ length: 5 }, () => ({ k: 1, big: 2n, s: 'b', x: 2 }));
    const batches: RecordBatch[] = [];
    for await (const batch of mergeSorted([stream(a, 2), stream(b, 3)], [{ column: 'k' }], {
      batchRows: 4,
    })) {
      batches.push(batch);
    }
    expect(batches.map((batch) => batch.numRows)).toEqual([4, 4, 2]);
    expect(batches.flatMap((batch) => [...batch.getChild('s')!])).toEqual([...'aaaaabbbbb']);
  });

  it('stops every source once it has `limit` rows', async () => {
    const sources = [0, 1, 2].map((offset) =>
      stream(
        Array.from({ length: 1000 }, (_, index) => ({ k: index * 3 + offset, big: null, s: null, x: null })),
        10,
      ),
    );
    const rows = await collect(mergeSorted(sources, [{ column: 'k' }], { limit: 25 }));
    expect(rows.map((row) => row.k)).toEqual(Array.from({ length: 25 }, (_, index) => index));
    for (const source of sources) {
      expect(source.returned).toBe(true);
      expect(source.pulled).toBeLessThan(5);
    }
  });

  it('yields one empty batch with the schema when every stream is empty', async () => {
    const batches: RecordBatch[] = [];
    for await (const batch of mergeSorted([stream([], 5), stream([], 5)], [{ column: 'k' }]))
      batches.push(batch);
    // Streams without a single batch give no schema: nothing to yield.
    expect(batches).toEqual([]);
    const empty = async function* () {
      yield batchOf([]);
    };
    for await (const batch of mergeSorted([empty(), empty()], [{ column: 'k' }])) batches.push(batch);
    expect(batches.map((batch) => [batch.numRows, batch.schema.fields.length])).toEqual([[0, 4]]);
  });

  it('names a sort key that is not a column', async () => {
    await expect(collect(mergeSorted([stream(randomRows(3, 1), 2)], [{ column: 'nope' }]))).rejects.toThrow(
      /sort key 'nope' is not a column of the result; columns: k, big, s, x/,
    );
  });
});

describe('concatenation and LIMIT', () => {
  const rows = (from: number, count: number) =>
    Array.from({ length: count }, (_, index) => ({
      k: from + index,
      big: null,
      s: `r${from + index}`,
      x: null,
    }));

  it('concatenates streams up to a limit and stops the rest', async () => {
    const sources = [stream(rows(0, 10), 4), stream(rows(10, 10), 4), stream(rows(20, 10), 4)];
    const result = await collect(concatBatches(sources, { limit: 15 }));
    expect(result.map((row) => row.k)).toEqual(Array.from({ length: 15 }, (_, index) => index));
    expect(sources[1]!.returned).toBe(true);
    expect(sources[2]!.pulled).toBe(0);
  });

  it('applies OFFSET and LIMIT across batch boundaries and returns the source early', async () => {
    const source = stream(rows(0, 100), 7);
    const result = await collect(limitBatches(source, { offset: 12, limit: 20 }));
    expect(result.map((row) => row.k)).toEqual(Array.from({ length: 20 }, (_, index) => 12 + index));
    expect(source.returned).toBe(true);
    expect(source.pulled).toBe(5);
  });

  it('keeps the schema when the limit leaves nothing', async () => {
    const batches: RecordBatch[] = [];
    for await (const batch of limitBatches(stream(rows(0, 10), 4), { offset: 50 })) batches.push(batch);
    expect(batches.map((batch) => batch.numRows)).toEqual([0]);
    expect(batches[0]!.schema.fields.map((field) => field.name)).toEqual(['k', 'big', 's', 'x']);
  });
});

describe('row gathering', () => {
  it('copies ranges of sliced batches, nulls and strings included', () => {
    const source = batchOf(randomRows(40, 9));
    const gatherer = new RowGatherer(schema, 4);
    gatherer.append(source.slice(3, 30), 2, 10);
    gatherer.append(source, 30, 40);
    gatherer.append(source.slice(0, 5), 0, 0);
    const out = gatherer.take();
    const expected = [...source.slice(5, 13), ...source.slice(30, 40)].map((row) => row!.toJSON());
    expect([...out].map((row) => row!.toJSON())).toEqual(expected);
    expect(gatherer.rows).toBe(0);
  });

  it('gathers every flat type the reader produces', () => {
    const columns: ColumnMeta[] = [
      [MysqlType.TINY, 0],
      [MysqlType.LONGLONG, ColumnFlag.UNSIGNED],
      [MysqlType.NEWDECIMAL, 0],
      [MysqlType.DOUBLE, 0],
      [MysqlType.DATE, 0],
      [MysqlType.DATETIME, 0],
      [MysqlType.TIME, 0],
      [MysqlType.VAR_STRING, 0],
      [MysqlType.BLOB, 0],
      [MysqlType.BIT, 0],
      [MysqlType.NULL, 0],
    ].map(([columnType, flags], index) => ({
      name: `c${index}`,
      table: 't',
      columnType: columnType!,
      flags: flags!,
      columnLength: columnType === MysqlType.BIT ? 1 : 20,
      decimals: columnType === MysqlType.NEWDECIMAL ? 2 : 0,
      characterSet: columnType === MysqlType.VAR_STRING ? 45 : 63,
    }));
    const decoded: BatchBuffers[] = [];
    const decoder = new TextRowDecoder(planColumns(columns), (batch) => decoded.push(batch));
    const field = (value: string | Uint8Array | null): number[] => {
      if (value === null) return [0xfb];
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      return [bytes.length, ...bytes];
    };
    for (let row = 0; row < 20; row++) {
      const odd = row % 2 === 1;
      const packet = Uint8Array.from(
        [
          String(row - 10),
          odd ? null : String(2n ** 64n - BigInt(row) - 1n),
          `${row}.${row % 10}5`,
          odd ? '0.5' : null,
          `2024-01-${String(row + 1).padStart(2, '0')}`,
          `2024-01-01 00:00:${String(row).padStart(2, '0')}.25`,
          `-${row}:00:00`,
          odd ? null : `row ${row} é`,
          `${row}`,
          Uint8Array.of(odd ? 1 : 0),
          null,
        ].flatMap(field),
      );
      decoder.addRow(packet, 0, packet.length);
    }
    decoder.flush();
    const source = toRecordBatch(arrowSchema(columns), decoded[0]!);
    const gatherer = new RowGatherer(source.schema, 2);
    gatherer.append(source.slice(5, 20), 1, 6);
    gatherer.append(source, 15, 19);
    const json = (rows: Iterable<unknown>) =>
      JSON.stringify(
        [...rows].map((row) => (row as { toJSON(): unknown }).toJSON()),
        (_, value) =>
          typeof value === 'bigint' ? `${value}n` : value instanceof Uint32Array ? [...value] : value,
      );
    expect(json(gatherer.take())).toBe(json([...source.slice(6, 11), ...source.slice(15, 19)]));
  });
});
