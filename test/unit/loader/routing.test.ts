import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../../src/loader/record.ts';
import { hashRouter } from '../../../src/loader/routing.ts';
import { chunks, segmentsAtWatermarks } from '../../../src/loader/segments.ts';

describe('routing rows to Spider leaves', () => {
  // Partition p0 on the second leaf, p1 on the first: the comment decides, not the order.
  const router = hashRouter('id', 1, [1, 0]);

  it('puts a row in partition |key mod N|, as the server does, for numbers, bigints and text', () => {
    expect(router.leafOf(['x', 4])).toBe(1);
    expect(router.leafOf(['x', 5])).toBe(0);
    expect(router.leafOf(['x', -5])).toBe(0);
    expect(router.leafOf(['x', -4])).toBe(1);
    expect(router.leafOf(['x', 9007199254740993n])).toBe(0);
    expect(router.leafOf(['x', '9007199254740993'])).toBe(0);
    expect(router.leafOf(['x', ' 12 '])).toBe(1);
  });

  it('sends NULL and non-integers to partition 0, where the leaf rejects what it cannot store', () => {
    expect(router.leafOf(['x', null])).toBe(1);
    expect(router.leafOf(['x', 'abc'])).toBe(1);
    expect(router.leafOf(['x', 1.5])).toBe(1);
  });
});

function records(offsets: number[], size = 10): SourceRecord[] {
  return offsets.map((offset) => ({ offset, key: null, value: Buffer.alloc(size), timestamp: '0' }));
}

describe('batches', () => {
  it('are cut at max rows and max bytes', () => {
    const sizes = [...chunks(records([0, 1, 2, 3, 4, 5, 6]), 3, 1_000_000)].map((chunk) => chunk.length);
    expect(sizes).toEqual([3, 3, 1]);
    const bySize = [...chunks(records([0, 1, 2, 3, 4], 40), 100, 100)].map((chunk) =>
      chunk.map((r) => r.offset),
    );
    expect(bySize).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });

  it('are cut at every leaf watermark inside them, so each piece is wholly new or wholly old to each leaf', () => {
    const offsets = (pieces: readonly (readonly SourceRecord[])[]) =>
      pieces.map((piece) => piece.map((r) => r.offset));
    expect(offsets(segmentsAtWatermarks(records([10, 11, 12, 13, 14]), [10, 13]))).toEqual([
      [10, 11, 12],
      [13, 14],
    ]);
    expect(offsets(segmentsAtWatermarks(records([10, 11, 12]), [10, 10]))).toEqual([[10, 11, 12]]);
    // A watermark inside a gap of offsets (transaction markers, compaction) cuts at the next record.
    expect(offsets(segmentsAtWatermarks(records([10, 11, 15, 16]), [10, 13, 20]))).toEqual([
      [10, 11],
      [15, 16],
    ]);
  });
});
