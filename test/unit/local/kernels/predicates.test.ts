/**
 * Whole-column predicates over the columns TPC-H filters on: DATEs (as day numbers), DECIMALs
 * (compared, never computed), strings under the collation (=, IN, LIKE), BETWEEN, and constant
 * subtrees the row compiler folds (`CAST('1994-01-01' AS DATE) + INTERVAL 1 YEAR`). Each is
 * checked to take the kernel path (selectRows answers) and to select exactly the rows the
 * row-at-a-time evaluator selects, NULLs included.
 */
import { DateDay, Decimal, Float64, Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type Column, col, fn, lit } from '../../../../src/frame/column.ts';
import { batchFromArrow } from '../../../../src/local/arrow-in.ts';
import type { Batch } from '../../../../src/local/batch.ts';
import { DEFAULT_COLLATION } from '../../../../src/local/collation.ts';
import { compilePredicate } from '../../../../src/local/expr/compile.ts';
import { vectorize } from '../../../../src/local/kernels/expressions.ts';
import { selectRows } from '../../../../src/local/kernels/selection.ts';
import { arrowTable } from '../helpers.ts';

const day = (text: string) =>
  Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8)));
const cents = (n: number) =>
  new Uint32Array([n >>> 0, n < 0 ? 0xffffffff : 0, n < 0 ? 0xffffffff : 0, n < 0 ? 0xffffffff : 0]);

function batch(): Batch {
  const table = arrowTable({
    d: [
      new DateDay(),
      [
        '1994-01-01',
        '1993-12-31',
        null,
        '1995-01-01',
        '1994-12-31',
        '1970-01-01',
        '2000-02-29',
        '1994-06-15',
      ].map((t) => (t === null ? null : day(t))),
    ],
    e: [
      new DateDay(),
      [
        '1994-01-02',
        '1993-12-31',
        '1994-01-01',
        null,
        '1994-12-30',
        '1969-12-31',
        '2000-03-01',
        '1994-06-15',
      ].map((t) => (t === null ? null : day(t))),
    ],
    p: [
      new Decimal(2, 15, 128),
      [cents(5), cents(6), cents(7), null, cents(-5), cents(0), cents(4), cents(8)],
    ],
    s: [new Utf8(), ['MAIL', 'mail ', null, 'SHIP', 'AIR', 'Ship', '', 'PROMO BRASS']],
    i: [new Int32(), [1, 2, 3, null, 5, 6, 7, 8]],
    x: [new Float64(), [0.05, 0.06, null, 0.07, -0.05, 0, 0.04, 0.08]],
  });
  return batchFromArrow(table);
}

const scope = (b: Batch) => ({ batch: b, collation: DEFAULT_COLLATION, where: 'test' });

/** Rows the row path keeps. */
function rowPath(b: Batch, predicate: Column): number[] {
  const test = compilePredicate(predicate.node, scope(b));
  return Array.from({ length: b.length }, (_, row) => row).filter((row) => test(row));
}

const asDate = (text: string) => lit(text).cast('date');

const PREDICATES: Record<string, Column> = {
  "d >= CAST('1994-01-01' AS DATE)": col('d').ge(asDate('1994-01-01')),
  "d < CAST('1994-01-01' AS DATE) + INTERVAL 1 YEAR": col('d').lt(
    fn.dateAdd(asDate('1994-01-01'), 1, 'year'),
  ),
  "d = '1994-06-15' (a string meets a date)": col('d').eq(lit('1994-06-15')),
  "d != '1994-06-15'": col('d').ne(lit('1994-06-15')),
  'd < e (two date columns)': col('d').lt(col('e')),
  'd >= e': col('d').ge(col('e')),
  "d between '1994-01-01' and '1994-12-31'": col('d').between(lit('1994-01-01'), lit('1994-12-31')),
  "d not between '1994-01-01' and '1994-12-31'": col('d').between(lit('1994-01-01'), lit('1994-12-31')).not(),
  'p between 0.06 - 0.01 and 0.06 + 0.01 (DECIMAL)': col('p').between(
    lit.decimal('0.06').minus(lit.decimal('0.01')),
    lit.decimal('0.06').plus(lit.decimal('0.01')),
  ),
  'p < 0.07': col('p').lt(lit.decimal('0.07')),
  'p = i * 0.01 is a DECIMAL product: row path': col('p').eq(col('i').times(lit.decimal('0.01'))),
  'x > p (DOUBLE against DECIMAL)': col('x').gt(col('p')),
  "s = 'mail' (collation: case and trailing spaces)": col('s').eq(lit('mail')),
  "'ship' != s": lit('ship').ne(col('s')),
  "s in ('MAIL', 'ship')": col('s').isIn('MAIL', 'ship'),
  "s not in ('AIR', '')": col('s').isIn('AIR', '').not(),
  "s like '%brass'": col('s').like(lit('%brass')),
  "s not like 'S%'": col('s').like(lit('S%')).not(),
  'i in (1, 5, 8)': col('i').isIn(1, 5, 8),
  'i in (2, 3) or p > 0.05': col('i')
    .isIn(2, 3)
    .or(col('p').gt(lit.decimal('0.05'))),
  'i between 2 and 6 and x >= 0': col('i')
    .between(2, 6)
    .and(col('x').ge(lit(0))),
};

/** Predicates the kernels leave to the row path (their answers are still checked). */
const ROW_PATH = new Set(['p = i * 0.01 is a DECIMAL product: row path']);

describe('vectorized predicates over dates, decimals and strings', () => {
  for (const [name, predicate] of Object.entries(PREDICATES)) {
    it(`${name}: the row path's rows`, () => {
      const b = batch();
      const selected = selectRows(predicate.node, b);
      if (ROW_PATH.has(name)) {
        expect(selected).toBeUndefined();
        return;
      }
      expect(selected, 'kernel path taken').toBeDefined();
      expect(Array.from(selected!)).toEqual(rowPath(b, predicate));
    });
  }

  it('a NULL in an IN list, and a date against text with a time, stay on the row path', () => {
    const b = batch();
    expect(selectRows(col('i').isIn(1, null).node, b)).toBeUndefined();
    expect(selectRows(col('d').ge(lit('1994-01-01 10:00:00')).node, b)).toBeUndefined();
    expect(selectRows(col('s').isIn('MAIL', 1).node, b)).toBeUndefined();
  });

  it('DATE and DECIMAL vectors never leave as result columns', () => {
    const b = batch();
    expect(vectorize(col('d').node, b)).toBeUndefined();
    expect(vectorize(col('p').node, b)).toBeUndefined();
    expect(vectorize(fn.greatest('p', 'x').node, b)).toBeUndefined();
    expect(vectorize(col('p').negate().node, b)).toBeUndefined();
  });

  it('an empty batch selects nothing', () => {
    const b = batch();
    const empty: Batch = {
      length: 0,
      columns: b.columns.map((c) => ({
        name: c.name,
        type: c.type,
        values: Array.prototype.slice.call(c.values, 0, 0),
      })),
    };
    for (const predicate of Object.values(PREDICATES).slice(0, 3)) {
      expect(Array.from(selectRows(predicate.node, empty) ?? [])).toEqual([]);
    }
    expect(Array.from(selectRows(col('s').isIn('MAIL').node, empty)!)).toEqual([]);
  });
});
