/**
 * What local execution works out about an Arrow column that costs a pass over its rows and
 * depends on nothing but its values, kept with the column's data: an integer column's index and
 * key set (kernels/column-index.ts) and a string column's dictionary codes
 * (kernels/string-codes.ts).
 * Kept in a WeakMap on the column's first chunk, checked against every chunk, so it lives as long
 * as the data and is shared by every plan over it: a cached frame's actions, an Arrow table given
 * to several local plans, the same buffers under new Table objects (Table.select).
 *
 * Arrow data reaching local execution is never written in place (batchOfTable in ./execute.ts
 * keeps batches on the same assumption), so what is kept stays right. Each is made the second
 * time a step asks for it on the same data (a key set, which costs what the step would spend
 * anyway, the first time): a column read once never pays for more than its steps need. Each is
 * only ever an optimization: without it, steps scan and code what they read.
 */
import type { Data } from 'apache-arrow';
import type { NumbersAndValidity, StringCodes } from './batch.ts';
import { buildIndex, type ColumnIndex, type KeySet } from './kernels/column-index.ts';

interface Memo {
  readonly chunks: readonly Data[];
  indexAsks: number;
  /** null: asked for and not indexable. */
  index: ColumnIndex | null | undefined;
  codesAsks: number;
  /** null: asked for and too many distinct strings. */
  codes: StringCodes | null | undefined;
  /** null: asked for and not a key set (a range too wide). */
  keys: KeySet | null | undefined;
}

const memos = new WeakMap<Data, Memo>();

const sameChunks = (a: readonly Data[], b: readonly Data[]): boolean =>
  a.length === b.length && a.every((data, i) => data === b[i]);

function memoOf(chunks: readonly Data[]): Memo | undefined {
  const first = chunks[0];
  if (first === undefined) return undefined;
  let memo = memos.get(first);
  if (!memo || !sameChunks(memo.chunks, chunks)) {
    memo = { chunks, indexAsks: 0, index: undefined, codesAsks: 0, codes: undefined, keys: undefined };
    memos.set(first, memo);
  }
  return memo;
}

/** The index of the integer column in `chunks`, built from its numbers on the second ask. */
export function keptIndex(
  chunks: readonly Data[],
  numbers: () => NumbersAndValidity | undefined,
): ColumnIndex | undefined {
  const memo = memoOf(chunks);
  if (!memo) return undefined;
  if (memo.index === undefined && ++memo.indexAsks >= 2) {
    const column = numbers();
    memo.index = column ? buildIndex(column) : null;
  }
  return memo.index ?? undefined;
}

/** The codes of every row of the string column in `chunks`, when already kept. */
export function codesKept(chunks: readonly Data[]): StringCodes | undefined {
  const memo = chunks[0] && memos.get(chunks[0]);
  return memo && sameChunks(memo.chunks, chunks) ? (memo.codes ?? undefined) : undefined;
}

/**
 * The codes of every row of the string column in `chunks`: kept ones, or `build()`'s when asked
 * for every row (`whole`) or for the second time; undefined otherwise (the caller codes the rows
 * it needs).
 */
export function keptCodes(
  chunks: readonly Data[],
  whole: boolean,
  build: () => StringCodes | undefined,
): StringCodes | undefined {
  const memo = memoOf(chunks);
  if (!memo) return undefined;
  if (memo.codes === undefined && (whole || ++memo.codesAsks >= 2)) memo.codes = build() ?? null;
  return memo.codes ?? undefined;
}

/** The distinct values of the integer column in `chunks` as a key set, `build()`'s on the first ask. */
export function keptKeySet(chunks: readonly Data[], build: () => KeySet | undefined): KeySet | undefined {
  const memo = memoOf(chunks);
  if (!memo) return undefined;
  if (memo.keys === undefined) memo.keys = build() ?? null;
  return memo.keys ?? undefined;
}
