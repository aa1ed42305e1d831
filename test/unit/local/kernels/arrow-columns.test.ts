/**
 * Arrow columns decoded on demand and WHERE as one short-circuit loop: filters read numbers, day
 * numbers and dictionary codes from the Arrow buffers, picked rows stay undecoded until read,
 * and every answer equals the eager path's (every value decoded first, the row-at-a-time
 * evaluator), NULLs, several chunks, sliced data, non-ASCII text and exact DECIMALs included.
 */
import {
  DateDay,
  Decimal,
  Float64,
  Int32,
  Int64,
  makeVector,
  Table,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../../src/frame/column.ts';
import { type ArrowColumnSource, batchFromArrow, decodeStats } from '../../../../src/local/arrow-in.ts';
import { batchToArrow } from '../../../../src/local/arrow-out.ts';
import { type Batch, makeBatch, takeColumn, takeRows } from '../../../../src/local/batch.ts';
import { DEFAULT_COLLATION } from '../../../../src/local/collation.ts';
import { compilePredicate } from '../../../../src/local/expr/compile.ts';
import { selectionStats, selectRows } from '../../../../src/local/kernels/selection.ts';
import { stringCodesOf } from '../../../../src/local/kernels/string-codes.ts';
import {
  allValid,
  clearBit,
  isValidAt,
  nullCountOf,
  withoutKernels,
} from '../../../../src/local/kernels/vectors.ts';
import { aggregateRows } from '../../../../src/local/ops/aggregate.ts';
import { sortBatch } from '../../../../src/local/ops/sort.ts';
import type { Value } from '../../../../src/local/types.ts';
import type { SortKey } from '../../../../src/plan/expr.ts';

const day = (text: string) =>
  Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8)));

/** A DECIMAL(15,2) cell from cents (two's complement over four words). */
const cents = (n: number) =>
  new Uint32Array([n >>> 0, n < 0 ? 0xffffffff : 0, n < 0 ? 0xffffffff : 0, n < 0 ? 0xffffffff : 0]);

const MODES = ['AIR', 'MAIL', 'SHIP', 'air ', 'REG AIR', 'Ünïcode', 'TRUCK', null];

/**
 * 1000 rows in chunks of 300, 300 and 400 (one chunk of 1000 when `whole`: loops read its
 * integer, double and date buffers as they are), with NULLs in every column.
 */
function table(whole = false): Table {
  const rows = 1000;
  const pick = <T>(f: (i: number) => T) => Array.from({ length: rows }, (_, i) => f(i));
  const columns = {
    d: [
      new DateDay(),
      pick((i) => (i % 17 === 0 ? null : day(`1994-${String((i % 12) + 1).padStart(2, '0')}-15`))),
    ],
    p: [new Decimal(2, 15, 128), pick((i) => (i % 23 === 0 ? null : cents(((i * 37) % 1100) - 100)))],
    q: [new Int32(), pick((i) => (i % 19 === 0 ? null : i % 50))],
    k: [new Int64(), pick((i) => (i % 29 === 0 ? null : BigInt(i) * 3n))],
    x: [new Float64(), pick((i) => (i % 31 === 0 ? null : (i % 7) / 7))],
    m: [new Utf8(), pick((i) => MODES[i % MODES.length])],
    c: [new Utf8(), pick((i) => (i % 13 === 0 ? null : `comment ${i}`))],
  } as const;
  const chunk = (from: number, to: number) =>
    new Table(
      Object.fromEntries(
        Object.entries(columns).map(([name, [type, values]]) => [
          name,
          vectorFromArray((values as unknown[]).slice(from, to), type),
        ]),
      ),
    );
  const parts = whole ? [chunk(0, 1000)] : [chunk(0, 300), chunk(300, 600), chunk(600, 1000)];
  return new Table(parts.flatMap((part) => part.batches));
}

/** Every column's values decoded first: the eager batch the kernels compare against. */
function eager(batch: Batch): Batch {
  return makeBatch(
    batch.columns.map((c) => ({ name: c.name, type: c.type, values: Array.from(c.values) })),
    batch.length,
  );
}

function rowPath(b: Batch, predicate: Column): number[] {
  const test = compilePredicate(predicate.node, { batch: b, collation: DEFAULT_COLLATION, where: 'test' });
  return Array.from({ length: b.length }, (_, row) => row).filter((row) => test(row));
}

