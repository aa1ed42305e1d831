/**
 * Where a quoted run or a comment of MySQL-family SQL text ends, for the small scanners that must
 * not look inside them (placeholders, SELECT-list items). One copy, so both read the same rules:
 * `\` escapes inside '…' and "…" (not inside `…`), a doubled quote stays inside, `#` and `-- `
 * (dash dash space or newline) run to the end of the line, and `/* … *\/` is a comment.
 */

/** A quoted string or identifier starting at `i`: the index just past its closing quote. */
export function quotedEnd(sql: string, i: number): number | undefined {
  const quote = sql[i];
  if (quote !== "'" && quote !== '"' && quote !== '`') return undefined;
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === '\\' && quote !== '`') j += 2;
    else if (sql[j] === quote && sql[j + 1] === quote) j += 2;
    else if (sql[j] === quote) break;
    else j++;
  }
  return Math.min(j + 1, sql.length);
}

/** A comment starting at `i`: the index just past it (a line comment keeps its newline outside). */
export function commentEnd(sql: string, i: number): number | undefined {
  const c = sql[i];
  if (
    c === '#' ||
    (c === '-' && (sql.startsWith('-- ', i) || sql.startsWith('--\n', i) || sql.startsWith('--\t', i)))
  ) {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end;
  }
  if (c === '/' && sql[i + 1] === '*') {
    const end = sql.indexOf('*/', i + 2);
    return end < 0 ? sql.length : end + 2;
  }
  return undefined;
}
