/**
 * The source text of each item of a statement's first SELECT list. MariaDB names a result
 * column without an alias by the text of its expression as written (`COUNT(*)`, `a  +  1`), and
 * the parser keeps no positions for most nodes, so the list is found again in the text: a small
 * scanner that skips strings, quoted names and comments and splits at top-level commas.
 */

import { commentEnd, quotedEnd } from './lexical.ts';

const SELECT_MODIFIERS = new Set([
  'ALL',
  'DISTINCT',
  'DISTINCTROW',
  'HIGH_PRIORITY',
  'STRAIGHT_JOIN',
  'SQL_SMALL_RESULT',
  'SQL_BIG_RESULT',
  'SQL_BUFFER_RESULT',
  'SQL_CACHE',
  'SQL_NO_CACHE',
  'SQL_CALC_FOUND_ROWS',
]);

const LIST_ENDS = new Set(['FROM', 'INTO', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'UNION', 'WINDOW']);

interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
}

/** Words, punctuation and quoted runs at their paren depth; comments and spaces dropped. */
function* tokens(sql: string): Generator<Token> {
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (commentEnd(sql, i) !== undefined) {
      i = commentEnd(sql, i)!;
    } else if (quotedEnd(sql, i) !== undefined) {
      const j = quotedEnd(sql, i)!;
      yield { text: sql.slice(i, j), start: i, end: j, depth };
      i = j;
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      yield { text: sql.slice(i, j), start: i, end: j, depth };
      i = j;
    } else {
      if (c === ')') depth--;
      yield { text: c, start: i, end: i + 1, depth };
      if (c === '(') depth++;
      i++;
    }
  }
}

/** The items of the first SELECT list as written, trimmed; undefined when the text is unclear. */
export function selectItemTexts(sql: string): string[] | undefined {
  const all = [...tokens(sql)];
  const select = all.findIndex((token) => token.text.toUpperCase() === 'SELECT');
  if (select < 0) return undefined;
  const depth = all[select]!.depth;
  let i = select + 1;
  while (i < all.length && SELECT_MODIFIERS.has(all[i]!.text.toUpperCase())) i++;
  const items: string[] = [];
  let itemStart = all[i]?.start;
  for (; i < all.length; i++) {
    const token = all[i]!;
    if (token.depth < depth) break;
    if (token.depth > depth) continue;
    if (token.text === ',') {
      items.push(sql.slice(itemStart, token.start).trim());
      itemStart = all[i + 1]?.start;
    } else if (LIST_ENDS.has(token.text.toUpperCase()) || token.text === ';') {
      break;
    }
  }
  const end = all[i]?.start ?? sql.length;
  if (itemStart === undefined) return undefined;
  items.push(sql.slice(itemStart, end).trim());
  return items;
}
