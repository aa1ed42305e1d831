/**
 * Arrow Utf8 strings as dictionary codes, built from their bytes: one hash of the bytes per row
 * into an open-addressing table of the distinct byte strings seen, each distinct string decoded
 * to text once. Columns that repeat few values (flags, modes, types, brands) then cost no string
 * per row: a predicate is decided once per code, and decoding shares one string per code.
 *
 * Codes stand for byte strings, not collation keys: 'AIR' and 'air' get two codes, and whatever
 * reads them decides on the decoded text (so the collation is applied exactly as on the row path).
 */
import type { Data } from 'apache-arrow';
import type { StringCodes } from '../batch.ts';

const utf8 = new TextDecoder();

/** Beyond this many distinct strings codes cost more than they save. */
const MAX_DISTINCT = 65_536;
/** Past this many distinct strings, a column where most rows are new strings is given up. */
const FEW_DISTINCT = 1_024;

const equalBytes = (a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number) => {
  for (let k = 0; k < length; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
};

/**
 * The codes of Utf8 chunks (32-bit offsets), or undefined when the column has too many distinct
 * strings (over MAX_DISTINCT, or over FEW_DISTINCT and more than half the rows seen so far).
 */
export function stringCodesOf(chunks: readonly Data[], length: number): StringCodes | undefined {
  const codes = new Int32Array(length);
  const dictionary: string[] = [];
  const hashes: number[] = [];
  const keyBytes: Uint8Array[] = [];
  const keyStarts: number[] = [];
  const keyLengths: number[] = [];
  let mask = 1023;
  let slots = new Int32Array(mask + 1).fill(-1);
  let at = 0;
  for (const data of chunks) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      if (bitmap) {
        const bit = data.offset + i;
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
        if (code >= MAX_DISTINCT || (code >= FEW_DISTINCT && code * 2 > at)) return undefined;
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
  }
  return { codes, dictionary };
}