const PREDICATES: Record<string, Column> = {
  'date range and decimal between and int (TPC-H Q6 shape)': col('d')
    .ge(lit('1994-03-01').cast('date'))
    .and(col('d').lt(lit('1994-09-01').cast('date')))
    .and(col('p').between(lit.decimal('0.05'), lit.decimal('3.07')))
    .and(col('q').lt(lit(24))),
  'OR of ANDs over strings and numbers (Q19 shape)': col('m')
    .isIn('AIR', 'REG AIR')
    .and(col('q').between(1, 11))
    .or(col('m').eq(lit('mail')).and(col('q').between(10, 20)))
    .or(
      col('m')
        .like(lit('%ship'))
        .and(col('x').gt(lit(0.5))),
    ),
  'NOT of an AND with NULLs on both sides': col('q')
    .gt(lit(10))
    .and(col('x').lt(lit(0.5)))
    .not(),
  'NOT of an OR with NULLs': col('q')
    .lt(lit(5))
    .or(col('p').gt(lit.decimal('5')))
    .not(),
  'NOT BETWEEN over a nullable column': col('q').between(10, 30).not(),
  'IS NULL and IS NOT NULL': col('d')
    .isNull()
    .or(col('x').isNotNull().and(col('q').isNull())),
  'numbers IN and NOT IN (a 64-bit column)': col('k').isIn(3, 30, 300, 2997).or(col('q').isIn(1, 2).not()),
  'string != and NOT LIKE (non-ASCII, trailing spaces)': col('m')
    .ne(lit('air'))
    .and(col('m').like(lit('%code')).not()),
  'a high-cardinality string column (no codes) with a number': col('c')
    .like(lit('%7'))
    .and(col('q').ge(lit(5))),
  'a computed term (the kernels compute it whole-column)': col('q').plus(col('x')).gt(lit(20)),
  'a comparison of two columns': col('x').lt(col('p')),
};

describe('WHERE as one short-circuit loop over Arrow columns', () => {
  for (const [name, predicate] of Object.entries(PREDICATES)) {
    it(`${name}: the row path's rows, without decoding whole columns`, () => {
      const b = batchFromArrow(table());
      const runs = selectionStats.runs;
      const before = decodeStats.columns;
      const selected = selectRows(predicate.node, b);
      expect(selectionStats.runs, 'fused selection taken').toBe(runs + 1);
      if (!name.includes('no codes')) expect(decodeStats.columns, 'no column decoded').toBe(before);
      expect(Array.from(selected!)).toEqual(rowPath(eager(b), predicate));
      // The same rows over decoded values (no Arrow source) and with the kernels off.
      expect(Array.from(selectRows(predicate.node, eager(b))!)).toEqual(Array.from(selected!));
      const rows = withoutKernels(() => rowPath(b, predicate));
      expect(rows).toEqual(Array.from(selected!));
      // One chunk: its Arrow buffers read in the loop as they are (Int32, Float64, day numbers).
      expect(Array.from(selectRows(predicate.node, batchFromArrow(table(true)))!)).toEqual(rows);
    });
  }

  it('reads one chunk of plain numbers from its Arrow buffer, NULLs from its bitmap', () => {
    const b = batchFromArrow(table(true));
    const q = b.columns.find((c) => c.name === 'q')!.source!.bufferNumbers!()!;
    expect(q.values).toBeInstanceOf(Int32Array);
    expect(q.valid).toBeDefined();
    expect(b.columns.find((c) => c.name === 'd')!.source!.bufferNumbers!()!.values).toBeInstanceOf(
      Int32Array,
    );
    expect(b.columns.find((c) => c.name === 'x')!.source!.bufferNumbers!()!.values).toBeInstanceOf(
      Float64Array,
    );
    // Rows picked from it (-1: an outer join's missing row) read the buffer: NULLs from the bitmap.
    const whole = eager(batchFromArrow(table(true)));
    for (const name of ['q', 'x']) {
      const source = b.columns.find((c) => c.name === name)!.source!;
      const values = whole.columns.find((c) => c.name === name)!.values;
      const rows = [5, -1, 19, 38, 0, 999, 31];
      expect(Array.from(source.take(rows))).toEqual(rows.map((row) => (row < 0 ? null : values[row])));
    }
    // 64-bit integers, DECIMALs and several chunks are copied into doubles instead.
    for (const name of ['k', 'p'])
      expect(b.columns.find((c) => c.name === name)!.source!.bufferNumbers!()).toBeUndefined();
    expect(
      batchFromArrow(table()).columns.find((c) => c.name === 'q')!.source!.bufferNumbers!(),
    ).toBeUndefined();
  });

  it('over an empty batch selects nothing', () => {
    const empty = batchFromArrow(table().slice(0, 0));
    for (const predicate of Object.values(PREDICATES)) {
      expect(Array.from(selectRows(predicate.node, empty) ?? [])).toEqual([]);
    }
  });
});

