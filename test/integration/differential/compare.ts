/**
 * Compares query results that arrive by different roads: rows through sluice (Arrow, then
 * `collect()`), rows from a local engine, and rows straight from mysql2. The same value can look
 * different on each road, so every value is first brought to one canonical form:
 *
 * - NULL and undefined are null; booleans are 1 and 0;
 * - integers (numbers, bigints, integer text such as BIGINT or COUNT from the driver) are bigint,
 *   compared exactly, so BIGINT UNSIGNED above 2^53 must survive the trip digit for digit;
 * - DECIMAL text (digits after a point, as the driver and collect() give DECIMAL) is compared
 *   digit for digit, scale included: it equals only the same text ('12.000000' also equals the
 *   integer 12 from an integer road, exactly);
 * - other numbers (DOUBLE) are compared within a relative tolerance;
 * - dates and timestamps (Date objects, ISO text, the driver's 'YYYY-MM-DD HH:MM:SS') become
 *   'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS[.ffffff]' text, midnight dropped, trailing zeros cut;
 *   TIME text ('-838:59:59.000000') loses the trailing zeros of its fraction;
 * - bytes become hex text.
 *
 * Rows are compared as ordered lists when the program orders them totally, else as multisets
 * (both sides sorted by the same canonical order).
 */

export type Canonical =
  | null
  | bigint
  | { readonly number: number; readonly scale?: number; readonly decimal?: string }
  | string;

export interface CompareOptions {
  /** Relative tolerance for non-integer numbers. */
  readonly relativeTolerance?: number;
  /** Compare in order (the program sorts totally); otherwise as multisets. */
  readonly ordered: boolean;
}

const INTEGER_TEXT = /^-?\d+$/;
const DECIMAL_TEXT = /^-?\d+\.(\d+)$/;
const FLOAT_TEXT = /^-?\d+(\.\d+)?e[+-]?\d+$/i;
const TIME_TEXT = /^(-?\d{2,3}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/;
const DATE_TIME_TEXT = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]00:?00)?$/;

function canonicalDate(date: string, time: string | undefined, fraction: string | undefined): string {
  const frac = (fraction ?? '').replace(/0+$/, '');
  if ((time === undefined || time === '00:00:00') && frac === '') return date;
  return `${date} ${time ?? '00:00:00'}${frac === '' ? '' : `.${frac}`}`;
}

export function canonical(value: unknown): Canonical {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return BigInt(value);
    return { number: value };
  }
  if (typeof value === 'string') {
    if (INTEGER_TEXT.test(value)) return BigInt(value);
    const decimal = DECIMAL_TEXT.exec(value);
    if (decimal) {
      const number = Number(value);
      // '12.000000' from DECIMAL is the integer 12: it must equal 12 from an integer road exactly.
      if (/^0+$/.test(decimal[1]!)) return BigInt(value.slice(0, value.indexOf('.')));
      return { number, scale: decimal[1]!.length, decimal: value };
    }
    if (FLOAT_TEXT.test(value)) return { number: Number(value) };
    const dateTime = DATE_TIME_TEXT.exec(value);
    if (dateTime) return canonicalDate(dateTime[1]!, dateTime[2], dateTime[3]);
    const time = TIME_TEXT.exec(value);
    if (time) {
      const fraction = (time[2] ?? '').replace(/0+$/, '');
      return fraction === '' ? time[1]! : `${time[1]}.${fraction}`;
    }
    return value;
  }
  if (value instanceof Date) {
    const iso = value.toISOString();
    return canonicalDate(iso.slice(0, 10), iso.slice(11, 19), iso.slice(20, 23));
  }
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const isNumeric = (value: Canonical): value is bigint | { number: number; scale?: number } =>
  typeof value === 'bigint' || (typeof value === 'object' && value !== null);
const numberOf = (value: bigint | { number: number }) =>
  typeof value === 'bigint' ? Number(value) : value.number;

