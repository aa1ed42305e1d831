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