describe('rows picked from Arrow columns stay undecoded until read', () => {
  it('a filter, then a pick with NULL rows (an outer join), decode only the rows read', () => {
    const b = batchFromArrow(table());
    const expected = eager(b);
    const selected = selectRows(col('q').lt(lit(5)).node, b)!;
    const before = { ...decodeStats };
    const picked = takeRows(b, selected);
    expect(decodeStats).toEqual(before);
    const pairs = Int32Array.from([3, -1, 0, 7, 7, -1, 12]);
    for (const column of picked.columns) {
      const again = takeColumn(column, pairs);
      const want = Array.from(pairs, (p) =>
        p < 0 ? null : expected.columns.find((c) => c.name === column.name)!.values[selected[p]!]!,
      );
      expect(Array.from(again.values), column.name).toEqual(want);
    }
    // Seven rows per column at most, no whole column.
    expect(decodeStats.columns).toBe(before.columns);
    expect(decodeStats.rows - before.rows).toBeLessThanOrEqual(7 * b.columns.length);
  });

  it('filters over picked rows read their numbers and codes, and equal the eager answers', () => {
    const b = batchFromArrow(table());
    const firstRows = takeRows(b, selectRows(col('x').isNotNull().node, b)!);
    const predicate = col('m')
      .isIn('AIR', 'SHIP')
      .and(col('d').ge(lit('1994-06-01').cast('date')));
    const runs = selectionStats.runs;
    const selected = selectRows(predicate.node, firstRows)!;
    expect(selectionStats.runs).toBe(runs + 1);
    expect(Array.from(selected)).toEqual(rowPath(eager(firstRows), predicate));
  });

  it('DECIMALs a double cannot hold stay exact, digit for digit, through a filter and a pick', () => {
    const words = (big: bigint) => {
      const out = new Uint32Array(4);
      let v = BigInt.asUintN(128, big);
      for (let k = 0; k < 4; k++) {
        out[k] = Number(v & 0xffffffffn);
        v >>= 32n;
      }
      return out;
    };
    const values = [
      123456789012345678901234567890123456n,
      -5n,
      null,
      1n,
      -99999999999999999999999999999999999n,
    ];
    const t = new Table({
      p: vectorFromArray(
        values.map((v) => (v === null ? null : words(v))),
        new Decimal(10, 38, 128),
      ),
      i: vectorFromArray([1, 2, 3, 4, 5], new Int32()),
    });
    const b = batchFromArrow(t);
    const picked = takeRows(b, selectRows(col('i').ne(lit(2)).node, b)!);
    const decoded = Array.from(picked.columns[0]!.values);
    expect(decoded).toEqual([0, 2, 3, 4].map((row) => eager(b).columns[0]!.values[row]));
    expect([decoded[0], decoded[3]]).toEqual([
      '12345678901234567890123456.7890123456',
      '-9999999999999999999999999.9999999999',
    ]);
    // A comparison with such a value is the exact path's: the row path answers.
    const big = col('p').gt(lit.decimal('0'));
    expect(Array.from(selectRows(big.node, b) ?? rowPath(b, big))).toEqual(rowPath(eager(b), big));
  });
});

