/**
 * Arrow Utf8 strings as dictionary codes, built from their bytes: one hash of the bytes per row
 * into an open-addressing table of the distinct byte strings seen, each distinct string decoded
 * to text once. Columns that repeat few values (flags, modes, types, brands) then cost no string
 * per row: a predicate is decided once per code, and decoding shares one string per code.
 *
 * Codes stand for byte strings, not collation keys: 'AIR' and 'air' get two codes, and whatever
 * reads them decides on the decoded text (so the collation is applied exactly as on the row path).
 *
 * A few rows (SMALL_INPUT) are coded from each row's decoded text in a Map instead: the byte loop
 * is the fast way only once V8 has optimized it, and on a few thousand rows it mostly runs
 * unoptimized (10k part types: ~10 ms on its first calls against ~2 ms decoding each row, 0.8
 * ms once optimized; measured on the 2-core development machine).
 */
import type { Data } from 'apache-arrow';
import type { StringCodes } from '../batch.ts';

const utf8 = new TextDecoder();

/** Beyond this many distinct strings codes cost more than they save. */
const MAX_DISTINCT = 65_536;
/** Past this many distinct strings, a column where most rows are new strings is given up. */
const FEW_DISTINCT = 1_024;
/** Up to this many rows, codes come from decoded texts (see above). */
const SMALL_INPUT = 16_384;

/** Too many distinct strings for codes to pay off, `code` being the next new one at row `at`. */
const tooMany = (code: number, at: number) => code >= MAX_DISTINCT || (code >= FEW_DISTINCT && code * 2 > at);

const equalBytes = (a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number) => {
  for (let k = 0; k < length; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
};

/**
 * The codes of Utf8 chunks (32-bit offsets), or undefined when the column has too many distinct
 * strings (over MAX_DISTINCT, or over FEW_DISTINCT and more than half the rows seen so far).
 * With `rows` (row numbers over all chunks, -1 for NULL), the codes of those rows only, in that
 * order: a column a filter or join has cut down hashes the bytes of the rows it kept, not all.
 */
export function stringCodesOf(
  chunks: readonly Data[],
  length: number,
  rows?: ArrayLike<number>,
): StringCodes | undefined {
  const n = rows ? rows.length : length;
  if (n <= SMALL_INPUT) return codesOfTexts(chunks, n, rows);
  const codes = new Int32Array(n);
  const dictionary: string[] = [];
  const hashes: number[] = [];
  const keyBytes: Uint8Array[] = [];
  const keyStarts: number[] = [];
  const keyLengths: number[] = [];
  let mask = 1023;
  let slots = new Int32Array(mask + 1).fill(-1);
  // The chunk the current row is in: rows in order (all of them, or a selection) stay in it.
  let chunk = -1;
  let chunkStart = 0;
  let chunkEnd = 0;
  let offsets: Int32Array = new Int32Array(0);
  let bytes: Uint8Array = new Uint8Array(0);
  let bitmap: Uint8Array | undefined;
  let bitOffset = 0;
  for (let at = 0; at < n; at++) {
    const row = rows ? rows[at]! : at;
    if (row < 0) {
      codes[at] = -1;
      continue;
    }
    if (row < chunkStart || row >= chunkEnd) {
      if (row < chunkStart) {
        chunk = -1;
        chunkEnd = 0;
      }
      do {
        chunk++;
        chunkStart = chunkEnd;
        chunkEnd += chunks[chunk]!.length;
      } while (row >= chunkEnd);
      const data = chunks[chunk]!;
      offsets = data.valueOffsets as Int32Array;
      bytes = data.values as Uint8Array;
      bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
      bitOffset = data.offset;
    }
    const i = row - chunkStart;
    if (bitmap) {
      const bit = bitOffset + i;
      if ((bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) {
        codes[at] = -1;
        continue;
      }
    }
    const start = offsets[i]!;
    const size = offsets[i + 1]! - start;
    let hash = 0x811c9dc5 ^ size;
    for (let k = start; k < start + size; k++) hash = Math.imul(hash ^ bytes[k]!, 0x01000193);
    let slot = hash & mask;
    let code = slots[slot]!;
    while (
      code >= 0 &&
      !(
        hashes[code] === hash &&
        keyLengths[code] === size &&
        equalBytes(keyBytes[code]!, keyStarts[code]!, bytes, start, size)
      )
    ) {
      slot = (slot + 1) & mask;
      code = slots[slot]!;
    }
    if (code < 0) {
      code = dictionary.length;
      if (tooMany(code, at)) return undefined;
      dictionary.push(utf8.decode(bytes.subarray(start, start + size)));
      hashes.push(hash);
      keyBytes.push(bytes);
      keyStarts.push(start);
      keyLengths.push(size);
      slots[slot] = code;
      if (dictionary.length * 2 > mask) {
        mask = mask * 2 + 1;
        slots = new Int32Array(mask + 1).fill(-1);
        for (let c = 0; c < hashes.length; c++) {
          let s = hashes[c]! & mask;
          while (slots[s]! >= 0) s = (s + 1) & mask;
          slots[s] = c;
        }
      }
    }
    codes[at] = code;
  }
  return { codes, dictionary };
}

/** stringCodesOf over `n` rows from each row's decoded text, numbered through a Map. */
function codesOfTexts(
  chunks: readonly Data[],
  n: number,
  rows: ArrayLike<number> | undefined,
): StringCodes | undefined {
  const codes = new Int32Array(n);
  const dictionary: string[] = [];
  const known = new Map<string, number>();
  let chunk = -1;
  let chunkStart = 0;
  let chunkEnd = 0;
  let data: Data | undefined;
  for (let at = 0; at < n; at++) {
    const row = rows ? rows[at]! : at;
    if (row < 0) {
      codes[at] = -1;
      continue;
    }
    if (row < chunkStart || row >= chunkEnd) {
      if (row < chunkStart) {
        chunk = -1;
        chunkEnd = 0;
      }
      do {
        chunk++;
        chunkStart = chunkEnd;
        chunkEnd += chunks[chunk]!.length;
      } while (row >= chunkEnd);
      data = chunks[chunk]!;
    }
    const i = row - chunkStart;
    const bitmap = data!.nullCount > 0 ? data!.nullBitmap : undefined;
    if (bitmap) {
      const bit = data!.offset + i;
      if ((bitmap[bit >> 3]! & (1 << (bit & 7))) === 0) {
        codes[at] = -1;
        continue;
      }
    }
    const offsets = data!.valueOffsets as Int32Array;
    const text = utf8.decode((data!.values as Uint8Array).subarray(offsets[i]!, offsets[i + 1]!));
    let code = known.get(text);
    if (code === undefined) {
      code = dictionary.length;
      if (tooMany(code, at)) return undefined;
      dictionary.push(text);
      known.set(text, code);
    }
    codes[at] = code;
  }
  return { codes, dictionary };
}
