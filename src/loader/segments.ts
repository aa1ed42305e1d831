/**
 * How a partition's fetched records are cut before they are written: into batches the spec's
 * size limits allow, and, on a Spider cluster written leaf by leaf, at every leaf's offset
 * watermark, so that each piece is wholly new or wholly old to each server. Pure functions of the
 * offsets, kept apart from the writer so the cutting rules can be read and tested alone.
 */
import { valueBytes } from './kafka-records.ts';
import type { SourceRecord } from './record.ts';

/** Batches of at most maxRows records and about maxBytes of payload. */
export function* chunks(
  records: readonly SourceRecord[],
  maxRows: number,
  maxBytes: number,
): Generator<readonly SourceRecord[]> {
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < records.length; index++) {
    bytes += valueBytes(records[index]!);
    if (index + 1 - start >= maxRows || bytes >= maxBytes) {
      yield records.slice(start, index + 1);
      start = index + 1;
      bytes = 0;
    }
  }
  if (start < records.length) yield records.slice(start);
}

/**
 * Cuts a batch at every watermark inside it, so each piece is either wholly new or wholly old to
 * each server: a server takes a piece only when its watermark is at or before the piece's start.
 */
export function segmentsAtWatermarks(
  records: readonly SourceRecord[],
  watermarks: readonly number[],
): (readonly SourceRecord[])[] {
  const first = records[0]?.offset ?? 0;
  const last = records[records.length - 1]?.offset ?? 0;
  // Only watermarks strictly inside the batch cut it (the common case has none: one piece).
  const cuts = [...new Set(watermarks)].filter((cut) => cut > first && cut <= last).sort((a, b) => a - b);
  if (cuts.length === 0) return [records];
  const segments: (readonly SourceRecord[])[] = [];
  let start = 0;
  for (let index = 1; index < records.length; index++) {
    const offset = records[index]!.offset;
    const previous = records[index - 1]!.offset;
    if (cuts.some((cut) => cut > previous && cut <= offset)) {
      segments.push(records.slice(start, index));
      start = index;
    }
  }
  segments.push(records.slice(start));
  return segments;
}