describe('UTF-8 dictionary codes', () => {
  const decode = (codes: ReturnType<typeof stringCodesOf>) =>
    Array.from(codes!.codes, (code) => (code < 0 ? null : codes!.dictionary[code]!));

  it('stand for the byte strings, across chunks, NULLs and sliced data', () => {
    const t = table();
    const column = t.getChild('m')!;
    const codes = stringCodesOf(column.data, column.length);
    expect(decode(codes)).toEqual(Array.from({ length: 1000 }, (_, i) => MODES[i % MODES.length]));
    expect(codes!.dictionary).toHaveLength(MODES.length - 1);
    const sliced = column.slice(5, 45);
    expect(decode(stringCodesOf(sliced.data, sliced.length))).toEqual(
      Array.from({ length: 40 }, (_, i) => MODES[(i + 5) % MODES.length]),
    );
  });

  it('are the same built from the bytes (many rows) or the decoded texts (few), for all rows or picked rows', () => {
    // 40,000 rows in chunks of 25,000 and 15,000 (the second sliced), NULLs and non-ASCII text.
    const text = (i: number) => (i % 11 === 0 ? null : `${MODES[i % 7]}-${(i * 7) % 40}`);
    const chunk = (from: number, to: number) =>
      makeVector(
        vectorFromArray(
          Array.from({ length: to - from }, (_, k) => text(from + k)),
          new Utf8(),
        ),
      );
    const first = chunk(0, 25_000);
    const second = chunk(24_990, 40_000).slice(10);
    const data = [...first.data, ...second.data];
    const want = Array.from({ length: 40_000 }, (_, i) => text(i));
    const all = stringCodesOf(data, 40_000);
    expect(decode(all)).toEqual(want);
    expect(all!.dictionary).toHaveLength(280);
    // Picked rows, out of order and across both chunks, -1 for a NULL: bytes (20,000 rows) and texts (7).
    const many = Int32Array.from({ length: 20_000 }, (_, k) => (k % 97 === 0 ? -1 : (k * 7919) % 40_000));
    expect(decode(stringCodesOf(data, 40_000, many))).toEqual(
      Array.from(many, (r) => (r < 0 ? null : want[r])),
    );
    const few = Int32Array.from([39_999, 0, -1, 25_000, 24_999, 11, 30_001]);
    expect(decode(stringCodesOf(data, 40_000, few))).toEqual(
      Array.from(few, (r) => (r < 0 ? null : want[r])),
    );
    // Mostly distinct strings are given up either way.
    const distinct = makeVector(
      vectorFromArray(
        Array.from({ length: 30_000 }, (_, i) => `s${i}`),
        new Utf8(),
      ),
    );
    expect(stringCodesOf(distinct.data, distinct.length)).toBeUndefined();
  });

  it('a string test ANDed with others runs on the rows the others keep, coding those rows only', () => {
    const b = batchFromArrow(table());
    const predicate = col('q')
      .eq(lit(7))
      .and(col('m').like('%AIR%'))
      .and(col('c').ne(lit('comment 57')));
    const selected = selectRows(predicate.node, b)!;
    expect(selected.length).toBeGreaterThan(0);
    expect(Array.from(selected)).toEqual(rowPath(eager(b), predicate));
    // The whole columns were never coded (nor decoded): only the 1 in 50 rows with q = 7.
    for (const name of ['m', 'c']) {
      const source = b.columns.find((c) => c.name === name)!.source as ArrowColumnSource;
      expect(source.codesAtHand(), name).toBeUndefined();
    }
    // NULLs on either side of the two steps, a NOT of a string test among the others.
    const mixed = col('d')
      .ge(lit('1994-06-01').cast('date'))
      .and(col('m').ne(lit('air')))
      .and(col('m').like('T%').not())
      .and(col('q').isNotNull());
    expect(Array.from(selectRows(mixed.node, b)!)).toEqual(rowPath(eager(b), mixed));
  });

  it('sort keys of a string column from its codes order rows as its decoded values do', () => {
    const b = batchFromArrow(table());
    const picked = takeRows(
      b,
      selectRows(
        col('m')
          .ne(lit('SHIP'))
          .and(col('q').lt(lit(40))).node,
        b,
      )!,
    );
    const context = { collation: DEFAULT_COLLATION };
    const order = (batch: Batch, keys: SortKey[]) => {
      const sorted = sortBatch(batch, keys, context);
      return Array.from({ length: sorted.length }, (_, i) => sorted.columns.map((c) => c.values[i]));
    };
    for (const [descending, nullsFirst] of [
      [true, false],
      [false, false],
      [true, true],
    ]) {
      const keys = [
        { expr: col('m').node, descending: descending!, nullsFirst: nullsFirst! },
        { expr: col('c').node, descending: false, nullsFirst: true },
        { expr: col('q').node, descending: false, nullsFirst: true },
      ];
      expect(order(picked, keys)).toEqual(order(eager(picked), keys));
    }
  });

  it('group keys of a string column from its codes equal those of its decoded values', () => {
    const b = batchFromArrow(table());
    const picked = takeRows(b, selectRows(col('q').lt(lit(30)).node, b)!);
    const groupBy = [col('m').node, col('q').node];
    const aggregates = [
      col('m').node,
      col('q').node,
      fn.count().as('n').node,
      fn.countDistinct(col('c')).as('c').node,
    ];
    const context = { collation: DEFAULT_COLLATION };
    const fast = aggregateRows(picked, groupBy, aggregates, context);
    const slow = aggregateRows(eager(picked), groupBy, aggregates, context);
    const rows = (batch: Batch) =>
      Array.from({ length: batch.length }, (_, i) => batch.columns.map((c) => c.values[i]));
    expect(rows(fast)).toEqual(rows(slow));
    // 'AIR' and 'air ' are one group under the default collation (case and trailing spaces).
    const byMode = aggregateRows(picked, [col('m').node], [col('m').node, fn.count().as('n').node], context);
    expect(byMode.length).toBe(MODES.length - 1);
    expect(rows(byMode)).toEqual(
      rows(aggregateRows(eager(picked), [col('m').node], [col('m').node, fn.count().as('n').node], context)),
    );
  });

  it('are given up for a column of mostly distinct strings', () => {
    const many = makeVector(
      vectorFromArray(
        Array.from({ length: 5000 }, (_, i) => `s${i}`),
        new Utf8(),
      ),
    );
    expect(stringCodesOf(many.data, many.length)).toBeUndefined();
  });

  it('a string column decoded from its codes shares one string per code', () => {
    const b = batchFromArrow(table());
    selectRows(col('m').eq(lit('AIR')).node, b);
    const values: Value[] = Array.from(b.columns.find((c) => c.name === 'm')!.values);
    expect(values.slice(0, MODES.length)).toEqual(MODES);
    expect(values[0]).toBe(values[MODES.length]);
  });
});

