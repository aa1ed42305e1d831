/** Column descriptions and text-protocol row payloads as the server sends them, for decoder tests. */
import { BINARY_CHARSET, type ColumnMeta } from '../../../src/reader/arrow-types.ts';

export function column(name: string, columnType: number, overrides: Partial<ColumnMeta> = {}): ColumnMeta {
  return {
    name,
    table: 't',
    columnType,
    flags: 0,
    columnLength: 20,
    decimals: 0,
    characterSet: BINARY_CHARSET,
    ...overrides,
  };
}

/** A text-protocol row payload: each value a length-encoded string, 0xfb for NULL. */
export function rowPacket(values: readonly (string | Uint8Array | null)[]): Uint8Array {
  const parts: number[] = [];
  for (const value of values) {
    if (value === null) {
      parts.push(0xfb);
      continue;
    }
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    const n = bytes.length;
    if (n < 0xfb) parts.push(n);
    else if (n < 0x10000) parts.push(0xfc, n & 0xff, n >> 8);
    else if (n < 0x1000000) parts.push(0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16);
    else parts.push(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, 0, 0, 0, 0);
    parts.push(...bytes);
  }
  return Uint8Array.from(parts);
}

/**
 * A binary-protocol row payload (a prepared statement's row) of the same values: 0x00, the NULL
 * bitmap (first column at bit 2), then each value by its column type: integers and DOUBLE as
 * little-endian words, everything else length-encoded as in the text protocol.
 */
export function binaryRowPacket(
  columns: readonly ColumnMeta[],
  values: readonly (string | Uint8Array | null)[],
): Uint8Array {
  const bitmap = new Uint8Array((columns.length + 9) >> 3);
  const parts: Uint8Array[] = [Uint8Array.of(0), bitmap];
  values.forEach((value, c) => {
    if (value === null) {
      bitmap[(c + 2) >> 3]! |= 1 << ((c + 2) & 7);
      return;
    }
    const width = { 1: 1, 2: 2, 13: 2, 3: 4, 9: 4, 8: 8, 5: 8 }[columns[c]!.columnType];
    if (width === undefined || typeof value !== 'string') {
      parts.push(rowPacket([value]));
      return;
    }
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    if (columns[c]!.columnType === 5) view.setFloat64(0, Number(value), true);
    else view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    parts.push(bytes.subarray(0, width));
  });
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
