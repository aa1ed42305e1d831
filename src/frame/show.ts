/**
 * Arrow tables as text a person reads: `frame.show()`, `showTable()`, the CLI's table output.
 * Values are shown as the database shows them (apache-arrow's own toString prints a Decimal128
 * as its unscaled integer and a date as milliseconds): DECIMAL with its scale, BIGINT digit for
 * digit, dates 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]', binary as hex.
 */
import { type DataType, type Table, Type } from 'apache-arrow';
import { arrowToRows } from './rows.ts';

export interface FormatTableOptions {
  /** Rows to show (default 20); the rest are counted in the footer. */
  readonly maxRows?: number;
  /** The total row count when `table` holds only the first rows (a streamed result). */
  readonly totalRows?: number;
  /** The table was cut at `maxRows + 1` rows: say that more follow without counting them. */
  readonly truncated?: boolean;
  /** Longest cell shown before it is cut with '…' (default 60). */
  readonly maxWidth?: number;
}

/** One value as text: NULL, exact decimals and integers, dates as the database prints them. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex').toUpperCase()}`;
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Numbers read best right-aligned, as every SQL shell shows them. */
export function isNumericType(type: DataType): boolean {
  return (
    type.typeId === Type.Int ||
    type.typeId === Type.Float ||
    type.typeId === Type.Decimal ||
    type.typeId === Type.Duration
  );
}

/** Plain row objects with the values `cellText` shows (exact, as collect() returns them). */
export function tableRows(table: Table): Record<string, unknown>[] {
  return arrowToRows(table);
}

/** An aligned text table of the first rows, with a footer giving the row count. */
export function formatTable(table: Table, options: FormatTableOptions = {}): string {
  const maxRows = options.maxRows ?? 20;
  const maxWidth = options.maxWidth ?? 60;
  const total = options.totalRows ?? table.numRows;
  const shown = table.numRows > maxRows ? table.slice(0, maxRows) : table;
  const fields = table.schema.fields;
  const names = fields.map((field) => field.name);
  const cut = (text: string) => {
    const flat = text.replace(/[\r\n\t]/g, ' ');
    return flat.length > maxWidth ? `${flat.slice(0, maxWidth - 1)}…` : flat;
  };
  const rows = tableRows(shown).map((row) => names.map((name) => cut(cellText(row[name]))));
  const widths = names.map((name, c) => Math.max(name.length, ...rows.map((row) => row[c]!.length)));
  const right = fields.map((field) => isNumericType(field.type));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join(' | ')
      .trimEnd();
  const out = [line(names), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)];
  if (options.truncated && table.numRows > rows.length)
    out.push(`(first ${rows.length} rows shown; more follow)`);
  else if (total > rows.length) out.push(`(${total} rows, ${rows.length} shown)`);
  else out.push(`(${total} ${total === 1 ? 'row' : 'rows'})`);
  return out.join('\n');
}

/** Prints `formatTable(table)` to stdout: for Arrow tables from `readSql` or `toArrow()`. */
export function showTable(table: Table, rows = 20): void {
  process.stdout.write(`${formatTable(table, { maxRows: rows })}\n`);
}