describe('columns of several chunks (one per parallel read) as one', () => {
  const tables = { 'three chunks': table(), 'three chunks, sliced at odd rows': table().slice(3, 997) };
  for (const [name, t] of Object.entries(tables)) {
    it(`${name}: numbers and validity equal the values read row by row`, () => {
      const b = batchFromArrow(t);
      for (const column of ['q', 'k', 'x']) {
        const source = b.columns.find((c) => c.name === column)!.source!;
        const numbers = source.numbers()!;
        const read = Array.from({ length: t.numRows }, (_, i) =>
          isValidAt(numbers.valid, i) ? numbers.values[i] : null,
        );
        const expected = [...t.getChild(column)!].map((v) => (v === null ? null : Number(v)));
        expect(read, column).toEqual(expected);
      }
    });

    it(`${name}: leave for Arrow as one chunk of the same values, reusing numbers already read`, () => {
      const b = batchFromArrow(t);
      const x = b.columns.find((c) => c.name === 'x')!.source!.numbers()!;
      const out = batchToArrow(b);
      for (const column of ['q', 'k', 'x', 'p', 'd']) {
        const vector = out.getChild(column)!;
        expect(vector.data.length, column).toBe(1);
        expect(vector.type.toString(), column).toBe(t.getChild(column)!.type.toString());
        expect(vector.nullCount, column).toBe(t.getChild(column)!.nullCount);
        expect([...vector].map(String), column).toEqual([...t.getChild(column)!].map(String));
      }
      expect(out.getChild('x')!.data[0]!.values).toBe(x.values);
    });
  }

  it('counts NULLs of a bitmap a byte at a time', () => {
    const valid = allValid(21);
    for (const row of [0, 7, 8, 15, 20]) clearBit(valid, row);
    expect(nullCountOf(valid, 21)).toBe(5);
    expect(nullCountOf(valid, 20)).toBe(4);
    expect(nullCountOf(undefined, 21)).toBe(0);
  });
});
