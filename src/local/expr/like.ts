/**
 * LIKE as MariaDB matches it: `%` any run of characters, `_` one character, backslash escapes the
 * next character; under utf8mb4_general_ci, case- and accent-insensitive, character by character
 * (trailing spaces count, unlike in `=`).
 */
import { type Collation, foldCharacters } from '../collation.ts';

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

/** The pattern as a regular expression over folded text. */
export function likeRegex(pattern: string, collation: Collation): RegExp {
  const folded = collation === 'binary' ? pattern : foldCharacters(pattern);
  let source = '';
  const chars = Array.from(folded);
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === '\\' && i + 1 < chars.length) {
      source += chars[++i]!.replace(REGEX_SPECIAL, '\\$&');
    } else if (char === '%') {
      source += '.*';
    } else if (char === '_') {
      source += '.';
    } else {
      source += char.replace(REGEX_SPECIAL, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'su');
}

/** A matcher for one pattern: text -> matches. */
export function likeMatcher(pattern: string, collation: Collation): (text: string) => boolean {
  const regex = likeRegex(pattern, collation);
  if (collation === 'binary') return (text) => regex.test(text);
  return (text) => regex.test(foldCharacters(text));
}
