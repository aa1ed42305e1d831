/**
 * The text format `loadInfile` sends: one row per line, fields separated by tabs, in the
 * server's default `LOAD DATA` escaping (FIELDS TERMINATED BY '\t' ESCAPED BY '\\'
 * LINES TERMINATED BY '\n'), with `\N` for NULL.
 */

export type TsvValue = string | number | bigint | boolean | null | undefined;

/** The NULL marker of LOAD DATA's default escaping. */
export const TSV_NULL = '\\N';

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/**
 * Escapes one text value so it reads back byte for byte: backslash, tab, newline, carriage
 * return and NUL become two-character escapes, which LOAD DATA turns back into the character.
 */
export function escapeTsv(value: string): string {
  // Most values need nothing; testing first keeps the bulk path free of allocations.
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r\0]/g, (char) => ESCAPES[char]!);
}

/** One field: NULL (and undefined) as `\N`, booleans as 1/0, numbers as written, text escaped. */
export function tsvField(value: TsvValue): string {
  if (value === null || value === undefined) return TSV_NULL;
  if (typeof value === 'string') return escapeTsv(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

/** One row as a line, newline included. */
export function tsvLine(values: readonly TsvValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += tsvField(values[i]);
  }
  return line + '\n';
}