export function valuesEqual(a: Canonical, b: Canonical, relativeTolerance = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  if (isNumeric(a) && isNumeric(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
    // An integer beyond 2^53 against a float: equal only if the float is exactly that integer
    // (a road that made a double of BIGINT lost its last digits).
    for (const [big, other] of [
      [a, b],
      [b, a],
    ] as const) {
      if (typeof big === 'bigint' && (big > MAX_SAFE || big < -MAX_SAFE)) {
        const value = numberOf(other);
        return Number.isInteger(value) && BigInt(value) === big;
      }
    }
    // DECIMAL is exact: the same digits, or nothing.
    const decimals = [a, b].map((v) => (typeof v === 'object' ? v.decimal : undefined));
    if (decimals[0] !== undefined || decimals[1] !== undefined) return decimals[0] === decimals[1];
    if (x === y) return true;
    return Math.abs(x - y) <= relativeTolerance * Math.max(Math.abs(x), Math.abs(y), 1e-300);
  }
  return a === b;
}

/** A total order on canonical values: NULL first, then numbers, then text. */
export function compareCanonical(a: Canonical, b: Canonical): number {
  const rank = (v: Canonical) => (v === null ? 0 : isNumeric(v) ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a === null || b === null) return 0;
  if (isNumeric(a) && isNumeric(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    return numberOf(a) - numberOf(b);
  }
  return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
}

export const show = (value: Canonical): string => {
  if (value === null) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return value.decimal ?? String(value.number);
  return JSON.stringify(value);
};

/** Rows as canonical tuples in `columns` order; a missing column reads as undefined and says so. */
export function canonicalRows(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
): Canonical[][] {
  return rows.map((row) => columns.map((column) => canonical(row[column])));
}

function compareRows(a: readonly Canonical[], b: readonly Canonical[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareCanonical(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

const rowText = (columns: readonly string[], row: readonly Canonical[]) =>
  `{${row.map((value, i) => `${columns[i]}: ${show(value)}`).join(', ')}}`;

/**
 * Undefined when the two results are the same, else a description of the first differences:
 * the column names, the row counts, and up to `maxRows` differing rows with their positions.
 */
export function diffResults(
  expected: { readonly columns: readonly string[]; readonly rows: readonly Record<string, unknown>[] },
  actual: { readonly columns: readonly string[]; readonly rows: readonly Record<string, unknown>[] },
  options: CompareOptions,
  maxRows = 8,
): string | undefined {
  if (expected.columns.join('\u0000') !== actual.columns.join('\u0000')) {
    return `columns differ: expected [${expected.columns.join(', ')}], got [${actual.columns.join(', ')}]`;
  }
  const columns = expected.columns;
  for (const [label, result] of [
    ['expected', expected],
    ['actual', actual],
  ] as const) {
    const extra = result.rows[0] ? Object.keys(result.rows[0]).filter((key) => !columns.includes(key)) : [];
    const missing = result.rows[0] ? columns.filter((column) => !(column in result.rows[0]!)) : [];
    if (extra.length > 0 || missing.length > 0) {
      return `${label} rows have keys [${Object.keys(result.rows[0]!).join(', ')}], the columns are [${columns.join(', ')}]`;
    }
  }
  const sortRows = (rows: Canonical[][]) => (options.ordered ? rows : [...rows].sort(compareRows));
  const want = sortRows(canonicalRows(expected.rows, columns));
  const got = sortRows(canonicalRows(actual.rows, columns));
  const tolerance = options.relativeTolerance ?? 1e-9;
  const rowsEqual = (w: Canonical[], g: Canonical[]) =>
    w.every((value, c) => valuesEqual(value, g[c]!, tolerance));
  const lines: string[] = [];
  if (want.length !== got.length) lines.push(`row count: expected ${want.length}, got ${got.length}`);
  if (options.ordered) {
    let shown = 0;
    for (let i = 0; i < Math.max(want.length, got.length) && shown < maxRows; i++) {
      const w = want[i];
      const g = got[i];
      if (w && g && rowsEqual(w, g)) continue;
      shown++;
      const differing = w && g ? columns.filter((_c, c) => !valuesEqual(w[c]!, g[c]!, tolerance)) : [];
      lines.push(
        `row ${i}: expected ${w ? rowText(columns, w) : '(none)'}\n` +
          `${' '.repeat(String(i).length + 4)}   got ${g ? rowText(columns, g) : '(none)'}` +
          (differing.length > 0 ? `\n    differing: ${differing.join(', ')}` : ''),
      );
    }
  } else {
    // A merge walk over both sorted lists: rows on one side only are the difference.
    const missing: Canonical[][] = [];
    const unexpected: Canonical[][] = [];
    let i = 0;
    let j = 0;
    while (i < want.length || j < got.length) {
      const w = want[i];
      const g = got[j];
      if (w && g && rowsEqual(w, g)) {
        i++;
        j++;
      } else if (w && (!g || compareRows(w, g) < 0)) {
        missing.push(w);
        i++;
      } else {
        unexpected.push(g!);
        j++;
      }
    }
    const list = (title: string, rows: Canonical[][]) => {
      if (rows.length === 0) return;
      lines.push(`${title} (${rows.length}):`);
      for (const row of rows.slice(0, maxRows)) lines.push(`  ${rowText(columns, row)}`);
      if (rows.length > maxRows) lines.push(`  ... ${rows.length - maxRows} more`);
    };
    list('expected but missing', missing);
    list('returned but not expected', unexpected);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}
